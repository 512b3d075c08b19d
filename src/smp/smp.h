/* Bringing up the APs (docs/smp.md): every CPU the MADT lists as enabled is woken with
 * INIT-SIPI-SIPI (Intel SDM vol. 3A §9.4.4, MP spec appendix B.4), finds its per-CPU area by
 * its APIC ID, and runs the same cpu_init() as the BSP. */
#ifndef CADRE_SMP_H
#define CADRE_SMP_H

#include "lib/compiler.h"

void smp_init(void);
/* CPUs online now (the BSP included). */
unsigned smp_online_count(void);

#endif
