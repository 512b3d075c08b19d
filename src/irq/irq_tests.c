/* In-kernel tests of device IRQ routing, priorities and NMI handling (issue 6). */
#include "apic/ipi.h"
#include "apic/lapic.h"
#include "core/console.h"
#include "core/time.h"
#include "cpu/cpu.h"
#include "cpu/extable.h"
#include "cpu/percpu.h"
#include "cpu/vectors.h"
#include "dev/pit.h"
#include "dev/ps2kbd.h"
#include "dev/rtc.h"
#include "dev/serial.h"
#include "irq/irq.h"
#include "irq/nmi.h"
#include "irq/priority.h"
#include "irq/route.h"
#include "ktest/ktest.h"
#include "smp/smp.h"
#include "smp/smp_call.h"

static void wait_us_irqs_on(uint64_t us)
{
    bool irqs = irq_save();
    irq_enable();
    uint64_t deadline = time_deadline_us(us);
    while (!time_after(deadline)) {
        console_flush_pending();
        cpu_relax();
    }
    irq_restore(irqs);
}

static uint64_t count_on(unsigned cpu, unsigned vector)
{
    return per_cpu(cpu, vector_count[vector]);
}

/* Each device interrupt arrives on the CPU its route names, and only there. */
KTEST(irq_devices_arrive_on_their_cpu)
{
    static const unsigned irqs[] = { 0, 1, 8 };
    uint64_t before[3][16];
    unsigned n = MIN(ncpus_possible, 16u);
    for (unsigned i = 0; i < ARRAY_SIZE(irqs); i++) {
        const struct irq_route *r = irq_route_of(irqs[i]);
        if (!r) {
            ktest_skip("IRQ %u has no route", irqs[i]);
            return;
        }
        for (unsigned c = 0; c < n; c++)
            before[i][c] = count_on(c, r->vector);
    }
    for (int k = 0; k < 5; k++)
        ps2kbd_inject((uint8_t)(0x10 + k));
    wait_us_irqs_on(200000); /* 20 PIT ticks at 100 Hz, 12 RTC ticks at 64 Hz */
    for (unsigned i = 0; i < ARRAY_SIZE(irqs); i++) {
        const struct irq_route *r = irq_route_of(irqs[i]);
        for (unsigned c = 0; c < n; c++) {
            uint64_t d = count_on(c, r->vector) - before[i][c];
            if (c == r->cpu)
                KEXPECTF(d > 0, "IRQ %u (%s) never arrived on cpu%u, its route", irqs[i], r->name,
                         c);
            else
                KEXPECTF(d == 0, "IRQ %u (%s) arrived %llu times on cpu%u; its route is cpu%u",
                         irqs[i], r->name, (unsigned long long)d, c, r->cpu);
        }
        ktest_log("IRQ %u (%s) vector 0x%02x on cpu%u: %llu interrupts", irqs[i], r->name,
                  r->vector, r->cpu,
                  (unsigned long long)(count_on(r->cpu, r->vector) - before[i][r->cpu]));
    }
}

/* One keyboard interrupt per injected byte, exactly, while another CPU moves the route between
 * the CPUs as fast as it can, so that moves land while interrupts are in flight and while the
 * handler runs: the next byte is injected as soon as the handler has counted the last, often
 * before it has returned.  A move that lost an edge, or a CPU that dropped an interrupt it
 * found running elsewhere, leaves a byte whose interrupt never comes; an interrupt handled
 * twice shows as more interrupts than bytes. */
static volatile bool kbd_flip_stop;
static volatile unsigned kbd_flip_moves;

static void kbd_flipper(void *arg)
{
    (void)arg;
    unsigned to = cpu_id();
    while (!READ_ONCE(kbd_flip_stop)) {
        do
            to = (to + 1) % ncpus_possible;
        while (!cpu_online(to));
        if (irq_set_affinity(1, to) == 0)
            kbd_flip_moves++;
    }
}

