/* Sending inter-processor interrupts through the ICR, with the fields the SDM names
 * (vol. 3A §11.6.1, figure 11-12): a send reads like a row of that table, e.g.
 *     ipi_send(&(struct ipi){ .dest = id, .delivery = DELIVERY_INIT, .level = IPI_ASSERT,
 *                             .trigger = IPI_LEVEL });  */
#ifndef CADRE_IPI_H
#define CADRE_IPI_H

#include "apic/delivery.h"
#include "lib/compiler.h"

enum ipi_shorthand {
    IPI_TO_DEST = 0, /* the destination field */
    IPI_TO_SELF = 1,
    IPI_TO_ALL = 2,
    IPI_TO_ALL_BUT_SELF = 3,
};

enum ipi_level { IPI_DEASSERT = 0, IPI_ASSERT = 1 };
enum ipi_trigger { IPI_EDGE = 0, IPI_LEVEL = 1 };

struct ipi {
    uint32_t dest; /* APIC ID (physical destination mode) */
    enum ipi_shorthand shorthand;
    enum apic_delivery delivery;
    uint8_t vector; /* fixed: the vector; startup: the trampoline's page number */
    enum ipi_level level;
    enum ipi_trigger trigger;
};

/* Sends one IPI.  xAPIC: waits (bounded) for the previous send to leave and for this one to be
 * accepted; x2APIC has no delivery-status bit and does not wait.  Returns 0, or -1 if the
 * xAPIC never reported delivery (the line says so). */
int ipi_send(const struct ipi *ipi);

/* Shorthands for the common sends: always an asserted, edge-triggered IPI. */
int ipi_fixed(uint32_t apic_id, uint8_t vector);
int ipi_self(uint8_t vector);
int ipi_nmi(uint32_t apic_id);
/* Refused (-1, with a line) unless ipi_allow_shorthands(true): see ipi.c. */
int ipi_nmi_all_but_self(void);

/* SMP bring-up says whether every CPU the firmware listed is online, so that the all and
 * all-but-self shorthands reach online CPUs only. */
void ipi_allow_shorthands(bool ok);
bool ipi_shorthands_allowed(void);

#endif
