#include "acpi_build.h"

#include <stdlib.h>
#include <string.h>

/* Offsets the builders need (ACPI 6.5 Tables 5.3, 5.4) */
#define HDR_LENGTH 4
#define HDR_CHECKSUM 9
#define RSDP_CHECKSUM 8
#define RSDP_REVISION 15
#define RSDP_RSDT 16
#define RSDP_LENGTH 20
#define RSDP_XSDT 24
#define RSDP_EXT_CHECKSUM 32
#define RSDP_V1_LEN 20
#define RSDP_V2_LEN 36
#define TABLE_GAP 0x100 /* between placed tables, so a table that overruns its chunk is caught */

static void need(struct tbl *t, size_t n)
{
    if (t->len + n > TBL_MAX)
        abort();
}

void tbl_bytes(struct tbl *t, const void *p, size_t n)
{
    need(t, n);
    memcpy(t->b + t->len, p, n);
    t->len += (uint32_t)n;
}

void tbl_u8(struct tbl *t, uint8_t v) { tbl_bytes(t, &v, 1); }

void tbl_u16(struct tbl *t, uint16_t v)
{
    tbl_u8(t, (uint8_t)v);
    tbl_u8(t, (uint8_t)(v >> 8));
}

void tbl_u32(struct tbl *t, uint32_t v)
{
    tbl_u16(t, (uint16_t)v);
    tbl_u16(t, (uint16_t)(v >> 16));
}

void tbl_u64(struct tbl *t, uint64_t v)
{
    tbl_u32(t, (uint32_t)v);
    tbl_u32(t, (uint32_t)(v >> 32));
}

void tbl_gas(struct tbl *t, uint8_t space, uint8_t width, uint64_t address)
{
    tbl_u8(t, space);
    tbl_u8(t, width);
    tbl_u8(t, 0);
    tbl_u8(t, 0);
    tbl_u64(t, address);
}

void tbl_start(struct tbl *t, const char *sig, uint8_t revision)
{
    t->len = 0;
    tbl_bytes(t, sig, 4);
    tbl_u32(t, 0); /* length, set by tbl_finish */
    tbl_u8(t, revision);
    tbl_u8(t, 0); /* checksum */
    tbl_bytes(t, "CADRE ", 6);
    tbl_bytes(t, "CADRETST", 8);
    tbl_u32(t, 1);
    tbl_bytes(t, "CADR", 4);
    tbl_u32(t, 1);
}

void tbl_fix_checksum(uint8_t *table, uint32_t len)
{
    uint8_t sum = 0;
    table[HDR_CHECKSUM] = 0;
    for (uint32_t i = 0; i < len; i++)
        sum = (uint8_t)(sum + table[i]);
    table[HDR_CHECKSUM] = (uint8_t)-sum;
}

void tbl_finish(struct tbl *t)
{
    for (int i = 0; i < 4; i++)
        t->b[HDR_LENGTH + i] = (uint8_t)(t->len >> (8 * i));
    tbl_fix_checksum(t->b, t->len);
}

void madt_start(struct tbl *t, uint32_t lapic_address, uint32_t flags)
{
    tbl_start(t, "APIC", 5);
    tbl_u32(t, lapic_address);
    tbl_u32(t, flags);
}

void madt_lapic(struct tbl *t, uint8_t uid, uint8_t apic_id, uint32_t flags)
{
    tbl_u8(t, 0);
    tbl_u8(t, 8);
    tbl_u8(t, uid);
    tbl_u8(t, apic_id);
    tbl_u32(t, flags);
}

void madt_ioapic(struct tbl *t, uint8_t id, uint32_t address, uint32_t gsi_base)
{
    tbl_u8(t, 1);
    tbl_u8(t, 12);
    tbl_u8(t, id);
    tbl_u8(t, 0);
    tbl_u32(t, address);
    tbl_u32(t, gsi_base);
}

