/* The I/O APICs (82093AA datasheet; ACPI 6.5 §5.2.12.3): every one the MADT lists, with its
 * GSI base and number of redirection entries; all entries masked at start. */
#ifndef CADRE_IOAPIC_H
#define CADRE_IOAPIC_H

#include "apic/delivery.h"
#include "lib/compiler.h"

/* A redirection table entry as the datasheet names its fields (§3.2.4). */
struct rte {
    uint8_t vector;
    enum apic_delivery delivery;
    bool active_low;
    bool level;
    bool masked;
    uint8_t dest; /* physical APIC ID (8 bits without interrupt remapping) */
};

#define IOAPIC_MAX 16
/* The highest APIC ID a redirection entry can name: its destination is 8 bits, and in physical
 * mode 0xff is the broadcast (82093AA datasheet §3.2.4; SDM vol. 3A §11.6.2.1). */
#define RTE_DEST_MAX 0xfe

/* One I/O APIC the firmware lists (src/acpi/ hands each over, as Linux's mp_register_ioapic):
 * mapped, checked (a line if nothing answers) and every entry masked. */
bool ioapic_register(uint32_t id, uint32_t phys, uint32_t gsi_base);
unsigned ioapic_count(void);
/* Whether a GSI belongs to an I/O APIC. */
bool ioapic_has_gsi(uint32_t gsi);
/* Writes the whole entry of a GSI: masked first, so no half-written entry is ever live. */
bool ioapic_set(uint32_t gsi, const struct rte *e);
/* Moves an unmasked entry to another CPU with one 32-bit write of the upper half, where the
 * destination lives: there is no moment at which the pin is masked or half-written, so an edge
 * arriving during the move is delivered to one CPU or the other, never dropped (a masked pin
 * drops edges, datasheet §3.2.4 "Interrupt Mask"). */
bool ioapic_set_dest(uint32_t gsi, uint8_t dest);

#endif
