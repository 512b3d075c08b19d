/* CPU hotplug (docs/smp.md, "CPUs going offline and back"): cycles of offline and online while
 * the PIT, COM1, the RTC and edu's MSI fire at the CPU going away; every CPU but 0 away and
 * back; the misuses.  test/test_hotplug.py boots them at -smp 2, 8 and 64, under KVM in x2APIC
 * mode, with NMIs injected from the host, and sends the numbered COM1 bytes. */
#include "apic/ipi.h"
#include "apic/lapic.h"
#include "apic/lapic_timer.h"
#include "core/cmdline.h"
#include "core/console.h"
#include "core/time.h"
#include "cpu/cpu.h"
#include "cpu/percpu.h"
#include "dev/edu.h"
#include "dev/pit.h"
#include "dev/rtc.h"
#include "dev/serial.h"
#include "irq/irq.h"
#include "irq/msi.h"
#include "irq/nmi.h"
#include "irq/route.h"
#include "ktest/ktest.h"
#include "lib/string.h"
#include "smp/hotplug.h"
#include "smp/smp.h"
#include "smp/smp_call.h"

#define CYCLES_DEFAULT 20 /* test=all; test/test_hotplug.py asks for 200 */
#define CYCLES_MAX 100000
#define ARRIVAL_US 5000000    /* for one edu interrupt: a vCPU may wait long for its host core */
#define COM1_BYTES 20000      /* what test/test_hotplug.py sends on the line below */
#define COM1_FIRST_US 3000000 /* for the host's first byte, once the line is out */
#define COM1_STALL_US 5000000 /* once bytes flow: the end, or bytes lost */
#define HOLD_CLASS 14         /* TPR: every device class (3-13) and the timer wait in the IRR */
#define ISA_PIT 0
#define ISA_COM1 4
#define ISA_RTC 8

static void set_tpr(void *class) { lapic_set_tpr_class((unsigned)(uintptr_t) class); }

/* Everything a CPU takes, summed: it must not grow while the CPU is offline. */
static uint64_t taken_on(unsigned cpu)
{
    struct percpu *pc = percpu_areas[cpu];
    uint64_t n = pc->nmi_count + pc->spurious_count;
    for (unsigned v = 0; v < NUM_VECTORS; v++)
        n += pc->vector_count[v];
    return n;
}

/* The cycle tests' length, and whether the host streams COM1 bytes through them: test=all
 * runs short cycles and no stream (nothing sends one there), test/test_hotplug.py asks for both. */
static unsigned cycles = CYCLES_DEFAULT;
static bool com1_stream;

static const char *param_cycles(const char *v)
{
    return parse_uint_range(v, 1, CYCLES_MAX, &cycles) ? "expected hotplug.cycles=1..100000" : NULL;
}
KERNEL_PARAM("hotplug.cycles", param_cycles,
             "N: offline/online cycles in tests hotplug_cycle_* (default 20)");

static const char *param_com1(const char *v)
{
    return parse_01(v, &com1_stream) ? "expected hotplug.com1=0 or hotplug.com1=1" : NULL;
}
KERNEL_PARAM("hotplug.com1", param_com1,
             "1: tests hotplug_cycle_* ask the host for numbered COM1 bytes and check them");

/* COM1's numbered bytes, read as they come, in order and each once. */
struct com1 {
    unsigned got, breaks, first_break;
    uint8_t want;
    bool started;
};

static void com1_read(struct com1 *s)
{
    for (int c; s->got < COM1_BYTES && (c = serial_getc()) >= 0; s->got++) {
        if ((uint8_t)c != s->want && !s->breaks++)
            s->first_break = s->got;
        s->want = (uint8_t)(c + 1);
    }
}

static void com1_start(struct com1 *s)
{
    *s = (struct com1){ 0 };
    if (!com1_stream)
        return;
    while (serial_getc() >= 0)
        ;
    kprintf("hotplug: send %u numbered bytes now", COM1_BYTES);
    s->started = true;
    uint64_t deadline = time_deadline_us(COM1_FIRST_US);
    while (!s->got && !time_after(deadline)) {
        com1_read(s);
        console_flush_pending();
    }
}

static void com1_finish(struct com1 *s)
{
    uint64_t deadline = time_deadline_us(COM1_STALL_US);
    while (s->got && s->got < COM1_BYTES && !time_after(deadline)) {
        unsigned before = s->got;
        com1_read(s);
        if (s->got != before)
            deadline = time_deadline_us(COM1_STALL_US);
        console_flush_pending();
    }
    if (!com1_stream) {
        ktest_log("COM1 not checked: no hotplug.com1=1 (test/test_hotplug.py sends the bytes)");
        return;
    }
    KEXPECTF(s->got, "hotplug.com1=1, but no COM1 byte came");
    KEXPECTF(s->got == COM1_BYTES, "COM1: %u of %u bytes arrived", s->got, COM1_BYTES);
    KEXPECTF(!s->breaks, "COM1: the byte sequence broke %u times, first at byte %u", s->breaks,
             s->first_break);
}

