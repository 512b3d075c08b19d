#include "dev/pci.h"

#include "acpi/acpi_boot.h"
#include "core/console.h"
#include "cpu/cpu.h"
#include "cpu/spinlock.h"
#include "lib/printf.h"
#include "lib/string.h"
#include "mm/paging.h"

struct pci_dev pci_devs[PCI_MAX_DEVS];
unsigned pci_ndevs;

/* Configuration mechanism #1 (PCI 3.0 §3.2.2.3.2): an address at 0xCF8, the dword at 0xCFC.
 * The pair is one register set for the machine, so one lock orders its users. */
/* clang-format off: register bits stay indented under their register */
#define PCI_CONFIG_ADDRESS 0xcf8
#define PCI_CONFIG_DATA 0xcfc
#define PCI_CONFIG_ENABLE 0x80000000u
#define PCI_CONFIG_BUS_SHIFT 16
#define PCI_CONFIG_DEV_SHIFT 11
#define PCI_CONFIG_FN_SHIFT 8
/* clang-format on */
static struct spinlock port_lock = SPINLOCK_INIT;

static uint32_t port_address(unsigned bus, unsigned dev, unsigned fn, unsigned off)
{
    return PCI_CONFIG_ENABLE | bus << PCI_CONFIG_BUS_SHIFT | dev << PCI_CONFIG_DEV_SHIFT |
           fn << PCI_CONFIG_FN_SHIFT | (off & PCI_CAP_PTR_MASK);
}

static uint32_t port_read(void *ctx, unsigned bus, unsigned dev, unsigned fn, unsigned off)
{
    (void)ctx;
    bool irqs = spin_lock(&port_lock);
    outl(PCI_CONFIG_ADDRESS, port_address(bus, dev, fn, off));
    uint32_t v = inl(PCI_CONFIG_DATA);
    spin_unlock(&port_lock, irqs);
    return v;
}

static void port_write(void *ctx, unsigned bus, unsigned dev, unsigned fn, unsigned off, uint32_t v)
{
    (void)ctx;
    bool irqs = spin_lock(&port_lock);
    outl(PCI_CONFIG_ADDRESS, port_address(bus, dev, fn, off));
    outl(PCI_CONFIG_DATA, v);
    spin_unlock(&port_lock, irqs);
}

const struct pci_access pci_port_access = { .name = "ports 0xcf8/0xcfc",
                                            .read = port_read,
                                            .write = port_write };

/* ECAM (PCIe base 4.0 §7.2.2): bus << 20 | device << 15 | function << 12 | offset, each bus's
 * 1 MiB mapped uncached the first time it is used. */
#define ECAM_BUS_SHIFT 20
#define ECAM_DEV_SHIFT 15
#define ECAM_FN_SHIFT 12
#define ECAM_BUS_SIZE (1u << ECAM_BUS_SHIFT)
static struct {
    uint64_t base;
    unsigned bus_start, bus_end;
    volatile uint8_t *bus_va[PCI_BUSES];
} ecam;
static struct spinlock ecam_lock = SPINLOCK_INIT;

static volatile uint32_t *ecam_reg(unsigned bus, unsigned dev, unsigned fn, unsigned off)
{
    if (bus < ecam.bus_start || bus > ecam.bus_end)
        return NULL;
    volatile uint8_t *va = __atomic_load_n(&ecam.bus_va[bus], __ATOMIC_ACQUIRE);
    if (!va) {
        bool irqs = spin_lock(&ecam_lock);
        if (!ecam.bus_va[bus])
            __atomic_store_n(&ecam.bus_va[bus],
                             ioremap(ecam.base + ((uint64_t)bus << ECAM_BUS_SHIFT), ECAM_BUS_SIZE),
                             __ATOMIC_RELEASE);
        va = ecam.bus_va[bus];
        spin_unlock(&ecam_lock, irqs);
    }
    return (volatile uint32_t *)(va + (dev << ECAM_DEV_SHIFT | fn << ECAM_FN_SHIFT | (off & ~3u)));
}

static uint32_t ecam_read(void *ctx, unsigned bus, unsigned dev, unsigned fn, unsigned off)
{
    (void)ctx;
    volatile uint32_t *r = ecam_reg(bus, dev, fn, off);
    return r ? *r : 0xffffffff; /* a bus outside the window reads as no device */
}

