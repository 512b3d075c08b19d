/* Benchmarks of interrupt delivery (docs/performance.md), run on CPU 0 with bench=NAME:
 *
 *   ipi_latency  IPI round trips from CPU 0 to each other online CPU: a fixed IPI there, whose
 *                handler sends a fixed IPI back; CPU 0 spins (IF=1) until its handler has run.
 *   nmi_fanout   one NMI IPI to all-but-self, timed until every online CPU's nmi_count moved.
 *   irq_entry    a self-IPI loop: send, wait for the handler, repeat; and the same sends with
 *                IF=0 (the ICR writes alone), so the difference is the interrupt's own cost.
 *
 * Times are TSC cycles between two serialised TSC reads on CPU 0, converted with tsc_to_ns().
 * Under TCG the guest's TSC is the host's TSC, so these are emulator figures; the context line
 * each benchmark prints names the hypervisor (CPUID 0x40000000) they came from.  Every wait is
 * bounded; a lost IPI or NMI is reported on a warning line and left out of the figures. */
#include "apic/ipi.h"
#include "apic/lapic.h"
#include "core/console.h"
#include "core/time.h"
#include "cpu/cpu.h"
#include "cpu/percpu.h"
#include "cpu/vectors.h"
#include "irq/irq.h"
#include "irq/nmi.h"
#include "ktest/bench.h"
#include "smp/smp_call.h"

/* Class 14 (src/cpu/vectors.h) below the class-15 IPIs, so smp_call and the stop IPI still
 * preempt a benchmark handler.  0xe9-0xef are the benchmarks' share of the class; VEC_IPI_TEST
 * (0xe8) belongs to the tests; the vectors are defined there. */
_Static_assert(VEC_BENCH_PING > VEC_IPI_TEST &&
                   VEC_CLASS(VEC_BENCH_PING) == VEC_CLASS(VEC_IPI_TEST) &&
                   VEC_CLASS(VEC_BENCH_SELF) == VEC_CLASS(VEC_IPI_TEST),
               "benchmark vectors sit in class 14, above the test IPI");

/* Each benchmark stops early (fewer rounds, as its line says) once its time budget is spent,
 * so that a slow host (this machine's paravirtual KVM takes ~0.5 ms per IPI) still finishes
 * within the harness's time limit. */
#define PING_WARMUP 20
#define PING_ROUNDS 200
#define PING_BUDGET_US 2000000 /* per target */
#define PING_TIMEOUT_US 200000

#define NMI_WARMUP 3
#define NMI_ROUNDS 50
#define NMI_BUDGET_US 10000000
#define NMI_TIMEOUT_US 2000000
#define SETTLE_TIMEOUT_US 2000000

#define SELF_ROUNDS 10000
/* Fewer rounds where a self-IPI costs more than 300 us (this machine's paravirtual KVM). */
#define SELF_BUDGET_US 3000000
#define SELF_TIMEOUT_US 200000

/* ---- measuring ---------------------------------------------------------------------------- */

static bool claim(unsigned vector, irq_handler_t fn, void *data, const char *bench)
{
    if (irq_set_handler(vector, fn, data, bench))
        return true;
    kprintf("bench: %s: warning: vector 0x%x is taken by '%s'; not run", bench, vector,
            irq_handler_name(vector) ? irq_handler_name(vector) : "?");
    return false;
}

/* ---- ipi_latency -------------------------------------------------------------------------- */

static uint64_t pongs; /* pong handler runs on CPU 0 */

static void ping(struct regs *r, void *data)
{
    (void)r;
    ipi_fixed((uint32_t)(uintptr_t)data, VEC_BENCH_PONG);
}

static void pong(struct regs *r, void *data)
{
    (void)r, (void)data;
    WRITE_ONCE(pongs, pongs + 1);
}

/* One round trip to `apic`: its cycles, or 0 if no pong came in time. */
static uint64_t round_trip(uint32_t apic)
{
    uint64_t want = READ_ONCE(pongs) + 1;
    uint64_t deadline = time_deadline_us(PING_TIMEOUT_US);
    uint64_t t0 = bench_tsc_now();
    ipi_fixed(apic, VEC_BENCH_PING);
    while (READ_ONCE(pongs) < want) {
        if (time_after(deadline))
            return 0;
        cpu_relax();
    }
    uint64_t t = bench_tsc_now() - t0;
    return t ? t : 1;
}