struct load {
    struct msi_irq *edu;
    uint64_t raised, arrived0, pit0, rtc0, pit_entries0, pit_handed0;
    unsigned lost, offline_grew, bad_rc;
    struct com1 com1;
};

static uint64_t pit_entries(void)
{
    const struct irq_route *r = irq_route_of(ISA_PIT);
    uint64_t n = 0;
    for (unsigned c = 0; r && c < ncpus_possible; c++)
        n += percpu_areas[c]->vector_count[r->vector];
    return n;
}

/* One edu interrupt raised; false if it never arrived. */
static bool edu_once(struct load *l, bool wait)
{
    if (!l->edu)
        return true;
    edu_raise(1u << (l->raised % 32));
    l->raised++;
    if (!wait)
        return true;
    uint64_t deadline = time_deadline_us(ARRIVAL_US);
    while (edu_arrivals() - l->arrived0 < l->raised && !time_after(deadline)) {
        com1_read(&l->com1);
        cpu_relax();
    }
    if (edu_arrivals() - l->arrived0 < l->raised) {
        if (!l->lost++)
            KEXPECTF(false, "edu interrupt %llu never arrived (msi on cpu%u)",
                     (unsigned long long)l->raised, l->edu->cpu);
        l->arrived0 = edu_arrivals() - l->raised; /* count the next ones afresh */
        return false;
    }
    return true;
}

/* Everything at `n`, held there by its TPR, then `n` offline: all of it must be taken once,
 * by n before it parks or by the CPU its routes moved to; n takes nothing while offline; then
 * back, and the routes with it. */
static void cycle(struct load *l, unsigned n)
{
    irq_set_affinity(ISA_PIT, n);
    irq_set_affinity(ISA_COM1, n);
    irq_set_affinity(ISA_RTC, n);
    if (l->edu && msi_irq_set_affinity(l->edu, n) == 0)
        msi_irq_settle(l->edu);
    edu_once(l, true);
    smp_call(n, set_tpr, (void *)(uintptr_t)HOLD_CLASS, SMP_CALL_TIMEOUT_US);
    edu_once(l, false); /* now waits in n's IRR, with whatever the PIT, RTC and COM1 sent */
    int rc = cpu_offline(n, HOTPLUG_QUIET);
    if (rc) {
        if (!l->bad_rc++)
            KEXPECTF(false, "cpu_offline(%u) returned %d", n, rc);
        smp_call(n, set_tpr, (void *)0, SMP_CALL_TIMEOUT_US);
        return;
    }
    uint64_t taken = taken_on(n), ticks = lapic_timer_ticks(n);
    edu_once(l, true); /* the held one, then one more, elsewhere */
    edu_once(l, true);
    com1_read(&l->com1);
    console_flush_pending();
    if (taken_on(n) != taken || lapic_timer_ticks(n) != ticks) {
        if (!l->offline_grew++)
            KEXPECTF(false, "offline cpu%u took %llu interrupts and %llu ticks", n,
                     (unsigned long long)(taken_on(n) - taken),
                     (unsigned long long)(lapic_timer_ticks(n) - ticks));
    }
    rc = cpu_online_again(n, HOTPLUG_QUIET);
    if (rc) {
        if (!l->bad_rc++)
            KEXPECTF(false, "cpu_online_again(%u) returned %d", n, rc);
        return;
    }
    edu_once(l, true);
}

static bool load_start(struct load *l)
{
    *l = (struct load){ .edu = edu_msi() };
    if (smp_online_count() < 2) {
        ktest_skip("needs two CPUs");
        return false;
    }
    if (!l->edu)
        ktest_log("no edu device (QEMU -device edu): its MSI not checked");
    l->arrived0 = edu_arrivals();
    l->pit0 = pit_irqs();
    l->rtc0 = rtc_irqs();
    l->pit_entries0 = pit_entries();
    const struct irq_route *r = irq_route_of(ISA_PIT);
    l->pit_handed0 = r ? irq_handed_over(r->vector) : 0;
    com1_start(&l->com1);
    return true;
}

