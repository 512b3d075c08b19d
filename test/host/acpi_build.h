/* Building ACPI tables by hand for the tests: a table is appended to field by field, then
 * finished (length and checksum filled in) and placed in a fake memory at increasing addresses,
 * and a root table and an RSDP are made to point at what was placed. */
#ifndef CADRE_TEST_ACPI_BUILD_H
#define CADRE_TEST_ACPI_BUILD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "fakemem.h"

#define TBL_MAX 32768
#define SYS_MAX_TABLES 16
#define SYS_TABLE_BASE 0x7fe0000ull /* where placed tables start, like QEMU's top of low RAM */
#define SYS_RSDP_PHYS 0xf5a00ull

struct tbl {
    uint8_t b[TBL_MAX];
    uint32_t len;
};

/* The common header (ACPI 6.5 §5.2.6), OEM fields filled with "CADRE". */
void tbl_start(struct tbl *t, const char *sig, uint8_t revision);
void tbl_u8(struct tbl *t, uint8_t v);
void tbl_u16(struct tbl *t, uint16_t v);
void tbl_u32(struct tbl *t, uint32_t v);
void tbl_u64(struct tbl *t, uint64_t v);
void tbl_bytes(struct tbl *t, const void *p, size_t n);
void tbl_gas(struct tbl *t, uint8_t space, uint8_t width, uint64_t address);
/* Sets the header's length to t->len and makes the checksum right. */
void tbl_finish(struct tbl *t);
void tbl_fix_checksum(uint8_t *table, uint32_t len);

/* MADT (ACPI 6.5 §5.2.12) and its entries */
void madt_start(struct tbl *t, uint32_t lapic_address, uint32_t flags);
void madt_lapic(struct tbl *t, uint8_t uid, uint8_t apic_id, uint32_t flags);
void madt_ioapic(struct tbl *t, uint8_t id, uint32_t address, uint32_t gsi_base);
void madt_iso(struct tbl *t, uint8_t bus, uint8_t irq, uint32_t gsi, uint16_t flags);
void madt_nmi_source(struct tbl *t, uint16_t flags, uint32_t gsi);
void madt_lapic_nmi(struct tbl *t, uint8_t uid, uint16_t flags, uint8_t lint);
void madt_lapic_override(struct tbl *t, uint64_t address);
void madt_x2apic(struct tbl *t, uint32_t x2apic_id, uint32_t flags, uint32_t uid);
void madt_x2apic_nmi(struct tbl *t, uint16_t flags, uint32_t uid, uint8_t lint);

/* An ACPI 1.0 FADT (116 bytes) when `x_fields` is false, else a full 6.5 one (276 bytes). */
struct fadt_opts {
    bool x_fields;
    uint64_t dsdt;
    uint16_t sci;
    uint32_t pm1a_cnt, pm_tmr;
    uint8_t pm_tmr_len;
    uint32_t flags;
    uint64_t x_pm_tmr; /* only with x_fields */
    uint64_t reset_port;
    uint8_t reset_value;
};
void build_fadt(struct tbl *t, const struct fadt_opts *o);
/* A DSDT holding `aml` after the header. */
void build_dsdt(struct tbl *t, const uint8_t *aml, size_t len);
void build_hpet(struct tbl *t, uint32_t block_id, uint8_t space, uint64_t address,
                uint16_t min_tick);
/* MCFG (PCI Firmware 3.0 §4.1.2) with n ECAM windows */
struct mcfg_entry {
    uint64_t base;
    uint16_t segment;
    uint8_t bus_start, bus_end;
};
void build_mcfg(struct tbl *t, const struct mcfg_entry *e, unsigned n);

/* A system: tables placed in a fake memory, then a root table and an RSDP made for them. */
struct sys {
    struct fakemem mem;
    uint64_t next;
    uint64_t table_phys[SYS_MAX_TABLES];
    unsigned ntables;
    uint8_t rsdp[36];
    size_t rsdp_len;
    uint64_t root_phys;
};
void sys_init(struct sys *s);
/* Places a finished table (as a chunk of its own) and returns its address; `listed`: the root
 * table names it. */
uint64_t sys_place(struct sys *s, const struct tbl *t, bool listed);
/* Places a root table listing the tables placed so far, with `stray` bytes after the entries. */
uint64_t sys_root(struct sys *s, bool xsdt, unsigned stray);
/* Makes the RSDP (and places a copy at SYS_RSDP_PHYS). */
void sys_rsdp(struct sys *s, uint8_t revision, uint64_t rsdt, uint64_t xsdt);
/* sys_root() and sys_rsdp(): an RSDT with a revision 0 RSDP, or an XSDT with a revision 2 one. */
void sys_finish(struct sys *s, bool xsdt);
void sys_free(struct sys *s);

#endif
