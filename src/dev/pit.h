/* The 8254 PIT: channel 2 as a free-running reference counter that needs no interrupt,
 * channel 0 as a periodic interrupt source. */
#ifndef CADRE_PIT_H
#define CADRE_PIT_H

#include "lib/compiler.h"

#define PIT_HZ 1193182 /* input clock, 14.31818 MHz / 12 */

/* Starts channel 2 counting freely (period 65536 input clocks, the speaker off); false if no
 * PIT answers (its count does not move). */
bool pit_counter_start(void);
/* Input clocks counted on channel 2 since pit_counter_start(), modulo 2^16 (an up-counter, for
 * a reference clock with a 16-bit wrap mask). */
uint64_t pit_counter_read(void);

/* Channel 0 as a periodic interrupt source (IRQ 0) at about `hz`. */
void pit_periodic_start(unsigned hz);

/* Channel 0 at `hz` through the I/O APIC (ISA IRQ 0, GSI 2 on PCs), counted. */
void pit_irq_init(unsigned hz);
uint64_t pit_irqs(void);

#endif