KBENCH(ipi_latency)
{
    static uint64_t cycles[PING_ROUNDS];
    if (!claim(VEC_BENCH_PONG, pong, NULL, "ipi_latency"))
        return;
    if (!claim(VEC_BENCH_PING, ping, (void *)(uintptr_t)this_cpu_read(apic_id), "ipi_latency")) {
        irq_clear_handler(VEC_BENCH_PONG);
        return;
    }
    bench_context("ipi_latency",
                  "cpu0 -> cpuK fixed IPI 0xe9, cpuK -> cpu0 fixed IPI 0xea, cpu0 spins");
    bool irqs = irq_save();
    irq_enable();
    for (unsigned c = 1; c < ncpus_possible; c++) {
        if (!cpu_online(c))
            continue;
        uint32_t apic = per_cpu(c, apic_id);
        unsigned n = 0, lost = 0;
        uint64_t stop = time_deadline_us(PING_BUDGET_US);
        for (unsigned i = 0; i < PING_WARMUP + PING_ROUNDS && !time_after(stop); i++) {
            uint64_t t = round_trip(apic);
            if (!t) {
                lost++;
                udelay(PING_TIMEOUT_US); /* let a late pong land before the next round counts */
                continue;
            }
            if (i >= PING_WARMUP)
                cycles[n++] = t;
        }
        if (lost)
            kprintf("bench: ipi_latency: warning: cpu=%u apic=%u: %u round trips got no answer in "
                    "%u us",
                    c, apic, lost, PING_TIMEOUT_US);
        if (!n)
            continue;
        struct bench_figures f = bench_summarise(cycles, n);
        kprintf("bench: ipi_latency cpu=%u apic=%u rounds=%u median_cycles=%llu p99_cycles=%llu "
                "median_ns=%llu p99_ns=%llu",
                c, apic, n, (unsigned long long)f.median, (unsigned long long)f.p99,
                (unsigned long long)tsc_to_ns(f.median), (unsigned long long)tsc_to_ns(f.p99));
    }
    irq_restore(irqs);
    irq_clear_handler(VEC_BENCH_PING);
    irq_clear_handler(VEC_BENCH_PONG);
}

/* ---- nmi_fanout --------------------------------------------------------------------------- */

static void nothing(void *arg) { (void)arg; }

/* Between rounds: a fixed IPI is taken only with IF=1, i.e. after a CPU has left its NMI
 * handler (an interrupt gate), so a finished smp_call_all() means no CPU is still inside the
 * last round's handler.  Then whatever the handlers printed goes out before the next round. */
static void settle(void)
{
    smp_call_all(nothing, NULL, SETTLE_TIMEOUT_US);
    console_flush();
}

/* One NMI to all-but-self, timed until every online CPU's nmi_count moved: its cycles, or 0
 * (and the count of CPUs that never answered in *missing). */
static uint64_t nmi_round(uint64_t *seen, unsigned *missing)
{
    unsigned n = ncpus_possible;
    for (unsigned c = 1; c < n; c++)
        seen[c] = cpu_online(c) ? READ_ONCE(per_cpu(c, nmi_count)) : UINT64_MAX;
    uint64_t deadline = time_deadline_us(NMI_TIMEOUT_US);
    uint64_t t0 = bench_tsc_now();
    nmi_broadcast(NMI_REQ_COUNT);
    /* Waiting on each CPU in turn ends when the last one has answered. */
    for (unsigned c = 1; c < n; c++) {
        if (seen[c] == UINT64_MAX)
            continue;
        while (READ_ONCE(per_cpu(c, nmi_count)) == seen[c] && !time_after(deadline))
            cpu_relax();
    }
    uint64_t t = bench_tsc_now() - t0;
    *missing = 0;
    for (unsigned c = 1; c < n; c++)
        if (seen[c] != UINT64_MAX && READ_ONCE(per_cpu(c, nmi_count)) == seen[c])
            ++*missing;
    return *missing ? 0 : (t ? t : 1);
}

