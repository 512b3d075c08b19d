#include "kernel/time.h"

#include "cpu/cpu.h"
#include "kernel/pit.h"

#define EARLY_TSC_KHZ 4000000ULL   /* assumed before calibration: long, never short, waits */
#define CALIBRATE_MS 10
#define CALIBRATE_RUNS 3

static uint64_t tsc_at_boot;
static uint64_t khz;
static const char *source = "none";

uint64_t tsc_khz(void) { return khz; }
const char *tsc_source(void) { return source; }

/* The TSC frequency: CPUID leaf 0x15 gives it exactly where the CPU fills in the crystal
 * frequency (SDM vol. 3B §18.7.3); else the PIT measures it.  Several short runs, keeping the
 * shortest: a run that was interrupted by the host only ever comes out longer. */
void time_init(void)
{
    tsc_at_boot = rdtsc();
    if (cpuid_max_leaf() >= 0x15) {
        struct cpuid_regs r = cpuid(0x15, 0);
        if (r.eax && r.ebx && r.ecx) {
            khz = (uint64_t)r.ecx * r.ebx / r.eax / 1000;
            source = "CPUID 0x15";
            return;
        }
    }
    uint64_t best = 0;
    for (int i = 0; i < CALIBRATE_RUNS; i++) {
        uint64_t c = pit_measure_tsc(PIT_HZ * CALIBRATE_MS / 1000);
        if (c && (!best || c < best))
            best = c;
    }
    if (best) {
        khz = best / CALIBRATE_MS;
        source = "PIT";
    }
}

uint64_t tsc_to_ns(uint64_t cycles)
{
    uint64_t k = khz ? khz : EARLY_TSC_KHZ;
    /* cycles * 1e6 / khz without overflow for the first ~5 years at 4 GHz */
    return cycles / k * 1000000 + (cycles % k) * 1000000 / k;
}

uint64_t time_since_boot_ns(void) { return khz ? tsc_to_ns(rdtsc() - tsc_at_boot) : 0; }
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
