#include "irq/msi.h"

#include "apic/ipi.h"
#include "apic/lapic.h"
#include "core/cmdline.h"
#include "core/console.h"
#include "core/time.h"
#include "cpu/cpu.h"
#include "cpu/percpu.h"
#include "cpu/spinlock.h"
#include "cpu/vectors.h"
#include "lib/string.h"

struct msi_irq msi_irqs[MSI_MAX];
unsigned msi_nirqs;

/* Orders moves, cleanups and requests; never held while waiting. */
static struct spinlock lock = SPINLOCK_INIT;
static unsigned spread_next;

/* irq.affinity=BB:DD.F[/N]:CPU wishes, applied when the vector is requested. */
#define MSI_WISHES 8
static struct {
    char source[MSI_SOURCE_LEN];
    unsigned index, cpu;
} wishes[MSI_WISHES];
static unsigned nwishes;

/* For a move to finish on an idle device (msi_irq_settle): the cleanup IPI's round trip. */
#define MSI_SETTLE_WAIT_US 100000

bool msi_can_target(unsigned cpu)
{
    return cpu_online(cpu) && per_cpu(cpu, apic_id) <= msi_dest_limit();
}

static bool compose(unsigned cpu, unsigned vector, struct msi_msg *msg)
{
    return msi_compose(&(struct msi){ .dest = per_cpu(cpu, apic_id),
                                      .vector = (uint8_t)vector,
                                      .delivery = DELIVERY_FIXED },
                       msg);
}

void msi_irq_print(const struct msi_irq *m)
{
    kprintf("msi: %s vector 0x%02x (class %u) cpu %u (apic %u) %s", m->source, m->vector,
            VEC_CLASS(m->vector), m->cpu, per_cpu(m->cpu, apic_id), m->name);
}

/* The handler every MSI vector runs (as an own vector, so on one CPU at a time): the driver's,
 * then the first step of a move's cleanup.  The first message at the new (CPU, vector) shows
 * the device uses the new message; every message it sent before has arrived (messages are
 * posted writes, kept in order, PCI 3.0 Appendix E), so the old CPU's IRR holds any that went
 * to the old vector.  That CPU checks its IRR and frees the vector (cleanup_ipi), as Linux's
 * irq_complete_move() asks the old CPU through IRQ_MOVE_CLEANUP_VECTOR. */
static void msi_handler(struct regs *r, void *data)
{
    struct msi_irq *m = data;
    m->fn(r, m->data);
    if (READ_ONCE(m->moving) && !READ_ONCE(m->cleanup_sent) && cpu_id() == READ_ONCE(m->cpu) &&
        r->vector == READ_ONCE(m->vector)) {
        WRITE_ONCE(m->cleanup_sent, true);
        ipi_fixed(per_cpu(m->old_cpu, apic_id), VEC_MSI_CLEANUP);
    }
}

/* On the old CPU, in the cleanup IPI (class 15, above every device class): a message still
 * in this CPU's IRR at the old vector keeps it, and the next message at the new vector asks
 * again. */
static void cleanup_ipi(struct regs *r, void *data)
{
    (void)r, (void)data;
    unsigned me = cpu_id();
    bool irqs = spin_lock(&lock);
    for (unsigned i = 0; i < msi_nirqs; i++) {
        struct msi_irq *m = &msi_irqs[i];
        if (!m->moving || m->old_cpu != me)
            continue;
        bool busy = lapic_pending(m->old_vector) || lapic_in_service(m->old_vector);
        if (m->old_shared)
            busy |= lapic_pending(m->vector) || lapic_in_service(m->vector);
        if (busy) {
            m->cleanup_sent = false;
            continue;
        }
        irq_own_remove(me, m->old_vector);
        vector_free(me, m->old_vector);
        if (m->old_shared) {
            irq_own_remove(me, m->vector);
            vector_free(me, m->vector);
        }
        __atomic_store_n(&m->moving, false, __ATOMIC_RELEASE);
    }
    spin_unlock(&lock, irqs);
}

