/* CPUs going offline and coming back (docs/smp.md, "CPUs going offline and back").  The
 * order follows Linux's CPU-hotplug teardown (kernel/cpu.c, takedown_cpu and fixup_irqs in
 * arch/x86/kernel/irq.c), with one difference: Linux retriggers on the new CPU what it finds
 * in the dying CPU's IRR, where here the dying CPU handles it itself, with interrupts on, since
 * its routes' old (CPU, vector) pairs still lead to the handlers until the move is complete. */
#include "smp/hotplug.h"

#include "apic/ioapic.h"
#include "apic/ipi.h"
#include "apic/lapic.h"
#include "apic/lapic_timer.h"
#include "core/console.h"
#include "core/time.h"
#include "cpu/cpu.h"
#include "cpu/percpu.h"
#include "cpu/spinlock.h"
#include "cpu/vectors.h"
#include "irq/irq.h"
#include "irq/msi.h"
#include "irq/nmi.h"
#include "irq/route.h"
#include "irq/vector.h"
#include "smp/bringup.h"
#include "smp/smp_call.h"

/* Bounds, generous: under TCG a vCPU may not run for hundreds of ms on a loaded host. */
#define ANSWER_US (10000000 + 20000 * (uint64_t)ncpus_possible) /* a request served */
#define DRAIN_US 100000    /* for what its local APIC holds to be taken, and at least... */
#define DRAIN_WINDOWS 1000 /* ...this many interrupt windows (a vCPU may not run for long) */
#define WINDOW_PAUSES 4    /* per window: TCG takes interrupts between translated blocks */
#define SETTLE_TRIES 20    /* msi_irq_settle calls (each waits up to 100 ms) per vector */
#define EVACUATE_PASSES 4  /* scans for something still aimed at the CPU */
#define NO_CPU UINT32_MAX
#define PARK_DRAINS 3       /* drains before a park gives up on what is pending */
#define BACKTRACE_US 200000 /* for that CPU's backtrace, before going on */

/* What the caller asks of the dying CPU, served by its idle loop (hotplug_idle_serve). */
enum request { REQ_NONE, REQ_DRAIN, REQ_PARK };
static struct {
    unsigned req;  /* enum request */
    unsigned done; /* REQ_DRAIN served */
    int left;      /* a vector still pending when it parked, or -1 */
} cpus[MAX_CPUS];

/* One transition at a time. */
static unsigned busy;
static struct hotplug_times last;

/* Where hotplug put a route or an MSI vector it took off a CPU: `home` the CPU it came from,
 * `at` where it went.  When `home` comes back and the vector is still at `at` (nobody moved it
 * meanwhile), it goes back home (docs/smp.md: the policy). */
struct away {
    unsigned home, at;
};
static struct away route_away[IRQ_MAX_ROUTES];
static struct away msi_away[MSI_MAX];
static bool away_ready;

static void away_init(void)
{
    if (away_ready)
        return;
    for (unsigned i = 0; i < IRQ_MAX_ROUTES; i++)
        route_away[i] = (struct away){ NO_CPU, NO_CPU };
    for (unsigned i = 0; i < MSI_MAX; i++)
        msi_away[i] = (struct away){ NO_CPU, NO_CPU };
    away_ready = true;
}

struct hotplug_times hotplug_last_times(void) { return last; }

static unsigned online_count(void)
{
    unsigned n = 0;
    for (unsigned c = 0; c < ncpus_possible; c++)
        n += cpu_online(c);
    return n;
}

/* ---- on the dying CPU, from its idle loop ------------------------------------------------- */

bool hotplug_request_pending(void)
{
    return __atomic_load_n(&cpus[cpu_id()].req, __ATOMIC_ACQUIRE) != REQ_NONE;
}

/* With interrupts off: lowers the TPR and opens the interrupt window until the IRR is empty,
 * so that every interrupt already accepted by this local APIC runs here, once (an INIT would
 * clear the IRR and lose them: SDM vol. 3A §11.4.7.3).  Returns the vector still pending at the
 * bound, or -1. */
