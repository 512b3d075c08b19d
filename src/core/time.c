#include "core/time.h"

#include "cpu/cpu.h"

#define EARLY_TSC_KHZ 4000000ULL /* assumed before any rate is known: long, never short, waits */

/* now = base_ns + cycles since base_tsc at the current rate: a better rate moves the base, so
 * the clock never jumps back.  Time 0 is the kernel's entry (boot_entry_tsc, entry.asm). */
extern uint64_t boot_entry_tsc;
static uint64_t base_tsc, base_ns;
static uint64_t khz;
static const char *source = "none";

uint64_t tsc_khz(void) { return khz; }
const char *tsc_source(void) { return source; }

void time_start(void)
{
    uint64_t now = rdtsc();
    base_tsc = boot_entry_tsc && boot_entry_tsc <= now ? boot_entry_tsc : now;
}

void time_set_tsc_khz(uint64_t k, const char *src)
{
    if (khz) {
        uint64_t now_tsc = rdtsc();
        base_ns += tsc_to_ns(now_tsc - base_tsc);
        base_tsc = now_tsc;
    }
    khz = k;
    source = src;
}

uint64_t tsc_to_ns(uint64_t cycles)
{
    uint64_t k = khz ? khz : EARLY_TSC_KHZ;
    /* cycles * 1e6 / khz without overflow for the first ~5 years at 4 GHz */
    return cycles / k * 1000000 + (cycles % k) * 1000000 / k;
}

uint64_t time_since_boot_ns(void) { return khz ? base_ns + tsc_to_ns(rdtsc() - base_tsc) : 0; }
uint64_t time_since_boot_us(void) { return time_since_boot_ns() / 1000; }

uint64_t time_deadline_us(uint64_t us)
{
    uint64_t k = khz ? khz : EARLY_TSC_KHZ;
    return rdtsc() + us * k / 1000;
}

bool time_after(uint64_t deadline_tsc) { return (int64_t)(rdtsc() - deadline_tsc) >= 0; }

void udelay(uint64_t us)
{
    uint64_t end = time_deadline_us(us);
    while (!time_after(end))
        cpu_relax();
}

/* ---- boot stages --------------------------------------------------------------------------- */

static uint64_t stage_us[STAGE_COUNT];
static bool stage_set[STAGE_COUNT];

void time_stage(enum boot_stage s)
{
    if (s < STAGE_COUNT && !stage_set[s]) {
        stage_us[s] = time_since_boot_us();
        stage_set[s] = true;
    }
}

uint64_t time_stage_us(enum boot_stage s) { return s < STAGE_COUNT ? stage_us[s] : 0; }