void msi_init(void)
{
    irq_set_handler(VEC_MSI_CLEANUP, cleanup_ipi, NULL, "msi cleanup");
    unsigned named = 0, first_not = 0, not_named = 0;
    for (unsigned c = 0; c < ncpus_possible; c++) {
        if (!cpu_online(c))
            continue;
        if (per_cpu(c, apic_id) <= msi_dest_limit()) {
            named++;
        } else if (!not_named++) {
            first_not = c;
        }
    }
    if (msi_ext_dest_id())
        kprintf("msi: KVM's extended destination ID: messages name APIC IDs up to %u",
                MSI_EXT_DEST_MAX);
    if (not_named)
        kprintf("msi: %u cpus (from cpu%u) have APIC IDs above %u, which an 8-bit message "
                "destination cannot "
                "name (no extended destination ID): MSI vectors go to the other %u cpus",
                not_named, first_not, MSI_DEST_MAX, named);
}

static int wished_cpu(const char *source, unsigned index)
{
    for (unsigned i = 0; i < nwishes; i++)
        if (!strcmp(wishes[i].source, source) && wishes[i].index == index)
            return (int)wishes[i].cpu;
    return -1;
}

/* Default placement: the next CPU a message can name with a free vector of the class. */
static int place(enum irq_priority prio, int *vector)
{
    for (unsigned tries = 0; tries < ncpus_possible; tries++) {
        unsigned c = spread_next++ % ncpus_possible;
        if (!msi_can_target(c))
            continue;
        int v = vector_alloc(c, -1, prio);
        if (v >= 0) {
            *vector = v;
            return (int)c;
        }
        kprintf("msi: warning: cpu%u has no free vector in class %s (%u-%u); trying the next cpu",
                c, vector_prio_name(prio), VEC_CLASS(vector_class_first(prio)),
                VEC_CLASS(vector_class_last(prio)));
    }
    return -1;
}

struct msi_irq *msi_irq_request(const struct msi_chip *chip, void *ctx, unsigned index,
                                const char *source, enum irq_priority prio, int cpu,
                                irq_handler_t fn, void *data, const char *name)
{
    if (msi_nirqs == MSI_MAX) {
        kprintf("msi: warning: %s %s: all %u MSI vectors are in use; not routed", source, name,
                MSI_MAX);
        return NULL;
    }
    if (cpu < 0)
        cpu = wished_cpu(source, index);
    if (cpu >= 0 && !msi_can_target((unsigned)cpu)) {
        kprintf("msi: warning: %s %s: cpu%d is not online or has an APIC ID a message cannot name; "
                "using the default placement",
                source, name, cpu);
        cpu = -1;
    }
    int vector = -1;
    if (cpu >= 0) {
        vector = vector_alloc((unsigned)cpu, -1, prio);
        if (vector < 0) {
            kprintf("msi: error: %s %s: cpu%d has no free vector in class %s; not routed", source,
                    name, cpu, vector_prio_name(prio));
            return NULL;
        }
    } else if ((cpu = place(prio, &vector)) < 0) {
        kprintf("msi: error: %s %s: no cpu has a free vector in class %s; not routed", source, name,
                vector_prio_name(prio));
        return NULL;
    }
    struct msi_irq *m = &msi_irqs[msi_nirqs];
    *m = (struct msi_irq){ .chip = chip,
                           .ctx = ctx,
                           .index = index,
                           .name = name,
                           .prio = prio,
                           .fn = fn,
                           .data = data,
                           .cpu = (unsigned)cpu,
                           .vector = (unsigned)vector };
    strlcpy(m->source, source, sizeof m->source);
    m->desc = irq_desc_create(msi_handler, m, name, m->counts);
    if (!m->desc) {
        vector_free((unsigned)cpu, (unsigned)vector);
        kprintf("msi: warning: %s %s: no interrupt descriptor left (%u); not routed", source, name,
                IRQ_MAX_OWN_DESCS);
        return NULL;
    }
    irq_own_install((unsigned)cpu, (unsigned)vector, m->desc);
    struct msi_msg msg;
    compose((unsigned)cpu, (unsigned)vector, &msg);
    chip->write(ctx, index, &msg);
    __atomic_store_n(&msi_nirqs, msi_nirqs + 1, __ATOMIC_RELEASE);
    msi_irq_print(m);
    return m;
}

bool msi_irq_settle(struct msi_irq *m)
{
    if (!__atomic_load_n(&m->moving, __ATOMIC_ACQUIRE))
        return true;
    /* No message at the new vector yet (an idle device): after a read from the device every
     * message it sent has arrived, so the old CPU's IRR is the whole truth. */
    m->chip->flush(m->ctx);
    WRITE_ONCE(m->cleanup_sent, true);
    ipi_fixed(per_cpu(m->old_cpu, apic_id), VEC_MSI_CLEANUP);
    uint64_t deadline = time_deadline_us(MSI_SETTLE_WAIT_US);
    while (__atomic_load_n(&m->moving, __ATOMIC_ACQUIRE) && !time_after(deadline))
        cpu_relax();
    return !__atomic_load_n(&m->moving, __ATOMIC_ACQUIRE);
}

