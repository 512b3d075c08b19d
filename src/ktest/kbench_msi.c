/* bench=msi_latency (docs/performance.md): from the MMIO write that raises edu's interrupt to
 * the entry of its handler, per target CPU: the vector is moved to each CPU a message can
 * name in turn, and CPU 0 raises and waits (IF=1) for each arrival.  The handler stamps the
 * TSC on the CPU that took the message, so the figure crosses CPUs: it holds where the TSCs
 * are synchronised (QEMU TCG gives every vCPU the host's TSC; KVM keeps them in step).  Without
 * an edu device the benchmark says so and prints no figures. */
#include "core/console.h"
#include "core/time.h"
#include "cpu/cpu.h"
#include "cpu/percpu.h"
#include "dev/edu.h"
#include "irq/msi.h"
#include "ktest/bench.h"

#define MSI_WARMUP 20
#define MSI_ROUNDS 200
#define MSI_BUDGET_US 2000000 /* per target */
#define MSI_TIMEOUT_US 200000
#define MSI_TARGETS_MAX 64 /* the first 64 CPUs a message can name */

KBENCH(msi_latency)
{
    static uint64_t cycles[MSI_ROUNDS];
    struct msi_irq *m = edu_msi();
    if (!m) {
        kprintf("bench: msi_latency: warning: no edu device (QEMU -device edu); not run");
        return;
    }
    bench_context("msi_latency",
                  "cpu0 writes edu's raise register, the MSI handler on cpuK stamps the TSC");
    unsigned first = m->cpu, targets = 0;
    bool irqs = irq_save();
    irq_enable();
    for (unsigned c = 0; c < ncpus_possible && targets < MSI_TARGETS_MAX; c++) {
        if (!msi_can_target(c))
            continue;
        targets++;
        if (msi_irq_set_affinity(m, c) || !msi_irq_settle(m)) {
            kprintf("bench: msi_latency: warning: cpu=%u: the vector did not move there; skipped",
                    c);
            continue;
        }
        unsigned n = 0, lost = 0;
        uint64_t stop = time_deadline_us(MSI_BUDGET_US);
        for (unsigned i = 0; i < MSI_WARMUP + MSI_ROUNDS && !time_after(stop); i++) {
            uint64_t want = edu_arrivals() + 1, deadline = time_deadline_us(MSI_TIMEOUT_US);
            uint64_t t0 = bench_tsc_now();
            edu_raise(1);
            while (edu_arrivals() < want && !time_after(deadline))
                cpu_relax();
            if (edu_arrivals() < want) {
                lost++;
                continue;
            }
            uint64_t t1 = edu_last_arrival_tsc();
            if (i >= MSI_WARMUP)
                cycles[n++] = t1 > t0 ? t1 - t0 : 1;
        }
        if (lost)
            kprintf("bench: msi_latency: warning: cpu=%u: %u interrupts did not arrive in %u us", c,
                    lost, MSI_TIMEOUT_US);
        if (!n)
            continue;
        struct bench_figures f = bench_summarise(cycles, n);
        kprintf("bench: msi_latency cpu=%u apic=%u vector=0x%02x rounds=%u median_cycles=%llu "
                "p99_cycles=%llu "
                "median_ns=%llu p99_ns=%llu",
                c, per_cpu(c, apic_id), m->vector, n, (unsigned long long)f.median,
                (unsigned long long)f.p99, (unsigned long long)tsc_to_ns(f.median),
                (unsigned long long)tsc_to_ns(f.p99));
    }
    msi_irq_set_affinity(m, first);
    msi_irq_settle(m);
    irq_restore(irqs);
}
