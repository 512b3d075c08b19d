#include "smp/smp_call.h"

#include "apic/ipi.h"
#include "core/console.h"
#include "core/time.h"
#include "cpu/cpu.h"
#include "cpu/percpu.h"
#include "cpu/spinlock.h"
#include "cpu/vectors.h"
#include "irq/irq.h"

/* One slot per target CPU.  A sender holds its lock from posting to the end of the call, so
 * one call at a time is in a slot, and moves `state` FREE -> POSTED; the target moves it
 * POSTED -> RUNNING -> DONE; the sender, once DONE, back to FREE.  A sender whose time is up
 * takes the call back with POSTED -> FREE.  Both are compare-exchanges on the one word, so a
 * call either runs to the end while its sender waits, or never runs: once smp_call returned,
 * fn (and the arg it may have on the caller's stack) is never touched again. */
enum call_state { CALL_FREE, CALL_POSTED, CALL_RUNNING, CALL_DONE };

static struct call_slot {
    struct spinlock lock;
    smp_call_fn fn;
    void *arg;
    unsigned state;
} slots[MAX_CPUS];

/* Runs the call posted to this CPU, if one is posted and not taken back.  From the call IPI's
 * handler, and from every wait below, so that a CPU that waits (for a lock or for another CPU)
 * still answers the calls sent to it.  fn runs with interrupts off, as in the handler.  An IPI
 * that finds nothing posted is for a call already run from a wait, or taken back. */
static void serve_own_call(void)
{
    struct call_slot *s = &slots[cpu_id()];
    if (__atomic_load_n(&s->state, __ATOMIC_RELAXED) != CALL_POSTED)
        return;
    bool irqs = irq_save();
    unsigned posted = CALL_POSTED;
    if (__atomic_compare_exchange_n(&s->state, &posted, CALL_RUNNING, false, __ATOMIC_ACQUIRE,
                                    __ATOMIC_RELAXED)) {
        s->fn(s->arg);
        __atomic_store_n(&s->state, CALL_DONE, __ATOMIC_RELEASE);
    }
    irq_restore(irqs);
}

static void call_ipi(struct regs *r, void *data)
{
    (void)r, (void)data;
    serve_own_call();
}

void smp_call_init(void) { irq_set_handler(VEC_IPI_CALL, call_ipi, NULL, "smp call"); }

/* spin_lock_raw's back-off (lib/spinlock.h), serving this CPU's calls meanwhile: with
 * interrupts off the call IPI would wait in the IRR, and a CPU that holds this lock may be
 * waiting for us. */
static void lock_serving(struct spinlock *l)
{
    struct backoff b = BACKOFF_INIT;
    while (!spin_trylock(l)) {
        do {
            serve_own_call();
            backoff_wait(&b);
        } while (__atomic_load_n(&l->locked, __ATOMIC_RELAXED));
    }
}

/* With interrupts off; returns holding the slot's lock, or false (not holding it) when the CPU
 * is no longer online.  Checked again under the lock: a CPU going offline first leaves
 * cpu_online() and then takes and drops this lock (smp_call_quiesce), so a call either was
 * posted before, and has ended by then, or sees it is not online and is never posted. */
static bool post(unsigned cpu, smp_call_fn fn, void *arg)
{
    struct call_slot *s = &slots[cpu];
    lock_serving(&s->lock);
    if (!cpu_online(cpu)) {
        spin_unlock_raw(&s->lock);
        return false;
    }
    s->fn = fn;
    s->arg = arg;
    __atomic_store_n(&s->state, CALL_POSTED, __ATOMIC_RELEASE);
    ipi_fixed(per_cpu(cpu, apic_id), VEC_IPI_CALL);
    return true;
}

static bool wait_done(unsigned cpu, uint64_t deadline)
{
    struct call_slot *s = &slots[cpu];
    struct backoff b = BACKOFF_INIT;
    while (__atomic_load_n(&s->state, __ATOMIC_ACQUIRE) != CALL_DONE) {
        console_flush_pending(); /* what the targets printed from their handlers */
        serve_own_call();
        if (__atomic_load_n(&s->state, __ATOMIC_ACQUIRE) == CALL_DONE)
            break;
        if (time_after(deadline))
            return false;
        backoff_wait(&b);
    }
    return true;
}

/* The time is up: takes the call back if `cpu` has not started it, else waits until it has
 * finished, one line per further timeout, since fn may still use the caller's arg. */
