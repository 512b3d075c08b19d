#include "watchdog/watchdog.h"

#include "apic/ioapic.h"
#include "apic/lapic_timer.h"
#include "core/cmdline.h"
#include "core/console.h"
#include "core/time.h"
#include "cpu/cpu.h"
#include "cpu/percpu.h"
#include "debug/backtrace.h"
#include "debug/panic.h"
#include "debug/regs_dump.h"
#include "dev/hpet.h"
#include "irq/nmi.h"
#include "irq/route.h"
#include "lib/printf.h"
#include "lib/string.h"

/* The defaults, and why they are safe under TCG with 255 vCPUs on two loaded host cores, where
 * a vCPU thread may not run for hundreds of milliseconds (docs/watchdog.md): a lockup needs
 * the threshold in TSC time (which goes on while a vCPU thread waits) AND that many checks by
 * the checker, each a period apart, that all saw no progress: the checker must have run the
 * whole time while the watched CPU's ticks never came.  10 s is 25 times the longest stall seen;
 * Linux's watchdog_thresh is 10 s too.  The soft threshold is longer than Linux's (20 s): cadre
 * has no scheduler, and a test may busy-wait with interrupts on for 20 s or more (the longest
 * bound, msi_move_under_load's, is 20 s after its raises), so 60 s. */
#define PERIOD_MS_DEFAULT 1000
#define HARD_MS_DEFAULT 10000
#define SOFT_MS_DEFAULT 60000
#define PERIOD_MS_MIN 10
#define PERIOD_MS_MAX 60000
#define THRESH_MS_MAX 600000
/* A threshold is at least this many periods: one late check must not make a lockup. */
#define THRESH_PERIODS_MIN 2
/* How long a panicking detector waits for the stuck CPU's backtrace NMI to be taken. */
#define BACKTRACE_WAIT_US 2000000
#define NO_CPU UINT32_MAX

enum { WD_BUDDY = 1, WD_NMI = 2 };

static unsigned mode = WD_BUDDY;
static unsigned period_ms = PERIOD_MS_DEFAULT, hard_ms = HARD_MS_DEFAULT, soft_ms = SOFT_MS_DEFAULT;
static bool do_panic;
static bool running, nmi_running;
static uint64_t period_tsc, hard_tsc, soft_tsc, start_tsc;
static unsigned hard_checks_needed, soft_ticks_needed;

/* One checker's view of one watched CPU. */
struct watch {
    uint32_t cpu;    /* the CPU watched, or NO_CPU */
    uint32_t missed; /* checks in a row that saw its count where it was */
    uint64_t ticks;  /* its tick count when it last moved */
    uint64_t since;  /* the TSC then */
};

struct wd_cpu {
    /* This CPU as a checker (written only by its own tick). */
    struct watch buddy;
    uint64_t next_check, checks, last_check_tsc;
    uint64_t hook_cycles, hook_ticks;
    /* This CPU's own soft-lockup check (its own tick). */
    uint64_t soft_touch;  /* the touch the last tick saw */
    uint32_t soft_ticks;  /* ticks since that touch changed */
    uint32_t soft_active; /* reported, not ended yet */
    uint64_t soft_since;
    /* This CPU as a watched one: the hard-lockup episode, claimed by whichever check saw it
     * first (0: none; else its tick count + 1). */
    uint64_t hard_stuck;
    uint64_t hard_since;
    uint32_t bt_done; /* its backtraces printed when the backtrace NMI was sent */
    uint64_t hard_reports, soft_reports, last_report_tsc;
} __aligned(64);

static struct wd_cpu wd[MAX_CPUS];

/* The NMI watchdog (one checker, from its NMI handler). */
static struct watch nmi_watch[MAX_CPUS];
static unsigned nmi_comparator, nmi_gsi;
static uint32_t nmi_target = NO_CPU;
static uint64_t nmi_last_cmp, nmi_checks, nmi_last_check_tsc;
static uint32_t nmi_busy, nmi_moving;

/* ---- options ------------------------------------------------------------------------------ */