void madt_iso(struct tbl *t, uint8_t bus, uint8_t irq, uint32_t gsi, uint16_t flags)
{
    tbl_u8(t, 2);
    tbl_u8(t, 10);
    tbl_u8(t, bus);
    tbl_u8(t, irq);
    tbl_u32(t, gsi);
    tbl_u16(t, flags);
}

void madt_nmi_source(struct tbl *t, uint16_t flags, uint32_t gsi)
{
    tbl_u8(t, 3);
    tbl_u8(t, 8);
    tbl_u16(t, flags);
    tbl_u32(t, gsi);
}

void madt_lapic_nmi(struct tbl *t, uint8_t uid, uint16_t flags, uint8_t lint)
{
    tbl_u8(t, 4);
    tbl_u8(t, 6);
    tbl_u8(t, uid);
    tbl_u16(t, flags);
    tbl_u8(t, lint);
}

void madt_lapic_override(struct tbl *t, uint64_t address)
{
    tbl_u8(t, 5);
    tbl_u8(t, 12);
    tbl_u16(t, 0);
    tbl_u64(t, address);
}

void madt_x2apic(struct tbl *t, uint32_t x2apic_id, uint32_t flags, uint32_t uid)
{
    tbl_u8(t, 9);
    tbl_u8(t, 16);
    tbl_u16(t, 0);
    tbl_u32(t, x2apic_id);
    tbl_u32(t, flags);
    tbl_u32(t, uid);
}

void madt_x2apic_nmi(struct tbl *t, uint16_t flags, uint32_t uid, uint8_t lint)
{
    tbl_u8(t, 0xA);
    tbl_u8(t, 12);
    tbl_u16(t, flags);
    tbl_u32(t, uid);
    tbl_u8(t, lint);
    tbl_u8(t, 0);
    tbl_u16(t, 0);
}

/* Writes `v` (n bytes) at `off`, which must lie inside what was appended. */
static void put_at(struct tbl *t, uint32_t off, uint64_t v, int n)
{
    if (off + (uint32_t)n > t->len)
        abort();
    for (int i = 0; i < n; i++)
        t->b[off + i] = (uint8_t)(v >> (8 * i));
}

void build_fadt(struct tbl *t, const struct fadt_opts *o)
{
    tbl_start(t, "FACP", o->x_fields ? 6 : 1);
    uint8_t zero[276] = { 0 };
    tbl_bytes(t, zero, (o->x_fields ? 276 : 116) - 36);
    /* Field offsets of ACPI 6.5 Table 5.9 */
    put_at(t, 40, o->x_fields ? 0 : o->dsdt, 4);
    put_at(t, 46, o->sci, 2);
    put_at(t, 48, 0xB2, 4); /* SMI_CMD */
    put_at(t, 52, 0xF1, 1); /* ACPI_ENABLE */
    put_at(t, 53, 0xF0, 1); /* ACPI_DISABLE */
    put_at(t, 64, o->pm1a_cnt, 4);
    put_at(t, 76, o->pm_tmr, 4);
    put_at(t, 89, 2, 1); /* PM1_CNT_LEN */
    put_at(t, 91, o->pm_tmr_len, 1);
    put_at(t, 112, o->flags, 4);
    if (o->x_fields) {
        put_at(t, 116, 1, 1); /* RESET_REG: system I/O, 8 bits */
        put_at(t, 117, 8, 1);
        put_at(t, 120, o->reset_port, 8);
        put_at(t, 128, o->reset_value, 1);
        put_at(t, 140, o->dsdt, 8);
        if (o->x_pm_tmr) {
            put_at(t, 208, 1, 1);
            put_at(t, 209, 32, 1);
            put_at(t, 212, o->x_pm_tmr, 8);
        }
    }
    tbl_finish(t);
}

void build_dsdt(struct tbl *t, const uint8_t *aml, size_t len)
{
    tbl_start(t, "DSDT", 2);
    tbl_bytes(t, aml, len);
    tbl_finish(t);
}

