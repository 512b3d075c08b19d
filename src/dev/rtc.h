/* The CMOS real-time clock's periodic interrupt, on ISA IRQ 8 (MC146818 datasheet).  rtc.c also
 * holds the CMOS accessors of kernel/cmos.h. */
#ifndef CADRE_RTC_H
#define CADRE_RTC_H

#include "lib/compiler.h"

void rtc_init(void);
/* Periodic interrupts handled so far. */
uint64_t rtc_irqs(void);

#endif
