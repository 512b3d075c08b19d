/* MSI and MSI-X for a PCI function (PCI 3.0 §6.8): the device side of src/irq/msi.c.  MSI: one
 * vector (multiple-message MSI needs 2^n contiguous vectors on one CPU, which the per-CPU
 * space could give but no driver here needs), with or without per-vector masking.  MSI-X: its
 * table and pending-bit array mapped from their BAR, every vector masked until it is routed,
 * one mask bit each.  Either way INTx is disabled and bus mastering on (a message is a write). */
#ifndef CADRE_PCI_MSI_H
#define CADRE_PCI_MSI_H

#include "dev/pci.h"
#include "irq/msi.h"

/* Routes the function's MSI to `fn` and enables it; the route line names `name`.  NULL (a
 * line says why) without a usable MSI capability or a free vector. */
struct msi_irq *pci_msi_enable(struct pci_dev *d, enum irq_priority prio, irq_handler_t fn,
                               void *data, const char *name);
/* Routes MSI-X vectors 0..n-1 to fns[i] (data[i]) and enables MSI-X; out[i] gets each.
 * Returns how many were routed (0: MSI-X stays off). */
unsigned pci_msix_enable(struct pci_dev *d, unsigned n, enum irq_priority prio,
                         const irq_handler_t *fns, void *const *data, const char *const *names,
                         struct msi_irq **out);
/* Whether MSI-X vector `index`'s pending bit is set (PCI 3.0 §6.8.2.10). */
bool pci_msix_pending(const struct pci_dev *d, unsigned index);
/* Whether MSI vector 0's pending bit is set (maskable MSI only). */
bool pci_msi_pending(const struct pci_dev *d);
/* The message the device holds now for vector `index` (MSI: 0), read back from it. */
void pci_msi_read_msg(const struct pci_dev *d, unsigned index, struct msi_msg *msg);

/* The chips, for the tests to drive a fake function's configuration space. */
extern const struct msi_chip pci_msi_chip, pci_msi_chip_maskable, pci_msix_chip;

#endif