void build_hpet(struct tbl *t, uint32_t block_id, uint8_t space, uint64_t address,
                uint16_t min_tick)
{
    tbl_start(t, "HPET", 1);
    tbl_u32(t, block_id);
    tbl_gas(t, space, 64, address);
    tbl_u8(t, 0);
    tbl_u16(t, min_tick);
    tbl_u8(t, 0);
    tbl_finish(t);
}

void build_mcfg(struct tbl *t, const struct mcfg_entry *e, unsigned n)
{
    tbl_start(t, "MCFG", 1);
    tbl_u64(t, 0); /* reserved */
    for (unsigned i = 0; i < n; i++) {
        tbl_u64(t, e[i].base);
        tbl_u16(t, e[i].segment);
        tbl_u8(t, e[i].bus_start);
        tbl_u8(t, e[i].bus_end);
        tbl_u32(t, 0);
    }
    tbl_finish(t);
}

void sys_init(struct sys *s)
{
    memset(s, 0, sizeof *s);
    fakemem_init(&s->mem);
    s->next = SYS_TABLE_BASE;
}

uint64_t sys_place(struct sys *s, const struct tbl *t, bool listed)
{
    uint64_t phys = s->next;
    fakemem_add(&s->mem, phys, t->b, t->len);
    s->next = (phys + t->len + TABLE_GAP) & ~0xFull;
    if (listed && s->ntables < SYS_MAX_TABLES)
        s->table_phys[s->ntables++] = phys;
    return phys;
}

static uint8_t sum(const uint8_t *p, size_t n)
{
    uint8_t v = 0;
    while (n--)
        v = (uint8_t)(v + *p++);
    return v;
}

uint64_t sys_root(struct sys *s, bool xsdt, unsigned stray)
{
    static struct tbl root;
    tbl_start(&root, xsdt ? "XSDT" : "RSDT", 1);
    for (unsigned i = 0; i < s->ntables; i++) {
        if (xsdt)
            tbl_u64(&root, s->table_phys[i]);
        else
            tbl_u32(&root, (uint32_t)s->table_phys[i]);
    }
    for (unsigned i = 0; i < stray; i++)
        tbl_u8(&root, 0xEE);
    tbl_finish(&root);
    return sys_place(s, &root, false);
}

void sys_rsdp(struct sys *s, uint8_t revision, uint64_t rsdt, uint64_t xsdt)
{
    uint8_t *r = s->rsdp;
    memset(r, 0, sizeof s->rsdp);
    memcpy(r, "RSD PTR ", 8);
    memcpy(r + 9, "CADRE ", 6);
    r[RSDP_REVISION] = revision;
    for (int i = 0; i < 4; i++)
        r[RSDP_RSDT + i] = (uint8_t)(rsdt >> (8 * i));
    r[RSDP_CHECKSUM] = (uint8_t)-sum(r, RSDP_V1_LEN);
    s->rsdp_len = RSDP_V1_LEN;
    if (revision >= 2) {
        r[RSDP_LENGTH] = RSDP_V2_LEN;
        for (int i = 0; i < 8; i++)
            r[RSDP_XSDT + i] = (uint8_t)(xsdt >> (8 * i));
        r[RSDP_EXT_CHECKSUM] = (uint8_t)-sum(r, RSDP_V2_LEN);
        s->rsdp_len = RSDP_V2_LEN;
    }
    s->root_phys = revision >= 2 && xsdt ? xsdt : rsdt;
    s->mem.rsdp_phys = SYS_RSDP_PHYS;
    fakemem_add(&s->mem, SYS_RSDP_PHYS, r, s->rsdp_len);
}

void sys_finish(struct sys *s, bool xsdt)
{
    uint64_t root = sys_root(s, xsdt, 0);
    sys_rsdp(s, xsdt ? 2 : 0, xsdt ? 0 : root, xsdt ? root : 0);
}

void sys_free(struct sys *s) { fakemem_free(&s->mem); }