static void load_finish(struct load *l, unsigned ran)
{
    com1_finish(&l->com1);
    /* Every PIT interrupt a CPU took either ran the handler or, found running elsewhere, was
     * handed over to run again there (irq.c): entries - handed <= passes <= entries, give or
     * take the ones between the count and the handler as this reads (one per CPU at most). */
    /* Both still fire after the cycles, wherever their routes ended: a short run (test=all's
     * 20 cycles take milliseconds) may end before either fired at all. */
    uint64_t deadline = time_deadline_us(ARRIVAL_US);
    while ((pit_irqs() == l->pit0 || rtc_irqs() == l->rtc0) && !time_after(deadline))
        console_flush_pending();
    const struct irq_route *r = irq_route_of(ISA_PIT);
    uint64_t passes = pit_irqs() - l->pit0;
    uint64_t entries = pit_entries() - l->pit_entries0;
    uint64_t handed = r ? irq_handed_over(r->vector) - l->pit_handed0 : 0;
    KEXPECTF(passes > 0 && rtc_irqs() > l->rtc0, "the PIT (%llu) or the RTC (%llu) stopped",
             (unsigned long long)passes, (unsigned long long)(rtc_irqs() - l->rtc0));
    KEXPECTF(passes <= entries + ncpus_possible && passes + handed + ncpus_possible >= entries,
             "PIT: %llu handler runs for %llu interrupts taken (%llu handed over)",
             (unsigned long long)passes, (unsigned long long)entries, (unsigned long long)handed);
    KEXPECTF(edu_arrivals() - l->arrived0 == l->raised, "edu: %llu arrivals for %llu raises",
             (unsigned long long)(edu_arrivals() - l->arrived0), (unsigned long long)l->raised);
    KEXPECT(smp_online_count() == ncpus_possible);
    ktest_log("%u cycles: %llu edu interrupts, %llu PIT, %llu RTC, %u COM1 bytes; last offline "
              "%llu us, online %llu us",
              ran, (unsigned long long)l->raised, (unsigned long long)passes,
              (unsigned long long)(rtc_irqs() - l->rtc0), l->com1.got,
              (unsigned long long)hotplug_last_times().offline_us,
              (unsigned long long)hotplug_last_times().online_us);
}

KTEST(hotplug_cycle_one_cpu)
{
    struct load l;
    if (!load_start(&l))
        return;
    bool irqs = irq_save();
    irq_enable();
    unsigned n = ncpus_possible - 1;
    for (unsigned i = 0; i < cycles && !l.bad_rc; i++)
        cycle(&l, n);
    irq_restore(irqs);
    load_finish(&l, cycles);
}

KTEST(hotplug_cycle_cpus_in_turn)
{
    struct load l;
    if (!load_start(&l))
        return;
    bool irqs = irq_save();
    irq_enable();
    for (unsigned i = 0; i < cycles && !l.bad_rc; i++)
        cycle(&l, 1 + i % (ncpus_possible - 1));
    irq_restore(irqs);
    load_finish(&l, cycles);
}

KTEST(hotplug_all_but_cpu0)
{
    if (smp_online_count() < 2) {
        ktest_skip("needs two CPUs");
        return;
    }
    unsigned n = ncpus_possible;
    bool shorthands = ipi_shorthands_allowed();
    bool irqs = irq_save();
    irq_enable();
    for (unsigned c = n; c-- > 1;)
        KEXPECTF(!cpu_offline(c, HOTPLUG_QUIET), "cpu%u did not go offline", c);
    KEXPECT(smp_online_count() == 1);
    KEXPECT(!ipi_shorthands_allowed());
    for (unsigned i = 0; i < ioapic_nroutes; i++)
        KEXPECTF(ioapic_routes[i].cpu == 0, "IRQ %u is on cpu%u", ioapic_routes[i].irq,
                 ioapic_routes[i].cpu);
    for (unsigned i = 0; i < msi_nirqs; i++)
        KEXPECTF(msi_irqs[i].cpu == 0, "%s is on cpu%u", msi_irqs[i].name, msi_irqs[i].cpu);
    KEXPECTF(nmi_backtrace_all() == 0, "an offline cpu answered the backtrace NMI");
    KEXPECT(nmi_broadcast(NMI_REQ_COUNT) == 0);
    KEXPECT(smp_call_all(set_tpr, (void *)0, SMP_CALL_TIMEOUT_US) == 0);
    struct load l = { .edu = edu_msi(), .arrived0 = edu_arrivals() };
    for (unsigned i = 0; i < 8; i++)
        KEXPECT(edu_once(&l, true));
    for (unsigned c = 1; c < n; c++)
        KEXPECTF(!cpu_online_again(c, HOTPLUG_QUIET), "cpu%u did not come back", c);
    irq_restore(irqs);
    KEXPECT(smp_online_count() == n);
    KEXPECT(ipi_shorthands_allowed() == shorthands);
    KEXPECT(smp_call_all(set_tpr, (void *)0, SMP_CALL_TIMEOUT_US) == 0);
    ktest_log("%u cpus offline and back; last offline %llu us, online %llu us", n - 1,
              (unsigned long long)hotplug_last_times().offline_us,
              (unsigned long long)hotplug_last_times().online_us);
}