static void end_late_call(unsigned cpu, uint64_t timeout_us)
{
    unsigned posted = CALL_POSTED;
    if (__atomic_compare_exchange_n(&slots[cpu].state, &posted, CALL_FREE, false, __ATOMIC_ACQUIRE,
                                    __ATOMIC_ACQUIRE)) {
        kprintf("smp: warning: cpu%u did not finish a call within %llu us: it had not started it, "
                "and now never will",
                cpu, (unsigned long long)timeout_us);
        return;
    }
    kprintf("smp: warning: cpu%u did not finish a call within %llu us: it is running it; "
            "waiting for it to end",
            cpu, (unsigned long long)timeout_us);
    for (unsigned n = 2; !wait_done(cpu, time_deadline_us(timeout_us)); n++)
        kprintf("smp: warning: cpu%u is still running a call after %llu us", cpu,
                (unsigned long long)(n * timeout_us));
    kprintf("smp: cpu%u finished the late call", cpu);
}

/* With interrupts off; after the call has ended or was taken back. */
static void release(unsigned cpu)
{
    __atomic_store_n(&slots[cpu].state, CALL_FREE, __ATOMIC_RELAXED);
    spin_unlock_raw(&slots[cpu].lock);
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
    if (!post(cpu, fn, arg)) {
        irq_restore(irqs);
        kprintf("smp: warning: call to cpu%u, which is not online", cpu);
        return -1;
    }
    irq_restore(irqs); /* wait as the caller was; this CPU's own calls are served either way */
    bool ok = wait_done(cpu, time_deadline_us(timeout_us));
    if (!ok)
        end_late_call(cpu, timeout_us);
    irq_disable();
    release(cpu);
    irq_restore(irqs);
    return ok ? 0 : -1;
}

unsigned smp_call_all(smp_call_fn fn, void *arg, uint64_t timeout_us)
{
    static bool posted[MAX_CPUS];
    static struct spinlock all_lock = SPINLOCK_INIT; /* one broadcast at a time */
    unsigned me = cpu_id(), n = ncpus_possible, late = 0;
    bool irqs = irq_save();
    lock_serving(&all_lock);
    for (unsigned c = 0; c < n; c++) {
        posted[c] = c != me && cpu_online(c) && post(c, fn, arg);
    }
    irq_restore(irqs);
    fn(arg);
    uint64_t deadline = time_deadline_us(timeout_us);
    for (unsigned c = 0; c < n; c++) {
        if (posted[c] && !wait_done(c, deadline)) {
            end_late_call(c, timeout_us);
            late++;
        }
    }
    irq_disable();
    for (unsigned c = 0; c < n; c++)
        if (posted[c])
            release(c);
    spin_unlock_raw(&all_lock);
    irq_restore(irqs);
    return late;
}

void smp_call_quiesce(unsigned cpu)
{
    bool irqs = irq_save();
    lock_serving(&slots[cpu].lock);
    spin_unlock_raw(&slots[cpu].lock);
    irq_restore(irqs);
}

int smp_run_in_idle(unsigned cpu, smp_call_fn fn, void *arg)
{
    if (!cpu_online(cpu))
        return -1;
    struct percpu *pc = percpu_areas[cpu];
    void (*none)(void *) = NULL;
    /* Claimed first, so that two posters cannot both fill idle_arg in. */
    if (!__atomic_compare_exchange_n(&pc->idle_work, &none, IDLE_WORK_CLAIMED, false,
                                     __ATOMIC_ACQUIRE, __ATOMIC_RELAXED))
        return -1;
    pc->idle_arg = arg;
    __atomic_store_n(&pc->idle_work, fn, __ATOMIC_SEQ_CST);
    /* A CPU that started going offline meanwhile may park without looking at its work again
     * (src/smp/hotplug.c).  The store above comes before this load in one total order with the
     * controller's state store and the parking CPU's look at idle_work: either the state seen
     * here is online and the CPU runs the work before it parks, or the work is taken back here,
     * unless it was already taken, and then it runs. */
    if (!cpu_online(cpu) && __atomic_compare_exchange_n(&pc->idle_work, &fn, NULL, false,
                                                        __ATOMIC_SEQ_CST, __ATOMIC_RELAXED))
        return -1;
    if (cpu != cpu_id())
        ipi_fixed(pc->apic_id, VEC_IPI_WAKE); /* out of hlt */
    return 0;
}

bool smp_idle_work_done(unsigned cpu)
{
    return !__atomic_load_n(&per_cpu(cpu, idle_work), __ATOMIC_ACQUIRE);
}

bool smp_wait_idle_work(unsigned cpu, uint64_t us)
{
    uint64_t deadline = time_deadline_us(us);
    bool irqs = irq_save();
    irq_enable();
    while (!smp_idle_work_done(cpu) && !time_after(deadline)) {
        console_flush_pending();
        cpu_relax();
    }
    irq_restore(irqs);
    return smp_idle_work_done(cpu);
}
