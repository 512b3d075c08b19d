#include "dev/virtio_rng.h"

#include "core/console.h"
#include "core/time.h"
#include "cpu/cpu.h"
#include "cpu/spinlock.h"
#include "dev/pci_msi.h"
#include "lib/string.h"
#include "mm/direct_map.h"
#include "mm/paging.h"
#include "mm/pmm.h"

/* clang-format off: register bits stay indented under their register */
#define VIRTIO_VENDOR 0x1af4
#define VIRTIO_RNG_TRANSITIONAL 0x1005 /* virtio 1.1 §4.1.2.1: 0x1000 + id - 1 */
#define VIRTIO_RNG_MODERN 0x1044       /* 0x1040 + device ID 4 */

/* Virtio PCI capabilities (§4.1.4): vendor-specific, with the structure's BAR and place. */
#define VIRTIO_CAP_CFG_TYPE 3
#define VIRTIO_CAP_BAR 4
#define VIRTIO_CAP_OFFSET 8
#define VIRTIO_CAP_LENGTH 12
#define VIRTIO_CAP_NOTIFY_MULT 16
#define VIRTIO_PCI_CAP_COMMON_CFG 1
#define VIRTIO_PCI_CAP_NOTIFY_CFG 2

/* The common configuration structure (§4.1.4.3) */
#define VIRTIO_DEVICE_FEATURE_SELECT 0x00
#define VIRTIO_DEVICE_FEATURE 0x04
#define VIRTIO_DRIVER_FEATURE_SELECT 0x08
#define VIRTIO_DRIVER_FEATURE 0x0c
#define VIRTIO_MSIX_CONFIG 0x10
#define VIRTIO_DEVICE_STATUS 0x14
#define VIRTIO_STATUS_ACKNOWLEDGE 1 /* §2.1 */
#define VIRTIO_STATUS_DRIVER 2
#define VIRTIO_STATUS_DRIVER_OK 4
#define VIRTIO_STATUS_FEATURES_OK 8
#define VIRTIO_STATUS_FAILED 128
#define VIRTIO_QUEUE_SELECT 0x16
#define VIRTIO_QUEUE_SIZE 0x18
#define VIRTIO_QUEUE_MSIX_VECTOR 0x1a
#define VIRTIO_MSI_NO_VECTOR 0xffff
#define VIRTIO_QUEUE_ENABLE 0x1c
#define VIRTIO_QUEUE_NOTIFY_OFF 0x1e
#define VIRTIO_QUEUE_DESC 0x20
#define VIRTIO_QUEUE_DRIVER 0x28
#define VIRTIO_QUEUE_DEVICE 0x30
#define VIRTIO_F_VERSION_1_WORD 1 /* feature bit 32: bit 0 of the second word (§6) */
#define VIRTIO_F_VERSION_1_BIT 0x1
/* clang-format on */

/* The split virtqueue (§2.6), laid out in one page: descriptors, then the driver (avail)
 * ring, then the device (used) ring at the next 4-byte boundary. */
#define QSIZE 8
#define VIRTQ_DESC_F_WRITE 2
struct virtq_desc {
    uint64_t addr;
    uint32_t len;
    uint16_t flags, next;
};
struct virtq_avail {
    uint16_t flags, idx, ring[QSIZE], used_event;
};
struct virtq_used_elem {
    uint32_t id, len;
};
struct virtq_used {
    uint16_t flags, idx;
    struct virtq_used_elem ring[QSIZE];
    uint16_t avail_event;
};
struct vq_page {
    struct virtq_desc desc[QSIZE];
    struct virtq_avail avail;
    uint16_t pad;
    struct virtq_used used __aligned(4);
    uint8_t buf[QSIZE][16];
};
_Static_assert(sizeof(struct vq_page) <= PAGE_SIZE, "virtqueue in a page");

#define MSIX_CONFIG_ENTRY 0
#define MSIX_QUEUE_ENTRY 1
#define RNG_BUF_LEN 8

static struct pci_dev *pci;
static volatile uint8_t *common;
static volatile uint16_t *notify;
static struct vq_page *vq;
static uint64_t vq_phys;
static uint16_t avail_idx, used_seen;
static unsigned outstanding;
static struct msi_irq *irqs[2];
static uint64_t arrivals, bytes;
static struct spinlock lock = SPINLOCK_INIT;

#define C8(off) (*(volatile uint8_t *)(common + (off)))
#define C16(off) (*(volatile uint16_t *)(common + (off)))
#define C32(off) (*(volatile uint32_t *)(common + (off)))
#define C64(off) (*(volatile uint64_t *)(common + (off)))

