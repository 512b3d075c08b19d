/* Lockup detection (docs/watchdog.md).  Three checks, all on data other layers keep:
 * - the buddy: on its local APIC timer tick, each CPU looks at the tick count of the next online
 *   CPU; a count that has not moved for watchdog.hard_ms is a hard lockup (interrupts off),
 *   and that CPU is sent an NMI that prints its registers and backtrace (Linux's buddy detector);
 * - the NMI watchdog: an HPET comparator through the I/O APIC with NMI delivery to one CPU,
 *   which looks at every CPU's tick count from its NMI handler, so it sees a lockup even when
 *   no CPU takes interrupts (Linux's old I/O-APIC nmi_watchdog);
 * - soft lockups: on its own tick, a CPU that has not reached its idle loop, the console or the
 *   test runner for watchdog.soft_ms, with interrupts on, prints the interrupted frame.
 * Each lockup is reported once; "recovered"/"ended" lines follow when the CPU moves again. */
#ifndef CADRE_WATCHDOG_H
#define CADRE_WATCHDOG_H

#include "lib/compiler.h"

/* Once, on the BSP, when every CPU is up and the devices have their routes: starts the checks
 * the command line asked for, and says which. */
void watchdog_init(void);
/* The console's `watchdog` command: the settings, then one line per online CPU. */
void watchdog_print(void);

/* For the fault injection and the benchmark (src/ktest/): lockups of `cpu` reported so far (hard
 * and soft), and the TSC at the last report. */
uint64_t watchdog_hard_reports(unsigned cpu);
uint64_t watchdog_soft_reports(unsigned cpu);
uint64_t watchdog_last_report_tsc(unsigned cpu);
/* Whether a lockup of `cpu` has been reported and has not ended yet. */
bool watchdog_lockup_active(unsigned cpu);
/* Whether the checks run (watchdog= not off), and whether the NMI watchdog has a source. */
bool watchdog_running(void);
bool watchdog_nmi_running(void);
/* The cost of the tick hook on `cpu`: TSC cycles spent in it, over how many ticks. */
void watchdog_tick_cost(unsigned cpu, uint64_t *cycles, uint64_t *ticks);
unsigned watchdog_hard_ms(void);
unsigned watchdog_soft_ms(void);
unsigned watchdog_period_ms(void);

#endif