KTEST(irq_affinity_moves_lose_nothing)
{
    const struct irq_route *r = irq_route_of(1);
    if (!r || !ps2kbd_present()) {
        ktest_skip("no routed PS/2 keyboard");
        return;
    }
    unsigned helper = 0;
    while (helper < ncpus_possible && (helper == cpu_id() || !cpu_online(helper)))
        helper++;
    if (helper == ncpus_possible) {
        ktest_skip("needs a second CPU to move the route");
        return;
    }
    unsigned home = r->cpu, got = 0;
    const unsigned total = 300;
    uint64_t start = ps2kbd_irqs(), handed0 = irq_handed_over(r->vector);
    kbd_flip_stop = false;
    kbd_flip_moves = 0;
    KEXPECT(smp_run_in_idle(helper, kbd_flipper, NULL) == 0);
    bool irqs = irq_save();
    irq_enable();
    for (; got < total; got++) {
        if (!ps2kbd_inject((uint8_t)got)) {
            KEXPECTF(false, "byte %u: the 8042 did not take it", got);
            break;
        }
        uint64_t want = start + got + 1, deadline = time_deadline_us(500000);
        while (ps2kbd_irqs() < want && !time_after(deadline))
            cpu_relax();
        if (ps2kbd_irqs() < want) {
            KEXPECTF(false, "byte %u: its interrupt never came (%llu of %u)", got,
                     (unsigned long long)(ps2kbd_irqs() - start), total);
            break;
        }
    }
    kbd_flip_stop = true;
    uint64_t deadline = time_deadline_us(1000000);
    while (!smp_idle_work_done(helper) && !time_after(deadline))
        cpu_relax();
    irq_restore(irqs);
    KEXPECT(smp_idle_work_done(helper));
    KEXPECT(irq_set_affinity(1, home) == 0);
    uint64_t n = ps2kbd_irqs() - start;
    KEXPECTF(n == got, "%llu interrupts for %u bytes", (unsigned long long)n, got);
    KEXPECTF(kbd_flip_moves > 0, "cpu%u never moved the route", helper);
    ktest_log("%u bytes, %llu interrupts, %u route moves by cpu%u over %u cpus; %llu interrupts "
              "found the handler "
              "running on another cpu",
              got, (unsigned long long)n, kbd_flip_moves, helper, smp_online_count(),
              (unsigned long long)(irq_handed_over(r->vector) - handed0));
}

/* A TPR at the keyboard's class holds its interrupt in the IRR until it is lowered. */
KTEST(irq_tpr_holds_a_device)
{
    const struct irq_route *r = irq_route_of(1);
    if (!r || !ps2kbd_present()) {
        ktest_skip("no routed PS/2 keyboard");
        return;
    }
    unsigned home = r->cpu;
    KEXPECT(irq_set_affinity(1, cpu_id()) == 0);
    uint64_t start = ps2kbd_irqs();
    bool irqs = irq_save();
    unsigned old = irq_priority_raise(VEC_CLASS(r->vector));
    KEXPECT(ps2kbd_inject(0x42));
    irq_enable();
    udelay(50000);
    irq_disable();
    uint64_t held = ps2kbd_irqs() - start;
    bool pending = lapic_pending(r->vector);
    irq_priority_restore(old);
    irq_enable();
    uint64_t deadline = time_deadline_us(500000);
    while (ps2kbd_irqs() == start && !time_after(deadline))
        cpu_relax();
    irq_restore(irqs);
    irq_set_affinity(1, home);
    KEXPECTF(held == 0, "the keyboard interrupt got through a TPR of its class");
    KEXPECTF(pending, "the held interrupt was not pending in the IRR");
    KEXPECTF(ps2kbd_irqs() - start == 1, "after lowering the TPR: %llu interrupts",
             (unsigned long long)(ps2kbd_irqs() - start));
}

/* Class order: a class-14 handler that enables interrupts is preempted by a class-15 IPI, but a
 * second class-14 IPI waits for its end (its ISR bit holds the class, SDM vol. 3A §11.8.4). */
static char order[8];
static volatile unsigned order_n;
static void note(char c)
{
    if (order_n < sizeof order - 1)
        order[order_n++] = c;
}
static void h_high(struct regs *r, void *d)
{
    (void)r, (void)d;
    note('H');
}
static void h_same(struct regs *r, void *d)
{
    (void)r, (void)d;
    note('S');
}
static void h_low(struct regs *r, void *d)
{
    (void)r, (void)d;
    note('A');
    ipi_self(VEC_IPI_TEST_SAME);
    ipi_self(VEC_IPI_TEST_HIGH);
    irq_enable();
    udelay(20000);
    irq_disable();
    note('a');
}