static void queue_interrupt(struct regs *r, void *data)
{
    (void)r, (void)data;
    bool irqs_on = spin_lock(&lock);
    uint16_t idx = __atomic_load_n(&vq->used.idx, __ATOMIC_ACQUIRE);
    while (used_seen != idx) {
        bytes += vq->used.ring[used_seen % QSIZE].len;
        used_seen++;
        outstanding--;
        __atomic_fetch_add(&arrivals, 1, __ATOMIC_RELEASE);
    }
    spin_unlock(&lock, irqs_on);
}

static void config_interrupt(struct regs *r, void *data)
{
    (void)r, (void)data;
    kprintf("virtio-rng: configuration change interrupt");
}

/* A structure a virtio capability points at, mapped. */
static volatile uint8_t *map_cap(const struct pci_dev *d, unsigned off, uint32_t *mult)
{
    unsigned bar = pci_read32(d, off + VIRTIO_CAP_BAR) & 0xff;
    uint32_t offset = pci_read32(d, off + VIRTIO_CAP_OFFSET),
             len = pci_read32(d, off + VIRTIO_CAP_LENGTH);
    if (mult)
        *mult = pci_read32(d, off + VIRTIO_CAP_NOTIFY_MULT);
    if (bar >= PCI_BARS ||
        (d->bars[bar].kind != PCI_BAR_KIND_MEM32 && d->bars[bar].kind != PCI_BAR_KIND_MEM64) ||
        (uint64_t)offset + len > d->bars[bar].size || !len)
        return NULL;
    return ioremap(d->bars[bar].base + offset, len);
}

static bool setup(struct pci_dev *d)
{
    uint32_t mult = 0;
    volatile uint8_t *notify_base = NULL;
    for (int i = 0; i < d->ncaps; i++) {
        if (d->caps[i].id != PCI_CAP_ID_VENDOR)
            continue;
        unsigned type = pci_read32(d, d->caps[i].offset) >> (8 * VIRTIO_CAP_CFG_TYPE) & 0xff;
        if (type == VIRTIO_PCI_CAP_COMMON_CFG && !common)
            common = map_cap(d, d->caps[i].offset, NULL);
        else if (type == VIRTIO_PCI_CAP_NOTIFY_CFG && !notify_base)
            notify_base = map_cap(d, d->caps[i].offset, &mult);
    }
    if (!common || !notify_base) {
        kprintf("virtio-rng: warning: %s has no modern (virtio 1.x) common or notify structure; "
                "not used",
                d->bdf);
        return false;
    }
    /* Initialisation (§3.1.1): reset, acknowledge, driver, features, queue, driver ok. */
    C8(VIRTIO_DEVICE_STATUS) = 0;
    uint64_t deadline = time_deadline_us(100000);
    while (C8(VIRTIO_DEVICE_STATUS) && !time_after(deadline))
        cpu_relax();
    C8(VIRTIO_DEVICE_STATUS) = VIRTIO_STATUS_ACKNOWLEDGE;
    C8(VIRTIO_DEVICE_STATUS) = VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER;
    C32(VIRTIO_DEVICE_FEATURE_SELECT) = VIRTIO_F_VERSION_1_WORD;
    if (!(C32(VIRTIO_DEVICE_FEATURE) & VIRTIO_F_VERSION_1_BIT)) {
        kprintf("virtio-rng: warning: %s does not offer VIRTIO_F_VERSION_1; not used", d->bdf);
        return false;
    }
    C32(VIRTIO_DRIVER_FEATURE_SELECT) = 0;
    C32(VIRTIO_DRIVER_FEATURE) = 0;
    C32(VIRTIO_DRIVER_FEATURE_SELECT) = VIRTIO_F_VERSION_1_WORD;
    C32(VIRTIO_DRIVER_FEATURE) = VIRTIO_F_VERSION_1_BIT;
    C8(VIRTIO_DEVICE_STATUS) =
        VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER | VIRTIO_STATUS_FEATURES_OK;
    if (!(C8(VIRTIO_DEVICE_STATUS) & VIRTIO_STATUS_FEATURES_OK)) {
        kprintf("virtio-rng: warning: %s refused the features; not used", d->bdf);
        return false;
    }
    /* MSI-X first: the device takes vector numbers only once MSI-X is on (§4.1.5.1.2). */
    static const irq_handler_t fns[2] = { config_interrupt, queue_interrupt };
    static void *const datas[2] = { NULL, NULL };
    static const char *const names[2] = { "virtio-rng config", "virtio-rng queue" };
    if (pci_msix_enable(d, 2, IRQ_PRIO_NORMAL, fns, datas, names, irqs) < 2 || !irqs[1])
        return false;
    C16(VIRTIO_MSIX_CONFIG) = MSIX_CONFIG_ENTRY;
    C16(VIRTIO_QUEUE_SELECT) = 0;
    uint16_t max = C16(VIRTIO_QUEUE_SIZE);
    if (max < QSIZE) {
        kprintf("virtio-rng: warning: %s queue 0 has %u entries, fewer than %u; not used", d->bdf,
                max, QSIZE);
        return false;
    }
    vq_phys = pmm_alloc_page();
    if (!vq_phys) {
        kprintf("virtio-rng: warning: no memory for the queue");
        return false;
    }
    vq = phys_to_virt(vq_phys);
    memset(vq, 0, sizeof *vq);
    C16(VIRTIO_QUEUE_SIZE) = QSIZE;
    C16(VIRTIO_QUEUE_MSIX_VECTOR) = MSIX_QUEUE_ENTRY;
    if (C16(VIRTIO_QUEUE_MSIX_VECTOR) == VIRTIO_MSI_NO_VECTOR) {
        kprintf("virtio-rng: warning: %s did not take MSI-X entry %u for its queue; not used",
                d->bdf, MSIX_QUEUE_ENTRY);
        return false;
    }
    C64(VIRTIO_QUEUE_DESC) = vq_phys + __builtin_offsetof(struct vq_page, desc);
    C64(VIRTIO_QUEUE_DRIVER) = vq_phys + __builtin_offsetof(struct vq_page, avail);
    C64(VIRTIO_QUEUE_DEVICE) = vq_phys + __builtin_offsetof(struct vq_page, used);
    notify = (volatile uint16_t *)(notify_base + (uint32_t)C16(VIRTIO_QUEUE_NOTIFY_OFF) * mult);
    C16(VIRTIO_QUEUE_ENABLE) = 1;
    C8(VIRTIO_DEVICE_STATUS) = VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER |
                               VIRTIO_STATUS_FEATURES_OK | VIRTIO_STATUS_DRIVER_OK;
    return true;
}