static const char *param_mode(const char *v)
{
    static const struct {
        const char *name;
        unsigned mode;
    } modes[] = {
        { "off", 0 }, { "buddy", WD_BUDDY }, { "nmi", WD_NMI }, { "all", WD_BUDDY | WD_NMI }
    };
    for (size_t i = 0; v && i < ARRAY_SIZE(modes); i++) {
        if (!strcmp(v, modes[i].name)) {
            mode = modes[i].mode;
            return NULL;
        }
    }
    return "expected watchdog=off, buddy, nmi or all";
}
KERNEL_PARAM("watchdog", param_mode,
             "off|buddy|nmi|all: lockup detection (default buddy: the buddy and soft-lockup "
             "checks; nmi adds an HPET NMI watchdog and soft-lockup checks without the buddy)");

static const char *param_period(const char *v)
{
    return parse_uint_range(v, PERIOD_MS_MIN, PERIOD_MS_MAX, &period_ms)
               ? "expected watchdog.period_ms=10..60000"
               : NULL;
}
KERNEL_PARAM("watchdog.period_ms", param_period,
             "N: how often the buddy and NMI watchdogs check (default 1000)");

static const char *param_hard(const char *v)
{
    return parse_uint_range(v, PERIOD_MS_MIN, THRESH_MS_MAX, &hard_ms)
               ? "expected watchdog.hard_ms=10..600000"
               : NULL;
}
KERNEL_PARAM("watchdog.hard_ms", param_hard,
             "N: a CPU whose timer has not ticked for N ms is in a hard lockup (default 10000)");

static const char *param_soft(const char *v)
{
    return parse_uint_range(v, 0, THRESH_MS_MAX, &soft_ms) ? "expected watchdog.soft_ms=0..600000"
                                                           : NULL;
}
KERNEL_PARAM("watchdog.soft_ms", param_soft,
             "N: a CPU that has not reached its idle loop or the console for N ms is in a soft "
             "lockup (default 60000; 0: no soft-lockup check)");

static const char *param_panic(const char *v)
{
    return parse_01(v, &do_panic) ? "expected watchdog.panic=0 or watchdog.panic=1" : NULL;
}
KERNEL_PARAM("watchdog.panic", param_panic,
             "0|1: after a lockup's report, go on (default) or panic");

/* ---- reports ------------------------------------------------------------------------------ */

static uint64_t ms_of(uint64_t cycles) { return tsc_to_ns(cycles) / 1000000; }

/* Waits a bounded time for `cpu` to take the backtrace NMI (before a panic stops it). */
static void wait_backtrace(unsigned cpu)
{
    uint64_t deadline = time_deadline_us(BACKTRACE_WAIT_US);
    while (cpu_online(cpu) && READ_ONCE(per_cpu(cpu, nmi_backtraces)) <= wd[cpu].bt_done &&
           !time_after(deadline))
        cpu_relax();
}

