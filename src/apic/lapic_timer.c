#include "apic/lapic_timer.h"

#include "apic/lapic.h"
#include "core/cmdline.h"
#include "core/console.h"
#include "core/time.h"
#include "cpu/cpu.h"
#include "cpu/percpu.h"
#include "cpu/vectors.h"
#include "lib/string.h"

#define CALIBRATE_US 1000
#define SAMPLE_TRIES 4
#define TIMER_DIVISOR 16 /* TIMER_DIVIDE_BY_16 */
#define HZ_DEFAULT 100
#define HZ_MAX 10000
#define IDLE_HZ_DEFAULT 1

static unsigned hz = HZ_DEFAULT;
static unsigned idle_hz = IDLE_HZ_DEFAULT; /* at most hz: lapic_timer_calibrate clamps it */
static uint64_t idle_period_tsc;
/* The rate each CPU's timer is set for now: hz, or idle_hz while the CPU idles (0: not started).
 * A rate, not a flag, so that an idle_hz raised later (lapic_timer_idle_hz_at_least) reaches
 * the CPUs that are idling at the old one. */
static unsigned tick_hz[MAX_CPUS];
static bool allow_deadline = true;
static bool use_deadline;
static uint64_t rate_hz;      /* timer counts per second, after the divider */
static uint64_t period_tsc;   /* TSC cycles per tick, deadline mode */
static uint64_t calibrate_us; /* the calibration window's length */
static uint64_t ticks[MAX_CPUS];
#define TICK_HISTORY 16
static uint64_t tick_tsc[MAX_CPUS][TICK_HISTORY]; /* TSC at the last ticks, a ring per CPU */

static const char *param_hz(const char *v)
{
    return parse_uint_range(v, 1, HZ_MAX, &hz) ? "expected timer.hz=1..10000" : NULL;
}
KERNEL_PARAM("timer.hz", param_hz,
             "N: local APIC timer ticks per second on every CPU (default 100)");

/* An idle CPU needs no tick: nothing runs there to be counted or interrupted.  But a vCPU the
 * host wakes 100 times a second for nothing costs the host as much as a busy one: at -smp 288
 * under this machine's paravirtual KVM the idle ticks alone took both host cores, and a boot
 * took minutes (docs/performance.md).  So a tick that finds its CPU halted in the idle loop
 * sets the next one timer.idle_hz away, and the first tick that finds it busy brings the full
 * rate back.  The idle CPU still ticks, so that a CPU that stopped ticking is a stuck one. */
static const char *param_idle_hz(const char *v)
{
    return parse_uint_range(v, 1, HZ_MAX, &idle_hz)
               ? "expected timer.idle_hz=1..10000 (at most timer.hz)"
               : NULL;
}
KERNEL_PARAM("timer.idle_hz", param_idle_hz,
             "N: ticks per second on a CPU that sits in its idle loop (default 1; timer.hz "
             "or more: the full tick)");

static const char *param_mode(const char *v)
{
    if (v && !strcmp(v, "periodic"))
        allow_deadline = false;
    else if (v && !strcmp(v, "deadline"))
        allow_deadline = true;
    else
        return "expected timer.mode=deadline or timer.mode=periodic";
    return NULL;
}
KERNEL_PARAM("timer.mode", param_mode,
             "deadline|periodic: TSC-deadline where the CPU has it (default), or periodic");

unsigned lapic_timer_hz(void) { return hz; }
unsigned lapic_timer_idle_hz(void) { return idle_hz; }
bool lapic_timer_deadline_mode(void) { return use_deadline; }
uint64_t lapic_timer_rate(void) { return rate_hz; }
uint64_t lapic_timer_ticks(unsigned cpu) { return cpu < MAX_CPUS ? READ_ONCE(ticks[cpu]) : 0; }

unsigned lapic_timer_intervals(unsigned cpu, uint64_t *out, unsigned max)
{
    bool irqs = irq_save(); /* this CPU's ring does not move meanwhile */
    uint64_t n = ticks[cpu];
    unsigned got = 0;
    for (uint64_t t = n > TICK_HISTORY ? n - TICK_HISTORY + 1 : 1; t < n && got < max; t++)
        out[got++] = tick_tsc[cpu][t % TICK_HISTORY] - tick_tsc[cpu][(t - 1) % TICK_HISTORY];
    irq_restore(irqs);
    return got;
}

