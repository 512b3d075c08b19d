/* In-kernel tests of smp_call's guarantees (docs/smp.md, "After bring-up"): a call that timed
 * out never runs afterwards, and a CPU that waits in smp_call_all serves the calls sent to it,
 * so that two CPUs broadcasting at once both finish.  Each needs a second CPU and skips
 * without one. */
#include "core/console.h"
#include "core/time.h"
#include "cpu/cpu.h"
#include "cpu/percpu.h"
#include "ktest/ktest.h"
#include "smp/smp.h"
#include "smp/smp_call.h"

/* The caller's timeout in smp_call_timed_out_never_runs: short, since the target cannot answer
 * anyway.  The target's own bound is only a backstop for a broken kernel; the test releases it. */
#define SHORT_TIMEOUT_US 100000
#define TARGET_BACKSTOP_US 30000000
#define BROADCAST_ROUNDS 2

/* Another online CPU than this one, or -1. */
static int other_cpu(void)
{
    for (unsigned c = 0; c < ncpus_possible; c++)
        if (c != cpu_id() && cpu_online(c))
            return (int)c;
    return -1;
}

/* The same, until *flag == want. */
static bool wait_flag(volatile unsigned *flag, unsigned want, uint64_t us)
{
    uint64_t deadline = time_deadline_us(us);
    bool irqs = irq_save();
    irq_enable();
    while (__atomic_load_n(flag, __ATOMIC_ACQUIRE) != want && !time_after(deadline))
        cpu_relax();
    irq_restore(irqs);
    return __atomic_load_n(flag, __ATOMIC_ACQUIRE) == want;
}

/* ---- smp_call_timed_out_never_runs ----------------------------------------------------- */

static volatile unsigned target_busy, target_release, late_call_ran;

/* On the target, from its idle loop: interrupts off until the test says smp_call returned, so
 * the call IPI stays pending in its IRR all that time; then interrupts on, and the IPI is
 * taken at once (after sti's one-instruction shadow), before this work counts as done. */
static void hold_irqs_off(void *arg)
{
    (void)arg;
    irq_disable();
    __atomic_store_n(&target_busy, 1, __ATOMIC_RELEASE);
    uint64_t deadline = time_deadline_us(TARGET_BACKSTOP_US);
    while (!__atomic_load_n(&target_release, __ATOMIC_ACQUIRE) && !time_after(deadline))
        cpu_relax();
    if (!__atomic_load_n(&target_release, __ATOMIC_ACQUIRE))
        kprintf("smp: test: cpu%u was not released within %u us; turning interrupts on anyway",
                cpu_id(), TARGET_BACKSTOP_US);
    irq_enable();
}

static void mark_ran(void *arg)
{
    (void)arg;
    __atomic_store_n(&late_call_ran, 1, __ATOMIC_RELEASE);
}

KTEST(smp_call_timed_out_never_runs)
{
    int t = other_cpu();
    if (t < 0) {
        ktest_skip("needs a second CPU");
        return;
    }
    unsigned target = (unsigned)t;
    target_busy = target_release = late_call_ran = 0;
    KEXPECT(smp_run_in_idle(target, hold_irqs_off, NULL) == 0);
    if (!wait_flag(&target_busy, 1, SMP_CALL_TIMEOUT_US)) {
        KEXPECTF(false, "cpu%u did not start its interrupts-off loop", target);
        target_release = 1;
        return;
    }
    int rc = smp_call(target, mark_ran, NULL, SHORT_TIMEOUT_US);
    unsigned ran_during = __atomic_load_n(&late_call_ran, __ATOMIC_ACQUIRE);
    __atomic_store_n(&target_release, 1, __ATOMIC_RELEASE);
    KEXPECTF(smp_wait_idle_work(target, SMP_CALL_TIMEOUT_US), "cpu%u did not finish its loop",
             target);
    unsigned ran = __atomic_load_n(&late_call_ran, __ATOMIC_ACQUIRE);
    ktest_log("smp_call to cpu%u (interrupts off) returned %d; the call ran %s", target, rc,
              ran_during ? "during it"
              : ran      ? "after it returned"
                         : "never");
    KEXPECTF(rc == -1, "smp_call returned %d though cpu%u had interrupts off throughout", rc,
             target);
    KEXPECTF(!ran, "the timed-out call ran on cpu%u after smp_call had returned", target);
}

/* ---- smp_call_late_call_ends_before_return ------------------------------------------ */

static volatile unsigned slow_call_ended;
static volatile uint64_t slow_call_until;

/* Runs in the target's call IPI handler: past the caller's deadline, then a timeout more. */
static void slow_call(void *arg)
{
    (void)arg;
    while (!time_after(slow_call_until))
        cpu_relax();
    __atomic_store_n(&slow_call_ended, 1, __ATOMIC_RELEASE);
}

/* Once the target has started a call, it must have finished when smp_call returns, late or
 * not: its fn may use what the caller lent it.  Which path was taken is logged; the assertion
 * is only whether fn had ended. */
