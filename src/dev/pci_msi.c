#include "dev/pci_msi.h"

#include "core/console.h"
#include "mm/paging.h"

static void msi_write(void *ctx, unsigned index, const struct msi_msg *msg)
{
    const struct pci_dev *d = ctx;
    (void)index;
    /* Data first, then the address: msi.c's move relies on the device never mixing the new
     * address with the old vector (irq/msi.c, msi_irq_set_affinity). */
    pci_write16(d, d->msi.data, (uint16_t)msg->data);
    if (d->msi.is64)
        pci_write32(d, d->msi.addr_hi, msg->addr_hi);
    pci_write32(d, d->msi.addr_lo, msg->addr_lo);
}

static void msi_mask(void *ctx, unsigned index, bool masked)
{
    const struct pci_dev *d = ctx;
    uint32_t bits = pci_read32(d, d->msi.mask);
    bits = masked ? bits | 1u << index : bits & ~(1u << index);
    pci_write32(d, d->msi.mask, bits);
}

static void cfg_flush(void *ctx) { (void)pci_read32(ctx, PCI_VENDOR_ID); }

const struct msi_chip pci_msi_chip = { .write = msi_write, .mask = NULL, .flush = cfg_flush };
const struct msi_chip pci_msi_chip_maskable = { .write = msi_write,
                                                .mask = msi_mask,
                                                .flush = cfg_flush };

static volatile uint32_t *msix_entry(const struct pci_dev *d, unsigned index, unsigned reg)
{
    return (volatile uint32_t *)(d->msix_table + index * PCI_MSIX_ENTRY_SIZE + reg);
}

static void msix_write(void *ctx, unsigned index, const struct msi_msg *msg)
{
    const struct pci_dev *d = ctx;
    *msix_entry(d, index, PCI_MSIX_ENTRY_ADDR_LO) = msg->addr_lo;
    *msix_entry(d, index, PCI_MSIX_ENTRY_ADDR_HI) = msg->addr_hi;
    *msix_entry(d, index, PCI_MSIX_ENTRY_DATA) = msg->data;
}

static void msix_mask(void *ctx, unsigned index, bool masked)
{
    const struct pci_dev *d = ctx;
    volatile uint32_t *ctl = msix_entry(d, index, PCI_MSIX_ENTRY_CONTROL);
    uint32_t v = *ctl;
    *ctl = masked ? v | PCI_MSIX_ENTRY_MASKED : v & ~(uint32_t)PCI_MSIX_ENTRY_MASKED;
    (void)*ctl; /* the read makes the write reach the device before we go on */
}

static void msix_flush(void *ctx) { (void)*msix_entry(ctx, 0, PCI_MSIX_ENTRY_CONTROL); }

const struct msi_chip pci_msix_chip = { .write = msix_write,
                                        .mask = msix_mask,
                                        .flush = msix_flush };

/* A message is a memory write by the function: bus mastering on; INTx off (§6.8: a function
 * with MSI enabled does not use INTx, and the bit keeps the pin quiet for sure). */
static void master_on(const struct pci_dev *d)
{
    uint16_t cmd = pci_read16(d, PCI_COMMAND);
    pci_write16(d, PCI_COMMAND,
                cmd | PCI_COMMAND_MASTER | PCI_COMMAND_MEMORY | PCI_COMMAND_INTX_DISABLE);
}

