/* The CPU's protections: NX, WP, SMEP, SMAP, UMIP, each where CPUID has it. */
#ifndef CADRE_PROTECTIONS_H
#define CADRE_PROTECTIONS_H

#include "lib/compiler.h"

/* What protections_enable turned on (the same on every CPU), for reports and tests. */
struct cpu_protections {
    bool nx, wp, smep, smap, umip;
};
extern struct cpu_protections cpu_protections;

/* On the calling CPU, from cpu_init. */
void protections_enable(void);

#endif
