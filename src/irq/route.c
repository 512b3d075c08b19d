#include "irq/route.h"

#include "acpi/acpi_boot.h"
#include "apic/ioapic.h"
#include "apic/lapic.h"
#include "core/cmdline.h"
#include "core/console.h"
#include "core/time.h"
#include "cpu/percpu.h"
#include "cpu/spinlock.h"
#include "cpu/vectors.h"
#include "irq/msi.h"
#include "lib/string.h"

struct irq_route ioapic_routes[IRQ_MAX_ROUTES];
unsigned ioapic_nroutes;

static bool policy_bsp;
static int affinity[ACPI_ISA_IRQS] = { [0 ... ACPI_ISA_IRQS - 1] = -1 };
static unsigned spread_next;

static const char *param_policy(const char *v)
{
    if (v && !strcmp(v, "spread"))
        policy_bsp = false;
    else if (v && !strcmp(v, "bsp"))
        policy_bsp = true;
    else
        return "expected irq.policy=spread or irq.policy=bsp";
    return NULL;
}
KERNEL_PARAM("irq.policy", param_policy,
             "spread|bsp: deal device IRQs out over the CPUs (default) or keep them on CPU 0");

/* IRQ:CPU[,IRQ:CPU...] */
static const char *param_affinity(const char *v)
{
    if (!v || !*v)
        return "expected irq.affinity=IRQ:CPU[,IRQ:CPU...]";
    char buf[16];
    for (const char *s = v; *s;) {
        const char *comma = strchr(s, ',');
        size_t len = comma ? (size_t)(comma - s) : strlen(s);
        if (len >= sizeof buf)
            return "an IRQ:CPU pair is too long";
        memcpy(buf, s, len);
        buf[len] = '\0';
        if (strchr(buf, '.')) { /* BB:DD.F[/N]:CPU, a message-signalled vector */
            const char *err = msi_affinity_param(buf);
            if (err)
                return err;
            s += len + (comma ? 1 : 0);
            continue;
        }
        char *colon = strchr(buf, ':');
        unsigned long long irq, cpu;
        if (!colon)
            return "each pair is IRQ:CPU";
        *colon = '\0';
        if (parse_u64(buf, &irq) || parse_u64(colon + 1, &cpu) || irq >= ACPI_ISA_IRQS ||
            cpu >= MAX_CPUS)
            return "IRQ is 0-15 and CPU a CPU number";
        affinity[irq] = (int)cpu;
        s += len + (comma ? 1 : 0);
    }
    return NULL;
}
KERNEL_PARAM(
    "irq.affinity", param_affinity,
    "IRQ:CPU,... or BB:DD.F[/N]:CPU,...: route these ISA IRQs or MSI vectors to these CPUs");

static bool routable(unsigned cpu)
{
    /* Without interrupt remapping an I/O APIC entry names an 8-bit APIC ID. */
    return cpu_online(cpu) && per_cpu(cpu, apic_id) <= RTE_DEST_MAX;
}

static unsigned choose_cpu(unsigned irq)
{
    if (irq < ACPI_ISA_IRQS && affinity[irq] >= 0) {
        if (routable((unsigned)affinity[irq]))
            return (unsigned)affinity[irq];
        kprintf("irq: warning: irq.affinity names cpu%d for IRQ %u, which cannot take it; using "
                "the policy",
                affinity[irq], irq);
    }
    if (policy_bsp)
        return 0;
    for (unsigned tries = 0; tries < ncpus_possible; tries++) {
        unsigned c = spread_next++ % ncpus_possible;
        if (routable(c))
            return c;
    }
    return 0;
}

const struct irq_route *irq_route_of(unsigned irq)
{
    for (unsigned i = 0; i < ioapic_nroutes; i++)
        if (ioapic_routes[i].irq == irq)
            return &ioapic_routes[i];
    return NULL;
}

static void print_route(const struct irq_route *r)
{
    kprintf("irq: route irq %u -> gsi %u %s/%s vector 0x%02x (class %u) cpu %u (apic %u) %s",
            r->irq, r->gsi, r->level ? "level" : "edge", r->active_low ? "low" : "high", r->vector,
            VEC_CLASS(r->vector), r->cpu, per_cpu(r->cpu, apic_id), r->name);
}

void irq_routes_print(void)
{
    console_lock();
    kprintf("irq: %u routes (policy %s)", ioapic_nroutes, policy_bsp ? "bsp" : "spread");
    for (unsigned i = 0; i < ioapic_nroutes; i++)
        print_route(&ioapic_routes[i]);
    console_unlock();
}

/* Moves (Linux: irq_set_affinity() leaves IRQD_SETAFFINITY_PENDING, and the interrupt's own
 * ack path, irq_move_irq(), does the move).  Writing the destination while the handler runs on
 * the old CPU sends the next interrupt to the new one while the old is still in the handler;
 * irq.c then hands that interrupt back to the old CPU (run_device), so nothing runs twice at
 * once, but a move done from the handler's path, once the handler is done on the CPU that took
 * it, avoids even that.  The lock orders the two places that move: here and the handler. */
