#include "irq/irq.h"

#include "apic/lapic.h"
#include "apic/lapic_timer.h"
#include "core/console.h"
#include "cpu/cpu.h"
#include "cpu/percpu.h"
#include "cpu/spinlock.h"
#include "cpu/vectors.h"
#include "irq/pic.h"
#include "irq/vector.h"

/* What a device vector's `state` holds (below, run_device). */
#define IRQ_RUNNING 0x1 /* a CPU is in the handler */
#define IRQ_AGAIN 0x2   /* an interrupt came meanwhile: that CPU runs the handler once more */

struct irq_desc {
    irq_handler_t fn;
    void *data;
    const char *name;
    bool device;          /* one source: the handler runs on one CPU at a time */
    unsigned state;       /* IRQ_RUNNING, IRQ_AGAIN */
    uint64_t handed_over; /* interrupts that found the handler running on another CPU */
    uint32_t *counts;     /* own vectors: arrivals per CPU, for the interrupts table */
    unsigned installed;   /* own vectors: the (CPU, vector) pairs it is installed at */
};
/* The system vectors, the same on every CPU; a CPU's own vectors point into `own`. */
static struct irq_desc handlers[NUM_VECTORS];
static struct irq_desc own[IRQ_MAX_OWN_DESCS];
static unsigned nown;
static struct spinlock lock = SPINLOCK_INIT;

static bool install(unsigned vector, irq_handler_t fn, void *data, const char *name, bool device)
{
    if (vector < NUM_EXCEPTIONS || vector >= NUM_VECTORS)
        return false;
    bool irqs = spin_lock(&lock);
    struct irq_desc *d = &handlers[vector];
    /* A system vector is one on every CPU: none may have it as its own (vector.c). */
    bool ok = !d->fn && vector_take_system(vector);
    if (ok) {
        d->data = data;
        d->name = name;
        d->device = device;
        d->state = 0;
        __atomic_store_n(&d->fn, fn, __ATOMIC_RELEASE);
    }
    spin_unlock(&lock, irqs);
    return ok;
}

bool irq_set_handler(unsigned vector, irq_handler_t fn, void *data, const char *name)
{
    return install(vector, fn, data, name, false);
}

bool irq_set_device_handler(unsigned vector, irq_handler_t fn, void *data, const char *name)
{
    return install(vector, fn, data, name, true);
}

void irq_clear_handler(unsigned vector)
{
    if (vector < NUM_VECTORS && handlers[vector].fn) {
        __atomic_store_n(&handlers[vector].fn, NULL, __ATOMIC_RELEASE);
        vector_release_system(vector);
    }
}

struct irq_desc *irq_desc_create(irq_handler_t fn, void *data, const char *name, uint32_t *counts)
{
    bool irqs = spin_lock(&lock);
    struct irq_desc *d = nown < IRQ_MAX_OWN_DESCS ? &own[nown++] : NULL;
    if (d)
        *d = (struct irq_desc){
            .fn = fn, .data = data, .name = name, .device = true, .counts = counts
        };
    spin_unlock(&lock, irqs);
    return d;
}

void irq_own_install(unsigned cpu, unsigned vector, struct irq_desc *d)
{
    struct irq_desc *old =
        __atomic_exchange_n(&percpu_areas[cpu]->vector_desc[vector], d, __ATOMIC_ACQ_REL);
    if (old != d) {
        __atomic_fetch_add(&d->installed, 1, __ATOMIC_RELAXED);
        if (old)
            __atomic_fetch_sub(&old->installed, 1, __ATOMIC_RELAXED);
    }
}

void irq_own_remove(unsigned cpu, unsigned vector)
{
    struct irq_desc *old =
        __atomic_exchange_n(&percpu_areas[cpu]->vector_desc[vector], NULL, __ATOMIC_ACQ_REL);
    if (old)
        __atomic_fetch_sub(&old->installed, 1, __ATOMIC_RELAXED);
}

unsigned irq_desc_installed(const struct irq_desc *d)
{
    return __atomic_load_n(&d->installed, __ATOMIC_RELAXED);
}

struct irq_desc *irq_own_desc(unsigned cpu, unsigned vector)
{
    return cpu < ncpus_possible && percpu_areas[cpu] && vector < NUM_VECTORS
               ? __atomic_load_n(&percpu_areas[cpu]->vector_desc[vector], __ATOMIC_ACQUIRE)
               : NULL;
}

bool irq_desc_running(const struct irq_desc *d)
{
    return __atomic_load_n(&d->state, __ATOMIC_ACQUIRE) & IRQ_RUNNING;
}

uint64_t irq_desc_handed_over(const struct irq_desc *d)
{
    return __atomic_load_n(&d->handed_over, __ATOMIC_RELAXED);
}

bool irq_in_progress(unsigned vector)
{
    return vector < NUM_VECTORS &&
           (__atomic_load_n(&handlers[vector].state, __ATOMIC_ACQUIRE) & IRQ_RUNNING);
}