static int drain(void)
{
    lapic_set_tpr_class(0);
    uint64_t deadline = time_deadline_us(DRAIN_US);
    for (unsigned w = 0; lapic_highest_pending() >= 0; w++) {
        if (w >= DRAIN_WINDOWS && time_after(deadline))
            break;
        irq_enable(); /* STI's shadow ends after the first pause: the window is after it */
        for (unsigned i = 0; i < WINDOW_PAUSES; i++)
            cpu_relax();
        irq_disable();
    }
    return lapic_highest_pending();
}

/* A vector still requested that carries work, or -1.  Not the wake IPI (it only ends a hlt, and
 * the park request's own may land after the last window) and not this CPU's own tick (a tick
 * that raced the timer's mask, seen under TCG once in a few hundred parks: it would only count
 * a tick of a CPU that is going away). */
static int pending_work(void)
{
    for (unsigned v = NUM_VECTORS; v-- > NUM_EXCEPTIONS;)
        if (v != VEC_IPI_WAKE && v != VEC_LAPIC_TIMER && lapic_pending(v))
            return (int)v;
    return -1;
}

/* With interrupts off.  Nothing aims at this CPU any more; stop the timer, take what is left,
 * mask what the local APIC raises by itself, and say "parked" with the last store it makes. */
static void park(struct percpu *pc)
{
    unsigned me = pc->cpu;
    lapic_timer_stop();
    lapic_quiesce();
    /* The last tick, and anything that came meanwhile; again if some work came late. */
    for (unsigned round = 0; round < PARK_DRAINS; round++) {
        drain();
        if ((cpus[me].left = pending_work()) < 0)
            break;
    }
    console_flush_pending();
    uint32_t dying = CPU_DYING;
    if (!__atomic_compare_exchange_n(&pc->state, &dying, CPU_OFFLINE, false, __ATOMIC_ACQ_REL,
                                     __ATOMIC_ACQUIRE)) {
        /* The caller gave up on this park and put the CPU back online: undo. */
        lapic_init();
        lapic_timer_start();
        return;
    }
    /* The caller sends INIT now; until it lands this loop is all that runs (an NMI could still
     * stop by, LINT1 being masked only for the host's; no CPU sends one to an offline CPU). */
    for (;;)
        __asm__ volatile("cli; hlt" ::: "memory");
}

void hotplug_idle_serve(void)
{
    struct percpu *pc = this_cpu();
    unsigned me = pc->cpu;
    unsigned req = __atomic_load_n(&cpus[me].req, __ATOMIC_ACQUIRE);
    if (req == REQ_NONE || READ_ONCE(pc->idle_work))
        return; /* idle work first: cpu_idle_once runs it */
    bool irqs = irq_save();
    __atomic_store_n(&cpus[me].req, REQ_NONE, __ATOMIC_RELEASE);
    if (req == REQ_DRAIN) {
        cpus[me].left = drain();
        __atomic_store_n(&cpus[me].done, 1, __ATOMIC_RELEASE);
    } else if (req == REQ_PARK && READ_ONCE(pc->state) == CPU_DYING) {
        park(pc);
    }
    irq_restore(irqs);
}

/* ---- on the caller ------------------------------------------------------------------------ */

static bool ask(unsigned n, enum request req)
{
    __atomic_store_n(&cpus[n].done, 0, __ATOMIC_RELEASE);
    __atomic_store_n(&cpus[n].req, req, __ATOMIC_RELEASE);
    /* A fixed IPI to a CPU that is not online: it still runs its idle loop, with its IDT, and
     * this vector only ends its hlt. */
    ipi_fixed(per_cpu(n, apic_id), VEC_IPI_WAKE);
    uint64_t deadline = time_deadline_us(ANSWER_US);
    for (;;) {
        bool answered = req == REQ_DRAIN ? __atomic_load_n(&cpus[n].done, __ATOMIC_ACQUIRE)
                                         : cpu_state(n) == CPU_OFFLINE;
        if (answered)
            return true;
        if (time_after(deadline)) {
            /* Where is it?  Its own backtrace, from its NMI handler (it is not online, so
             * nmi_send would refuse; its IDT and NMI stack are still its own). */
            kprintf("hotplug: cpu %u did not answer a %s request within %llu ms; its backtrace:", n,
                    req == REQ_DRAIN ? "drain" : "park", (unsigned long long)(ANSWER_US / 1000));
            __atomic_fetch_or(&per_cpu(n, nmi_requests), NMI_REQ_BACKTRACE, __ATOMIC_RELEASE);
            ipi_nmi(per_cpu(n, apic_id));
            udelay(BACKTRACE_US);
            console_flush_pending();
            return false;
        }
        console_flush_pending();
        cpu_relax();
    }
}