static void nothing(void *arg) { (void)arg; }

KTEST(hotplug_refuses_misuse)
{
    if (smp_online_count() < 2) {
        ktest_skip("needs two CPUs");
        return;
    }
    unsigned n = ncpus_possible - 1;
    KEXPECT(cpu_offline(0, 0) == -HOTPLUG_BOOT_CPU);
    KEXPECT(cpu_online_again(0, 0) == -HOTPLUG_BOOT_CPU);
    KEXPECT(cpu_offline(ncpus_possible, 0) == -HOTPLUG_NO_SUCH_CPU);
    KEXPECT(cpu_online_again(n, 0) == -HOTPLUG_WRONG_STATE);
    bool irqs = irq_save();
    irq_enable();
    KEXPECT(cpu_offline(n, 0) == 0);
    KEXPECT(cpu_offline(n, 0) == -HOTPLUG_WRONG_STATE);
    KEXPECT(!cpu_online(n));
    KEXPECT(smp_call(n, nothing, NULL, SMP_CALL_TIMEOUT_US) == -1);
    KEXPECT(smp_run_in_idle(n, nothing, NULL) == -1);
    KEXPECT(nmi_send(n, NMI_REQ_COUNT) == -1);
    KEXPECT(irq_set_affinity(ISA_COM1, n) == -1 || !irq_route_of(ISA_COM1));
    if (edu_msi())
        KEXPECT(msi_irq_set_affinity(edu_msi(), n) == -1);
    KEXPECT(cpu_online_again(n, 0) == 0);
    KEXPECT(cpu_online_again(n, 0) == -HOTPLUG_WRONG_STATE);
    irq_restore(irqs);
    KEXPECT(smp_call(n, nothing, NULL, SMP_CALL_TIMEOUT_US) == 0);
}

/* Idle work posted to a CPU as it goes offline is run or refused, never lost: one AP posts work
 * to the last CPU over and over while CPU 0 takes that CPU offline and back.  Every post that
 * smp_run_in_idle accepted must have run (smp_run_in_idle takes back work that a parking CPU
 * will not look at again; without that, such work was dropped silently). */
#define POST_CYCLES 100
static volatile uint64_t posts_ran, posts_accepted;
static volatile bool posting;

static void count_post(void *arg)
{
    (void)arg;
    __atomic_fetch_add(&posts_ran, 1, __ATOMIC_RELAXED);
}

static void post_loop(void *arg)
{
    unsigned target = (unsigned)(uintptr_t)arg;
    while (READ_ONCE(posting)) {
        if (smp_run_in_idle(target, count_post, NULL) == 0) {
            __atomic_fetch_add(&posts_accepted, 1, __ATOMIC_RELAXED);
            /* Until it ran, or was lost: the target's bring-up clears what it left. */
            while (!smp_idle_work_done(target) && READ_ONCE(posting))
                cpu_relax();
        }
        cpu_relax();
    }
}

KTEST(hotplug_idle_work_never_lost)
{
    if (smp_online_count() < 3) {
        ktest_skip("needs three CPUs: the controller, a poster and a target");
        return;
    }
    unsigned target = ncpus_possible - 1, poster = ncpus_possible - 2;
    posts_ran = posts_accepted = 0;
    posting = true;
    if (smp_run_in_idle(poster, post_loop, (void *)(uintptr_t)target)) {
        KEXPECTF(false, "cpu%u has idle work already", poster);
        return;
    }
    unsigned bad = 0;
    for (unsigned i = 0; i < POST_CYCLES && !bad; i++) {
        if (cpu_offline(target, HOTPLUG_QUIET) || cpu_online_again(target, HOTPLUG_QUIET))
            bad++;
        console_flush_pending();
    }
    KEXPECTF(!bad, "cpu%u did not go offline and back", target);
    /* The poster stops first, then its last post, accepted by the target now online, runs:
     * compared before that, a post in flight would count as lost. */
    posting = false;
    KEXPECTF(smp_wait_idle_work(poster, ARRIVAL_US), "cpu%u did not stop posting", poster);
    uint64_t deadline = time_deadline_us(ARRIVAL_US);
    while (!smp_idle_work_done(target) && !time_after(deadline))
        cpu_relax();
    ktest_log("%llu posts accepted, %llu ran, over %u offline/online cycles of cpu%u",
              (unsigned long long)posts_accepted, (unsigned long long)posts_ran, POST_CYCLES,
              target);
    KEXPECTF(posts_ran == posts_accepted, "%llu posts accepted but %llu ran: %llu lost",
             (unsigned long long)posts_accepted, (unsigned long long)posts_ran,
             (unsigned long long)(posts_accepted - posts_ran));
}
