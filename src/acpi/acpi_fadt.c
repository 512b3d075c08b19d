/* The FADT: the SCI, the PM1 control blocks, the PM timer, the reset register and the DSDT
 * (ACPI 6.5 §5.2.9).  The table has grown with every ACPI version, so each field is read only
 * when the table's length covers it. */
#include "acpi/acpi_internal.h"

/* FADT field offsets (ACPI 6.5 Table 5.9) */
#define FADT_DSDT 40
#define FADT_SCI_INT 46
#define FADT_SMI_CMD 48
#define FADT_ACPI_ENABLE 52
#define FADT_ACPI_DISABLE 53
#define FADT_PM1A_CNT_BLK 64
#define FADT_PM1B_CNT_BLK 68
#define FADT_PM_TMR_BLK 76
#define FADT_PM1_CNT_LEN 89
#define FADT_PM_TMR_LEN 91
#define FADT_IAPC_BOOT_ARCH 109
#define FADT_FLAGS 112
#define FADT_RESET_REG 116
#define FADT_RESET_VALUE 128
#define FADT_X_DSDT 140
#define FADT_X_PM1A_CNT_BLK 172
#define FADT_X_PM1B_CNT_BLK 184
#define FADT_X_PM_TMR_BLK 208

#define FADT_V1_LEN 116      /* the ACPI 1.0 FADT ends after Flags */
#define FADT_REV_BOOT_ARCH 2 /* IAPC_BOOT_ARCH was reserved before ACPI 2.0 */
#define PM_TMR_LEN 4         /* "If the PM Timer is supported, this field's value must be 4." */
#define BITS_PER_BYTE 8

static bool covers(uint32_t len, uint32_t off, uint32_t size) { return off + size <= len; }

static uint32_t field32(const uint8_t *t, uint32_t len, uint32_t off)
{
    return covers(len, off, sizeof(uint32_t)) ? acpi_rd32(t + off) : 0;
}

static uint8_t field8(const uint8_t *t, uint32_t len, uint32_t off)
{
    return covers(len, off, sizeof(uint8_t)) ? t[off] : 0;
}

static void io_gas(struct acpi_gas *gas, uint32_t port, uint8_t port_len)
{
    gas->space_id = ACPI_GAS_SYSTEM_IO;
    gas->bit_width = (uint8_t)(port_len * BITS_PER_BYTE);
    gas->bit_offset = 0;
    gas->access_size = 0;
    gas->address = port;
}

/* A register block: the 64-bit GAS form (X_...) when the table has it and it is filled in, else
 * the 32-bit I/O port form with its length in bytes. */
static void block(const uint8_t *t, uint32_t len, uint32_t x_off, uint32_t port_off,
                  uint8_t port_len, struct acpi_gas *gas)
{
    if (covers(len, x_off, ACPI_GAS_LEN)) {
        acpi_tbl_gas(t + x_off, gas);
        if (gas->address)
            return;
    }
    io_gas(gas, field32(t, len, port_off), port_len);
}

/* Like block(), but a PM_TMR_BLK whose PM_TMR_LEN is not 4 is no PM timer (Table 5.9). */
static void pm_timer(struct acpi_info *ai, const uint8_t *t, uint32_t len)
{
    if (covers(len, FADT_X_PM_TMR_BLK, ACPI_GAS_LEN)) {
        acpi_tbl_gas(t + FADT_X_PM_TMR_BLK, &ai->pm_timer);
        if (ai->pm_timer.address)
            return;
    }
    uint32_t port = field32(t, len, FADT_PM_TMR_BLK);
    uint8_t port_len = field8(t, len, FADT_PM_TMR_LEN);
    ai->pm_timer = (struct acpi_gas){ 0 };
    if (!port)
        return;
    if (port_len != PM_TMR_LEN) {
        acpi_tbl_problem(ai, "FADT", "PM timer block at 0x%x has length %u, not %u; no PM timer",
                         port, port_len, PM_TMR_LEN);
        return;
    }
    io_gas(&ai->pm_timer, port, port_len);
}

void acpi_tbl_fadt(struct acpi_info *ai, const uint8_t *t, uint32_t len)
{
    if (ai->has_fadt) {
        acpi_tbl_problem(ai, "FADT", "a second FADT; ignored (using the first)");
        return;
    }
    ai->has_fadt = true;
    ai->fadt_revision = t[ACPI_HDR_REVISION];
    if (len < FADT_V1_LEN)
        acpi_tbl_problem(ai, "FADT", "only %u bytes, fewer than ACPI 1.0's %u; read what is there",
                         len, FADT_V1_LEN);

    if (covers(len, FADT_SCI_INT, sizeof(uint16_t)))
        ai->sci_int = acpi_rd16(t + FADT_SCI_INT);
    ai->smi_cmd = field32(t, len, FADT_SMI_CMD);
    ai->acpi_enable = field8(t, len, FADT_ACPI_ENABLE);
    ai->acpi_disable = field8(t, len, FADT_ACPI_DISABLE);
    ai->fadt_flags = field32(t, len, FADT_FLAGS);
    if (ai->fadt_revision >= FADT_REV_BOOT_ARCH &&
        covers(len, FADT_IAPC_BOOT_ARCH, sizeof(uint16_t)))
        ai->iapc_boot_arch = acpi_rd16(t + FADT_IAPC_BOOT_ARCH);

    uint8_t cnt_len = field8(t, len, FADT_PM1_CNT_LEN);
    block(t, len, FADT_X_PM1A_CNT_BLK, FADT_PM1A_CNT_BLK, cnt_len, &ai->pm1a_cnt);
    block(t, len, FADT_X_PM1B_CNT_BLK, FADT_PM1B_CNT_BLK, cnt_len, &ai->pm1b_cnt);

    pm_timer(ai, t, len);
    ai->pm_timer_32bit = ai->fadt_flags & ACPI_FADT_TMR_VAL_EXT;

    if ((ai->fadt_flags & ACPI_FADT_RESET_REG_SUP) &&
        covers(len, FADT_RESET_VALUE, sizeof(uint8_t))) {
        acpi_tbl_gas(t + FADT_RESET_REG, &ai->reset_reg);
        ai->reset_value = t[FADT_RESET_VALUE];
        ai->has_reset = ai->reset_reg.address != 0;
    }

    uint64_t x_dsdt = covers(len, FADT_X_DSDT, sizeof(uint64_t)) ? acpi_rd64(t + FADT_X_DSDT) : 0;
    ai->dsdt_phys = x_dsdt ? x_dsdt : field32(t, len, FADT_DSDT);
}
