/* Time from the TSC.  time_init() measures the TSC's frequency; before that, timestamps read 0
 * and deadlines assume a fast (4 GHz) TSC, so an early bounded wait is never shorter than asked. */
#ifndef CADRE_TIME_H
#define CADRE_TIME_H

#include "lib/compiler.h"

void time_init(void);
/* Measures the TSC again against a better reference than the PIT (the HPET, else the ACPI PM
 * timer) where CPUID did not give the frequency; the clock stays continuous. */
void time_calibrate_precise(uint64_t pm_timer_port, bool pm_timer_32bit);
uint64_t tsc_khz(void);
/* How the frequency was found, for the boot log ("PIT", "CPUID 0x15", ...). */
const char *tsc_source(void);
uint64_t time_since_boot_us(void);
uint64_t time_since_boot_ns(void);
uint64_t tsc_to_ns(uint64_t cycles);
/* A TSC value `us` microseconds from now, and whether it has passed. */
uint64_t time_deadline_us(uint64_t us);
bool time_after(uint64_t deadline_tsc);
void udelay(uint64_t us);

#endif