static struct spinlock move_lock = SPINLOCK_INIT;
#define IRQ_MOVE_WAIT_US \
    100000 /* for a running handler to do a move; a handler takes microseconds */

static void move_now(struct irq_route *r) /* move_lock held */
{
    unsigned to = r->move_to;
    r->move_to = IRQ_NO_MOVE;
    if (to == r->cpu)
        return;
    ioapic_set_dest(r->gsi, (uint8_t)per_cpu(to, apic_id));
    WRITE_ONCE(r->cpu, to);
}

/* The handler of every routed IRQ: the device's, then a move asked for meanwhile.  It runs as
 * the vector's device handler, so on one CPU at a time, and before the EOI. */
static void route_handler(struct regs *regs, void *data)
{
    struct irq_route *r = data;
    r->fn(regs, r->data);
    if (READ_ONCE(r->move_to) != IRQ_NO_MOVE) {
        bool irqs = spin_lock(&move_lock);
        if (r->move_to != IRQ_NO_MOVE)
            move_now(r);
        spin_unlock(&move_lock, irqs);
    }
}

const struct irq_route *irq_request(unsigned irq, enum irq_priority prio, irq_handler_t fn,
                                    void *data, const char *name)
{
    uint32_t gsi = irq;
    bool low = false, level = false;
    if (!ioapic_count()) {
        kprintf("irq: warning: no I/O APIC; IRQ %u (%s) not routed", irq, name);
        return NULL;
    }
    if (acpi_ok && acpi_isa_irq_to_gsi(&acpi, irq, &gsi, &low, &level)) {
        kprintf("irq: warning: IRQ %u (%s) is not connected (its pin serves another IRQ)", irq,
                name);
        return NULL;
    }
    if (!ioapic_has_gsi(gsi) || irq_route_of(irq) || ioapic_nroutes == IRQ_MAX_ROUTES) {
        kprintf("irq: warning: IRQ %u (%s): gsi %u has no I/O APIC pin, or the IRQ is taken", irq,
                name, gsi);
        return NULL;
    }
    struct irq_route *r = &ioapic_routes[ioapic_nroutes];
    *r = (struct irq_route){ .irq = (uint8_t)irq,
                             .gsi = gsi,
                             .level = level,
                             .active_low = low,
                             .name = name,
                             .fn = fn,
                             .data = data,
                             .move_to = IRQ_NO_MOVE };
    /* I/O APIC routes keep system vectors (the same on every CPU): there are at most 16, each
     * moves by one write of its entry's destination, and the vector stays (docs/interrupts.md). */
    for (unsigned v = vector_class_first(prio); v <= vector_class_last(prio) && !r->vector; v++)
        if (v != VEC_SYSCALL_GATE && irq_set_device_handler(v, route_handler, r, name))
            r->vector = (uint8_t)v;
    if (!r->vector) {
        kprintf("irq: warning: no free vector for IRQ %u (%s) in its class", irq, name);
        return NULL;
    }
    r->cpu = choose_cpu(irq);
    ioapic_set(gsi, &(struct rte){ .vector = r->vector,
                                   .delivery = DELIVERY_FIXED,
                                   .active_low = low,
                                   .level = level,
                                   .masked = false,
                                   .dest = (uint8_t)per_cpu(r->cpu, apic_id) });
    __atomic_store_n(&ioapic_nroutes, ioapic_nroutes + 1, __ATOMIC_RELEASE);
    print_route(r);
    return r;
}

int irq_set_affinity(unsigned irq, unsigned cpu)
{
    struct irq_route *r = (struct irq_route *)irq_route_of(irq);
    if (!r || !routable(cpu))
        return -1;
    /* An IRQ whose handler runs nowhere moves at once: an interrupt already sent to the old
     * CPU, still in its IRR, runs there, and one on the new CPU at the same time is handed to
     * it (irq.c); an IRQ that never fires still moves.  If the handler runs, it moves the IRQ
     * on its way out; should it have passed that point already, its end lets this CPU do it. */
    bool irqs = spin_lock(&move_lock);
    r->move_to = cpu;
    if (!irq_in_progress(r->vector))
        move_now(r);
    spin_unlock(&move_lock, irqs);
    uint64_t deadline = time_deadline_us(IRQ_MOVE_WAIT_US);
    while (READ_ONCE(r->move_to) != IRQ_NO_MOVE) {
        if (!irq_in_progress(r->vector)) {
            irqs = spin_lock(&move_lock);
            if (r->move_to != IRQ_NO_MOVE && !irq_in_progress(r->vector))
                move_now(r);
            spin_unlock(&move_lock, irqs);
        } else if (time_after(deadline)) {
            kprintf("irq: warning: IRQ %u (%s): its handler has run for %u ms; the move to cpu%u "
                    "waits for "
                    "its next interrupt",
                    irq, r->name, IRQ_MOVE_WAIT_US / 1000, cpu);
            return 0;
        }
        cpu_relax();
    }
    return 0;
}
