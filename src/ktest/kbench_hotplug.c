/* bench=hotplug (docs/performance.md): how long one CPU takes to go offline (calls quiesced,
 * its routes and MSI vectors moved, its local APIC drained, parked, INIT) and to come back
 * (INIT-SIPI-SIPI, the trampoline, cpu_init, routes moved back), as the caller sees it, over
 * HOTPLUG_ROUNDS cycles of the last CPU.  Figures only. */
#include "core/console.h"
#include "cpu/cpu.h"
#include "cpu/percpu.h"
#include "ktest/bench.h"
#include "smp/hotplug.h"
#include "smp/smp.h"

#define HOTPLUG_ROUNDS 50

KBENCH(hotplug)
{
    static uint64_t off[HOTPLUG_ROUNDS], on[HOTPLUG_ROUNDS];
    if (smp_online_count() < 2) {
        kprintf("bench: hotplug: warning: needs two cpus; not run");
        return;
    }
    unsigned cpu = ncpus_possible - 1, n = 0;
    bench_context("hotplug", "cpu0 takes the last cpu offline and back, in microseconds");
    bool irqs = irq_save();
    irq_enable();
    for (; n < HOTPLUG_ROUNDS; n++) {
        if (cpu_offline(cpu, HOTPLUG_QUIET))
            break;
        off[n] = hotplug_last_times().offline_us;
        if (cpu_online_again(cpu, HOTPLUG_QUIET))
            break;
        on[n] = hotplug_last_times().online_us;
    }
    irq_restore(irqs);
    if (n < HOTPLUG_ROUNDS)
        kprintf("bench: hotplug: warning: cpu%u: round %u failed (see above); %u rounds", cpu, n,
                n);
    if (!n)
        return;
    struct bench_figures f = bench_summarise(off, n), g = bench_summarise(on, n);
    kprintf("bench: hotplug cpus=%u cpu=%u rounds=%u offline_us_median=%llu offline_us_p99=%llu "
            "online_us_median=%llu online_us_p99=%llu",
            ncpus_possible, cpu, n, (unsigned long long)f.median, (unsigned long long)f.p99,
            (unsigned long long)g.median, (unsigned long long)g.p99);
}
