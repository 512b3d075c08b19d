/* The HPET description table (IA-PC HPET specification 1.0a, §3.2.4, Table 3). */
#include "acpi/acpi_internal.h"

#define HPET_BLOCK_ID 36
#define HPET_BASE_ADDRESS 40 /* a Generic Address Structure */
#define HPET_NUMBER 52
#define HPET_MIN_TICK 53
#define HPET_TABLE_LEN 56

/* Event Timer Block ID bits: a copy of the low half of the General Capabilities and ID
 * register (§2.3.4), whose comparator field holds the number of the LAST comparator. */
#define HPET_ID_VENDOR_SHIFT 16
#define HPET_ID_LEGACY_CAPABLE (1u << 15)
#define HPET_ID_COUNT_SIZE_64 (1u << 13)
#define HPET_ID_LAST_COMPARATOR_SHIFT 8
#define HPET_ID_LAST_COMPARATOR_MASK 0x1Fu

void acpi_tbl_hpet(struct acpi_info *ai, const uint8_t *t, uint32_t len)
{
    if (ai->has_hpet) {
        /* One table per timer block is allowed; the first block is the one we use. */
        return;
    }
    if (len < HPET_TABLE_LEN) {
        acpi_tbl_problem(ai, "HPET", "length %u is shorter than %u; table ignored", len,
                         HPET_TABLE_LEN);
        return;
    }
    struct acpi_gas base;
    acpi_tbl_gas(t + HPET_BASE_ADDRESS, &base);
    if (base.space_id != ACPI_GAS_SYSTEM_MEMORY || !base.address) {
        acpi_tbl_problem(ai, "HPET",
                         "base address 0x%llx in address space %u is not memory; table ignored",
                         (unsigned long long)base.address, base.space_id);
        return;
    }
    uint32_t id = acpi_rd32(t + HPET_BLOCK_ID);
    ai->has_hpet = true;
    ai->hpet_address = base.address;
    ai->hpet_block_id = id;
    ai->hpet_comparators =
        (uint8_t)(((id >> HPET_ID_LAST_COMPARATOR_SHIFT) & HPET_ID_LAST_COMPARATOR_MASK) + 1);
    ai->hpet_vendor_id = (uint16_t)(id >> HPET_ID_VENDOR_SHIFT);
    ai->hpet_counter_64 = id & HPET_ID_COUNT_SIZE_64;
    ai->hpet_legacy_capable = id & HPET_ID_LEGACY_CAPABLE;
    ai->hpet_number = t[HPET_NUMBER];
    ai->hpet_min_tick = acpi_rd16(t + HPET_MIN_TICK);
}
