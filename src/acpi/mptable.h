/* Reading the Intel MultiProcessor Specification's table (MP spec version 1.4, May 1997), for
 * firmware that gives no ACPI tables (QEMU's `-no-acpi`, old boards).
 *
 * It fills the same struct acpi_info as the MADT does (cpus, ioapics, isos, nmis, lapic_nmis,
 * lapic_address), so that SMP bring-up and interrupt routing need not know which table they came
 * from; `from_mptable` and `mp` say it.  Plain C with no kernel dependencies, like the ACPI
 * parser, so test/host/ runs the very same code; memory is reached only through `map`. */
#ifndef CADRE_MPTABLE_H
#define CADRE_MPTABLE_H

#include "acpi/acpi_tables.h"

/* The MP table numbers no global system interrupts: each I/O APIC's pins follow the previous
 * one's, and each is taken to have the 82093AA's 24 (ioapic.c reads the real count). */
#define MP_IOAPIC_PINS 24

/* Searches for the MP floating pointer structure (MP spec §4): the first KiB of the EBDA, the
 * last KiB of base memory, then the BIOS ROM at 0xF0000-0xFFFFF.  Returns 0 and its address of
 * the first one whose signature and checksum are right, or -1. */
int mp_find_floating(acpi_map_fn map, void *ctx, uint64_t *fp_phys);

/* Reads the floating pointer at `fp_phys` and the configuration table it names into `out`
 * (cleared first).  Returns 0 when processors and an I/O APIC were read, -1 otherwise; in both
 * cases `out->problems` says what was wrong. */
int mp_parse(uint64_t fp_phys, acpi_map_fn map, void *ctx, struct acpi_info *out);

/* Calls `line` once per line: the table, its processors (when `verbose`), I/O APICs and ISA
 * interrupts, then the problems. */
void mp_info_summary(const struct acpi_info *ai, bool verbose,
                     void (*line)(void *ctx, const char *text), void *ctx);

#endif