void virtio_rng_init(void)
{
    struct pci_dev *d = pci_find(VIRTIO_VENDOR, VIRTIO_RNG_TRANSITIONAL);
    if (!d)
        d = pci_find(VIRTIO_VENDOR, VIRTIO_RNG_MODERN);
    if (!d) {
        kprintf("virtio-rng: no virtio-rng device (QEMU -device virtio-rng-pci); its tests are "
                "skipped");
        return;
    }
    if (!setup(d)) {
        if (common)
            C8(VIRTIO_DEVICE_STATUS) = VIRTIO_STATUS_FAILED;
        return;
    }
    pci = d;
    kprintf("virtio-rng: %s ready: queue 0 of %u buffers on MSI-X entry %u", d->bdf, QSIZE,
            MSIX_QUEUE_ENTRY);
}

bool virtio_rng_present(void) { return pci != NULL; }
struct msi_irq *virtio_rng_queue_msi(void) { return irqs[1]; }
struct msi_irq *virtio_rng_config_msi(void) { return irqs[0]; }
struct pci_dev *virtio_rng_pci(void) { return pci; }

bool virtio_rng_request(void)
{
    bool irqs_on = spin_lock(&lock);
    if (!pci || outstanding == QSIZE) {
        spin_unlock(&lock, irqs_on);
        return false;
    }
    unsigned slot = avail_idx % QSIZE;
    vq->desc[slot] =
        (struct virtq_desc){ .addr = vq_phys + __builtin_offsetof(struct vq_page, buf) + slot * 16,
                             .len = RNG_BUF_LEN,
                             .flags = VIRTQ_DESC_F_WRITE };
    vq->avail.ring[slot] = (uint16_t)slot;
    outstanding++;
    avail_idx++;
    /* The descriptor before the index, the index before the notification (§2.6.13). */
    __atomic_store_n(&vq->avail.idx, avail_idx, __ATOMIC_RELEASE);
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    spin_unlock(&lock, irqs_on);
    *notify = 0; /* queue 0 */
    return true;
}

uint64_t virtio_rng_arrivals(void) { return __atomic_load_n(&arrivals, __ATOMIC_ACQUIRE); }
uint64_t virtio_rng_bytes(void) { return __atomic_load_n(&bytes, __ATOMIC_RELAXED); }
