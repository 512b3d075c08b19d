/* The kernel's side of ACPI: find the RSDP, read the tables through the direct map (the parser
 * in acpi_tables.c is shared with the host tests), print what was found, and serve the rest of
 * the kernel: the CPUs and interrupt controllers, LINT NMI wiring, S5 poweroff. */
#ifndef CADRE_ACPI_BOOT_H
#define CADRE_ACPI_BOOT_H

#include "acpi/acpi_tables.h"

extern struct acpi_info acpi;
/* false when no usable tables were found: one CPU and the legacy path then */
extern bool acpi_ok;

void acpi_init(void);
/* Hands each I/O APIC of the MADT to the I/O APIC driver (after SMP bring-up: the log shows
 * the routes after the CPUs). */
void acpi_register_ioapics(void);
/* The MADT entry for an APIC ID, or NULL. */
const struct acpi_cpu *acpi_cpu_by_apic_id(uint32_t apic_id);

#endif
