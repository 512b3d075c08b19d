/* Message-signalled interrupts (MSI, MSI-X) on the per-CPU vector space (docs/interrupts.md,
 * "MSI and MSI-X", "Moving a vector"): each vector of a device gets a vector on one CPU, from
 * the priority class its driver asks for, and moves between CPUs at run time without losing a
 * message or running one twice.  The device side (configuration space, the MSI-X table) is
 * the driver layer's (src/dev/pci_msi.c): it hands each request a `struct msi_chip`, as
 * Linux's PCI code hands the IRQ core an irq_chip. */
#ifndef CADRE_IRQ_MSI_H
#define CADRE_IRQ_MSI_H

#include "apic/msi.h"
#include "cpu/percpu.defs.h"
#include "irq/irq.h"
#include "irq/vector.h"

struct msi_chip {
    /* Writes vector `index`'s message: the data word before the address (msi.c says why). */
    void (*write)(void *ctx, unsigned index, const struct msi_msg *msg);
    /* Masks or unmasks the vector; NULL where it cannot be masked (MSI without per-vector
     * masking).  A masked vector's messages wait in the device's pending bits. */
    void (*mask)(void *ctx, unsigned index, bool masked);
    /* Reads from the device: a read's completion cannot pass the device's earlier writes (PCI
     * 3.0 Appendix E), so every message sent before it has arrived. */
    void (*flush)(void *ctx);
};

#define MSI_MAX 32
#define MSI_SOURCE_LEN 12 /* "BB:DD.F" */

struct msi_irq {
    const struct msi_chip *chip;
    void *ctx;
    unsigned index; /* the device's vector number (MSI-X table entry, MSI message) */
    char source[MSI_SOURCE_LEN];
    const char *name;
    enum irq_priority prio;
    irq_handler_t fn;
    void *data;
    struct irq_desc *desc;
    unsigned cpu, vector; /* where its messages go now */
    bool masked;          /* by its driver */
    /* A move whose old vector is not free yet (cleanup pending) */
    bool moving, cleanup_sent, old_shared;
    unsigned old_cpu, old_vector;
    uint64_t moves;
    uint32_t counts[MAX_CPUS]; /* arrivals, on the CPU that took each */
};

extern struct msi_irq msi_irqs[MSI_MAX];
extern unsigned msi_nirqs;

/* Gives vector `index` of a device a vector of class `prio` on `cpu` (-1: the default
 * placement, spread over the online CPUs a message can name, or irq.affinity's choice), writes
 * its message and prints its route line; the device's MSI or MSI-X enable is the caller's.
 * NULL (with a line) when no CPU it may use has a free vector of the class. */
struct msi_irq *msi_irq_request(const struct msi_chip *chip, void *ctx, unsigned index,
                                const char *source, enum irq_priority prio, int cpu,
                                irq_handler_t fn, void *data, const char *name);
/* Moves a vector to another CPU: a vector there, the message rewritten, the old vector freed
 * once the first message arrives at the new one (docs/interrupts.md, "Moving a vector").
 * 0; -1 for a CPU that cannot take it; -2 while the previous move's old vector is still
 * pending on its CPU; -3 when `cpu` has no free vector of the class.  A line says which. */
int msi_irq_set_affinity(struct msi_irq *m, unsigned cpu);
/* Masks (true) or unmasks the vector at the device; false where it cannot be masked. */
bool msi_irq_mask(struct msi_irq *m, bool masked);
/* Frees what a move left once it is safe (flushing the device first); false if it could not
 * yet (a message is still pending at the old vector). */
bool msi_irq_settle(struct msi_irq *m);
/* The vector `index` of device `source` ("00:03.0"), or NULL. */
struct msi_irq *msi_irq_find(const char *source, unsigned index);
/* Whether a message can name this CPU (online, APIC ID within msi_dest_limit()). */
bool msi_can_target(unsigned cpu);
void msi_irq_print(const struct msi_irq *m);
/* Says, once, which CPUs messages can name; installs the cleanup IPI.  After SMP bring-up. */
void msi_init(void);
/* irq.affinity's entries of the form BB:DD.F[/N]:CPU (route.c hands them over); NULL or an error.
 */
const char *msi_affinity_param(const char *entry);

#endif
