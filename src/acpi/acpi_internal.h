/* Shared by the files of the ACPI table parser (acpi_tables.h is its public face): byte readers,
 * the common table header, problem lines and the per-table readers. */
#ifndef CADRE_ACPI_INTERNAL_H
#define CADRE_ACPI_INTERNAL_H

#include "acpi/acpi_info.h"

/* System description table header (ACPI 6.5 §5.2.6, Table 5.4) */
#define ACPI_HDR_SIGNATURE 0
#define ACPI_HDR_LENGTH 4
#define ACPI_HDR_REVISION 8
#define ACPI_HDR_CHECKSUM 9
#define ACPI_HDR_LEN 36

/* RSDP revision 2 (ACPI 2.0) and later have the XSDT fields (ACPI 6.5 §5.2.5.3). */
#define ACPI_RSDP_REV_XSDT 2

/* No firmware table comes near this; a larger length is taken to be garbage. */
#define ACPI_MAX_TABLE_LEN (1u << 20)

/* ACPI data is little-endian (ACPI 6.5 §5.2); read it byte by byte, at any alignment. */
static inline uint16_t acpi_rd16(const uint8_t *p) { return (uint16_t)(p[0] | p[1] << 8); }

static inline uint32_t acpi_rd32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static inline uint64_t acpi_rd64(const uint8_t *p)
{
    return (uint64_t)acpi_rd32(p) | (uint64_t)acpi_rd32(p + 4) << 32;
}

/* Generic Address Structure (ACPI 6.5 §5.2.3.2, Table 5.1) */
#define ACPI_GAS_LEN 12
void acpi_tbl_gas(const uint8_t *p, struct acpi_gas *gas);

/* Sum of `len` bytes modulo 256: 0 for a table whose checksum is right. */
uint8_t acpi_tbl_sum(const uint8_t *p, size_t len);

/* Adds the line "acpi: <what>: <text>" to ai->problems. */
__printf(3, 4) void acpi_tbl_problem(struct acpi_info *ai, const char *what, const char *fmt, ...);

/* The name problems and summaries use for a signature: MADT for "APIC", FADT for "FACP". */
const char *acpi_tbl_name(const char *sig);

/* `map`, refusing empty ranges and ranges that wrap around the physical address space. */
const uint8_t *acpi_tbl_map(acpi_map_fn map, void *ctx, uint64_t phys, size_t len);

/* Readers of one table each, given the whole table (`len` bytes, header checked). */
void acpi_tbl_madt(struct acpi_info *ai, const uint8_t *t, uint32_t len);
void acpi_tbl_fadt(struct acpi_info *ai, const uint8_t *t, uint32_t len);
void acpi_tbl_hpet(struct acpi_info *ai, const uint8_t *t, uint32_t len);
void acpi_tbl_mcfg(struct acpi_info *ai, const uint8_t *t, uint32_t len);
void acpi_tbl_s5(struct acpi_info *ai, const uint8_t *dsdt, uint32_t len);

#endif