static void report_hard(unsigned c, const struct watch *v, uint64_t now, const char *who)
{
    uint64_t expect = 0;
    if (!__atomic_compare_exchange_n(&wd[c].hard_stuck, &expect, v->ticks + 1, false,
                                     __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
        return; /* already reported: once per episode */
    wd[c].hard_since = v->since;
    wd[c].hard_reports++;
    wd[c].last_report_tsc = now;
    kprintf("watchdog: hard lockup on cpu%u (stuck for %llu ms: its timer has not ticked over %u "
            "checks; seen by %s on cpu%u); its backtrace follows",
            c, (unsigned long long)ms_of(now - v->since), v->missed, who, cpu_id());
    wd[c].bt_done = READ_ONCE(per_cpu(c, nmi_backtraces));
    nmi_send(c, NMI_REQ_BACKTRACE); /* on this CPU too: latched, it runs after this handler */
    if (do_panic && c != cpu_id()) {
        wait_backtrace(c);
        panic("watchdog: hard lockup on cpu%u (watchdog.panic=1)", c);
    }
}

/* A CPU in a hard-lockup episode whose count moved again: the episode ends (said once). */
static void check_recovered(unsigned c, uint64_t t, uint64_t now)
{
    uint64_t stuck = READ_ONCE(wd[c].hard_stuck);
    if (!stuck || t + 1 == stuck ||
        !__atomic_compare_exchange_n(&wd[c].hard_stuck, &stuck, 0, false, __ATOMIC_ACQ_REL,
                                     __ATOMIC_ACQUIRE))
        return;
    kprintf("watchdog: cpu%u recovered from its hard lockup: its timer ticks again after %llu ms",
            c, (unsigned long long)ms_of(now - wd[c].hard_since));
}

/* One check of CPU c by one checker: a new CPU, or one whose count moved, is a new baseline. */
static void observe(struct watch *v, unsigned c, uint64_t now, const char *who)
{
    uint64_t t = lapic_timer_ticks(c);
    check_recovered(c, t, now);
    if (v->cpu != c || t != v->ticks) {
        *v = (struct watch){ .cpu = c, .missed = 0, .ticks = t, .since = now };
        return;
    }
    v->missed++;
    if (v->missed >= hard_checks_needed && now - v->since >= hard_tsc)
        report_hard(c, v, now, who);
}

static unsigned next_online(unsigned me)
{
    for (unsigned i = 1; i < ncpus_possible; i++) {
        unsigned c = (me + i) % ncpus_possible;
        if (cpu_online(c))
            return c;
    }
    return NO_CPU;
}

/* ---- the tick: the buddy and soft-lockup checks ------------------------------------------- */

static void soft_check(unsigned me, struct wd_cpu *w, const struct regs *r, uint64_t now)
{
    uint64_t touch = READ_ONCE(per_cpu(me, watchdog_touch_tsc));
    if (touch != w->soft_touch) {
        if (w->soft_active)
            kprintf("watchdog: cpu%u soft lockup ended after %llu ms", me,
                    (unsigned long long)ms_of(now - w->soft_since));
        w->soft_touch = touch;
        w->soft_ticks = 0;
        w->soft_active = 0;
        return;
    }
    uint64_t since = MAX(touch, start_tsc);
    if (w->soft_active || !soft_tsc || ++w->soft_ticks < soft_ticks_needed ||
        now - since < soft_tsc)
        return;
    w->soft_active = 1;
    w->soft_since = since;
    w->soft_reports++;
    w->last_report_tsc = now;
    console_lock();
    kprintf("watchdog: soft lockup on cpu%u (stuck for %llu ms with interrupts on, away from its "
            "idle loop and the console); interrupted at:",
            me, (unsigned long long)ms_of(now - since));
    kprintf("  RIP %016lx RSP %016lx RFLAGS %016lx", (unsigned long)r->rip, (unsigned long)r->rsp,
            (unsigned long)r->rflags);
    regs_print_general(r);
    backtrace_print(r->rip, r->rbp);
    console_unlock();
    if (do_panic)
        panic_regs(r, "watchdog: soft lockup (watchdog.panic=1)");
}

static void buddy_check(unsigned me, struct wd_cpu *w, uint64_t now)
{
    if (now < w->next_check)
        return;
    w->next_check = now + period_tsc;
    w->checks++;
    w->last_check_tsc = now;
    unsigned b = next_online(me);
    if (b == NO_CPU) {
        w->buddy.cpu = NO_CPU;
        return;
    }
    observe(&w->buddy, b, now, "the buddy check");
}

static void nmi_retarget(void);

static void tick(const struct regs *r)
{
    if (!running || panic_in_progress())
        return;
    uint64_t t0 = rdtsc();
    unsigned me = cpu_id();
    if (!cpu_online(me))
        return;
    struct wd_cpu *w = &wd[me];
    soft_check(me, w, r, t0);
    if (mode & WD_BUDDY)
        buddy_check(me, w, t0);
    if (nmi_running && !cpu_online(READ_ONCE(nmi_target)))
        nmi_retarget();
    w->hook_cycles += rdtsc() - t0;
    w->hook_ticks++;
}

/* ---- the NMI watchdog --------------------------------------------------------------------- */

/* The CPU the I/O APIC sends the NMI to: the lowest online one an entry can name. */
static uint32_t nmi_choose_target(void)
{
    for (unsigned c = 0; c < ncpus_possible; c++)
        if (cpu_online(c) && per_cpu(c, apic_id) <= RTE_DEST_MAX)
            return c;
    return NO_CPU;
}

/* The target went offline: the entry moves to another online CPU (one mover at a time). */
static void nmi_retarget(void)
{
    uint32_t idle = 0;
    if (!__atomic_compare_exchange_n(&nmi_moving, &idle, 1, false, __ATOMIC_ACQUIRE,
                                     __ATOMIC_RELAXED))
        return;
    uint32_t old = READ_ONCE(nmi_target), c = nmi_choose_target();
    if (c != NO_CPU && !cpu_online(old)) {
        ioapic_set_dest(nmi_gsi, (uint8_t)per_cpu(c, apic_id));
        __atomic_store_n(&nmi_target, c, __ATOMIC_RELEASE);
        kprintf("watchdog: nmi: cpu%u is not online: the NMI goes to cpu%u now", old, c);
    }
    __atomic_store_n(&nmi_moving, 0, __ATOMIC_RELEASE);
}

/* Every NMI on every CPU passes here (nmi_register_watchdog_hook).  Only the target's can be
 * the watchdog's; there, the comparator's value moves on by a period each time it fires, so a
 * value not seen before means "this NMI is the watchdog's", and an NMI that finds it unchanged
 * came from elsewhere (the host's inject-nmi, another CPU's request). */
static bool nmi_check(struct regs *r)
{
    if (!nmi_running || cpu_id() != READ_ONCE(nmi_target))
        return false;
    uint64_t cmp = hpet_comparator(nmi_comparator), last = READ_ONCE(nmi_last_cmp);
    if (cmp == last || !__atomic_compare_exchange_n(&nmi_last_cmp, &last, cmp, false,
                                                    __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
        return false;
    uint32_t idle = 0;
    if (panic_in_progress() || !__atomic_compare_exchange_n(&nmi_busy, &idle, 1, false,
                                                            __ATOMIC_ACQUIRE, __ATOMIC_RELAXED))
        return true;
    uint64_t now = rdtsc();
    nmi_checks++;
    nmi_last_check_tsc = now;
    unsigned online = 0, stuck = 0;
    for (unsigned c = 0; c < ncpus_possible; c++) {
        if (!cpu_online(c)) {
            nmi_watch[c].cpu = NO_CPU; /* a new baseline when it comes back */
            continue;
        }
        observe(&nmi_watch[c], c, now, "the NMI watchdog");
        online++;
        stuck += READ_ONCE(wd[c].hard_stuck) != 0;
    }
    __atomic_store_n(&nmi_busy, 0, __ATOMIC_RELEASE);
    if (online && stuck == online) {
        /* Nothing can print the reports now (the console prints from task context), and
         * nothing will: the panic prints them, then its own report of this CPU. */
        for (unsigned c = 0; c < ncpus_possible; c++)
            if (c != cpu_id() && cpu_online(c))
                wait_backtrace(c);
        panic_regs(r, "watchdog: every cpu is stuck: a hard lockup on all the online cpus");
    }
    return true;
}

static bool gsi_taken(unsigned gsi)
{
    for (unsigned i = 0; i < ioapic_nroutes; i++)
        if (ioapic_routes[i].gsi == gsi)
            return true;
    return false;
}

/* An HPET comparator that can run periodically on a GSI no device uses, highest first (on q35
 * the PCI range 16-23; on the PC's piix only GSI 2, the PIT's: not taken from it). */
static bool nmi_find_source(unsigned *comparator, unsigned *gsi)
{
    for (unsigned n = hpet_comparators(); n-- > 0;) {
        uint32_t cap = hpet_periodic_route_cap(n);
        for (unsigned g = 32; g-- > 0;) {
            if (cap & (1u << g) && ioapic_has_gsi(g) && !gsi_taken(g)) {
                *comparator = n;
                *gsi = g;
                return true;
            }
        }
    }
    return false;
}

static void nmi_start(void)
{
    if (!hpet_present()) {
        kprintf("watchdog: nmi: warning: no HPET: no NMI watchdog (the buddy still runs if asked "
                "for)");
        return;
    }
    if (!nmi_find_source(&nmi_comparator, &nmi_gsi)) {
        kprintf("watchdog: nmi: warning: no HPET comparator can interrupt on a free GSI (the "
                "PIT's GSI is the pit device's, and the PMU's overflow NMI is not used): no NMI "
                "watchdog");
        return;
    }
    uint32_t target = nmi_choose_target();
    if (target == NO_CPU) {
        kprintf("watchdog: nmi: warning: no online CPU an I/O APIC entry can name");
        return;
    }
    nmi_target = target;
    if (!hpet_periodic_start(nmi_comparator, nmi_gsi, hpet_hz() * period_ms / 1000))
        return;
    nmi_last_cmp = hpet_comparator(nmi_comparator);
    nmi_register_watchdog_hook(nmi_check);
    nmi_running = true;
    /* Edge-triggered, as NMI delivery must be (82093AA datasheet §3.2.4, "Delivery Mode"); the
     * vector field is not used for NMIs. */
    ioapic_set(nmi_gsi, &(struct rte){ .vector = VEC_NMI,
                                       .delivery = DELIVERY_NMI,
                                       .active_low = false,
                                       .level = false,
                                       .masked = false,
                                       .dest = (uint8_t)per_cpu(target, apic_id) });
    kprintf("watchdog: nmi: source HPET comparator %u on GSI %u, NMI delivery to cpu%u every %u ms "
            "(not the PMU's counter overflow: TCG has none; docs/watchdog.md)",
            nmi_comparator, nmi_gsi, target, period_ms);
}

/* ---- start, state ------------------------------------------------------------------------- */

void watchdog_init(void)
{
    if (!mode) {
        kprintf("watchdog: off (watchdog=off)");
        return;
    }
    if (!tsc_khz() || !lapic_timer_hz()) {
        kprintf("watchdog: warning: no TSC rate or no timer tick: no lockup detection");
        return;
    }
    if (hard_ms < THRESH_PERIODS_MIN * period_ms) {
        kprintf("watchdog: warning: watchdog.hard_ms=%u is under %u periods of %u ms: %u ms used",
                hard_ms, THRESH_PERIODS_MIN, period_ms, THRESH_PERIODS_MIN * period_ms);
        hard_ms = THRESH_PERIODS_MIN * period_ms;
    }
    if (soft_ms && soft_ms < THRESH_PERIODS_MIN * period_ms) {
        kprintf("watchdog: warning: watchdog.soft_ms=%u is under %u periods of %u ms: %u ms used",
                soft_ms, THRESH_PERIODS_MIN, period_ms, THRESH_PERIODS_MIN * period_ms);
        soft_ms = THRESH_PERIODS_MIN * period_ms;
    }
    uint64_t khz = tsc_khz();
    period_tsc = khz * period_ms;
    hard_tsc = khz * hard_ms;
    soft_tsc = khz * soft_ms;
    hard_checks_needed = hard_ms / period_ms;
    /* Half the ticks that soft_ms should bring: a vCPU whose thread did not run gets its
     * timer's interrupts coalesced into one, and must not look stuck for it. */
    soft_ticks_needed = (unsigned)MAX((uint64_t)soft_ms * lapic_timer_hz() / 1000 / 2, 1);
    /* An idle CPU ticks at timer.idle_hz: at least once a period, so that every CPU, idle or
     * not, checks its buddy and shows progress each period. */
    lapic_timer_idle_hz_at_least((1000 + period_ms - 1) / period_ms);
    start_tsc = rdtsc();
    if (mode & WD_NMI)
        nmi_start();
    running = true;
    lapic_timer_register_tick_hook(tick);
    kprintf("watchdog: %s%s%s, period %u ms, hard lockup after %u ms (and %u checks), soft "
            "lockup after %u ms%s%s",
            mode & WD_BUDDY ? "buddy" : "", mode == (WD_BUDDY | WD_NMI) ? " + " : "",
            mode & WD_NMI ? (nmi_running ? "nmi" : "nmi (no source)") : "", period_ms, hard_ms,
            hard_checks_needed, soft_ms, soft_ms ? "" : " (off)", do_panic ? "; then panic" : "");
}

void watchdog_print(void)
{
    uint64_t now = rdtsc();
    console_lock();
    if (!running) {
        kprintf("watchdog: not running (watchdog=off, or no tick)");
        console_unlock();
        return;
    }
    kprintf("watchdog: period %u ms, hard %u ms, soft %u ms, panic %u; buddy %s; nmi %s", period_ms,
            hard_ms, soft_ms, do_panic, mode & WD_BUDDY ? "on" : "off", nmi_running ? "on" : "off");
    if (nmi_running)
        kprintf("watchdog: nmi: HPET comparator %u, GSI %u, to cpu%u: %llu checks, the last %llu "
                "ms ago",
                nmi_comparator, nmi_gsi, READ_ONCE(nmi_target), (unsigned long long)nmi_checks,
                nmi_checks ? (unsigned long long)ms_of(now - nmi_last_check_tsc) : 0ULL);
    for (unsigned c = 0; c < ncpus_possible; c++) {
        if (!cpu_online(c))
            continue;
        const struct wd_cpu *w = &wd[c];
        uint64_t touch = MAX(READ_ONCE(per_cpu(c, watchdog_touch_tsc)), start_tsc);
        char buddy[32] = "none";
        unsigned next = next_online(c);
        if (!w->checks && next != NO_CPU) /* an idle CPU checks first a period after boot */
            snprintf(buddy, sizeof buddy, "cpu%u (no check yet)", next);
        else if (w->checks && w->buddy.cpu != NO_CPU)
            snprintf(buddy, sizeof buddy, "cpu%u", w->buddy.cpu);
        kprintf("watchdog: cpu%u ticks %llu; watches %s: %llu checks, the last %llu ms ago, %u "
                "without progress; idle/console %llu ms ago; lockups hard %llu soft %llu%s",
                c, (unsigned long long)lapic_timer_ticks(c), buddy, (unsigned long long)w->checks,
                w->checks ? (unsigned long long)ms_of(now - w->last_check_tsc) : 0ULL,
                w->buddy.missed, (unsigned long long)ms_of(now > touch ? now - touch : 0),
                (unsigned long long)w->hard_reports, (unsigned long long)w->soft_reports,
                READ_ONCE(w->hard_stuck) ? " (stuck now)" : "");
    }
    console_unlock();
}

uint64_t watchdog_hard_reports(unsigned cpu)
{
    return cpu < MAX_CPUS ? READ_ONCE(wd[cpu].hard_reports) : 0;
}
uint64_t watchdog_soft_reports(unsigned cpu)
{
    return cpu < MAX_CPUS ? READ_ONCE(wd[cpu].soft_reports) : 0;
}
uint64_t watchdog_last_report_tsc(unsigned cpu)
{
    return cpu < MAX_CPUS ? READ_ONCE(wd[cpu].last_report_tsc) : 0;
}
bool watchdog_lockup_active(unsigned cpu)
{
    return cpu < MAX_CPUS && (READ_ONCE(wd[cpu].hard_stuck) || READ_ONCE(wd[cpu].soft_active));
}
bool watchdog_running(void) { return running; }
bool watchdog_nmi_running(void) { return nmi_running; }
void watchdog_tick_cost(unsigned cpu, uint64_t *cycles, uint64_t *ticks)
{
    *cycles = cpu < MAX_CPUS ? READ_ONCE(wd[cpu].hook_cycles) : 0;
    *ticks = cpu < MAX_CPUS ? READ_ONCE(wd[cpu].hook_ticks) : 0;
}
unsigned watchdog_hard_ms(void) { return hard_ms; }
unsigned watchdog_soft_ms(void) { return soft_ms; }
unsigned watchdog_period_ms(void) { return period_ms; }
