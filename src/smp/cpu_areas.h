/* Making the per-CPU areas (the layout and the accessors are src/cpu/percpu.h). */
#ifndef CADRE_CPU_AREAS_H
#define CADRE_CPU_AREAS_H

#include "cpu/percpu.h"

/* Makes CPU n's area and its stacks (on the BSP, before the CPU runs).  n = 0 is the BSP's
 * static area; it only gets its stacks. */
struct percpu *percpu_create(unsigned n, uint32_t apic_id);

#endif