KTEST(irq_priority_classes_order)
{
    order_n = 0;
    KEXPECT(irq_set_handler(VEC_IPI_TEST, h_low, NULL, "test class 14"));
    KEXPECT(irq_set_handler(VEC_IPI_TEST_SAME, h_same, NULL, "test class 14 b"));
    KEXPECT(irq_set_handler(VEC_IPI_TEST_HIGH, h_high, NULL, "test class 15"));
    bool irqs = irq_save();
    ipi_self(VEC_IPI_TEST);
    irq_enable();
    uint64_t deadline = time_deadline_us(500000);
    while (order_n < 4 && !time_after(deadline))
        cpu_relax();
    irq_restore(irqs);
    irq_clear_handler(VEC_IPI_TEST);
    irq_clear_handler(VEC_IPI_TEST_SAME);
    irq_clear_handler(VEC_IPI_TEST_HIGH);
    order[order_n] = '\0';
    ktest_log("order %s (A: class-14 handler starts, H: class 15, a: class-14 handler ends, S: "
              "class 14 again)",
              order);
    KEXPECTF(order_n == 4 && order[0] == 'A' && order[1] == 'H' && order[2] == 'a' &&
                 order[3] == 'S',
             "order %s, expected AHaS", order);
}

KTEST(nmi_ipi_reaches_every_cpu)
{
    uint64_t before[MAX_CPUS];
    unsigned n = ncpus_possible;
    for (unsigned c = 0; c < n; c++)
        before[c] = per_cpu(c, nmi_count);
    for (unsigned c = 0; c < n; c++)
        if (cpu_online(c))
            nmi_send(c, NMI_REQ_COUNT);
    uint64_t deadline = time_deadline_us(1000000);
    for (unsigned c = 0; c < n; c++) {
        if (!cpu_online(c))
            continue;
        while (per_cpu(c, nmi_count) == before[c] && !time_after(deadline))
            cpu_relax();
        KEXPECTF(per_cpu(c, nmi_count) == before[c] + 1, "cpu%u: %llu NMIs", c,
                 (unsigned long long)(per_cpu(c, nmi_count) - before[c]));
    }
}

KTEST(nmi_nested_during_bp_in_nmi_handler)
{
    struct percpu *pc = this_cpu();
    uint64_t count = pc->nmi_count, repeats = pc->nmi_repeats;
    nmi_send(cpu_id(), NMI_REQ_TEST_NESTED);
    uint64_t deadline = time_deadline_us(1000000);
    while (pc->nmi_count < count + 2 && !time_after(deadline))
        cpu_relax();
    KEXPECTF(pc->nmi_count == count + 2, "%llu NMI handler runs, expected 2",
             (unsigned long long)(pc->nmi_count - count));
    KEXPECTF(pc->nmi_repeats == repeats + 1,
             "the second NMI was not latched and repeated (%llu repeats)",
             (unsigned long long)(pc->nmi_repeats - repeats));
}

/* Thousands of NMIs from this CPU to another while that one takes exceptions (a fixed-up #PF
 * whose IRET unblocks NMIs) and interrupts.  Each is sent once all before it have entered the
 * handler, so at most two are ever outstanding (one in the handler, one in the hardware's
 * latch): every one must be counted. */
#define STORM_NMI_WAIT_US 5000000
static volatile bool storm_stop;
static volatile uint64_t storm_faults;
static void nmi_storm_target(void *arg)
{
    (void)arg;
    while (!READ_ONCE(storm_stop)) {
        uint64_t v;
        read_u64_safe((const volatile uint64_t *)0xcafe0000UL, &v);
        storm_faults++;
        ipi_self(VEC_IPI_WAKE);
    }
}

KTEST(nmi_storm_loses_nothing)
{
    unsigned target = 1;
    if (!cpu_online(target)) {
        ktest_skip("needs a second CPU");
        return;
    }
    const unsigned total = 3000;
    struct percpu *t = percpu_areas[target];
    storm_stop = false;
    storm_faults = 0;
    KEXPECT(smp_run_in_idle(target, nmi_storm_target, NULL) == 0);
    /* The NMIs are to land while the target takes faults: wait until it has begun (its idle
     * loop may first print what the last test's NMIs left, docs/console.md). */
    uint64_t started = time_deadline_us(STORM_NMI_WAIT_US);
    while (!READ_ONCE(storm_faults) && !time_after(started))
        cpu_relax();
    uint64_t base = t->nmi_count;
    bool ok = true;
    for (unsigned i = 0; i < total && ok; i++) {
        /* A bound for a CPU that stopped, not a figure: on a loaded host a vCPU may not run for
         * a second or more (TCG, hundreds of vCPU threads on two cores). */
        uint64_t deadline = time_deadline_us(STORM_NMI_WAIT_US);
        while (READ_ONCE(t->nmi_count) < base + i && !time_after(deadline))
            cpu_relax();
        ok = READ_ONCE(t->nmi_count) >= base + i;
        nmi_send(target, NMI_REQ_COUNT);
    }
    uint64_t deadline = time_deadline_us(STORM_NMI_WAIT_US);
    while (READ_ONCE(t->nmi_count) < base + total && !time_after(deadline))
        cpu_relax();
    storm_stop = true;
    deadline = time_deadline_us(STORM_NMI_WAIT_US);
    while (!smp_idle_work_done(target) && !time_after(deadline))
        cpu_relax();
    KEXPECTF(ok, "the target stopped taking NMIs");
    KEXPECTF(t->nmi_count - base == total, "%llu of %u NMIs counted",
             (unsigned long long)(t->nmi_count - base), total);
    KEXPECTF(smp_idle_work_done(target), "the target did not go on with its work after the storm");
    KEXPECT(storm_faults > 0);
    ktest_log(
        "%u NMIs to cpu%u while it took %llu fixed-up page faults; %llu repeats of a latched NMI",
        total, target, (unsigned long long)storm_faults, (unsigned long long)t->nmi_repeats);
}

