#include "time/calibrate.h"

#include "core/console.h"
#include "core/time.h"
#include "cpu/cpu.h"
#include "dev/hpet.h"
#include "dev/pit.h"
#include "lib/string.h"

#define TSC_KHZ_MIN \
    1000ULL /* a rate outside 1 MHz..10 GHz is wrong (Bochs runs its TSC at ips: 50 MHz) */
#define TSC_KHZ_MAX 10000000ULL

/* CPUID leaves that state the TSC's rate (SDM vol. 2A, CPUID; vol. 3B §18.7.3) */
#define CPUID_TSC_CRYSTAL 0x15 /* EAX/EBX: TSC / crystal ratio, ECX: crystal Hz (0: not given) */
#define CPUID_FREQUENCY 0x16   /* EAX: base frequency in MHz */
#define CPUID_1_ECX_HYPERVISOR (1u << 31)
#define CPUID_HYPERVISOR_BASE 0x40000000 /* EAX: the hypervisor's highest leaf */
#define CPUID_HYPERVISOR_TIMING \
    0x40000010 /* EAX: TSC kHz (VMware's leaf; KVM with vmware-cpuid-freq) */

#define PM_TIMER_HZ 3579545 /* ACPI 6.5 §4.8.3.3 */

/* The measurement (where no CPUID leaf states the rate): back-to-back windows over a reference
 * clock, and the median of their rates.  Each window's ends are reference reads placed on the
 * TSC between two TSC reads (struct tsc_sample), so what a window errs by is its two
 * placements' error over its length: tens of ns over 750 us under TCG, 10-30 ppm (the spread
 * in the boot line; test tsc_rate_against_hpet allows 500). */
#define MEASURE_WINDOWS 3
#define MEASURE_WINDOW_US 750     /* HPET and ACPI PM timer */
#define PIT_WINDOW_US 10000       /* the PIT only where neither exists: 838 ns ticks, slow reads */
#define PROVISIONAL_WINDOW_US 250 /* one PIT window at time_init, for the first lines' stamps */
#define PROVISIONAL_TRIES 3
#define SAMPLE_TRIES 4
#define MAX_WINDOWS 16
/* A window lasts at least this many times the reference's read cost (the first sample's
 * bracket): each end is placed within half a bracket, so a window's rate errs by at most
 * 1/READ_COST_FACTOR (500 ppm) and typically by a tenth of that.  Under TCG a read costs about
 * 0.2 us and 750 us windows already are that long; under this machine's KVM an HPET read exits to
 * the host, about 13 us, and the windows grow to about 26 ms. */
#define READ_COST_FACTOR 2000
#define MAX_WINDOW_US 50000

static bool stated; /* by CPUID: never measured over */

/* LFENCE keeps RDTSC from running ahead of the reference read before it (SDM vol. 2B, RDTSC). */
static inline uint64_t rdtsc_ordered(void)
{
    __asm__ volatile("lfence" ::: "memory");
    return rdtsc();
}

static bool plausible(uint64_t k) { return k >= TSC_KHZ_MIN && k <= TSC_KHZ_MAX; }

/* What the CPU or the hypervisor states: the hypervisor's timing leaf first, since in a VM it
 * describes the guest's TSC (which may be scaled), then leaf 0x15, with leaf 0x16's base
 * frequency where 0x15 gives the ratio but not the crystal (as on Skylake clients; the TSC then
 * runs at the base frequency: crystal * EBX / EAX with crystal = base * EAX / EBX). */
static uint64_t cpuid_tsc_khz(const char **how)
{
    if (cpuid(1, 0).ecx & CPUID_1_ECX_HYPERVISOR &&
        cpuid(CPUID_HYPERVISOR_BASE, 0).eax >= CPUID_HYPERVISOR_TIMING) {
        uint32_t k = cpuid(CPUID_HYPERVISOR_TIMING, 0).eax;
        *how = "CPUID 0x40000010";
        if (plausible(k))
            return k;
        kprintf("tsc: warning: CPUID 0x40000010 states %u kHz; not believed", k);
    }
    uint32_t max = cpuid_max_leaf();
    if (max < CPUID_TSC_CRYSTAL)
        return 0;
    struct cpuid_regs r = cpuid(CPUID_TSC_CRYSTAL, 0);
    if (!r.eax || !r.ebx)
        return 0; /* the ratio is not enumerated */
    uint64_t k = 0;
    if (r.ecx) {
        k = (uint64_t)r.ecx / 1000 * r.ebx / r.eax;
        *how = "CPUID 0x15";
    } else if (max >= CPUID_FREQUENCY && (cpuid(CPUID_FREQUENCY, 0).eax & 0xffff)) {
        k = (uint64_t)(cpuid(CPUID_FREQUENCY, 0).eax & 0xffff) * 1000;
        *how = "CPUID 0x15 and 0x16";
    } else {
        return 0;
    }
    if (plausible(k))
        return k;
    kprintf("tsc: warning: %s states %llu kHz; not believed", *how, (unsigned long long)k);
    return 0;
}