/* The next CPU after `n` that can take `what` (round robin, so a CPU's routes spread). */
static unsigned next_cpu(unsigned n, unsigned *turn, bool (*can)(unsigned))
{
    for (unsigned tries = 0; tries < ncpus_possible; tries++) {
        unsigned c = (n + 1 + (*turn)++) % ncpus_possible;
        if (c != n && can(c))
            return c;
    }
    return 0;
}

static bool route_can(unsigned c) { return cpu_online(c) && per_cpu(c, apic_id) <= RTE_DEST_MAX; }

/* Moves every route and MSI vector off `n` (which has left cpu_online, so nothing new goes
 * there), by the same moves as `affinity`: no edge lost, no handler on two CPUs at once
 * (docs/interrupts.md).  Scans again until nothing names it: a move started before it left
 * cpu_online may land meanwhile.  Returns how many moved; *stuck counts what would not. */
static unsigned evacuate(unsigned n, unsigned *stuck)
{
    unsigned moved = 0, turn = 0;
    *stuck = 0;
    for (unsigned pass = 0; pass < EVACUATE_PASSES; pass++) {
        unsigned found = 0, failed = 0;
        for (unsigned i = 0; i < ioapic_nroutes; i++) {
            struct irq_route *r = &ioapic_routes[i];
            if (READ_ONCE(r->cpu) != n && READ_ONCE(r->move_to) != n)
                continue;
            found++;
            unsigned to = next_cpu(n, &turn, route_can);
            if (irq_set_affinity(r->irq, to)) {
                failed++;
                continue;
            }
            if (route_away[i].home == NO_CPU || route_away[i].at != n)
                route_away[i].home = n;
            route_away[i].at = to;
            moved++;
        }
        for (unsigned i = 0; i < msi_nirqs; i++) {
            struct msi_irq *m = &msi_irqs[i];
            if (READ_ONCE(m->cpu) != n)
                continue;
            found++;
            int rc = -1;
            for (unsigned t = 0; t < ncpus_possible && rc; t++) {
                unsigned to = next_cpu(n, &turn, msi_can_target);
                rc = msi_irq_set_affinity(m, to);
                if (!rc) {
                    if (msi_away[i].home == NO_CPU || msi_away[i].at != n)
                        msi_away[i].home = n;
                    msi_away[i].at = to;
                }
            }
            if (rc)
                failed++;
            else
                moved++;
        }
        *stuck = failed;
        if (!found)
            break;
    }
    return moved;
}

/* The moves' last step: the old (CPU, vector) pairs on `n` are freed by its cleanup IPI once
 * nothing is pending there (msi.c).  Its IRR was just drained, so the first try mostly does. */
static unsigned settle(unsigned n)
{
    unsigned left = 0;
    for (unsigned i = 0; i < msi_nirqs; i++) {
        struct msi_irq *m = &msi_irqs[i];
        bool ok = true;
        for (unsigned t = 0; t < SETTLE_TRIES; t++) {
            if (!__atomic_load_n(&m->moving, __ATOMIC_ACQUIRE) || READ_ONCE(m->old_cpu) != n)
                break;
            ok = msi_irq_settle(m);
            if (ok)
                break;
        }
        if (!ok) {
            kprintf("hotplug: warning: cpu%u: %s %s: its old vector 0x%02x there is still pending",
                    n, m->source, m->name, m->old_vector);
            left++;
        }
    }
    for (unsigned v = NUM_EXCEPTIONS; v < NUM_VECTORS; v++) {
        struct irq_desc *d = irq_own_desc(n, v);
        if (d || vector_own_taken(n, v)) {
            kprintf("hotplug: warning: cpu%u still has vector 0x%02x as its own%s", n, v,
                    d ? " (a handler installed)" : "");
            left++;
        }
    }
    return left;
}

