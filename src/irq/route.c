#include "irq/route.h"

#include "acpi/acpi_boot.h"
#include "apic/ioapic.h"
#include "apic/lapic.h"
#include "cpu/percpu.h"
#include "irq/vectors.h"
#include "kernel/cmdline.h"
#include "kernel/console.h"
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
KERNEL_PARAM("irq.policy", param_policy, "spread|bsp: deal device IRQs out over the CPUs (default) or keep them on CPU 0");

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
        char *colon = strchr(buf, ':');
        unsigned long long irq, cpu;
        if (!colon)
            return "each pair is IRQ:CPU";
        *colon = '\0';
        if (parse_u64(buf, &irq) || parse_u64(colon + 1, &cpu) || irq >= ACPI_ISA_IRQS || cpu >= MAX_CPUS)
            return "IRQ is 0-15 and CPU a CPU number";
        affinity[irq] = (int)cpu;
        s += len + (comma ? 1 : 0);
    }
    return NULL;
}
KERNEL_PARAM("irq.affinity", param_affinity, "IRQ:CPU,...: route these ISA IRQs to these CPUs");

static bool routable(unsigned cpu)
{
    /* Without interrupt remapping an I/O APIC entry names an 8-bit APIC ID. */
    return cpu_online(cpu) && per_cpu(cpu, apic_id) <= 0xfe;
}

static unsigned choose_cpu(unsigned irq)
{
    if (irq < ACPI_ISA_IRQS && affinity[irq] >= 0) {
        if (routable((unsigned)affinity[irq]))
            return (unsigned)affinity[irq];
        kprintf("irq: warning: irq.affinity names cpu%d for IRQ %u, which cannot take it; using the policy",
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

static const struct {
    unsigned first, last;
} class_range[] = {
    [IRQ_PRIO_LOW] = { VEC_DEVICE_LOW_FIRST, VEC_DEVICE_NORMAL_FIRST - 1 },
    [IRQ_PRIO_NORMAL] = { VEC_DEVICE_NORMAL_FIRST, VEC_DEVICE_URGENT_FIRST - 1 },
    [IRQ_PRIO_URGENT] = { VEC_DEVICE_URGENT_FIRST, VEC_DEVICE_LAST },
};

const struct irq_route *irq_route_of(unsigned irq)
{
    for (unsigned i = 0; i < ioapic_nroutes; i++)
        if (ioapic_routes[i].irq == irq)
            return &ioapic_routes[i];
    return NULL;
}

static void print_route(const struct irq_route *r)
{
    kprintf("irq: route irq %u -> gsi %u %s/%s vector 0x%02x (class %u) cpu %u (apic %u) %s", r->irq, r->gsi,
            r->level ? "level" : "edge", r->active_low ? "low" : "high", r->vector, VEC_CLASS(r->vector), r->cpu,
            per_cpu(r->cpu, apic_id), r->name);
}

void irq_routes_print(void)
{
    console_lock();
    kprintf("irq: %u routes (policy %s)", ioapic_nroutes, policy_bsp ? "bsp" : "spread");
    for (unsigned i = 0; i < ioapic_nroutes; i++)
        print_route(&ioapic_routes[i]);
    console_unlock();
}

const struct irq_route *irq_request(unsigned irq, enum irq_priority prio, irq_handler_t fn, void *data,
                                    const char *name)
{
    uint32_t gsi = irq;
    bool low = false, level = false;
    if (!ioapic_count()) {
        kprintf("irq: warning: no I/O APIC; IRQ %u (%s) not routed", irq, name);
        return NULL;
    }
    if (acpi_ok && acpi_isa_irq_to_gsi(&acpi, irq, &gsi, &low, &level)) {
        kprintf("irq: warning: IRQ %u (%s) is not connected (its pin serves another IRQ)", irq, name);
        return NULL;
    }
    if (!ioapic_has_gsi(gsi) || irq_route_of(irq) || ioapic_nroutes == IRQ_MAX_ROUTES) {
        kprintf("irq: warning: IRQ %u (%s): gsi %u has no I/O APIC pin, or the IRQ is taken", irq, name, gsi);
        return NULL;
    }
    unsigned vector = 0;
    for (unsigned v = class_range[prio].first; v <= class_range[prio].last && !vector; v++)
        if (v != VEC_SYSCALL_GATE && irq_set_handler(v, fn, data, name))
            vector = v;
    if (!vector) {
        kprintf("irq: warning: no free vector for IRQ %u (%s) in its class", irq, name);
        return NULL;
    }
    struct irq_route *r = &ioapic_routes[ioapic_nroutes];
    *r = (struct irq_route){ (uint8_t)irq, gsi, (uint8_t)vector, choose_cpu(irq), level, low, false, name };
    ioapic_set(gsi, &(struct rte){ .vector = r->vector, .delivery = RTE_FIXED, .active_low = low, .level = level,
                                   .masked = false, .dest = (uint8_t)per_cpu(r->cpu, apic_id) });
    __atomic_store_n(&ioapic_nroutes, ioapic_nroutes + 1, __ATOMIC_RELEASE);
    print_route(r);
    return r;
}

int irq_set_affinity(unsigned irq, unsigned cpu)
{
    struct irq_route *r = (struct irq_route *)irq_route_of(irq);
    if (!r)
        return -1;
    if (!routable(cpu))
        return -1;
    ioapic_set_dest(r->gsi, (uint8_t)per_cpu(cpu, apic_id));
    WRITE_ONCE(r->cpu, cpu);
    return 0;
}