/* ---- reference clocks ---------------------------------------------------------------------- */

struct refclock {
    const char *name;
    uint64_t (*read)(void);
    uint64_t hz;
    uint64_t mask; /* the counter's width */
};

static uint16_t pm_port;
static uint64_t pm_read(void) { return inl(pm_port); }

/* A reference reading placed on the TSC: it happened between two TSC reads, and the narrowest
 * of a few such brackets is kept, its middle taken as the moment.  The read's own cost (an
 * emulated MMIO or port access, about a microsecond under TCG) then shows only as the
 * bracket's width, the same at both ends of a window, and a host preemption during one read
 * makes that bracket wide, so it is not the one kept. */
struct tsc_sample {
    uint64_t tsc, ref, width;
};

static struct tsc_sample sample(const struct refclock *c)
{
    struct tsc_sample best = { 0, 0, UINT64_MAX };
    for (int i = 0; i < SAMPLE_TRIES; i++) {
        uint64_t t0 = rdtsc_ordered();
        uint64_t r = c->read();
        uint64_t t1 = rdtsc_ordered();
        if (t1 - t0 < best.width)
            best = (struct tsc_sample){ t0 + (t1 - t0) / 2, r, t1 - t0 };
    }
    return best;
}

/* cycles * hz / ticks without overflowing 64 bits (no 128-bit division in the kernel) */
static uint64_t scale(uint64_t cycles, uint64_t hz, uint64_t ticks)
{
    return cycles / ticks * hz + cycles % ticks * hz / ticks;
}

static void sort(uint64_t *v, unsigned n)
{
    for (unsigned i = 1; i < n; i++) /* insertion sort: n <= MAX_WINDOWS */
        for (unsigned j = i; j > 0 && v[j - 1] > v[j]; j--) {
            uint64_t t = v[j];
            v[j] = v[j - 1];
            v[j - 1] = t;
        }
}

/* The TSC's rate in Hz over `windows` back-to-back windows of `window_us` of a reference: the
 * median of the windows' rates, so that one window whose edge a host preemption hit does not
 * decide (its neighbour, which shares that edge, errs the other way).  measure_start() takes
 * the first reading; measure_finish() the others, waiting where a window is not yet over, so
 * that work done in between (the boot's next lines) shortens the wait, and a longer first
 * window only errs less.  False if the reference stops moving (bounded by the TSC at the rate
 * known so far, or the early 4 GHz guess). */
struct measuring {
    struct refclock c;
    struct tsc_sample s0;
    uint64_t window_us, ticks;
    unsigned windows;
};

static void measure_start(struct measuring *ms, const struct refclock *c, unsigned windows,
                          uint64_t window_us)
{
    ms->c = *c;
    ms->windows = MIN(MAX(windows, 1u), (unsigned)MAX_WINDOWS);
    ms->s0 = sample(c);
    uint64_t for_cost_us = tsc_to_ns(ms->s0.width) * READ_COST_FACTOR / 1000; /* ns -> us */
    if (for_cost_us > window_us)
        window_us = MIN(for_cost_us, MAX(window_us, (uint64_t)MAX_WINDOW_US));
    ms->window_us = window_us;
    ms->ticks = c->hz * window_us / 1000000;
}

static bool measure_finish(struct measuring *ms, struct tsc_measurement *m)
{
    const struct refclock *c = &ms->c;
    uint64_t rates[MAX_WINDOWS];
    uint64_t widest = 0;
    struct tsc_sample s0 = ms->s0;
    for (unsigned w = 0; w < ms->windows; w++) {
        uint64_t deadline = time_deadline_us(10 * ms->window_us + 10000);
        while (((c->read() - s0.ref) & c->mask) < ms->ticks)
            if (time_after(deadline))
                return false;
        struct tsc_sample s1 = sample(c);
        uint64_t dref = (s1.ref - s0.ref) & c->mask;
        if (!dref || s1.tsc <= s0.tsc)
            return false;
        rates[w] = scale(s1.tsc - s0.tsc, c->hz, dref);
        widest = MAX(widest, MAX(s0.width, s1.width));
        s0 = s1;
    }
    sort(rates, ms->windows);
    m->hz = rates[ms->windows / 2];
    m->spread_ppm = m->hz ? scale(rates[ms->windows - 1] - rates[0], 1000000, m->hz) : 0;
    m->widest_cycles = widest;
    m->windows = ms->windows;
    m->window_us = ms->window_us;
    m->reference = c->name;
    return m->hz != 0;
}

static bool measure(const struct refclock *c, unsigned windows, uint64_t window_us,
                    struct tsc_measurement *m)
{
    struct measuring ms;
    measure_start(&ms, c, windows, window_us);
    return measure_finish(&ms, m);
}

