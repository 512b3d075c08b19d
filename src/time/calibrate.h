/* Finding the TSC's frequency (src/core/time.c keeps the clock itself). */
#ifndef CADRE_CALIBRATE_H
#define CADRE_CALIBRATE_H

#include "lib/compiler.h"

/* At boot: CPUID leaf 0x15 where the CPU fills it in, else the PIT. */
void time_init(void);
/* Measures the TSC again against a better reference than the PIT (the HPET, else the ACPI PM
 * timer) where CPUID did not give the frequency; the clock stays continuous. */
void time_calibrate_precise(uint64_t pm_timer_port, bool pm_timer_32bit);

#endif
