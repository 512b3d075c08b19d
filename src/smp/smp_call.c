#include "smp/smp_call.h"

#include "apic/ipi.h"
#include "cpu/cpu.h"
#include "cpu/percpu.h"
#include "irq/irq.h"
#include "irq/vectors.h"
#include "kernel/console.h"
#include "kernel/time.h"
#include "lib/spinlock.h"

/* One slot per target CPU; a sender holds its lock from filling it to seeing it done. */
static struct call_slot {
    struct spinlock lock;
    smp_call_fn fn;
    void *arg;
    uint64_t requested, done;
} slots[MAX_CPUS];

static void call_ipi(struct regs *r, void *data)
{
    (void)r, (void)data;
    struct call_slot *s = &slots[cpu_id()];
    uint64_t seq = __atomic_load_n(&s->requested, __ATOMIC_ACQUIRE);
    if (seq == READ_ONCE(s->done))
        return;
    s->fn(s->arg);
    __atomic_store_n(&s->done, seq, __ATOMIC_RELEASE);
}

void smp_call_init(void) { irq_set_handler(VEC_IPI_CALL, call_ipi, NULL, "smp call"); }

static uint64_t post(unsigned cpu, smp_call_fn fn, void *arg)
{
    struct call_slot *s = &slots[cpu];
    spin_lock_raw(&s->lock);
    s->fn = fn;
    s->arg = arg;
    uint64_t seq = s->requested + 1;
    __atomic_store_n(&s->requested, seq, __ATOMIC_RELEASE);
    ipi_fixed(per_cpu(cpu, apic_id), VEC_IPI_CALL);
    return seq;
}

/* Waits with interrupts on, so that calls aimed at this CPU meanwhile are served. */
static bool wait_done(unsigned cpu, uint64_t seq, uint64_t deadline)
{
    struct call_slot *s = &slots[cpu];
    unsigned backoff = 1;
    while (__atomic_load_n(&s->done, __ATOMIC_ACQUIRE) < seq) {
        console_flush_pending(); /* what the targets printed from their handlers */
        if (__atomic_load_n(&s->done, __ATOMIC_ACQUIRE) >= seq)
            break;
        if (time_after(deadline))
            return false;
        for (unsigned i = 0; i < backoff; i++)
            cpu_relax();
        if (backoff < 1024)
            backoff <<= 1;
    }
    return true;
}

int smp_call(unsigned cpu, smp_call_fn fn, void *arg, uint64_t timeout_us)
{
    if (cpu == cpu_id()) {
        fn(arg);
        return 0;
    }
    if (!cpu_online(cpu)) {
        kprintf("smp: warning: call to cpu%u, which is not online", cpu);
        return -1;
    }
    bool irqs = irq_save();
    uint64_t seq = post(cpu, fn, arg);
    irq_enable();
    bool ok = wait_done(cpu, seq, time_deadline_us(timeout_us));
    irq_disable();
    spin_unlock_raw(&slots[cpu].lock);
    irq_restore(irqs);
    if (!ok)
        kprintf("smp: warning: cpu%u did not finish a call within %llu us", cpu, (unsigned long long)timeout_us);
    return ok ? 0 : -1;
}

unsigned smp_call_all(smp_call_fn fn, void *arg, uint64_t timeout_us)
{
    static uint64_t seqs[MAX_CPUS];
    static struct spinlock all_lock = SPINLOCK_INIT; /* one broadcast at a time */
    unsigned me = cpu_id(), n = ncpus_possible, late = 0;
    bool irqs = irq_save();
    spin_lock_raw(&all_lock);
    for (unsigned c = 0; c < n; c++)
        seqs[c] = c != me && cpu_online(c) ? post(c, fn, arg) : 0;
    irq_enable();
    fn(arg);
    uint64_t deadline = time_deadline_us(timeout_us);
    for (unsigned c = 0; c < n; c++) {
        if (!seqs[c])
            continue;
        if (!wait_done(c, seqs[c], deadline)) {
            kprintf("smp: warning: cpu%u did not finish a call within %llu us", c, (unsigned long long)timeout_us);
            late++;
        }
    }
    irq_disable();
    for (unsigned c = 0; c < n; c++)
        if (seqs[c])
            spin_unlock_raw(&slots[c].lock);
    spin_unlock_raw(&all_lock);
    irq_restore(irqs);
    return late;
}

int smp_run_in_idle(unsigned cpu, smp_call_fn fn, void *arg)
{
    if (!cpu_online(cpu))
        return -1;
    struct percpu *pc = percpu_areas[cpu];
    if (READ_ONCE(pc->idle_work))
        return -1;
    pc->idle_arg = arg;
    __atomic_store_n(&pc->idle_work, fn, __ATOMIC_RELEASE);
    if (cpu != cpu_id())
        ipi_fixed(pc->apic_id, VEC_IPI_WAKE); /* out of hlt */
    return 0;
}

bool smp_idle_work_done(unsigned cpu) { return !__atomic_load_n(&per_cpu(cpu, idle_work), __ATOMIC_ACQUIRE); }
