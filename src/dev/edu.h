/* QEMU's edu device (PCI 1234:11e8; QEMU docs/specs/edu.rst): a teaching device whose one use
 * here is an interrupt on demand.  A write to its raise register sends its MSI; the handler
 * reads the status, acknowledges it, and counts the arrival. */
#ifndef CADRE_EDU_H
#define CADRE_EDU_H

#include "irq/msi.h"

/* Finds the device, checks its identification register, routes its MSI.  Prints a line when
 * there is no edu device. */
void edu_init(void);
bool edu_present(void);
struct msi_irq *edu_msi(void);
/* Raises the interrupt: `bits` are ORed into its status (edu.rst, 0x60). */
void edu_raise(uint32_t bits);
/* Interrupts the handler has served, and the TSC at the last handler's entry. */
uint64_t edu_arrivals(void);
uint64_t edu_last_arrival_tsc(void);
/* The status bits it acknowledged, ORed since boot. */
uint32_t edu_acked_bits(void);

#endif