KTEST(nmi_backtrace_all_cpus)
{
    unsigned others = smp_online_count() - 1;
    KEXPECT(nmi_backtrace_all() == others);
}

/* All CPUs send IPIs to all others for a bounded time, while the timer and devices run: every
 * doorbell rung is answered (a doorbell: a count, then an IPI; the handler takes the count,
 * so IPIs that merge in the IRR lose nothing). */
static uint64_t storm_sent[MAX_CPUS], storm_received[MAX_CPUS], storm_pending[MAX_CPUS];

static void storm_ipi(struct regs *r, void *d)
{
    (void)r, (void)d;
    unsigned me = cpu_id();
    storm_received[me] += __atomic_exchange_n(&storm_pending[me], 0, __ATOMIC_ACQ_REL);
}

static void storm_sender(void *arg)
{
    uint64_t end = *(uint64_t *)arg;
    unsigned me = cpu_id(), n = ncpus_possible;
    while (!time_after(end)) {
        for (unsigned c = 0; c < n; c++) {
            if (c == me || !cpu_online(c))
                continue;
            __atomic_fetch_add(&storm_pending[c], 1, __ATOMIC_ACQ_REL);
            __atomic_fetch_add(&storm_sent[me], 1, __ATOMIC_RELAXED);
            ipi_fixed(per_cpu(c, apic_id), VEC_IPI_STORM);
        }
    }
}

KTEST(irq_storm_all_to_all)
{
    unsigned n = ncpus_possible;
    for (unsigned c = 0; c < n; c++)
        storm_sent[c] = storm_received[c] = storm_pending[c] = 0;
    KEXPECT(irq_set_handler(VEC_IPI_STORM, storm_ipi, NULL, "test storm"));
    uint64_t pit0 = pit_irqs();
    static uint64_t end;
    end = time_deadline_us(300000);
    for (unsigned c = 0; c < n; c++)
        if (c != cpu_id() && cpu_online(c))
            smp_run_in_idle(c, storm_sender, &end);
    bool irqs = irq_save();
    irq_enable();
    storm_sender(&end);
    uint64_t deadline = time_deadline_us(2000000);
    for (unsigned c = 0; c < n; c++)
        while (cpu_online(c) && !smp_idle_work_done(c) && !time_after(deadline))
            cpu_relax();
    uint64_t sent = 0, received = 0;
    deadline = time_deadline_us(1000000);
    do {
        sent = received = 0;
        for (unsigned c = 0; c < n; c++) {
            sent += READ_ONCE(storm_sent[c]);
            received += READ_ONCE(storm_received[c]);
        }
    } while (received < sent && !time_after(deadline));
    irq_restore(irqs);
    irq_clear_handler(VEC_IPI_STORM);
    KEXPECTF(received == sent, "%llu doorbells rung, %llu answered", (unsigned long long)sent,
             (unsigned long long)received);
    KEXPECTF(n == 1 || sent > 0, "no IPIs sent");
    KEXPECTF(pit_irqs() > pit0, "the PIT stopped during the storm");
    ktest_log("%llu IPIs among %u cpus in 300 ms, all answered; %llu PIT ticks meanwhile",
              (unsigned long long)sent, smp_online_count(),
              (unsigned long long)(pit_irqs() - pit0));
}