int msi_irq_set_affinity(struct msi_irq *m, unsigned cpu)
{
    if (!msi_can_target(cpu))
        return -1;
    if (!msi_irq_settle(m)) {
        kprintf("msi: warning: %s %s: the last move's old vector 0x%02x is still pending on cpu%u; "
                "try again",
                m->source, m->name, m->old_vector, m->old_cpu);
        return -2;
    }
    bool irqs = spin_lock(&lock);
    if (cpu == m->cpu) {
        spin_unlock(&lock, irqs);
        return 0;
    }
    /* Without a mask, the device may send while its message is half written.  The data word
     * (the vector) goes first, so the halves it can mix are the old address with the new
     * vector: the new vector is taken on both CPUs and leads to the handler on both. */
    bool maskable = m->chip->mask;
    int v = vector_alloc(cpu, maskable ? -1 : (int)m->cpu, m->prio);
    if (v < 0) {
        spin_unlock(&lock, irqs);
        kprintf("msi: error: %s %s: cpu%u has no free vector in class %s%s; not moved", m->source,
                m->name, cpu, vector_prio_name(m->prio),
                maskable ? "" : " that is also free on its current cpu");
        return -3;
    }
    irq_own_install(cpu, (unsigned)v, m->desc);
    if (!maskable)
        irq_own_install(m->cpu, (unsigned)v, m->desc);
    struct msi_msg msg;
    compose(cpu, (unsigned)v, &msg);
    /* A masked vector's messages wait in its pending bit and go out, with the new message,
     * at the unmask (PCI 3.0 §6.8.2.9 for MSI-X, §6.8.1.7 for MSI's mask bits). */
    if (maskable)
        m->chip->mask(m->ctx, m->index, true);
    m->chip->write(m->ctx, m->index, &msg);
    m->old_cpu = m->cpu;
    m->old_vector = m->vector;
    m->old_shared = !maskable;
    m->cleanup_sent = false;
    __atomic_store_n(&m->moving, true, __ATOMIC_RELEASE);
    WRITE_ONCE(m->vector, (unsigned)v);
    WRITE_ONCE(m->cpu, cpu);
    m->moves++;
    if (maskable && !m->masked)
        m->chip->mask(m->ctx, m->index, false);
    spin_unlock(&lock, irqs);
    return 0;
}

bool msi_irq_mask(struct msi_irq *m, bool masked)
{
    if (!m->chip->mask)
        return false;
    bool irqs = spin_lock(&lock);
    m->masked = masked;
    m->chip->mask(m->ctx, m->index, masked);
    spin_unlock(&lock, irqs);
    return true;
}

struct msi_irq *msi_irq_find(const char *source, unsigned index)
{
    for (unsigned i = 0; i < msi_nirqs; i++)
        if (!strcmp(msi_irqs[i].source, source) && msi_irqs[i].index == index)
            return &msi_irqs[i];
    return NULL;
}

/* BB:DD.F[/N]:CPU */
const char *msi_affinity_param(const char *entry)
{
    const char *colon = strrchr(entry, ':');
    size_t len = colon ? (size_t)(colon - entry) : 0;
    unsigned long long cpu, index = 0;
    if (!colon || len < 7 || len >= MSI_SOURCE_LEN + 4 || parse_u64(colon + 1, &cpu) ||
        cpu >= MAX_CPUS)
        return "an MSI entry is BB:DD.F[/N]:CPU";
    if (nwishes == MSI_WISHES)
        return "at most 8 MSI entries";
    char src[MSI_SOURCE_LEN + 4];
    memcpy(src, entry, len);
    src[len] = '\0';
    char *slash = strchr(src, '/');
    if (slash) {
        *slash = '\0';
        if (parse_u64(slash + 1, &index))
            return "the N of BB:DD.F/N is a vector number";
    }
    if (strlen(src) != 7 || src[2] != ':' || src[5] != '.')
        return "an MSI entry is BB:DD.F[/N]:CPU";
    strlcpy(wishes[nwishes].source, src, MSI_SOURCE_LEN);
    wishes[nwishes].index = (unsigned)index;
    wishes[nwishes].cpu = (unsigned)cpu;
    nwishes++;
    return NULL;
}