KTEST(smp_call_late_call_ends_before_return)
{
    int t = other_cpu();
    if (t < 0) {
        ktest_skip("needs a second CPU");
        return;
    }
    unsigned target = (unsigned)t;
    slow_call_ended = 0;
    slow_call_until = time_deadline_us(2 * SHORT_TIMEOUT_US);
    int rc = smp_call(target, slow_call, NULL, SHORT_TIMEOUT_US);
    unsigned ended = __atomic_load_n(&slow_call_ended, __ATOMIC_ACQUIRE);
    ktest_log("smp_call to cpu%u returned %d; the call had %s", target, rc,
              ended ? "ended" : "not ended");
    KEXPECTF(ended, "smp_call returned while cpu%u was still running the call", target);
    KEXPECTF(wait_flag(&slow_call_ended, 1, SMP_CALL_TIMEOUT_US), "cpu%u never ended the call",
             target);
}

/* ---- smp_call_all_from_two_cpus_at_once ------------------------------------------------ */

/* Each round one CPU, the starter, broadcasts; the function, run on the starter itself (after
 * the posts, before the waits), gives the go.  The other CPU, the follower, has waited for it
 * with interrupts off, so the starter's call is still pending there when the follower begins
 * its own broadcast: the follower must serve that call while it waits to broadcast.  Odd rounds
 * start on the test's CPU, even rounds on the partner. */
static volatile unsigned round_starter, follower_ready, go, partner_late, calls_ran;

static void count_call(void *arg)
{
    unsigned round = (unsigned)(uintptr_t)arg;
    __atomic_fetch_add(&calls_ran, 1, __ATOMIC_RELAXED);
    if (cpu_id() == round_starter)
        __atomic_store_n(&go, round, __ATOMIC_RELEASE);
}

/* With interrupts off (as the caller left them): waits for the round's go, then broadcasts. */
static unsigned follow(unsigned round)
{
    uint64_t deadline = time_deadline_us(SMP_CALL_TIMEOUT_US);
    while (__atomic_load_n(&go, __ATOMIC_ACQUIRE) != round && !time_after(deadline))
        cpu_relax();
    if (__atomic_load_n(&go, __ATOMIC_ACQUIRE) != round)
        kprintf("smp: test: cpu%u saw no go for round %u; broadcasting anyway", cpu_id(), round);
    return smp_call_all(count_call, (void *)(uintptr_t)round, SMP_CALL_TIMEOUT_US);
}

/* The partner's part, from its idle loop (task context, interrupts on). */
static void partner_follow(void *arg)
{
    unsigned round = (unsigned)(uintptr_t)arg;
    irq_disable();
    __atomic_store_n(&follower_ready, round, __ATOMIC_RELEASE);
    __atomic_store_n(&partner_late, follow(round), __ATOMIC_RELEASE);
    irq_enable();
}

static void partner_start(void *arg)
{
    __atomic_store_n(&partner_late, smp_call_all(count_call, arg, SMP_CALL_TIMEOUT_US),
                     __ATOMIC_RELEASE);
}

/* The assertion is the count of "did not finish a call" warnings that smp_call_all returns on
 * both CPUs, never a time. */
KTEST(smp_call_all_from_two_cpus_at_once)
{
    int p = other_cpu();
    if (p < 0) {
        ktest_skip("needs a second CPU");
        return;
    }
    unsigned me = cpu_id(), partner = (unsigned)p, online = smp_online_count();
    unsigned late_here = 0, late_there = 0, short_rounds = 0;
    follower_ready = go = 0;
    for (unsigned round = 1; round <= BROADCAST_ROUNDS; round++) {
        void *arg = (void *)(uintptr_t)round;
        bool i_start = round % 2;
        calls_ran = 0;
        partner_late = 0;
        round_starter = i_start ? me : partner;
        bool irqs = irq_save();
        int queued = smp_run_in_idle(partner, i_start ? partner_follow : partner_start, arg);
        if (!queued && i_start) {
            if (!wait_flag(&follower_ready, round, SMP_CALL_TIMEOUT_US))
                KEXPECTF(false, "round %u: cpu%u never got ready", round, partner);
            late_here += smp_call_all(count_call, arg, SMP_CALL_TIMEOUT_US);
        } else if (!queued) {
            late_here += follow(round);
        }
        irq_restore(irqs);
        if (queued) {
            KEXPECTF(false, "round %u: cpu%u still had idle work", round, partner);
            return;
        }
        /* The partner's broadcast may still be going: it is served here, interrupts on. */
        if (!smp_wait_idle_work(partner, 2 * SMP_CALL_TIMEOUT_US)) {
            KEXPECTF(false, "round %u: cpu%u did not finish its broadcast", round, partner);
            return;
        }
        late_there += __atomic_load_n(&partner_late, __ATOMIC_ACQUIRE);
        short_rounds += __atomic_load_n(&calls_ran, __ATOMIC_RELAXED) != 2 * online;
    }
    ktest_log("%u rounds of two broadcasts over %u cpus: %u late on cpu%u, %u late on cpu%u",
              BROADCAST_ROUNDS, online, late_here, me, late_there, partner);
    KEXPECTF(late_here == 0, "cpu%u's broadcasts timed out %u times", me, late_here);
    KEXPECTF(late_there == 0, "cpu%u's broadcasts timed out %u times", partner, late_there);
    KEXPECTF(short_rounds == 0, "%u rounds did not run the function %u times", short_rounds,
             2 * online);
}
