/* Time from the TSC, counted from the kernel's entry (src/boot/entry.asm stamps it).  The
 * calibration (src/time/calibrate.c) tells this clock the TSC's rate: from CPUID where the CPU
 * or hypervisor states it, else a provisional one from a short PIT window, then measured against
 * the HPET (else the ACPI PM timer, else the PIT over longer windows).  Before any rate is known,
 * timestamps read 0 and deadlines assume a fast (4 GHz) TSC, so an early bounded wait is never
 * shorter than asked. */
#ifndef CADRE_TIME_H
#define CADRE_TIME_H

#include "lib/compiler.h"

/* Time zero: the kernel's entry, else now. */
void time_start(void);
/* The TSC's rate and where it came from; a later rate moves the base, so the clock never jumps
 * back. */
void time_set_tsc_khz(uint64_t khz, const char *source);
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
uint64_t time_stage_us(enum boot_stage s);

#endif
