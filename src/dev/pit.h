/* The 8254 PIT, channel 2: a one-shot reference interval that needs no interrupt. */
#ifndef CADRE_PIT_H
#define CADRE_PIT_H

#include "lib/compiler.h"

#define PIT_HZ 1193182 /* input clock, 14.31818 MHz / 12 */

/* Counts `ticks` of the PIT input clock on channel 2 and returns the TSC cycles that took,
 * or 0 if the channel never finished (no PIT). */
uint64_t pit_measure_tsc(uint16_t ticks);

/* Channel 0 as a periodic interrupt source (IRQ 0) at about `hz`. */
void pit_periodic_start(unsigned hz);

/* Channel 0 at `hz` through the I/O APIC (ISA IRQ 0, GSI 2 on PCs), counted. */
void pit_irq_init(unsigned hz);
uint64_t pit_irqs(void);

#endif
