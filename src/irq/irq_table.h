#ifndef CADRE_IRQ_TABLE_H
#define CADRE_IRQ_TABLE_H

#include "lib/compiler.h"

/* Prints the interrupt counters like Linux's /proc/interrupts: one row per vector that any CPU
 * has seen, one column per CPU (in groups of 8 CPUs), then NMI, spurious, APIC errors. */
void irq_table_print(void);
/* Whether irq.table asked for the table at boot. */
bool irq_table_requested(void);

#endif