KBENCH(nmi_fanout)
{
    static uint64_t seen[MAX_CPUS], cycles[NMI_ROUNDS];
    unsigned targets = 0;
    for (unsigned c = 1; c < ncpus_possible; c++)
        targets += cpu_online(c);
    if (!targets) {
        kprintf("bench: nmi_fanout: no other CPU online; not run");
        return;
    }
    bench_context(
        "nmi_fanout",
        ipi_shorthands_allowed()
            ? "NMI IPI to all-but-self, until every online cpu's nmi_count moved"
            : "one NMI IPI to each online cpu (some listed cpu is not online), until every "
              "online cpu's nmi_count moved");
    unsigned n = 0;
    uint64_t stop = time_deadline_us(NMI_BUDGET_US);
    for (unsigned i = 0; i < NMI_WARMUP + NMI_ROUNDS && !time_after(stop); i++) {
        unsigned missing;
        uint64_t t = nmi_round(seen, &missing);
        settle();
        if (!t) {
            kprintf("bench: nmi_fanout: warning: round %u: %u of %u cpus took no NMI in %u us", i,
                    missing, targets, NMI_TIMEOUT_US);
            continue;
        }
        if (i >= NMI_WARMUP)
            cycles[n++] = t;
    }
    if (!n)
        return;
    struct bench_figures f = bench_summarise(cycles, n);
    kprintf("bench: nmi_fanout cpus=%u rounds=%u median_cycles=%llu p99_cycles=%llu median_ns=%llu "
            "p99_ns=%llu",
            targets + 1, n, (unsigned long long)f.median, (unsigned long long)f.p99,
            (unsigned long long)tsc_to_ns(f.median), (unsigned long long)tsc_to_ns(f.p99));
}

/* ---- irq_entry ---------------------------------------------------------------------------- */

static uint64_t self_hits; /* the handler runs on CPU 0 */

static void self_hit(struct regs *r, void *data)
{
    (void)r, (void)data;
    WRITE_ONCE(self_hits, self_hits + 1);
}

KBENCH(irq_entry)
{
    if (!claim(VEC_BENCH_SELF, self_hit, NULL, "irq_entry"))
        return;
    bench_context("irq_entry",
                  "self-IPI 0xeb then wait for its handler, vs. the same sends with IF=0");
    bool irqs = irq_save();
    irq_enable();

    /* Send, wait for the handler, repeat: SELF_ROUNDS, or as many as fit in the budget. */
    uint64_t stop = time_deadline_us(SELF_BUDGET_US);
    uint64_t give_up = time_deadline_us(SELF_BUDGET_US + SELF_TIMEOUT_US);
    uint64_t want = READ_ONCE(self_hits);
    unsigned n = 0;
    bool lost = false;
    uint64_t t0 = bench_tsc_now();
    for (; n < SELF_ROUNDS && !time_after(stop); n++) {
        want++;
        ipi_self(VEC_BENCH_SELF);
        while (READ_ONCE(self_hits) < want && !time_after(give_up))
            cpu_relax();
        if (READ_ONCE(self_hits) < want) {
            lost = true;
            break;
        }
    }
    uint64_t total = bench_tsc_now() - t0;

    /* The same loop without the interrupt: with IF=0 the sends only set the IRR bit, and the
     * one pending interrupt is taken afterwards.  The time_after() stays for the same shape. */
    irq_disable();
    uint64_t far = time_deadline_us(100 * SELF_BUDGET_US), before = READ_ONCE(self_hits);
    t0 = bench_tsc_now();
    for (unsigned i = 0; i < n && !time_after(far); i++)
        ipi_self(VEC_BENCH_SELF);
    uint64_t send_only = bench_tsc_now() - t0;
    irq_enable();
    give_up = time_deadline_us(SELF_TIMEOUT_US);
    while (READ_ONCE(self_hits) == before && !time_after(give_up))
        cpu_relax();
    irq_restore(irqs);
    irq_clear_handler(VEC_BENCH_SELF);

    if (lost || !n) {
        kprintf("bench: irq_entry: warning: self-IPI %u did not arrive within %u us; not reported",
                n, SELF_TIMEOUT_US);
        return;
    }
    uint64_t per_irq = total / n, per_send = send_only / n;
    uint64_t ns = tsc_to_ns(total), ns_send = tsc_to_ns(send_only);
    kprintf("bench: irq_entry rounds=%u cycles_per_irq=%llu send_only_cycles=%llu ns_per_irq=%llu "
            "net_cycles=%llu net_ns=%llu",
            n, (unsigned long long)per_irq, (unsigned long long)per_send,
            (unsigned long long)(ns / n),
            (unsigned long long)(per_irq > per_send ? per_irq - per_send : 0),
            (unsigned long long)(ns > ns_send ? (ns - ns_send) / n : 0));
}
