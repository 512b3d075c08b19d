#include "irq/vector.h"

#include "cpu/percpu.h"
#include "cpu/spinlock.h"
#include "cpu/vectors.h"

#define WORDS (NUM_VECTORS / 64)

static struct {
    uint64_t system[WORDS];        /* taken on every CPU */
    uint64_t own[MAX_CPUS][WORDS]; /* taken on one CPU */
    uint16_t owners[NUM_VECTORS];  /* CPUs that have the vector as their own */
} m;
static struct spinlock lock = SPINLOCK_INIT;

static const struct {
    unsigned first, last;
    const char *name;
} class_range[IRQ_PRIOS] = {
    [IRQ_PRIO_LOW] = { .first = VEC_DEVICE_LOW_FIRST,
                       .last = VEC_DEVICE_NORMAL_FIRST - 1,
                       .name = "low" },
    [IRQ_PRIO_NORMAL] = { .first = VEC_DEVICE_NORMAL_FIRST,
                          .last = VEC_DEVICE_URGENT_FIRST - 1,
                          .name = "normal" },
    [IRQ_PRIO_URGENT] = { .first = VEC_DEVICE_URGENT_FIRST,
                          .last = VEC_DEVICE_LAST,
                          .name = "urgent" },
};

unsigned vector_class_first(enum irq_priority prio) { return class_range[prio].first; }
unsigned vector_class_last(enum irq_priority prio) { return class_range[prio].last; }
const char *vector_prio_name(enum irq_priority prio) { return class_range[prio].name; }

static bool bit(const uint64_t *w, unsigned v) { return w[v / 64] & (1ull << (v % 64)); }
static void set(uint64_t *w, unsigned v) { w[v / 64] |= 1ull << (v % 64); }
static void clear(uint64_t *w, unsigned v) { w[v / 64] &= ~(1ull << (v % 64)); }

bool vector_take_system(unsigned v)
{
    bool irqs = spin_lock(&lock);
    bool ok = v < NUM_VECTORS && !m.owners[v] && !bit(m.system, v);
    if (ok)
        set(m.system, v);
    spin_unlock(&lock, irqs);
    return ok;
}

void vector_release_system(unsigned v)
{
    bool irqs = spin_lock(&lock);
    if (v < NUM_VECTORS)
        clear(m.system, v);
    spin_unlock(&lock, irqs);
}

static bool free_on(unsigned cpu, unsigned v)
{
    /* int 0x80 is a trap gate that ring 3 may raise: never a device's. */
    return v != VEC_SYSCALL_GATE && !bit(m.system, v) && !bit(m.own[cpu], v);
}

int vector_alloc(unsigned cpu, int also, enum irq_priority prio)
{
    if (cpu >= MAX_CPUS || (also >= 0 && (unsigned)also >= MAX_CPUS))
        return -1;
    bool irqs = spin_lock(&lock);
    int got = -1;
    /* From the top of the class down, as Linux's matrix spreads from one end: a class's
     * vectors are equal in priority, only the class (v >> 4) orders the local APIC. */
    for (unsigned v = class_range[prio].last + 1; v-- > class_range[prio].first && got < 0;) {
        if (free_on(cpu, v) && (also < 0 || free_on((unsigned)also, v))) {
            set(m.own[cpu], v);
            m.owners[v]++;
            if (also >= 0 && (unsigned)also != cpu) {
                set(m.own[also], v);
                m.owners[v]++;
            }
            got = (int)v;
        }
    }
    spin_unlock(&lock, irqs);
    return got;
}

void vector_free(unsigned cpu, unsigned v)
{
    bool irqs = spin_lock(&lock);
    if (cpu < MAX_CPUS && v < NUM_VECTORS && bit(m.own[cpu], v)) {
        clear(m.own[cpu], v);
        m.owners[v]--;
    }
    spin_unlock(&lock, irqs);
}

bool vector_used(unsigned cpu, unsigned v)
{
    return cpu < MAX_CPUS && v < NUM_VECTORS && (bit(m.system, v) || bit(m.own[cpu], v));
}

bool vector_own_taken(unsigned cpu, unsigned v)
{
    return cpu < MAX_CPUS && v < NUM_VECTORS && bit(m.own[cpu], v);
}

unsigned vector_free_count(unsigned cpu, enum irq_priority prio)
{
    unsigned n = 0;
    for (unsigned v = class_range[prio].first; v <= class_range[prio].last; v++)
        n += cpu < MAX_CPUS && free_on(cpu, v);
    return n;
}