static void ecam_write(void *ctx, unsigned bus, unsigned dev, unsigned fn, unsigned off, uint32_t v)
{
    (void)ctx;
    volatile uint32_t *r = ecam_reg(bus, dev, fn, off);
    if (r)
        *r = v;
}

static const struct pci_access ecam_access = { .name = "ecam",
                                               .read = ecam_read,
                                               .write = ecam_write };
static const struct pci_access *access;

const char *pci_access_name(void) { return access ? access->name : "none"; }

uint32_t pci_read32(const struct pci_dev *d, unsigned off)
{
    return d->access->read(d->access->ctx, d->bus, d->dev, d->fn, off);
}

uint16_t pci_read16(const struct pci_dev *d, unsigned off)
{
    return (uint16_t)(pci_read32(d, off & ~3u) >> (8 * (off & 2)));
}

void pci_write32(const struct pci_dev *d, unsigned off, uint32_t v)
{
    d->access->write(d->access->ctx, d->bus, d->dev, d->fn, off, v);
}

/* A 16-bit write as a dword read-modify-write: both mechanisms take dwords here.  No register
 * cadre writes this way shares its dword with one that a write of the read value disturbs
 * (the status register's RW1C bits sit beside the command register: written as 0). */
void pci_write16(const struct pci_dev *d, unsigned off, uint16_t v)
{
    unsigned shift = 8 * (off & 2);
    uint32_t old = pci_read32(d, off & ~3u);
    if ((off & ~3u) == PCI_COMMAND)
        old &= 0xffff; /* status: write-1-to-clear bits (§6.2.3) */
    pci_write32(d, off & ~3u, (old & ~(0xffffu << shift)) | (uint32_t)v << shift);
}

/* The physical address width (CPUID 0x80000008 EAX[7:0], SDM vol. 2A "CPUID"). */
#define CPUID_ADDR_SIZES 0x80000008u
#define CPUID_EXT_MAX 0x80000000u
#define PHYS_BITS_DEFAULT 36

bool pci_ecam_usable(uint64_t base, unsigned bus_start, unsigned bus_end, char *why, size_t whylen)
{
    unsigned bits = PHYS_BITS_DEFAULT;
    if (cpuid(CPUID_EXT_MAX, 0).eax >= CPUID_ADDR_SIZES)
        bits = cpuid(CPUID_ADDR_SIZES, 0).eax & 0xff;
    uint64_t lo = base + ((uint64_t)bus_start << ECAM_BUS_SHIFT);
    uint64_t len = (uint64_t)(bus_end - bus_start + 1) << ECAM_BUS_SHIFT;
    if (bits < 64 && lo + len > 1ull << bits) {
        snprintf(why, whylen,
                 "ECAM window 0x%llx-0x%llx is beyond the %u-bit physical address space",
                 (unsigned long long)lo, (unsigned long long)(lo + len - 1), bits);
        return false;
    }
    if (paging_holds_memory(lo, len)) {
        snprintf(why, whylen, "ECAM window 0x%llx-0x%llx overlaps RAM in the memory map",
                 (unsigned long long)lo, (unsigned long long)(lo + len - 1));
        return false;
    }
    return true;
}

/* Names of the functions QEMU offers; anything else is named by its class. */
static const char *device_name(uint16_t vendor, uint16_t device)
{
    static const struct {
        uint16_t vendor, device;
        const char *name;
    } known[] = {
        { 0x8086, 0x1237, "i440fx host bridge" },
        { 0x8086, 0x7000, "piix3 isa bridge" },
        { 0x8086, 0x7010, "piix3 ide" },
        { 0x8086, 0x7113, "piix4 acpi" },
        { 0x8086, 0x29c0, "q35 host bridge" },
        { 0x8086, 0x2918, "ich9 lpc bridge" },
        { 0x8086, 0x2922, "ich9 ahci" },
        { 0x8086, 0x2930, "ich9 smbus" },
        { 0x8086, 0x100e, "e1000" },
        { 0x8086, 0x10d3, "e1000e" },
        { 0x1234, 0x1111, "vga" },
        { 0x1234, 0x11e8, "edu" },
        { 0x1af4, 0x1000, "virtio-net" },
        { 0x1af4, 0x1041, "virtio-net" },
        { 0x1af4, 0x1005, "virtio-rng" },
        { 0x1af4, 0x1044, "virtio-rng" },
        { 0x1b36, 0x0005, "pci-testdev" },
    };
    for (unsigned i = 0; i < ARRAY_SIZE(known); i++)
        if (known[i].vendor == vendor && known[i].device == device)
            return known[i].name;
    return NULL;
}

