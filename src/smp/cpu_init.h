/* cpu_init: the one path every CPU, the BSP included, takes to become a full member
 * (docs/percpu.md).  Like Linux's cpu_init(), it is a barrier: GS, then GDT and TSS, then the
 * IDT, then the CPU's protections, then its local APIC and timer tick.  An AP differs from the BSP
 * only in how it arrives. */
#ifndef CADRE_CPU_INIT_H
#define CADRE_CPU_INIT_H

#include "cpu/percpu.h"
#include "cpu/protections.h"

void cpu_init(struct percpu *pc);
/* The idle loop of every CPU: interrupts on, `hlt` until one arrives, print what handlers left
 * in the console buffer. */
__noreturn void cpu_idle(void);
/* One round of it, for a loop that also waits for something else: `more()` (called with
 * interrupts off) says whether that something has come, so the CPU should not halt. */
void cpu_idle_once(bool (*more)(void));

#endif
