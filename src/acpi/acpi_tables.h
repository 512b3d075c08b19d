/* Reading the firmware's ACPI tables: RSDP, RSDT/XSDT, MADT, FADT (with the DSDT's \_S5 object)
 * and HPET (ACPI 6.5 chapter 5; IA-PC HPET specification 1.0a).
 *
 * Plain C with no kernel dependencies, so the host-side tests and the fuzzers (test/host/) run
 * the very same code.  Physical memory is reached only through the caller's `map` callback, and
 * every byte read lies inside a range that was asked of it.  A table with a bad checksum or an
 * impossible length is ignored and the walk goes on with the others; every such finding becomes
 * a line in `problems`.  What is kept is copied into struct acpi_info: it holds no pointer into
 * firmware memory. */
#ifndef CADRE_ACPI_TABLES_H
#define CADRE_ACPI_TABLES_H

#include "acpi/acpi_info.h"

/* Searches the first KiB of the EBDA and 0xE0000-0xFFFFF for a valid RSDP (ACPI 6.5
 * §5.2.5.1).  Returns 0 and its address, or -1. */
int acpi_find_rsdp_bios(acpi_map_fn map, void *ctx, uint64_t *rsdp_phys);

/* Reads everything from a copy of the RSDP (`rsdp_len` bytes: 20 for revision 0, 36 for 2 and
 * later).  Returns 0 when the RSDP and a root table were read, -1 otherwise; in both cases `out`
 * holds what was found and the problems. */
int acpi_parse(const void *rsdp, size_t rsdp_len, acpi_map_fn map, void *ctx,
               struct acpi_info *out);

/* Decodes MPS INTI flags; the "conforms to the bus" and reserved encodings give the bus's
 * default (ISA: active high, edge triggered). */
bool acpi_iso_active_low(uint16_t flags, bool bus_default_low);
bool acpi_iso_level(uint16_t flags, bool bus_default_level);

/* The GSI, polarity and trigger of ISA IRQ `irq` (0-15): an override's where there is one, else
 * identity mapped, active high, edge.  Returns -1 for an IRQ that is not connected: one whose
 * identity GSI an override gives to another IRQ (IRQ 2 when IRQ 0 goes to GSI 2). */
int acpi_isa_irq_to_gsi(const struct acpi_info *ai, unsigned irq, uint32_t *gsi, bool *active_low,
                        bool *level);

/* Whether the MADT wires NMI to LINT `pin` of processor `cpu` (NULL: one the MADT does not list,
 * which only "all processors" entries reach); when it does, `flags` gets the MPS INTI flags of
 * the last entry that names it. */
bool acpi_lint_nmi(const struct acpi_info *ai, const struct acpi_cpu *cpu, unsigned pin,
                   uint16_t *flags);

/* Calls `line` once per line of a summary: RSDP, tables, MADT, FADT, HPET, then the problems.
 * A line per processor and per local APIC NMI entry only when `verbose` (else one count line
 * for the NMI entries). */
void acpi_info_summary(const struct acpi_info *ai, bool verbose,
                       void (*line)(void *ctx, const char *text), void *ctx);

#endif