/* Sizes the BARs (§6.2.5.1): with decoding off, all ones written and read back, the value put
 * back.  Returns -1 (why filled) for a BAR that cannot be used. */
static int read_bars(struct pci_dev *d, unsigned nbars)
{
    uint32_t raw[PCI_BARS] = { 0 }, probe[PCI_BARS] = { 0 };
    uint16_t cmd = pci_read16(d, PCI_COMMAND);
    pci_write16(d, PCI_COMMAND, cmd & (uint16_t) ~(PCI_COMMAND_IO | PCI_COMMAND_MEMORY));
    for (unsigned i = 0; i < nbars; i++) {
        unsigned off = PCI_BAR0 + 4 * i;
        raw[i] = pci_read32(d, off);
        pci_write32(d, off, 0xffffffff);
        probe[i] = pci_read32(d, off);
        pci_write32(d, off, raw[i]);
    }
    pci_write16(d, PCI_COMMAND, cmd);
    for (unsigned i = 0; i < nbars;) {
        int used = pci_bar_decode(raw, probe, i, nbars, &d->bars[i], d->why, sizeof d->why);
        if (used < 0)
            return -1;
        i += (unsigned)used;
    }
    return 0;
}

static void read_config(const struct pci_dev *d, uint8_t cfg[PCI_CFG_SIZE])
{
    for (unsigned off = 0; off < PCI_CFG_SIZE; off += 4) {
        uint32_t v = pci_read32(d, off);
        memcpy(cfg + off, &v, 4);
    }
}

bool pci_size_bars(struct pci_dev *d)
{
    if (d->skipped)
        return false;
    if (d->bars_sized)
        return true;
    d->bars_sized = true;
    unsigned type = d->header & PCI_HEADER_TYPE_MASK;
    if (read_bars(d, type == PCI_HEADER_NORMAL ? PCI_BARS : PCI_BRIDGE_BARS) < 0) {
        d->skipped = true;
        kprintf("pci: warning: %s: %s; device skipped", d->bdf, d->why);
        return false;
    }
    unsigned off = pci_cap_find(d->caps, d->ncaps, PCI_CAP_ID_MSIX);
    if (off) {
        uint8_t cfg[PCI_CFG_SIZE];
        read_config(d, cfg);
        char why[PCI_WHY_LEN];
        d->has_msix = !pci_msix_parse(cfg, off, d->bars, &d->msix, why, sizeof why);
        if (!d->has_msix) /* the rest of the function is usable */
            kprintf("pci: warning: %s: %s; that capability is not used", d->bdf, why);
    }
    return true;
}

