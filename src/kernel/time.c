#include "kernel/time.h"

#include "cpu/cpu.h"
#include "kernel/console.h"
#include "kernel/hpet.h"
#include "kernel/pit.h"
#include "lib/string.h"

#define EARLY_TSC_KHZ 4000000ULL   /* assumed before calibration: long, never short, waits */
#define CALIBRATE_MS 10
#define CALIBRATE_RUNS 3

#define PM_TIMER_HZ 3579545 /* ACPI 6.5 §4.8.3.3 */
#define PRECISE_US 20000

/* now = base_ns + cycles since base_tsc at the current rate: recalibration moves the base, so
 * the clock never jumps back. */
static uint64_t base_tsc, base_ns;
static uint64_t khz;
static const char *source = "none";

uint64_t tsc_khz(void) { return khz; }
const char *tsc_source(void) { return source; }

/* The TSC frequency: CPUID leaf 0x15 gives it exactly where the CPU fills in the crystal
 * frequency (SDM vol. 3B §18.7.3); else the PIT measures it.  Several short runs, keeping the
 * shortest: a run that was interrupted by the host only ever comes out longer. */
void time_init(void)
{
    base_tsc = rdtsc();
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

/* Counts reference ticks against TSC cycles over about PRECISE_US; the shortest of three runs
 * bounds the effect of the host stealing time. */
static uint64_t measure_khz(uint64_t (*read)(void), uint64_t ref_hz, uint64_t wrap_mask)
{
    uint64_t best = 0;
    for (int run = 0; run < 3; run++) {
        uint64_t need = ref_hz * PRECISE_US / 1000000;
        uint64_t r0 = read(), t0 = rdtsc(), r1, t1;
        uint64_t deadline = time_deadline_us(PRECISE_US * 10);
        do {
            r1 = read();
            t1 = rdtsc();
        } while (((r1 - r0) & wrap_mask) < need && !time_after(deadline));
        uint64_t ref = (r1 - r0) & wrap_mask;
        if (!ref)
            continue;
        uint64_t k = (t1 - t0) * ref_hz / ref / 1000;
        if (!best || k < best)
            best = k;
    }
    return best;
}

static uint16_t pm_port;
static uint64_t pm_read(void) { return inl(pm_port); }

void time_calibrate_precise(uint64_t pm_timer_port, bool pm_timer_32bit)
{
    if (!strcmp(source, "CPUID 0x15"))
        return;
    uint64_t k = 0;
    const char *src = NULL;
    if (hpet_present()) {
        k = measure_khz(hpet_read, hpet_hz(), ~0ULL);
        src = "HPET";
    }
    if (!k && pm_timer_port) {
        pm_port = (uint16_t)pm_timer_port;
        k = measure_khz(pm_read, PM_TIMER_HZ, pm_timer_32bit ? 0xffffffffULL : 0xffffffULL);
        src = "ACPI PM timer";
    }
    if (!k)
        return;
    uint64_t now_tsc = rdtsc();
    uint64_t now = base_ns + tsc_to_ns(now_tsc - base_tsc);
    base_tsc = now_tsc;
    base_ns = now;
    kprintf("tsc: %llu.%03llu MHz measured against the %s (was %llu.%03llu MHz from the %s)",
            (unsigned long long)(k / 1000), (unsigned long long)(k % 1000), src,
            (unsigned long long)(khz / 1000), (unsigned long long)(khz % 1000), source);
    khz = k;
    source = src;
}
