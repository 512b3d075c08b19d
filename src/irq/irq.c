#include "irq/irq.h"

#include "apic/lapic.h"
#include "cpu/cpu.h"
#include "cpu/percpu.h"
#include "irq/pic.h"
#include "kernel/console.h"
#include "lib/spinlock.h"

static struct {
    irq_handler_t fn;
    void *data;
    const char *name;
} handlers[NUM_VECTORS];
static struct spinlock lock = SPINLOCK_INIT;


bool irq_set_handler(unsigned vector, irq_handler_t fn, void *data, const char *name)
{
    if (vector < NUM_EXCEPTIONS || vector >= NUM_VECTORS)
        return false;
    bool irqs = spin_lock(&lock);
    bool ok = !handlers[vector].fn;
    if (ok) {
        handlers[vector].data = data;
        handlers[vector].name = name;
        __atomic_store_n(&handlers[vector].fn, fn, __ATOMIC_RELEASE);
    }
    spin_unlock(&lock, irqs);
    return ok;
}

void irq_clear_handler(unsigned vector)
{
    if (vector < NUM_VECTORS)
        __atomic_store_n(&handlers[vector].fn, NULL, __ATOMIC_RELEASE);
}

const char *irq_handler_name(unsigned vector) { return vector < NUM_VECTORS ? handlers[vector].name : NULL; }

/* EOI only for a vector the local APIC has in service: not for the spurious vector, a software
 * `int n`, or the 8259's vectors (SDM vol. 3A §11.8.5, §11.9). */
static void ack(unsigned v)
{
    if (lapic_mode() != LAPIC_NONE && v >= PIC_VECTOR_END && lapic_in_service(v))
        lapic_eoi();
}

void irq_dispatch(struct regs *r)
{
    unsigned v = (unsigned)r->vector;
    this_cpu_write(last_irq_rsp, read_rsp());
    this_cpu_write(last_irq_count, this_cpu_read(irq_count));
    irq_handler_t fn = __atomic_load_n(&handlers[v].fn, __ATOMIC_ACQUIRE);
    if (fn) {
        fn(r, handlers[v].data);
        ack(v);
        return;
    }
    if (v >= PIC_VECTOR_BASE && v < PIC_VECTOR_END && pic_spurious(v)) {
        uint64_t n = ++this_cpu()->spurious_count;
        kprintf("irq: spurious 8259 IRQ %u on cpu%u (no EOI; %llu so far)", v - PIC_VECTOR_BASE,
                cpu_id(), (unsigned long long)n);
        return;
    }
    kprintf("irq: warning: interrupt on vector %u (0x%x) with no handler on cpu%u; ignored", v, v, cpu_id());
    ack(v);
}