static void read_function(const struct pci_access *a, struct pci_dev *d, unsigned bus, unsigned dev,
                          unsigned fn)
{
    uint8_t cfg[PCI_CFG_SIZE];
    *d = (struct pci_dev){
        .access = a, .bus = (uint8_t)bus, .dev = (uint8_t)dev, .fn = (uint8_t)fn
    };
    snprintf(d->bdf, sizeof d->bdf, "%02x:%02x.%x", bus, dev, fn);
    read_config(d, cfg);
    d->vendor = (uint16_t)(cfg[PCI_VENDOR_ID] | cfg[PCI_VENDOR_ID + 1] << 8);
    d->device = (uint16_t)(cfg[PCI_DEVICE_ID] | cfg[PCI_DEVICE_ID + 1] << 8);
    d->class = cfg[PCI_CLASS];
    d->subclass = cfg[PCI_SUBCLASS];
    d->prog_if = cfg[PCI_PROG_IF];
    d->header = cfg[PCI_HEADER_TYPE];
    d->int_pin = cfg[PCI_INTERRUPT_PIN];
    d->what = device_name(d->vendor, d->device);
    if (!d->what)
        d->what = pci_class_name(d->class, d->subclass);
    kprintf("pci: %s %04x:%04x class %02x%02x %s", d->bdf, d->vendor, d->device, d->class,
            d->subclass, d->what);

    unsigned type = d->header & PCI_HEADER_TYPE_MASK;
    if (type != PCI_HEADER_NORMAL && type != PCI_HEADER_BRIDGE) {
        snprintf(d->why, sizeof d->why, "header type %u is not one cadre reads", type);
        d->skipped = true;
    } else if ((d->ncaps = pci_caps_walk(cfg, d->caps, d->why, sizeof d->why)) < 0) {
        d->skipped = true;
    }
    if (!d->skipped) {
        unsigned off = pci_cap_find(d->caps, d->ncaps, PCI_CAP_ID_MSI);
        if (off && pci_msi_parse(cfg, off, &d->msi, d->why, sizeof d->why)) {
            /* an MSI capability that did not parse: the rest is usable */
            kprintf("pci: warning: %s: %s; that capability is not used", d->bdf, d->why);
            d->why[0] = '\0';
        } else {
            d->has_msi = off != 0;
        }
    } else {
        if (d->ncaps < 0)
            d->ncaps = 0;
        kprintf("pci: warning: %s: %s; device skipped", d->bdf, d->why);
    }
    if (!d->skipped && d->int_pin && !d->has_msi &&
        !pci_cap_find(d->caps, d->ncaps, PCI_CAP_ID_MSIX))
        kprintf("pci: %s has no MSI or MSI-X; its INTx pin INT%c# is not routed: without an AML "
                "interpreter "
                "cadre cannot read the ACPI _PRT that says where it goes",
                d->bdf, 'A' + (d->int_pin - 1) % 4);
}

unsigned pci_scan(const struct pci_access *a, struct pci_dev *out, unsigned max)
{
    /* Buses are reached from bus 0 through the bridges' secondary bus numbers, each once. */
    uint8_t queue[PCI_BUSES];
    uint64_t seen[PCI_BUSES / 64] = { 1 };
    unsigned head = 0, tail = 0, n = 0;
    bool full = false;
    queue[tail++] = 0;
    while (head < tail) {
        unsigned bus = queue[head++];
        for (unsigned dev = 0; dev < PCI_DEVICES; dev++) {
            for (unsigned fn = 0; fn < PCI_FUNCTIONS; fn++) {
                uint32_t id = a->read(a->ctx, bus, dev, fn, PCI_VENDOR_ID);
                if ((id & 0xffff) == PCI_VENDOR_NONE) {
                    if (fn == 0)
                        break; /* no function 0: no device (§6.2.1) */
                    continue;
                }
                if (n == max) {
                    if (!full)
                        kprintf("pci: warning: more than %u functions; the rest are not read", max);
                    full = true;
                    break;
                }
                struct pci_dev *d = &out[n++];
                read_function(a, d, bus, dev, fn);
                if ((d->header & PCI_HEADER_TYPE_MASK) == PCI_HEADER_BRIDGE) {
                    unsigned sec = a->read(a->ctx, bus, dev, fn, PCI_SECONDARY_BUS & ~3u) >>
                                       (8 * (PCI_SECONDARY_BUS & 3)) &
                                   0xff;
                    if (sec && !(seen[sec / 64] & (1ull << (sec % 64)))) {
                        seen[sec / 64] |= 1ull << (sec % 64);
                        queue[tail++] = (uint8_t)sec;
                    }
                }
                if (fn == 0 && !(d->header & PCI_HEADER_MULTIFUNCTION))
                    break;
            }
        }
    }
    return n;
}

