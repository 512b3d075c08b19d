#ifndef CADRE_GDT_H
#define CADRE_GDT_H

#include "cpu/percpu.h"

/* Fills pc's GDT (kernel and user segments, its TSS) and loads it on this CPU: lgdt, reload the
 * segment registers, ltr (SDM vol. 3A §3.4.5, §8.2.3). */
void gdt_load(struct percpu *pc);
/* The BSP's first GDT and TSS, before any C but the early IDT: gives the early #DF gate IST1. */
void gdt_early_load(void);

#endif
