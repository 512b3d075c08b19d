/* The per-CPU vector space (docs/interrupts.md, "The vector space"), after Linux's vector
 * matrix (kernel/irq/matrix.c): each CPU owns its 256 vectors, so a message-signalled
 * interrupt's vector on one CPU may carry the same number as another device's on another.
 * Vectors installed for every CPU at once (exceptions, IPIs, the local APIC's own, the I/O
 * APIC routes) are "system" vectors: taken on every CPU.  A device's vectors come from the
 * priority class its driver asks for (vectors.h). */
#ifndef CADRE_VECTOR_H
#define CADRE_VECTOR_H

#include "lib/compiler.h"

enum irq_priority {
    IRQ_PRIO_LOW,    /* classes 3-5: keyboard, RTC */
    IRQ_PRIO_NORMAL, /* classes 6-9: serial, edu, virtio */
    IRQ_PRIO_URGENT, /* classes 10-13: the PIT */
};
#define IRQ_PRIOS 3

/* The vectors of a priority class: [first, last]. */
unsigned vector_class_first(enum irq_priority prio);
unsigned vector_class_last(enum irq_priority prio);
const char *vector_prio_name(enum irq_priority prio);

/* Takes `v` on every CPU; false if some CPU has it as its own. */
bool vector_take_system(unsigned v);
void vector_release_system(unsigned v);
/* A vector of the class free on `cpu` (and, when `also` is not -1, free on CPU `also` too),
 * taken on both; -1 when the class is full there. */
int vector_alloc(unsigned cpu, int also, enum irq_priority prio);
void vector_free(unsigned cpu, unsigned v);
/* Whether `v` is taken on `cpu` (by the system or the CPU itself). */
bool vector_used(unsigned cpu, unsigned v);
/* Whether `v` is one of `cpu`'s own (taken by it, not by the system). */
bool vector_own_taken(unsigned cpu, unsigned v);
/* Free vectors of a class on a CPU. */
unsigned vector_free_count(unsigned cpu, enum irq_priority prio);

#endif
