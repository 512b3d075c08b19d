/* Running a function on another CPU (or all): a fixed IPI on VEC_IPI_CALL, a per-CPU slot for
 * the function, and a bounded wait for completion (docs/smp.md).  A call that did not finish in
 * time is taken back if it had not started, and waited for if it had: when these return, no
 * call of theirs is running or will run.  Every wait serves the calls sent to the waiting CPU. */
#ifndef CADRE_SMP_CALL_H
#define CADRE_SMP_CALL_H

#include "cpu/percpu.h"
#include "lib/compiler.h"

typedef void (*smp_call_fn)(void *arg);

/* 2 s, plus 20 ms per CPU: under TCG hundreds of virtual CPUs share two host cores, and a CPU
 * may wait that long for its turn. */
#define SMP_CALL_TIMEOUT_US (2000000 + 20000 * (uint64_t)ncpus_possible)

/* Runs fn(arg) on `cpu` (directly when it is this CPU) and waits for it to finish.  fn runs with
 * interrupts off, in the call IPI's handler or in a wait of the target's own smp_call.
 * Returns 0, or -1 when the CPU is not online or did not finish in time (lines say which, and
 * whether fn ran). */
int smp_call(unsigned cpu, smp_call_fn fn, void *arg, uint64_t timeout_us);
/* Runs fn(arg) on every online CPU, this one included, all at once; returns how many did not
 * finish in time (one warning line each). */
unsigned smp_call_all(smp_call_fn fn, void *arg, uint64_t timeout_us);
void smp_call_init(void);
/* For a CPU that has left cpu_online() (going offline): returns once no call to it is posted
 * or running; none is posted after that. */
void smp_call_quiesce(unsigned cpu);
/* Has `cpu` run fn(arg) from its idle loop, in task context with interrupts on (unlike
 * smp_call, whose function runs inside the call IPI's handler, at class 15).  Does not wait;
 * returns -1 if the CPU is not online or already has work. */
int smp_run_in_idle(unsigned cpu, smp_call_fn fn, void *arg);
/* Whether `cpu` has finished the work given to it. */
bool smp_idle_work_done(unsigned cpu);
/* Waits, bounded, with interrupts on (calls aimed at this CPU are served) until `cpu` has
 * finished its idle work, printing what the other CPUs left in the log meanwhile. */
bool smp_wait_idle_work(unsigned cpu, uint64_t us);

#endif