/* Periodic mode: the initial count for `per_second` ticks at the measured rate, within the
 * register's 32 bits. */
static uint32_t initial_count(unsigned per_second)
{
    return (uint32_t)MIN(MAX(rate_hz / per_second, 1), (uint64_t)UINT32_MAX);
}

static void (*tick_hook)(const struct regs *r);

void lapic_timer_register_tick_hook(void (*hook)(const struct regs *r))
{
    __atomic_store_n(&tick_hook, hook, __ATOMIC_RELEASE);
}

void lapic_timer_idle_hz_at_least(unsigned n)
{
    if (n <= READ_ONCE(idle_hz))
        return;
    WRITE_ONCE(idle_hz, MIN(n, hz));
    WRITE_ONCE(idle_period_tsc, tsc_khz() * 1000 / READ_ONCE(idle_hz));
    kprintf("apic: an idle cpu ticks at %u Hz now", READ_ONCE(idle_hz));
}

void lapic_timer_interrupt(const struct regs *r)
{
    unsigned cpu = cpu_id();
    tick_tsc[cpu][ticks[cpu] % TICK_HISTORY] = rdtsc();
    /* Seen by the other CPUs (the buddy and NMI watchdogs read it without a lock). */
    __atomic_store_n(&ticks[cpu], ticks[cpu] + 1, __ATOMIC_RELEASE);
    /* Idle: this tick woke the hlt itself, with no other handler under it. */
    bool idle = this_cpu_read(idle_halted) && this_cpu_read(irq_count) == 1;
    unsigned want = idle ? READ_ONCE(idle_hz) : hz;
    if (use_deadline) {
        tick_hz[cpu] = want;
        wrmsr(MSR_TSC_DEADLINE, rdtsc() + (idle ? READ_ONCE(idle_period_tsc) : period_tsc));
    } else if (rate_hz && want != tick_hz[cpu]) {
        /* A new initial count takes effect at once and is reloaded from then on (SDM vol. 3A
         * §11.5.4): one write when the rate changes, none while it stays. */
        tick_hz[cpu] = want;
        lapic_write(LAPIC_TIMER_INITIAL, initial_count(want));
    }
    void (*hook)(const struct regs *) = __atomic_load_n(&tick_hook, __ATOMIC_ACQUIRE);
    if (hook)
        hook(r);
}

void lapic_timer_wake(void)
{
    unsigned cpu = cpu_id();
    bool irqs = irq_save(); /* the tick must not run between the check and the write */
    if (tick_hz[cpu] && tick_hz[cpu] != hz) {
        tick_hz[cpu] = hz;
        if (use_deadline)
            wrmsr(MSR_TSC_DEADLINE, rdtsc() + period_tsc);
        else if (rate_hz)
            lapic_write(LAPIC_TIMER_INITIAL, initial_count(hz));
    }
    irq_restore(irqs);
}

/* A reading of the current count placed on the TSC: between two TSC reads, the narrowest of
 * a few brackets kept and its middle taken (as src/core/time.c does for reference clocks). */
struct count_sample {
    uint64_t tsc, width;
    uint32_t count;
};

static struct count_sample count_sample(void)
{
    struct count_sample best = { 0, UINT64_MAX, 0 };
    for (int i = 0; i < SAMPLE_TRIES; i++) {
        uint64_t t0 = rdtsc();
        uint32_t c = lapic_read(LAPIC_TIMER_CURRENT);
        uint64_t t1 = rdtsc();
        if (t1 - t0 < best.width)
            best = (struct count_sample){ t0 + (t1 - t0) / 2, t1 - t0, c };
    }
    return best;
}

/* Periodic mode needs the timer's rate: one-shot from the maximum, masked, over about a
 * millisecond of the TSC, whose rate is known by now.  One window is enough: its error is the
 * two placements' over its length (tens of ns in 1 ms under TCG), and the rate only sets the
 * tick's period, which test apic_timer_rate checks against the HPET.  The window opens in
 * lapic_timer_calibrate_begin() and closes in lapic_timer_calibrate(), so the BSP's own work
 * in between (cpu_init's lines) is not time spent waiting. */
static struct count_sample window_start;