/* Where routes and vectors that hotplug took off `n` still are where it put them: home again. */
static unsigned move_back(unsigned n)
{
    unsigned back = 0;
    for (unsigned i = 0; i < ioapic_nroutes; i++) {
        struct away *a = &route_away[i];
        if (a->home != n)
            continue;
        if (READ_ONCE(ioapic_routes[i].cpu) == a->at && !irq_set_affinity(ioapic_routes[i].irq, n))
            back++;
        *a = (struct away){ NO_CPU, NO_CPU };
    }
    for (unsigned i = 0; i < msi_nirqs; i++) {
        struct away *a = &msi_away[i];
        if (a->home != n)
            continue;
        if (READ_ONCE(msi_irqs[i].cpu) == a->at && !msi_irq_set_affinity(&msi_irqs[i], n))
            back++;
        *a = (struct away){ NO_CPU, NO_CPU };
    }
    return back;
}

/* 0, or the error of a CPU number that cannot be taken offline or brought online at all. */
static int check_cpu(unsigned n, const char *what)
{
    if (n >= ncpus_possible || !percpu_areas[n]) {
        kprintf("hotplug: cpu %u: no such cpu (this machine has cpus 0-%u)", n, ncpus_possible - 1);
        return -HOTPLUG_NO_SUCH_CPU;
    }
    if (!n) {
        kprintf("hotplug: cpu 0 is the boot cpu and stays online (it runs the console, the "
                "clock and the panic path); nothing to %s",
                what);
        return -HOTPLUG_BOOT_CPU;
    }
    if (n == cpu_id()) {
        kprintf("hotplug: cpu %u cannot %s itself; ask from another cpu", n, what);
        return -HOTPLUG_SELF;
    }
    return 0;
}

static bool take_busy(void)
{
    unsigned free = 0;
    if (__atomic_compare_exchange_n(&busy, &free, 1, false, __ATOMIC_ACQUIRE, __ATOMIC_RELAXED))
        return true;
    kprintf("hotplug: another cpu's offline or online is under way; try again");
    return false;
}

static void put_busy(void) { __atomic_store_n(&busy, 0, __ATOMIC_RELEASE); }

