/* Device IRQs through the I/O APIC to the CPUs (docs/interrupts.md): an ISA IRQ is mapped to its
 * GSI through the MADT's overrides (with their polarity and trigger), given a vector in the
 * class of its priority, and routed to a CPU by the policy: irq.policy=spread (default) deals
 * the devices out over the online CPUs, irq.policy=bsp keeps them on CPU 0, and
 * irq.affinity=IRQ:CPU,... names CPUs for chosen IRQs.  Routes can move at run time. */
#ifndef CADRE_ROUTE_H
#define CADRE_ROUTE_H

#include "irq/irq.h"
#include "irq/vector.h"

/* One route, as the gdb helper (tools/gdb/cadre.py, cadre-routes) reads it. */
struct irq_route {
    uint8_t irq; /* ISA IRQ */
    uint32_t gsi;
    uint8_t vector;
    uint32_t cpu; /* where the I/O APIC entry sends it now */
    bool level, active_low, masked;
    const char *name;
    irq_handler_t fn; /* the device's handler, run by route.c's own */
    void *data;
    uint32_t move_to; /* a move asked for while the handler ran, or IRQ_NO_MOVE */
};
#define IRQ_NO_MOVE UINT32_MAX

#define IRQ_MAX_ROUTES 16
extern struct irq_route ioapic_routes[IRQ_MAX_ROUTES];
extern unsigned ioapic_nroutes;

/* Routes ISA IRQ `irq` to `fn` and unmasks it; returns the route, or NULL (a line says why). */
const struct irq_route *irq_request(unsigned irq, enum irq_priority prio, irq_handler_t fn,
                                    void *data, const char *name);
/* Moves a route to another online CPU, as Linux moves an I/O APIC interrupt: at once if its
 * handler is not running anywhere, else recorded and done by the handler's own path, on the
 * CPU that took the interrupt, after the handler and before the EOI (route.c says why).
 * Returns once the I/O APIC sends the IRQ to `cpu` (of moves asked for at once, the last
 * wins); -1 for no such route or a CPU that cannot take it.  See ioapic_set_dest() for why no edge
 * is lost by the write. */
int irq_set_affinity(unsigned irq, unsigned cpu);
const struct irq_route *irq_route_of(unsigned irq);
/* Prints every route. */
void irq_routes_print(void);

#endif
