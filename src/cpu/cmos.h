/* The CMOS RAM beside the real-time clock (MC146818A datasheet), reached through an index port
 * and a data port.  The RTC driver (src/dev/rtc.c) and AP bring-up (src/smp/smp.c) share it,
 * so every access selects and reads or writes under one lock: an index written on one CPU
 * must not be taken over by another CPU, or by the RTC's interrupt, before its data access. */
#ifndef CADRE_CMOS_H
#define CADRE_CMOS_H

#include "lib/compiler.h"

/* Bit 7 of the index is left clear: on PCs it masks NMI. */
#define CMOS_INDEX 0x70
#define CMOS_DATA 0x71

/* The PC BIOS's shutdown status byte: what POST does after the next reset (IBM PC AT BIOS;
 * MP spec B.4 for the warm-reset use). */
/* clang-format off: register bits stay indented under their register */
#define CMOS_SHUTDOWN_STATUS 0x0f
#define CMOS_SHUTDOWN_NORMAL 0x00   /* a normal POST */
#define CMOS_SHUTDOWN_JMP_WARM 0x0a /* no POST: jump through the warm-reset vector */
/* The warm-reset vector, 40:67 in the BIOS data area: a real-mode offset, then a segment. */
#define WARM_RESET_VECTOR 0x467
/* clang-format on */

uint8_t cmos_read(uint8_t reg);
void cmos_write(uint8_t reg, uint8_t v);

#endif
