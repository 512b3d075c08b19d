/* Time from the TSC.  The calibration (src/time/) tells it the TSC's frequency; before that,
 * timestamps read 0 and deadlines assume a fast (4 GHz) TSC, so an early bounded wait is never
 * shorter than asked. */
#ifndef CADRE_TIME_H
#define CADRE_TIME_H

#include "lib/compiler.h"

/* Time zero: the calibration calls it first. */
void time_start(void);
/* The TSC's frequency and where it came from ("PIT", "CPUID 0x15", ...); a later, better figure
 * moves the base so that the clock never jumps back. */
void time_set_tsc_khz(uint64_t khz, const char *source);
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
