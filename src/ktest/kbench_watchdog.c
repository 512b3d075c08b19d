/* bench=watchdog (docs/watchdog.md): what the lockup watchdog costs and how fast it reports.
 * - tick cost: the TSC cycles its tick hook (the soft-lockup check, and the buddy check once a
 *   period) takes per tick, averaged on each CPU over an idle window;
 * - report latency: cpu1 (else nobody: a buddy needs two CPUs) spins with interrupts off from
 *   a TSC stamp; the figure is that stamp to the report's, against the threshold and period
 *   the command line gave (tools/bench.py passes short ones).  Figures only, never judged. */
#include "core/console.h"
#include "core/time.h"
#include "cpu/cpu.h"
#include "cpu/percpu.h"
#include "ktest/bench.h"
#include "smp/smp.h"
#include "smp/smp_call.h"
#include "watchdog/watchdog.h"

#define COST_WINDOW_US 2000000
#define LATENCY_ROUNDS 3

static volatile uint64_t spin_start;

__noinline void bench_watchdog_spin(void *arg);
__noinline void bench_watchdog_spin(void *arg)
{
    uint64_t before = (uint64_t)(uintptr_t)arg;
    bool irqs = irq_save();
    spin_start = bench_tsc_now();
    while (watchdog_hard_reports(cpu_id()) <= before)
        cpu_relax();
    irq_restore(irqs);
}

KBENCH(watchdog)
{
    if (!watchdog_running()) {
        kprintf("bench: watchdog: warning: the watchdog is off (watchdog=off); not run");
        return;
    }
    bench_context("watchdog",
                  "the tick hook's cost on each cpu; a hard lockup's start to its report");
    static uint64_t c0[MAX_CPUS], t0[MAX_CPUS];
    for (unsigned c = 0; c < ncpus_possible; c++)
        watchdog_tick_cost(c, &c0[c], &t0[c]);
    bool irqs = irq_save();
    irq_enable();
    uint64_t end = time_deadline_us(COST_WINDOW_US);
    while (!time_after(end))
        console_flush_pending();
    uint64_t cycles = 0, ticks = 0;
    for (unsigned c = 0; c < ncpus_possible; c++) {
        uint64_t c1, t1;
        watchdog_tick_cost(c, &c1, &t1);
        if (!cpu_online(c) || t1 == t0[c])
            continue;
        cycles += c1 - c0[c];
        ticks += t1 - t0[c];
    }
    if (ticks)
        kprintf("bench: watchdog what=tick_cost cpus=%u ticks=%llu mean_cycles=%llu mean_ns=%llu",
                smp_online_count(), (unsigned long long)ticks, (unsigned long long)(cycles / ticks),
                (unsigned long long)tsc_to_ns(cycles / ticks));
    if (!cpu_online(1)) {
        kprintf("bench: watchdog: warning: no cpu1: no lockup to report; latency not measured");
        irq_restore(irqs);
        return;
    }
    for (unsigned i = 0; i < LATENCY_ROUNDS; i++) {
        uint64_t before = watchdog_hard_reports(1);
        if (smp_run_in_idle(1, bench_watchdog_spin, (void *)(uintptr_t)before) ||
            !smp_wait_idle_work(
                1, (uint64_t)(watchdog_hard_ms() + 20 * watchdog_period_ms()) * 1000 + 20000000)) {
            kprintf("bench: watchdog: warning: cpu1's lockup was not reported in time");
            break;
        }
        uint64_t lat = watchdog_last_report_tsc(1) - spin_start;
        kprintf(
            "bench: watchdog what=report_latency round=%u hard_ms=%u period_ms=%u latency_ms=%llu "
            "over_threshold_ms=%lld",
            i, watchdog_hard_ms(), watchdog_period_ms(),
            (unsigned long long)(tsc_to_ns(lat) / 1000000),
            (long long)(tsc_to_ns(lat) / 1000000) - (long long)watchdog_hard_ms());
        /* the recovery line comes at the next check */
        udelay(3000ULL * watchdog_period_ms());
    }
    irq_restore(irqs);
}
