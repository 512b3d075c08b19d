#include "apic/lapic_timer.h"

#include "apic/lapic.h"
#include "cpu/cpu.h"
#include "cpu/percpu.h"
#include "cpu/vectors.h"
#include "core/cmdline.h"
#include "core/console.h"
#include "core/time.h"
#include "lib/string.h"

#define CALIBRATE_US 10000
#define CALIBRATE_RUNS 3
#define TIMER_DIVISOR 16 /* TIMER_DIVIDE_BY_16 */
#define HZ_DEFAULT 100
#define HZ_MAX 10000

static unsigned hz = HZ_DEFAULT;
static bool allow_deadline = true;
static bool use_deadline;
static uint64_t rate_hz;     /* timer counts per second, after the divider */
static uint64_t period_tsc;  /* TSC cycles per tick, deadline mode */
static uint64_t ticks[MAX_CPUS];
#define TICK_HISTORY 16
static uint64_t tick_tsc[MAX_CPUS][TICK_HISTORY]; /* TSC at the last ticks, a ring per CPU */

static const char *param_hz(const char *v)
{
    unsigned long long n;
    if (!v || parse_u64(v, &n) || n < 1 || n > HZ_MAX)
        return "expected timer.hz=1..10000";
    hz = (unsigned)n;
    return NULL;
}
KERNEL_PARAM("timer.hz", param_hz, "N: local APIC timer ticks per second on every CPU (default 100)");

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
KERNEL_PARAM("timer.mode", param_mode, "deadline|periodic: TSC-deadline where the CPU has it (default), or periodic");

unsigned lapic_timer_hz(void) { return hz; }
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

void lapic_timer_interrupt(void)
{
    unsigned cpu = cpu_id();
    tick_tsc[cpu][ticks[cpu] % TICK_HISTORY] = rdtsc();
    ticks[cpu]++;
    if (use_deadline)
        wrmsr(MSR_TSC_DEADLINE, rdtsc() + period_tsc);
}

/* Counts down from the maximum over a TSC-timed interval; the reads at both ends are close
 * together, so the host stealing time in between does not skew the ratio. */
static uint64_t measure(void)
{
    lapic_write(LAPIC_LVT_TIMER, LVT_MASKED | VEC_LAPIC_TIMER);
    lapic_write(LAPIC_TIMER_DIVIDE, TIMER_DIVIDE_BY_16);
    lapic_write(LAPIC_TIMER_INITIAL, 0xffffffff);
    uint64_t t0 = rdtsc();
    uint32_t c0 = lapic_read(LAPIC_TIMER_CURRENT);
    udelay(CALIBRATE_US);
    uint32_t c1 = lapic_read(LAPIC_TIMER_CURRENT);
    uint64_t t1 = rdtsc();
    lapic_write(LAPIC_TIMER_INITIAL, 0);
    if (t1 == t0 || c0 <= c1)
        return 0;
    return (uint64_t)(c0 - c1) * tsc_khz() * 1000 / (t1 - t0);
}

void lapic_timer_calibrate(void)
{
    uint64_t r[CALIBRATE_RUNS];
    for (int i = 0; i < CALIBRATE_RUNS; i++)
        r[i] = measure();
    /* the median of three */
    uint64_t a = r[0], b = r[1], c = r[2];
    rate_hz = MAX(MIN(a, b), MIN(MAX(a, b), c));
    use_deadline = allow_deadline && (cpuid(1, 0).ecx & CPUID_1_ECX_TSC_DEADLINE);
    period_tsc = tsc_khz() * 1000 / hz;
    kprintf("apic: timer %llu.%03llu MHz (divide by %u, measured against the TSC), tick %u Hz in %s mode",
            (unsigned long long)(rate_hz / 1000000), (unsigned long long)(rate_hz / 1000 % 1000),
            TIMER_DIVISOR, hz, use_deadline ? "TSC-deadline" : "periodic");
}

void lapic_timer_start(void)
{
    if (use_deadline) {
        lapic_write(LAPIC_LVT_TIMER, LVT_TIMER_TSC_DEADLINE | VEC_LAPIC_TIMER);
        /* The LVT write must be seen before the deadline write (SDM vol. 3A §11.5.4.1). */
        __asm__ volatile("mfence" ::: "memory");
        wrmsr(MSR_TSC_DEADLINE, rdtsc() + period_tsc);
    } else if (rate_hz) {
        lapic_write(LAPIC_TIMER_DIVIDE, TIMER_DIVIDE_BY_16);
        lapic_write(LAPIC_LVT_TIMER, LVT_TIMER_PERIODIC | VEC_LAPIC_TIMER);
        lapic_write(LAPIC_TIMER_INITIAL, (uint32_t)MAX(rate_hz / hz, 1));
    }
}