/* COM1 receive through its interrupt: the host sends "cadre" when it sees the prompt. */
KTEST(serial_receive_irq)
{
    const struct irq_route *r = irq_route_of(4);
    if (!r) {
        ktest_skip("COM1 has no route");
        return;
    }
    uint64_t irqs0 = count_on(r->cpu, r->vector);
    while (serial_getc() >= 0)
        ;
    kprintf("serial: waiting 10 s for the host to send 'cadre'");
    char got[6] = { 0 };
    unsigned n = 0;
    bool on = irq_save();
    irq_enable();
    uint64_t deadline = time_deadline_us(10000000);
    while (n < 5 && !time_after(deadline)) {
        console_flush_pending();
        int c = serial_getc();
        if (c >= 0)
            got[n++] = (char)c;
        else
            cpu_relax();
    }
    irq_restore(on);
    if (!n) {
        ktest_skip("nothing arrived on COM1 (no host sending: run by test/test_irq.py)");
        return;
    }
    KEXPECTF(n == 5 && got[0] == 'c' && got[4] == 'e', "received '%s'", got);
    KEXPECTF(count_on(r->cpu, r->vector) > irqs0, "no COM1 interrupt on cpu%u, its route", r->cpu);
    ktest_log("received '%s' through IRQ 4 on cpu%u", got, r->cpu);
}

/* COM1 receive while its route flips between the CPUs as fast as this CPU can move it: the
 * host (test/test_irq.py) sends FLIP_BYTES bytes numbered 0, 1, ... 255, 0, ... once it sees
 * the line below, and every one must come out of the ring once and in order.  A handler that
 * ran on two CPUs at once (the old CPU still in it, the new one taking the next interrupt)
 * would read the UART and fill the single-producer ring from both: bytes lost, repeated or
 * swapped. */
#define FLIP_BYTES 20000
#define FLIP_FIRST_WAIT_US 10000000 /* for the host to answer the line */
#define FLIP_STALL_US 5000000       /* once bytes flow: the end, or bytes lost */

KTEST(irq_com1_route_flip_keeps_bytes)
{
    const struct irq_route *r = irq_route_of(4);
    if (!r) {
        ktest_skip("COM1 has no route");
        return;
    }
    if (smp_online_count() < 2) {
        ktest_skip("needs two CPUs to flip the route between");
        return;
    }
    unsigned home = r->cpu, to = home, moves = 0, got = 0, breaks = 0, first_break = 0;
    uint8_t want = 0, first_byte = 0, first_want = 0;
    while (serial_getc() >= 0)
        ;
    uint64_t uart0 = serial_rx_bytes(), handed0 = irq_handed_over(r->vector);
    uint64_t throttles0 = serial_rx_throttles();
    kprintf("serial: route flip: send %u numbered bytes now", FLIP_BYTES);
    bool on = irq_save();
    irq_enable();
    uint64_t deadline = time_deadline_us(FLIP_FIRST_WAIT_US);
    while (got < FLIP_BYTES && !time_after(deadline)) {
        do
            to = (to + 1) % ncpus_possible;
        while (!cpu_online(to));
        if (irq_set_affinity(4, to) == 0)
            moves++;
        for (int c; got < FLIP_BYTES && (c = serial_getc()) >= 0; got++) {
            if ((uint8_t)c != want && !breaks++) {
                first_break = got;
                first_byte = (uint8_t)c;
                first_want = want;
            }
            want = (uint8_t)(c + 1);
            deadline = time_deadline_us(FLIP_STALL_US);
        }
        console_flush_pending();
    }
    irq_restore(on);
    KEXPECT(irq_set_affinity(4, home) == 0);
    if (!got) {
        ktest_skip("nothing arrived on COM1 (no host sending: run by test/test_irq.py)");
        return;
    }
    KEXPECTF(got == FLIP_BYTES, "%u of %u bytes arrived (the rest lost)", got, FLIP_BYTES);
    KEXPECTF(
        !breaks,
        "the sequence broke %u times (bytes lost, repeated or swapped); first at byte %u: 0x%02x "
        "where 0x%02x was next",
        breaks, first_break, first_byte, first_want);
    ktest_log("%u bytes, %u breaks in their order, while COM1's route moved %u times over %u cpus "
              "(the UART gave %llu)",
              got, breaks, moves, smp_online_count(),
              (unsigned long long)(serial_rx_bytes() - uart0));
    ktest_log("%llu interrupts found the handler running on another cpu and left it to run again; "
              "the ring was full %llu times",
              (unsigned long long)(irq_handed_over(r->vector) - handed0),
              (unsigned long long)(serial_rx_throttles() - throttles0));
}
