/* Running a function on another CPU (or all): a fixed IPI on VEC_IPI_CALL, a per-CPU slot for
 * the function, and a bounded wait for completion. */
#ifndef CADRE_SMP_CALL_H
#define CADRE_SMP_CALL_H

#include "lib/compiler.h"

typedef void (*smp_call_fn)(void *arg);

#define SMP_CALL_TIMEOUT_US 2000000

/* Runs fn(arg) on `cpu` (directly when it is this CPU) and waits for it to finish.
 * Returns 0, or -1 when the CPU is not online or did not finish in time (a line says so). */
int smp_call(unsigned cpu, smp_call_fn fn, void *arg, uint64_t timeout_us);
/* Runs fn(arg) on every online CPU, this one included, all at once; returns how many did not
 * finish in time. */
unsigned smp_call_all(smp_call_fn fn, void *arg, uint64_t timeout_us);
void smp_call_init(void);

#endif
