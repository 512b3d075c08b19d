/* A test-and-set spinlock with exponential back-off on `pause`, taken with interrupts off.
 * The back-off matters under TCG, where many virtual CPUs share two host cores: a waiter that
 * spins hard takes the host core from the CPU holding the lock. */
#ifndef CADRE_SPINLOCK_H
#define CADRE_SPINLOCK_H

#include "cpu/cpu.h"

struct spinlock {
    int locked;
};

#define SPINLOCK_INIT \
    {                 \
        0             \
    }
#define SPIN_BACKOFF_MAX 1024

/* The one back-off wait of every spin in the kernel: `pause` a number of times that doubles
 * up to SPIN_BACKOFF_MAX (or the limit given), so that a waiter leaves the host core to the CPU
 * it waits for. */
struct backoff {
    unsigned spins, max;
};
#define BACKOFF_INIT        \
    {                       \
        1, SPIN_BACKOFF_MAX \
    }

static inline void backoff_wait(struct backoff *b)
{
    for (unsigned i = 0; i < b->spins; i++)
        cpu_relax();
    if (b->spins < b->max)
        b->spins <<= 1;
}

static inline bool spin_trylock(struct spinlock *l)
{
    return !__atomic_exchange_n(&l->locked, 1, __ATOMIC_ACQUIRE);
}

static inline void spin_lock_raw(struct spinlock *l)
{
    struct backoff b = BACKOFF_INIT;
    while (!spin_trylock(l)) {
        do
            backoff_wait(&b);
        while (__atomic_load_n(&l->locked, __ATOMIC_RELAXED));
    }
}

static inline void spin_unlock_raw(struct spinlock *l)
{
    __atomic_store_n(&l->locked, 0, __ATOMIC_RELEASE);
}

/* Returns whether interrupts were on, for spin_unlock(). */
static inline bool spin_lock(struct spinlock *l)
{
    bool irqs = irq_save();
    spin_lock_raw(l);
    return irqs;
}

static inline void spin_unlock(struct spinlock *l, bool irqs)
{
    spin_unlock_raw(l);
    irq_restore(irqs);
}

#endif
