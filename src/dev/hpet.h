/* The HPET's main counter, as a reference clock for calibrating the TSC
 * (IA-PC HPET specification 1.0a §2.3). */
#ifndef CADRE_HPET_H
#define CADRE_HPET_H

#include "lib/compiler.h"

/* Maps the HPET block at `phys` and starts its main counter; false if it looks absent. */
bool hpet_init(uint64_t phys);
bool hpet_present(void);
uint64_t hpet_read(void);
uint64_t hpet_hz(void);
/* The main counter's width as a mask: a 32-bit counter wraps every 2^32 ticks. */
uint64_t hpet_counter_mask(void);

/* The comparators (HPET 1.0a §2.3.8): how many there are, and the I/O APIC inputs comparator
 * `n` can drive (Tn_INT_ROUTE_CAP, a bit per GSI 0-31), 0 for one that cannot run periodically
 * (Tn_PER_INT_CAP clear). */
unsigned hpet_comparators(void);
uint32_t hpet_periodic_route_cap(unsigned n);
/* Starts comparator `n` periodic, every `period` main-counter ticks, edge-triggered on GSI
 * `gsi` (§2.3.9.2.2); false (with a line) if it cannot. */
bool hpet_periodic_start(unsigned n, unsigned gsi, uint64_t period);
/* Comparator `n`'s value: in periodic mode the time of its next interrupt, which moves on by
 * one period at each (§2.3.9.2.2), so a change says that it fired. */
uint64_t hpet_comparator(unsigned n);

#endif
