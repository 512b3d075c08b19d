/* Interrupt priority on this CPU through the local APIC's TPR: raising it to a class holds every
 * interrupt of that class and below in the IRR until it is lowered again (SDM vol. 3A §11.8.3.1).
 * Handlers need no TPR: while one runs, its ISR bit already holds its class and those below
 * (§11.8.4), so a handler that enables interrupts is preempted only by higher classes. */
#ifndef CADRE_PRIORITY_H
#define CADRE_PRIORITY_H

#include "apic/lapic.h"

/* Blocks classes <= class (never lowers the current priority); returns the old one. */
static inline unsigned irq_priority_raise(unsigned class)
{
    unsigned old = lapic_tpr_class();
    if (class > old)
        lapic_set_tpr_class(class);
    return old;
}

static inline void irq_priority_restore(unsigned old) { lapic_set_tpr_class(old); }

#endif