void pci_init(void)
{
    char why[PCI_WHY_LEN];
    access = NULL;
    if (acpi_ok && acpi.nmcfg) {
        const struct acpi_mcfg_window *w = &acpi.mcfg[0];
        if (w->segment != 0 || w->bus_start != 0) {
            kprintf("pci: warning: MCFG's first window is segment %u buses %u-%u; cadre reads "
                    "segment 0 from bus 0",
                    w->segment, w->bus_start, w->bus_end);
        } else if (!pci_ecam_usable(w->base, w->bus_start, w->bus_end, why, sizeof why)) {
            kprintf("pci: warning: %s; not used", why);
        } else {
            ecam.base = w->base;
            ecam.bus_start = w->bus_start;
            ecam.bus_end = w->bus_end;
            access = &ecam_access;
            kprintf("pci: configuration space through ECAM at 0x%llx, buses %u-%u (ACPI MCFG)",
                    (unsigned long long)w->base, w->bus_start, w->bus_end);
        }
    }
    if (!access) {
        /* Mechanism #1 is there if the address register keeps what is written (Linux's
         * pci_check_type1 asks the same). */
        bool irqs = spin_lock(&port_lock);
        uint32_t old = inl(PCI_CONFIG_ADDRESS);
        outl(PCI_CONFIG_ADDRESS, PCI_CONFIG_ENABLE);
        bool there = inl(PCI_CONFIG_ADDRESS) == PCI_CONFIG_ENABLE;
        outl(PCI_CONFIG_ADDRESS, old);
        spin_unlock(&port_lock, irqs);
        if (!there) {
            kprintf("pci: warning: no ECAM window and no configuration ports; no PCI devices");
            return;
        }
        access = &pci_port_access;
        kprintf("pci: configuration space through ports 0xcf8/0xcfc (%s)",
                acpi_ok && acpi.has_mcfg ? "MCFG unusable" : "no MCFG");
    }
    pci_ndevs = pci_scan(access, pci_devs, PCI_MAX_DEVS);
    unsigned skipped = 0;
    for (unsigned i = 0; i < pci_ndevs; i++)
        skipped += pci_devs[i].skipped;
    kprintf("pci: %u functions (%u skipped) through %s", pci_ndevs, skipped, access->name);
}

struct pci_dev *pci_find(uint16_t vendor, uint16_t device)
{
    for (unsigned i = 0; i < pci_ndevs; i++)
        if (pci_devs[i].vendor == vendor && pci_devs[i].device == device &&
            pci_size_bars(&pci_devs[i]))
            return &pci_devs[i];
    return NULL;
}

static const char *bar_kind(const struct pci_bar *b)
{
    switch (b->kind) {
        case PCI_BAR_KIND_IO: return "i/o";
        case PCI_BAR_KIND_MEM32: return b->prefetchable ? "mem32 prefetchable" : "mem32";
        case PCI_BAR_KIND_MEM64: return b->prefetchable ? "mem64 prefetchable" : "mem64";
        default: return "none";
    }
}

void pci_print(void)
{
    for (unsigned i = 0; i < pci_ndevs; i++)
        pci_size_bars(&pci_devs[i]); /* its warning, if any, comes before the list */
    console_lock();
    kprintf("pci: %u functions through %s", pci_ndevs, pci_access_name());
    for (unsigned i = 0; i < pci_ndevs; i++) {
        const struct pci_dev *d = &pci_devs[i];
        kprintf("pci: %s %04x:%04x class %02x%02x %s%s", d->bdf, d->vendor, d->device, d->class,
                d->subclass, d->what, d->skipped ? " (skipped)" : "");
        if (d->skipped) {
            kprintf("pci:   %s", d->why);
            continue;
        }
        for (unsigned b = 0; b < PCI_BARS; b++)
            if (d->bars[b].kind != PCI_BAR_NONE)
                kprintf("pci:   BAR%u %s 0x%llx size 0x%llx", b, bar_kind(&d->bars[b]),
                        (unsigned long long)d->bars[b].base, (unsigned long long)d->bars[b].size);
        char line[160];
        int o = snprintf(line, sizeof line, "pci:   caps:");
        for (int c = 0; c < d->ncaps && o < (int)sizeof line - 24; c++)
            o += snprintf(line + o, sizeof line - (size_t)o, " %s@0x%02x",
                          pci_cap_name(d->caps[c].id), d->caps[c].offset);
        kprintf("%s%s", line, d->ncaps ? "" : " none");
        if (d->has_msi)
            kprintf("pci:   msi: %u vector%s, %s address, %s per-vector masking%s", d->msi.vectors,
                    d->msi.vectors > 1 ? "s" : "", d->msi.is64 ? "64-bit" : "32-bit",
                    d->msi.maskable ? "with" : "without", d->msi_on ? ", enabled" : "");
        if (d->has_msix)
            kprintf("pci:   msi-x: %u vectors, table BAR%u+0x%x, pending bits BAR%u+0x%x%s",
                    d->msix.vectors, d->msix.table_bar, d->msix.table_offset, d->msix.pba_bar,
                    d->msix.pba_offset, d->msix_on ? ", enabled" : "");
    }
    console_unlock();
}