/* The park did not happen: back online, and what moved goes back. */
static int roll_back(unsigned n, const char *why)
{
    __atomic_store_n(&cpus[n].req, REQ_NONE, __ATOMIC_RELEASE);
    uint32_t dying = CPU_DYING;
    if (!__atomic_compare_exchange_n(&per_cpu(n, state), &dying, CPU_ONLINE, false,
                                     __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
        return 1; /* it parked after all */
    unsigned back = move_back(n);
    smp_shorthands_update();
    kprintf("hotplug: cpu %u stays online: %s (%u routes and vectors moved back)", n, why, back);
    return -HOTPLUG_STUCK;
}

int cpu_offline(unsigned n, unsigned flags)
{
    int bad = check_cpu(n, "take offline");
    if (bad)
        return bad;
    if (!take_busy())
        return -HOTPLUG_BUSY;
    away_init();
    unsigned s = cpu_state(n);
    if (s != CPU_ONLINE) {
        kprintf("hotplug: cpu %u is %s, not online; nothing to take offline", n, cpu_state_name(s));
        put_busy();
        return -HOTPLUG_WRONG_STATE;
    }
    uint64_t t0 = time_since_boot_us();
    /* 1. Out of everything that aims at online CPUs: shorthands off first (they reach every
     *    CPU on the bus, apic/ipi.c), then the state, then no call in flight. */
    ipi_allow_shorthands(false);
    uint32_t online = CPU_ONLINE;
    if (!__atomic_compare_exchange_n(&per_cpu(n, state), &online, CPU_DYING, false,
                                     __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) {
        kprintf("hotplug: cpu %u changed state meanwhile (%s); not taken offline", n,
                cpu_state_name(online));
        smp_shorthands_update();
        put_busy();
        return -HOTPLUG_WRONG_STATE;
    }
    smp_call_quiesce(n);
    /* 2. Its device interrupts to other CPUs. */
    unsigned stuck, moved = evacuate(n, &stuck);
    int rc = 0;
    if (stuck) {
        rc = roll_back(n, "some routes or MSI vectors would not move");
        goto out;
    }
    /* 3. What its local APIC already accepted runs there, then the moves' old vectors go. */
    if (!ask(n, REQ_DRAIN)) {
        rc = roll_back(n, "it did not answer from its idle loop (busy with idle work?)");
        goto out;
    }
    if (settle(n)) {
        rc = roll_back(n, "a vector on it is still in use");
        goto out;
    }
    /* 4. Its timer stops and it parks; then INIT, so that it waits for a SIPI. */
    if (!ask(n, REQ_PARK)) {
        rc = roll_back(n, "it did not park in time (busy with idle work?)");
        if (rc < 0)
            goto out;
        rc = 0;
    }
    smp_park_cpu(n);
    last.offline_us = time_since_boot_us() - t0;
    if (cpus[n].left >= 0)
        kprintf("hotplug: warning: cpu %u parked with vector 0x%02x still pending (lost)", n,
                cpus[n].left);
    if (!(flags & HOTPLUG_QUIET))
        kprintf("hotplug: cpu %u offline in %llu us: %u routes and MSI vectors moved; %u of %u "
                "cpus online",
                n, (unsigned long long)last.offline_us, moved, online_count(), ncpus_possible);
out:
    put_busy();
    return rc;
}

int cpu_online_again(unsigned n, unsigned flags)
{
    int bad = check_cpu(n, "bring online");
    if (bad)
        return bad;
    if (!take_busy())
        return -HOTPLUG_BUSY;
    away_init();
    unsigned s = cpu_state(n);
    if (s != CPU_OFFLINE && s != CPU_FAILED) {
        kprintf("hotplug: cpu %u is %s; only an offline or failed cpu can be brought online", n,
                cpu_state_name(s));
        put_busy();
        return -HOTPLUG_WRONG_STATE;
    }
    if (s == CPU_FAILED && !(flags & HOTPLUG_QUIET))
        kprintf("hotplug: cpu %u failed before; trying INIT-SIPI-SIPI again", n);
    /* Its area and stacks are reused as they are; what a CPU's handlers leave half-way (they
     * never are here: it parked from its idle loop) starts from nothing. */
    struct percpu *pc = percpu_areas[n];
    pc->irq_count = 0;
    pc->nmi_state = 0;
    pc->nmi_latched = 0;
    __atomic_store_n(&pc->nmi_requests, 0, __ATOMIC_RELEASE);
    __atomic_store_n(&pc->nmi_count_requests, 0, __ATOMIC_RELEASE);
    __atomic_store_n(&pc->nmi_stopped, 0, __ATOMIC_RELEASE);
    __atomic_store_n(&pc->stop_deferred, 0, __ATOMIC_RELEASE);
    __atomic_store_n(&pc->idle_work, NULL, __ATOMIC_RELEASE);
    __atomic_store_n(&cpus[n].req, REQ_NONE, __ATOMIC_RELEASE);
    uint64_t t0 = time_since_boot_us();
    if (smp_start_cpu(n)) {
        kprintf("hotplug: cpu %u did not come back (the smp: line above says how far it got); "
                "it is failed",
                n);
        put_busy();
        return -HOTPLUG_NO_ANSWER;
    }
    last.online_us = time_since_boot_us() - t0;
    unsigned back = move_back(n);
    bool shorthands = smp_shorthands_update();
    if (!(flags & HOTPLUG_QUIET))
        kprintf("hotplug: cpu %u online in %llu us: %u routes and MSI vectors moved back; %u of "
                "%u cpus online; IPI shorthands %s",
                n, (unsigned long long)last.online_us, back, online_count(), ncpus_possible,
                shorthands ? "on" : "off");
    put_busy();
    return 0;
}
