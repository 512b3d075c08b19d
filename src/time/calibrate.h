/* Finding the TSC's rate (src/core/time.c keeps the clock itself). */
#ifndef CADRE_CALIBRATE_H
#define CADRE_CALIBRATE_H

#include "lib/compiler.h"

/* A rate stated by CPUID is final; otherwise a provisional one from one short PIT window, for
 * the first lines' timestamps. */
void time_init(void);
/* Measures the TSC against the HPET, else the ACPI PM timer, else the PIT, unless CPUID stated
 * its rate; the clock stays continuous.  begin takes the first reading, finish the rest and
 * switches to the new rate: what the BSP does in between (nothing that needs the exact rate)
 * shortens the wait. */
void time_calibrate_begin(uint64_t pm_timer_port, bool pm_timer_32bit);
void time_calibrate_finish(void);

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
bool time_measure_tsc(const char *reference, unsigned windows, uint64_t window_us,
                      struct tsc_measurement *m);

/* The boot stages on one line, once ready (docs/serial-log.md). */
void time_stages_print(void);

#endif