uint64_t irq_handed_over(unsigned vector)
{
    return vector < NUM_VECTORS ? __atomic_load_n(&handlers[vector].handed_over, __ATOMIC_RELAXED)
                                : 0;
}

const char *irq_handler_name(unsigned vector)
{
    return vector < NUM_VECTORS ? handlers[vector].name : NULL;
}

/* The local APIC's own vectors: the driver (src/apic/) has the handlers, this layer routes to
 * them, as Linux's generic IRQ code installs the APIC's vectors. */
static void on_spurious(struct regs *r, void *data)
{
    (void)r, (void)data;
    lapic_spurious_interrupt();
}

static void on_apic_error(struct regs *r, void *data)
{
    (void)r, (void)data;
    lapic_error_interrupt();
}

static void on_timer(struct regs *r, void *data)
{
    (void)data;
    lapic_timer_interrupt(r);
}

void irq_init(void)
{
    irq_set_handler(VEC_SPURIOUS, on_spurious, NULL, "apic spurious");
    irq_set_handler(VEC_APIC_ERROR, on_apic_error, NULL, "apic error");
    irq_set_handler(VEC_LAPIC_TIMER, on_timer, NULL, "local timer");
}

/* EOI only for a vector the local APIC has in service: not for the spurious vector, a software
 * `int n`, or the 8259's vectors (SDM vol. 3A §11.8.5, §11.9). */
static void ack(unsigned v)
{
    if (lapic_mode() != LAPIC_NONE && v >= PIC_VECTOR_END && lapic_in_service(v))
        lapic_eoi();
}

/* A device interrupt's handler never runs on two CPUs at once.  While its route moves, the
 * CPU the route named before may still be in the handler when the one it names now takes the
 * next interrupt; both would then read the same device registers and fill the same
 * single-producer buffers (COM1's receive ring).  As Linux's handle_edge_irq() does with
 * IRQD_IRQ_INPROGRESS and IRQS_PENDING: the CPU that finds the handler running leaves it a
 * note (IRQ_AGAIN) and returns; the running CPU, before it lets go, sees the note and runs the
 * handler once more.  An edge is an event, and the device still holds what it signalled, so
 * that pass serves it: nothing is lost, and several notes merge into one pass, as several
 * edges at one CPU merge in its IRR.  (A level interrupt found running would be sent again by
 * the I/O APIC after the EOI, while its line stays asserted; every route here is edge.) */
static void run_device(struct irq_desc *d, irq_handler_t fn, struct regs *r)
{
    if (__atomic_fetch_or(&d->state, IRQ_RUNNING | IRQ_AGAIN, __ATOMIC_ACQUIRE) & IRQ_RUNNING) {
        __atomic_fetch_add(&d->handed_over, 1, __ATOMIC_RELAXED);
        return;
    }
    unsigned running;
    do {
        __atomic_fetch_and(&d->state, ~IRQ_AGAIN, __ATOMIC_ACQUIRE);
        fn(r, d->data);
        running = IRQ_RUNNING; /* let go only if no note came during this pass */
    } while (!__atomic_compare_exchange_n(&d->state, &running, 0, false, __ATOMIC_RELEASE,
                                          __ATOMIC_ACQUIRE));
}

void irq_dispatch(struct regs *r)
{
    unsigned v = (unsigned)r->vector;
    this_cpu_write(last_irq_rsp, read_rsp());
    this_cpu_write(last_irq_count, this_cpu_read(irq_count));
    struct irq_desc *d = &handlers[v];
    irq_handler_t fn = __atomic_load_n(&d->fn, __ATOMIC_ACQUIRE);
    if (!fn) {
        /* Not a system vector: one of this CPU's own (a message-signalled interrupt). */
        d = __atomic_load_n(&this_cpu()->vector_desc[v], __ATOMIC_ACQUIRE);
        fn = d ? __atomic_load_n(&d->fn, __ATOMIC_ACQUIRE) : NULL;
        if (fn && d->counts) /* on the CPU that took it, handed over or not */
            __atomic_fetch_add(&d->counts[cpu_id()], 1, __ATOMIC_RELAXED);
    }
    if (fn) {
        if (d->device)
            run_device(d, fn, r);
        else
            fn(r, d->data);
        ack(v);
        return;
    }
    if (v >= PIC_VECTOR_BASE && v < PIC_VECTOR_END && pic_spurious(v)) {
        uint64_t n = ++this_cpu()->spurious_count;
        kprintf("irq: spurious 8259 IRQ %u on cpu%u (no EOI; %llu so far)", v - PIC_VECTOR_BASE,
                cpu_id(), (unsigned long long)n);
        return;
    }
    kprintf("irq: warning: interrupt on vector %u (0x%x) with no handler on cpu%u; ignored", v, v,
            cpu_id());
    ack(v);
}
