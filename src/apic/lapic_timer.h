/* The local APIC timer: in periodic mode calibrated against the TSC, then a per-CPU tick at
 * timer.hz, in TSC-deadline mode where the CPU has it (CPUID.1:ECX[24]) and periodic mode otherwise
 * (SDM vol. 3A §11.5.4). */
#ifndef CADRE_LAPIC_TIMER_H
#define CADRE_LAPIC_TIMER_H

#include "cpu/regs.h"
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
/* The tick's rate on a CPU halted in its idle loop (timer.idle_hz, at most timer.hz). */
unsigned lapic_timer_idle_hz(void);
bool lapic_timer_deadline_mode(void);
/* Timer input clock after the divider, in Hz (0 in TSC-deadline mode: not measured). */
uint64_t lapic_timer_rate(void);
uint64_t lapic_timer_ticks(unsigned cpu);
/* TSC cycles between this CPU's last ticks (at most 15), oldest first; call it on `cpu`. */
unsigned lapic_timer_intervals(unsigned cpu, uint64_t *out, unsigned max);

/* The idle loop found work for this CPU: a tick slowed by idleness comes at the full rate
 * again, from now (the tick itself would bring it back only at its next, idle-spaced, run). */
void lapic_timer_wake(void);
/* A layer above that needs every CPU to tick at least `n` times a second, idle or not (the
 * lockup watchdog's period), raises timer.idle_hz to n (at most timer.hz), with a line. */
void lapic_timer_idle_hz_at_least(unsigned n);

/* The tick, installed on VEC_LAPIC_TIMER by irq_init (src/irq/irq.c); `r` is the frame it
 * interrupted. */
void lapic_timer_interrupt(const struct regs *r);
/* A layer above (the lockup watchdog, src/watchdog/) asks to run `hook` on every tick of every
 * CPU, after the tick is counted, with the interrupted frame.  One hook; a second replaces it. */
void lapic_timer_register_tick_hook(void (*hook)(const struct regs *r));

#endif