static bool hpet_clock(struct refclock *c)
{
    if (!hpet_present())
        return false;
    *c = (struct refclock){ "HPET", hpet_read, hpet_hz(), hpet_counter_mask() };
    return true;
}

static const struct refclock pit_clock = { "PIT", pit_counter_read, PIT_HZ, 0xffff };
static bool pit_started;

/* ---- the clock ----------------------------------------------------------------------------- */

/* A rate stated by CPUID is final.  Otherwise a provisional one from one short PIT window,
 * which the first lines' timestamps use until time_calibrate_finish() measures against a
 * better reference; the clock stays continuous across that change. */
void time_init(void)
{
    time_start();
    const char *how = NULL;
    uint64_t k = cpuid_tsc_khz(&how);
    if (k) {
        time_set_tsc_khz(k, how);
        stated = true;
        return;
    }
    struct tsc_measurement m;
    pit_started = pit_counter_start();
    /* A window's wait is bounded (by the early 4 GHz guess): a busy host that stops this vCPU
     * for longer ends it, so a few tries. */
    for (int i = 0; pit_started && !tsc_khz() && i < PROVISIONAL_TRIES; i++)
        if (measure(&pit_clock, 1, PROVISIONAL_WINDOW_US, &m) && plausible(m.hz / 1000))
            time_set_tsc_khz(m.hz / 1000, "PIT, provisional");
}

bool time_measure_tsc(const char *reference, unsigned windows, uint64_t window_us,
                      struct tsc_measurement *m)
{
    struct refclock c;
    if (!strcmp(reference, "HPET"))
        return hpet_clock(&c) && measure(&c, windows, window_us, m);
    return false;
}

static void print_mhz_line(const struct tsc_measurement *m, uint64_t k, uint64_t was)
{
    kprintf("tsc: %llu.%03llu MHz measured against the %s: median of %u windows of %llu us, spread "
            "%llu ppm, "
            "reads within %llu ns (provisional %llu.%03llu MHz from the %s)",
            (unsigned long long)(k / 1000), (unsigned long long)(k % 1000), m->reference,
            m->windows, (unsigned long long)m->window_us, (unsigned long long)m->spread_ppm,
            (unsigned long long)tsc_to_ns(m->widest_cycles), (unsigned long long)(was / 1000),
            (unsigned long long)(was % 1000), tsc_source());
}

static struct measuring pending;
static bool pending_hpet;
static uint64_t pending_pm_port;
static bool pending_pm_32bit;

void time_calibrate_begin(uint64_t pm_timer_port, bool pm_timer_32bit)
{
    pending_pm_port = pm_timer_port;
    pending_pm_32bit = pm_timer_32bit;
    struct refclock c;
    pending_hpet = !stated && hpet_clock(&c);
    if (pending_hpet)
        measure_start(&pending, &c, MEASURE_WINDOWS, MEASURE_WINDOW_US);
}

void time_calibrate_finish(void)
{
    if (stated) {
        kprintf("tsc: %llu.%03llu MHz stated by %s; not measured",
                (unsigned long long)(tsc_khz() / 1000), (unsigned long long)(tsc_khz() % 1000),
                tsc_source());
        return;
    }
    struct tsc_measurement m;
    bool ok = pending_hpet && measure_finish(&pending, &m);
    if (!ok && pending_pm_port) {
        pm_port = (uint16_t)pending_pm_port;
        uint64_t mask = pending_pm_32bit ? 0xffffffffULL : 0xffffffULL;
        struct refclock c = { "ACPI PM timer", pm_read, PM_TIMER_HZ, mask };
        ok = measure(&c, MEASURE_WINDOWS, MEASURE_WINDOW_US, &m);
    }
    if (!ok && pit_started)
        ok = measure(&pit_clock, MEASURE_WINDOWS, PIT_WINDOW_US, &m);
    uint64_t k = ok ? (m.hz + 500) / 1000 : 0;
    if (!plausible(k)) {
        kprintf("tsc: warning: no reference clock gave a rate (HPET, ACPI PM timer, PIT); "
                "keeping %llu.%03llu MHz from the %s",
                (unsigned long long)(tsc_khz() / 1000), (unsigned long long)(tsc_khz() % 1000),
                tsc_source());
        return;
    }
    print_mhz_line(&m, k, tsc_khz());
    time_set_tsc_khz(k, m.reference);
}

void time_stages_print(void)
{
    kprintf("cadre: boot stages in us since entry: first_line=%llu clocks=%llu smp_start=%llu "
            "aps_online=%llu ready=%llu",
            (unsigned long long)time_stage_us(STAGE_FIRST_LINE),
            (unsigned long long)time_stage_us(STAGE_CLOCKS),
            (unsigned long long)time_stage_us(STAGE_SMP_START),
            (unsigned long long)time_stage_us(STAGE_APS_ONLINE),
            (unsigned long long)time_stage_us(STAGE_READY));
}
