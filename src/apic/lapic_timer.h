/* The local APIC timer: in periodic mode calibrated against the TSC, then a per-CPU tick at
 * timer.hz, in TSC-deadline mode where the CPU has it (CPUID.1:ECX[24]) and periodic mode otherwise
 * (SDM vol. 3A §11.5.4). */
#ifndef CADRE_LAPIC_TIMER_H
#define CADRE_LAPIC_TIMER_H

#include "lib/compiler.h"

/* Once, on the BSP: picks the mode; in periodic mode opens a window over which the timer's
 * rate is measured against the TSC (TSC-deadline mode needs no rate)... */
void lapic_timer_calibrate_begin(void);
/* ...and closes it (at least ~1 ms after it opened), sets the tick's period, says so. */
void lapic_timer_calibrate(void);
/* On each CPU: starts the tick. */
void lapic_timer_start(void);
/* On a CPU going offline: stops its tick (its lapic_timer_ticks() count stays where it was
 * until lapic_timer_start() runs again, from cpu_init, when it comes back). */
void lapic_timer_stop(void);
unsigned lapic_timer_hz(void);
bool lapic_timer_deadline_mode(void);
/* Timer input clock after the divider, in Hz (0 in TSC-deadline mode: not measured). */
uint64_t lapic_timer_rate(void);
uint64_t lapic_timer_ticks(unsigned cpu);
/* TSC cycles between this CPU's last ticks (at most 15), oldest first; call it on `cpu`. */
unsigned lapic_timer_intervals(unsigned cpu, uint64_t *out, unsigned max);

/* The tick, installed on VEC_LAPIC_TIMER by irq_init (src/irq/irq.c). */
void lapic_timer_interrupt(void);

#endif
