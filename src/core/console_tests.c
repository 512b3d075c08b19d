/* The console under NMIs (docs/console.md): one CPU takes and drops console_lock() in a loop
 * while another sends it thousands of NMIs whose handlers print, a few of them whole
 * backtraces.  The lock must never be lost or doubled, and no NMI may leave its handler with
 * interrupts on (a handler's unlock restoring the interrupted code's IF). */
#include "core/console.h"

#include "core/time.h"
#include "cpu/cpu.h"
#include "cpu/percpu.h"
#include "irq/nmi.h"
#include "ktest/ktest.h"
#include "smp/smp_call.h"

#define LOCK_NMIS 3000
#define LOCK_BACKTRACE_EVERY 500
#define LOCK_NMI_WAIT_US \
    2000000 /* a bound, not a figure: a vCPU may wait that long for a host core */
#define LOCK_START_WAIT_US 1000000

static struct {
    bool stop;
    uint64_t loops, not_held, still_held;
} locker;

static void lock_loop(void *arg)
{
    (void)arg;
    while (!__atomic_load_n(&locker.stop, __ATOMIC_ACQUIRE)) {
        console_lock();
        if (!console_lock_held())
            locker.not_held++;
        console_unlock();
        if (console_lock_held())
            locker.still_held++;
        __atomic_store_n(&locker.loops, locker.loops + 1, __ATOMIC_RELEASE);
    }
}

static bool wait_for(const uint64_t *p, uint64_t old, uint64_t us)
{
    uint64_t deadline = time_deadline_us(us);
    while (__atomic_load_n(p, __ATOMIC_ACQUIRE) == old) {
        if (time_after(deadline))
            return false;
        console_flush_pending();
        cpu_relax();
    }
    return true;
}

KTEST(console_lock_survives_nmis)
{
    unsigned me = cpu_id(), target = me;
    for (unsigned c = 0; c < ncpus_possible && target == me; c++)
        if (c != me && cpu_online(c))
            target = c;
    if (target == me) {
        ktest_skip("needs a second online cpu");
        return;
    }
    locker.stop = false;
    locker.loops = locker.not_held = locker.still_held = 0;
    uint32_t if_on = READ_ONCE(per_cpu(target, nmi_if_on));
    KEXPECT(smp_run_in_idle(target, lock_loop, NULL) == 0);
    KEXPECTF(wait_for(&locker.loops, 0, LOCK_START_WAIT_US), "cpu%u never ran the lock loop",
             target);
    unsigned missed = 0;
    for (unsigned i = 0; i < LOCK_NMIS; i++) {
        uint64_t before = READ_ONCE(per_cpu(target, nmi_count));
        nmi_send(target, i % LOCK_BACKTRACE_EVERY ? NMI_REQ_TEST_CONSOLE : NMI_REQ_BACKTRACE);
        missed += !wait_for(&per_cpu(target, nmi_count), before, LOCK_NMI_WAIT_US);
    }
    __atomic_store_n(&locker.stop, true, __ATOMIC_RELEASE);
    uint64_t deadline = time_deadline_us(LOCK_START_WAIT_US);
    while (!smp_idle_work_done(target) && !time_after(deadline))
        cpu_relax();
    console_flush();
    ktest_log("cpu%u: %llu lock/unlock rounds under %u NMIs", target,
              (unsigned long long)locker.loops, LOCK_NMIS);
    KEXPECTF(smp_idle_work_done(target), "cpu%u's lock loop did not end", target);
    KEXPECTF(!missed, "%u of %u NMIs were not taken", missed, LOCK_NMIS);
    KEXPECTF(!locker.not_held,
             "%llu times console_lock() returned without this cpu holding the lock",
             (unsigned long long)locker.not_held);
    KEXPECTF(!locker.still_held, "%llu times the lock was still held after console_unlock()",
             (unsigned long long)locker.still_held);
    KEXPECTF(READ_ONCE(per_cpu(target, nmi_if_on)) == if_on,
             "%u NMI handlers on cpu%u ended with IF=1",
             READ_ONCE(per_cpu(target, nmi_if_on)) - if_on, target);
    KEXPECTF(console_lock_owner() == -1, "the console lock is held by cpu%d after the test",
             console_lock_owner());
}
