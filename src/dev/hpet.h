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

#endif