void lapic_timer_calibrate_begin(void)
{
    use_deadline = allow_deadline && (cpuid(1, 0).ecx & CPUID_1_ECX_TSC_DEADLINE);
    if (use_deadline)
        return;
    lapic_write(LAPIC_LVT_TIMER, LVT_MASKED | VEC_LAPIC_TIMER);
    lapic_write(LAPIC_TIMER_DIVIDE, TIMER_DIVIDE_BY_16);
    lapic_write(LAPIC_TIMER_INITIAL, 0xffffffff);
    window_start = count_sample();
}

/* As in src/core/time.c: the window lasts at least READ_COST_FACTOR times a count read's
 * cost (a bracket's width), so that each end's placement errs by at most 500 ppm of it. */
#define READ_COST_FACTOR 2000

static uint64_t measure_end(void)
{
    uint64_t wait = MAX(CALIBRATE_US * tsc_khz() / 1000, window_start.width * READ_COST_FACTOR);
    uint64_t end = window_start.tsc + wait;
    while (!time_after(end))
        cpu_relax();
    struct count_sample a = window_start, b = count_sample();
    lapic_write(LAPIC_TIMER_INITIAL, 0);
    if (b.tsc <= a.tsc || a.count <= b.count || !tsc_khz())
        return 0;
    uint64_t cycles = b.tsc - a.tsc, counts = a.count - b.count, tsc_hz = tsc_khz() * 1000;
    calibrate_us = tsc_to_ns(cycles) / 1000;
    return counts * (tsc_hz / cycles) +
           counts * (tsc_hz % cycles) / cycles; /* counts * tsc_hz / cycles */
}

void lapic_timer_calibrate(void)
{
    period_tsc = tsc_khz() * 1000 / hz;
    idle_hz = MIN(idle_hz, hz);
    idle_period_tsc = tsc_khz() * 1000 / idle_hz;
    if (use_deadline) {
        /* The deadline is in TSC cycles (SDM vol. 3A §11.5.4.1): nothing to measure. */
        rate_hz = 0;
        kprintf("apic: timer needs no calibration: tick %u Hz in TSC-deadline mode, every %llu TSC "
                "cycles; %u Hz on an idle cpu",
                hz, (unsigned long long)period_tsc, idle_hz);
    } else {
        rate_hz = measure_end();
        kprintf(
            "apic: timer %llu.%03llu MHz (divide by %u, measured against the TSC over %llu us), "
            "tick %u Hz in periodic mode; %u Hz on an idle cpu",
            (unsigned long long)(rate_hz / 1000000), (unsigned long long)(rate_hz / 1000 % 1000),
            TIMER_DIVISOR, (unsigned long long)calibrate_us, hz, idle_hz);
    }
    time_stage(STAGE_CLOCKS);
}

void lapic_timer_stop(void)
{
    /* Masked first, so that no tick fires between the two writes; then no count or deadline is
     * left running (an initial count of 0 stops periodic mode, a deadline of 0 disarms
     * TSC-deadline mode: SDM vol. 3A §11.5.4, §11.5.4.1). */
    tick_hz[cpu_id()] = 0; /* lapic_timer_wake leaves a stopped timer alone */
    if (use_deadline) {
        lapic_write(LAPIC_LVT_TIMER, LVT_MASKED | LVT_TIMER_TSC_DEADLINE | VEC_LAPIC_TIMER);
        wrmsr(MSR_TSC_DEADLINE, 0);
    } else {
        lapic_write(LAPIC_LVT_TIMER, LVT_MASKED | VEC_LAPIC_TIMER);
        lapic_write(LAPIC_TIMER_INITIAL, 0);
    }
}

void lapic_timer_start(void)
{
    tick_hz[cpu_id()] = hz;
    if (use_deadline) {
        lapic_write(LAPIC_LVT_TIMER, LVT_TIMER_TSC_DEADLINE | VEC_LAPIC_TIMER);
        /* The LVT write must be seen before the deadline write (SDM vol. 3A §11.5.4.1). */
        __asm__ volatile("mfence" ::: "memory");
        wrmsr(MSR_TSC_DEADLINE, rdtsc() + period_tsc);
    } else if (rate_hz) {
        lapic_write(LAPIC_TIMER_DIVIDE, TIMER_DIVIDE_BY_16);
        lapic_write(LAPIC_LVT_TIMER, LVT_TIMER_PERIODIC | VEC_LAPIC_TIMER);
        lapic_write(LAPIC_TIMER_INITIAL, initial_count(hz));
    }
}
