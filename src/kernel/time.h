/* Time from the TSC, counted from the kernel's entry (src/boot/entry.asm stamps it).
 * time_init() takes the TSC's rate from CPUID where the CPU or hypervisor states it, else a
 * provisional one from a short PIT window; time_calibrate_finish() then measures it against
 * the HPET (else the ACPI PM timer, else the PIT over longer windows).  Before time_init,
 * timestamps read 0 and deadlines assume a fast (4 GHz) TSC, so an early bounded wait is never
 * shorter than asked. */
#ifndef CADRE_TIME_H
#define CADRE_TIME_H

#include "lib/compiler.h"

void time_init(void);
/* Measures the TSC against the HPET, else the ACPI PM timer, else the PIT, unless CPUID stated
 * its rate; the clock stays continuous.  begin takes the first reading, finish the rest and
 * switches to the new rate: what the BSP does in between (nothing that needs the exact rate)
 * shortens the wait. */
void time_calibrate_begin(uint64_t pm_timer_port, bool pm_timer_32bit);
void time_calibrate_finish(void);
uint64_t tsc_khz(void);
/* Where the rate came from, for the boot log ("CPUID 0x15", "PIT, provisional", "HPET", ...). */
const char *tsc_source(void);
uint64_t time_since_boot_us(void);
uint64_t time_since_boot_ns(void);
uint64_t tsc_to_ns(uint64_t cycles);
/* A TSC value `us` microseconds from now, and whether it has passed. */
uint64_t time_deadline_us(uint64_t us);
bool time_after(uint64_t deadline_tsc);
void udelay(uint64_t us);

/* One measurement of the TSC's rate against a reference clock. */
struct tsc_measurement {
    uint64_t hz;            /* the median of the windows' rates */
    uint64_t spread_ppm;    /* (fastest - slowest window) / median */
    uint64_t widest_cycles; /* the widest bracket kept around a reference read */
    unsigned windows;
    uint64_t window_us;
    const char *reference;
};
/* Measures now, against `reference` ("HPET"), without changing the clock: for tests. */
bool time_measure_tsc(const char *reference, unsigned windows, uint64_t window_us, struct tsc_measurement *m);

/* Moments of the boot, printed on one line once ready (docs/serial-log.md). */
enum boot_stage {
    STAGE_FIRST_LINE,
    STAGE_CLOCKS,     /* the TSC's rate and the APIC timer's known */
    STAGE_SMP_START,  /* the first INIT sent */
    STAGE_APS_ONLINE, /* the last AP online, or given up on */
    STAGE_READY,
    STAGE_COUNT
};
/* Records the time of `s`, the first time only. */
void time_stage(enum boot_stage s);
void time_stages_print(void);

#endif
