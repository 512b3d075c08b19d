#include "time/calibrate.h"

#include "core/console.h"
#include "core/time.h"
#include "cpu/cpu.h"
#include "dev/hpet.h"
#include "dev/pit.h"
#include "lib/string.h"

#define CALIBRATE_MS 10
#define CALIBRATE_RUNS 3

#define PM_TIMER_HZ 3579545 /* ACPI 6.5 §4.8.3.3 */
#define PRECISE_US 20000

/* The TSC frequency: CPUID leaf 0x15 gives it exactly where the CPU fills in the crystal
 * frequency (SDM vol. 3B §18.7.3); else the PIT measures it.  Several short runs, keeping the
 * shortest: a run that was interrupted by the host only ever comes out longer. */
void time_init(void)
{
    time_start();
    if (cpuid_max_leaf() >= 0x15) {
        struct cpuid_regs r = cpuid(0x15, 0);
        if (r.eax && r.ebx && r.ecx) {
            time_set_tsc_khz((uint64_t)r.ecx * r.ebx / r.eax / 1000, "CPUID 0x15");
            return;
        }
    }
    uint64_t best = 0;
    for (int i = 0; i < CALIBRATE_RUNS; i++) {
        uint64_t c = pit_measure_tsc(PIT_HZ * CALIBRATE_MS / 1000);
        if (c && (!best || c < best))
            best = c;
    }
    if (best)
        time_set_tsc_khz(best / CALIBRATE_MS, "PIT");
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
    if (!strcmp(tsc_source(), "CPUID 0x15"))
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
    uint64_t was = tsc_khz();
    kprintf("tsc: %llu.%03llu MHz measured against the %s (was %llu.%03llu MHz from the %s)",
            (unsigned long long)(k / 1000), (unsigned long long)(k % 1000), src,
            (unsigned long long)(was / 1000), (unsigned long long)(was % 1000), tsc_source());
    time_set_tsc_khz(k, src);
}