struct msi_irq *pci_msi_enable(struct pci_dev *d, enum irq_priority prio, irq_handler_t fn,
                               void *data, const char *name)
{
    if (d->skipped || !d->has_msi) {
        kprintf("msi: warning: %s %s has no usable MSI capability", d->bdf, name);
        return NULL;
    }
    unsigned ctl_off = d->msi.offset + PCI_MSI_CONTROL;
    uint16_t ctl = pci_read16(d, ctl_off);
    /* Off while its message is written; one vector (MME 0). */
    pci_write16(d, ctl_off,
                ctl & (uint16_t) ~(PCI_MSI_ENABLE | PCI_MSI_MM_MASK << PCI_MSI_MME_SHIFT));
    if (d->msi.maskable)
        msi_mask(d, 0, false);
    struct msi_irq *m = msi_irq_request(d->msi.maskable ? &pci_msi_chip_maskable : &pci_msi_chip, d,
                                        0, d->bdf, prio, -1, fn, data, name);
    if (!m)
        return NULL;
    master_on(d);
    pci_write16(d, ctl_off,
                (pci_read16(d, ctl_off) & (uint16_t) ~(PCI_MSI_MM_MASK << PCI_MSI_MME_SHIFT)) |
                    PCI_MSI_ENABLE);
    d->msi_on = true;
    return m;
}

unsigned pci_msix_enable(struct pci_dev *d, unsigned n, enum irq_priority prio,
                         const irq_handler_t *fns, void *const *data, const char *const *names,
                         struct msi_irq **out)
{
    if (d->skipped || !d->has_msix) {
        kprintf("msi: warning: %s has no usable MSI-X capability", d->bdf);
        return 0;
    }
    if (n > d->msix.vectors) {
        kprintf("msi: warning: %s has %u MSI-X vectors, not %u; routing %u", d->bdf,
                d->msix.vectors, n, d->msix.vectors);
        n = d->msix.vectors;
    }
    const struct pci_bar *tb = &d->bars[d->msix.table_bar], *pb = &d->bars[d->msix.pba_bar];
    d->msix_table = ioremap(tb->base + d->msix.table_offset, d->msix.vectors * PCI_MSIX_ENTRY_SIZE);
    d->msix_pba = ioremap(pb->base + d->msix.pba_offset, (d->msix.vectors + 63) / 64 * 8);
    unsigned ctl_off = d->msix.offset + PCI_MSIX_CONTROL;
    /* Enabled with the whole function masked, so that the table can be written and no vector
     * fires half set up; then every entry masked, and the function mask lifted (§6.8.2.3). */
    master_on(d);
    pci_write16(d, ctl_off, pci_read16(d, ctl_off) | PCI_MSIX_ENABLE | PCI_MSIX_FUNCTION_MASK);
    for (unsigned i = 0; i < d->msix.vectors; i++)
        msix_mask(d, i, true);
    unsigned routed = 0;
    for (unsigned i = 0; i < n; i++) {
        out[i] = msi_irq_request(&pci_msix_chip, d, i, d->bdf, prio, -1, fns[i], data[i], names[i]);
        if (out[i]) {
            msix_mask(d, i, false);
            routed++;
        }
    }
    pci_write16(d, ctl_off, pci_read16(d, ctl_off) & (uint16_t)~PCI_MSIX_FUNCTION_MASK);
    d->msix_on = routed > 0;
    if (!routed)
        pci_write16(d, ctl_off, pci_read16(d, ctl_off) & (uint16_t)~PCI_MSIX_ENABLE);
    return routed;
}

bool pci_msix_pending(const struct pci_dev *d, unsigned index)
{
    volatile uint64_t *pba = (volatile uint64_t *)d->msix_pba;
    return pba && (pba[index / 64] >> (index % 64) & 1);
}

bool pci_msi_pending(const struct pci_dev *d)
{
    return d->msi.maskable && (pci_read32(d, d->msi.pending) & 1);
}

void pci_msi_read_msg(const struct pci_dev *d, unsigned index, struct msi_msg *msg)
{
    if (d->msix_on) {
        msg->addr_lo = *msix_entry(d, index, PCI_MSIX_ENTRY_ADDR_LO);
        msg->addr_hi = *msix_entry(d, index, PCI_MSIX_ENTRY_ADDR_HI);
        msg->data = *msix_entry(d, index, PCI_MSIX_ENTRY_DATA);
        return;
    }
    msg->addr_lo = pci_read32(d, d->msi.addr_lo);
    msg->addr_hi = d->msi.is64 ? pci_read32(d, d->msi.addr_hi) : 0;
    msg->data = pci_read16(d, d->msi.data);
}
