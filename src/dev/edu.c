#include "dev/edu.h"

#include "core/console.h"
#include "cpu/cpu.h"
#include "dev/pci_msi.h"
#include "mm/paging.h"

/* Registers in BAR0 (QEMU docs/specs/edu.rst) */
/* clang-format off: register bits stay indented under their register */
#define EDU_VENDOR 0x1234
#define EDU_DEVICE 0x11e8
#define EDU_ID 0x00 /* 0xRRrr00ed: major, minor version */
#define EDU_ID_MAGIC_MASK 0xffff
#define EDU_ID_MAGIC 0x00ed
#define EDU_IRQ_STATUS 0x24
#define EDU_IRQ_RAISE 0x60
#define EDU_IRQ_ACK 0x64
#define EDU_BAR 0
#define EDU_REGS_LEN 0x100
/* clang-format on */

static volatile uint32_t *regs;
static struct msi_irq *irq;
static uint64_t arrivals, last_tsc;
static uint32_t acked;

static void edu_interrupt(struct regs *r, void *data)
{
    (void)r, (void)data;
    uint64_t now = rdtsc();
    uint32_t st = regs[EDU_IRQ_STATUS / 4];
    /* An MSI is an edge: acknowledging clears the status for the next raise (edu.rst). */
    if (st)
        regs[EDU_IRQ_ACK / 4] = st;
    __atomic_fetch_or(&acked, st, __ATOMIC_RELAXED);
    __atomic_store_n(&last_tsc, now, __ATOMIC_RELAXED);
    __atomic_fetch_add(&arrivals, 1, __ATOMIC_RELEASE);
}

void edu_init(void)
{
    struct pci_dev *d = pci_find(EDU_VENDOR, EDU_DEVICE);
    if (!d) {
        kprintf("edu: no edu device (QEMU -device edu); its tests are skipped");
        return;
    }
    const struct pci_bar *b = &d->bars[EDU_BAR];
    if (b->kind != PCI_BAR_KIND_MEM32 && b->kind != PCI_BAR_KIND_MEM64) {
        kprintf("edu: warning: %s: BAR0 is not memory; not used", d->bdf);
        return;
    }
    regs = ioremap(b->base, EDU_REGS_LEN);
    uint32_t id = regs[EDU_ID / 4];
    if ((id & EDU_ID_MAGIC_MASK) != EDU_ID_MAGIC) {
        kprintf("edu: warning: %s: identification 0x%08x is not edu's; not used", d->bdf, id);
        regs = NULL;
        return;
    }
    irq = pci_msi_enable(d, IRQ_PRIO_NORMAL, edu_interrupt, NULL, "edu");
    kprintf("edu: %s version %u.%u, BAR0 0x%llx, %s", d->bdf, id >> 24, (id >> 16) & 0xff,
            (unsigned long long)b->base, irq ? "MSI on" : "no interrupt");
}

bool edu_present(void) { return irq != NULL; }
struct msi_irq *edu_msi(void) { return irq; }
void edu_raise(uint32_t bits) { regs[EDU_IRQ_RAISE / 4] = bits; }
uint64_t edu_arrivals(void) { return __atomic_load_n(&arrivals, __ATOMIC_ACQUIRE); }
uint64_t edu_last_arrival_tsc(void) { return __atomic_load_n(&last_tsc, __ATOMIC_RELAXED); }
uint32_t edu_acked_bits(void) { return __atomic_load_n(&acked, __ATOMIC_RELAXED); }
