/* In-kernel tests of PCI enumeration (docs/pci.md): what was found, ECAM against the ports,
 * and bad configuration spaces given through a fake access: each gets its line and is
 * skipped, the scan goes on. */
#include "acpi/acpi_boot.h"
#include "core/console.h"
#include "dev/pci.h"
#include "dev/pci_msi.h"
#include "ktest/ktest.h"
#include "lib/string.h"

KTEST(pci_enumerated)
{
    for (unsigned i = 0; i < pci_ndevs; i++)
        pci_size_bars(&pci_devs[i]); /* as `pci` does: a BAR that cannot be used skips it */
    KEXPECTF(pci_ndevs > 0, "no PCI function found through %s", pci_access_name());
    if (!pci_ndevs)
        return;
    const struct pci_dev *host = &pci_devs[0];
    KEXPECTF(!strcmp(host->bdf, "00:00.0") && host->class == 0x06 && host->subclass == 0x00,
             "the first function is %s class %02x%02x, not the host bridge at 00:00.0", host->bdf,
             host->class, host->subclass);
    bool want_ecam = acpi_ok && acpi.nmcfg;
    KEXPECTF(!strcmp(pci_access_name(), want_ecam ? "ecam" : "ports 0xcf8/0xcfc"),
             "configuration space through %s with %u MCFG windows", pci_access_name(),
             acpi_ok ? acpi.nmcfg : 0);
    for (unsigned i = 0; i < pci_ndevs; i++) {
        const struct pci_dev *d = &pci_devs[i];
        KEXPECTF(d->vendor != PCI_VENDOR_NONE && !d->skipped, "%s: vendor %04x, skipped %d (%s)",
                 d->bdf, d->vendor, d->skipped, d->why);
        for (int c = 0; c < d->ncaps; c++)
            KEXPECTF(d->caps[c].offset >= PCI_HEADER_END, "%s: capability at 0x%02x", d->bdf,
                     d->caps[c].offset);
    }
}

/* Through ECAM and through the ports, every function reads the same IDs and class. */
static uint32_t ports_read(unsigned bus, unsigned dev, unsigned fn, unsigned off)
{
    return pci_port_access.read(pci_port_access.ctx, bus, dev, fn, off);
}

static bool contains(const char *s, const char *part)
{
    for (size_t n = strlen(part); *s; s++)
        if (!strncmp(s, part, n))
            return true;
    return false;
}

KTEST(pci_ecam_matches_ports)
{
    if (strcmp(pci_access_name(), "ecam")) {
        ktest_skip("configuration space is through the ports here (no MCFG)");
        return;
    }
    for (unsigned i = 0; i < pci_ndevs; i++) {
        const struct pci_dev *d = &pci_devs[i];
        uint32_t id = ports_read(d->bus, d->dev, d->fn, PCI_VENDOR_ID);
        uint32_t cls = ports_read(d->bus, d->dev, d->fn, PCI_REVISION);
        KEXPECTF(id == pci_read32(d, PCI_VENDOR_ID) && cls == pci_read32(d, PCI_REVISION),
                 "%s: ports read %08x/%08x, ECAM %08x/%08x", d->bdf, id, cls,
                 pci_read32(d, PCI_VENDOR_ID), pci_read32(d, PCI_REVISION));
    }
}

/* A fake bus: functions 0-4 on bus 0, each 256 bytes of configuration space, BAR probes
 * answered from a size mask as a device would. */
#define FAKE_FNS 5
static struct fake_fn {
    uint8_t cfg[PCI_CFG_SIZE];
    uint32_t bar_mask[PCI_BARS];
    bool probing[PCI_BARS];
} fake[FAKE_FNS];
static unsigned fake_writes;

static uint32_t fake_read(void *ctx, unsigned bus, unsigned dev, unsigned fn, unsigned off)
{
    (void)ctx;
    if (bus || fn || dev >= FAKE_FNS)
        return 0xffffffff;
    struct fake_fn *f = &fake[dev];
    unsigned bar = (off - PCI_BAR0) / 4;
    if (off >= PCI_BAR0 && bar < PCI_BARS && f->probing[bar])
        return f->bar_mask[bar];
    uint32_t v;
    memcpy(&v, f->cfg + (off & ~3u), 4);
    return v;
}

static void fake_write(void *ctx, unsigned bus, unsigned dev, unsigned fn, unsigned off, uint32_t v)
{
    (void)ctx;
    if (bus || fn || dev >= FAKE_FNS)
        return;
    fake_writes++;
    struct fake_fn *f = &fake[dev];
    unsigned bar = (off - PCI_BAR0) / 4;
    if (off >= PCI_BAR0 && bar < PCI_BARS) {
        f->probing[bar] = v == 0xffffffff;
        if (f->probing[bar])
            return;
    }
    memcpy(f->cfg + (off & ~3u), &v, 4);
}

static const struct pci_access fake_access = { .name = "fake",
                                               .read = fake_read,
                                               .write = fake_write };

static void fake_fn_init(struct fake_fn *f, uint16_t device)
{
    memset(f, 0, sizeof *f);
    f->cfg[PCI_VENDOR_ID] = 0x34, f->cfg[PCI_VENDOR_ID + 1] = 0x12;
    f->cfg[PCI_DEVICE_ID] = (uint8_t)device, f->cfg[PCI_DEVICE_ID + 1] = (uint8_t)(device >> 8);
    f->cfg[PCI_CLASS] = 0xff;
    f->cfg[PCI_HEADER_TYPE] = PCI_HEADER_NORMAL;
    /* BAR0: 4 KiB of memory at 0xfe000000 */
    uint32_t bar0 = 0xfe000000;
    memcpy(f->cfg + PCI_BAR0, &bar0, 4);
    f->bar_mask[0] = 0xfffff000;
    f->cfg[PCI_STATUS] = PCI_STATUS_CAP_LIST;
    f->cfg[PCI_CAP_PTR] = 0x40;
    /* MSI, 64-bit with per-vector masking, at 0x40; then power management at 0x60 */
    f->cfg[0x40 + PCI_CAP_ID] = PCI_CAP_ID_MSI;
    f->cfg[0x40 + PCI_CAP_NEXT] = 0x60;
    f->cfg[0x40 + PCI_MSI_CONTROL] = PCI_MSI_64BIT;
    f->cfg[0x40 + PCI_MSI_CONTROL + 1] = PCI_MSI_MASKABLE >> 8;
    f->cfg[0x60 + PCI_CAP_ID] = PCI_CAP_ID_PM;
}

static struct pci_dev found[FAKE_FNS + 1];

KTEST(pci_bad_input_skipped)
{
    for (unsigned i = 0; i < FAKE_FNS; i++)
        fake_fn_init(&fake[i], (uint16_t)(0xf000 + i));
    fake[1].cfg[0x60 + PCI_CAP_NEXT] = 0x40; /* the list loops */
    fake[2].bar_mask[0] = 0;                 /* BAR0 reads back as size 0 */
    fake[3].cfg[0x60 + PCI_CAP_NEXT] = 0x20; /* points into the header */
    fake[4].cfg[0x40 + PCI_CAP_NEXT] = 0xfd; /* reserved bits: 0xfc, past the end of the dwords */
    fake[4].cfg[0xfc + PCI_CAP_ID] = PCI_CAP_ID_VENDOR;
    unsigned n = pci_scan(&fake_access, found, ARRAY_SIZE(found));
    KEXPECTF(n == FAKE_FNS, "%u functions of %u found", n, FAKE_FNS);
    for (unsigned i = 0; i < n; i++)
        pci_size_bars(&found[i]); /* what a driver's pci_find does */
    static const char *const want[FAKE_FNS] = {
        NULL,
        "capability list loops: 0x40 at 0x61 points back to 0x40",
        "BAR0 (memory) reads back as size 0",
        "capability pointer 0x20 at 0x61 points into the header, outside 0x40-0xff",
        NULL,
    };
    for (unsigned i = 0; i < n && i < FAKE_FNS; i++) {
        if (want[i])
            KEXPECTF(found[i].skipped && !strcmp(found[i].why, want[i]), "%s: skipped %d, \"%s\"",
                     found[i].bdf, found[i].skipped, found[i].why);
        else
            KEXPECTF(!found[i].skipped && found[i].has_msi, "%s: skipped %d (%s), msi %d",
                     found[i].bdf, found[i].skipped, found[i].why, found[i].has_msi);
    }
    /* The BAR came back as it was, and its size was read. */
    KEXPECTF(found[0].bars[0].size == 0x1000 && found[0].bars[0].base == 0xfe000000,
             "BAR0 0x%llx size 0x%llx", (unsigned long long)found[0].bars[0].base,
             (unsigned long long)found[0].bars[0].size);
    KEXPECT(!fake[0].probing[0]);
    KEXPECTF(found[4].ncaps == 2 && found[4].caps[1].offset == 0xfc, "%d caps", found[4].ncaps);
}

/* The scan only reads configuration space: sizing a BAR writes the command register and the
 * BAR, and under QEMU each such write rebuilds the memory map of every vCPU (about 20 ms at
 * -smp 255 under TCG), so only the functions a driver finds are sized (pci_size_bars). */
KTEST(pci_scan_only_reads)
{
    for (unsigned i = 0; i < FAKE_FNS; i++)
        fake_fn_init(&fake[i], (uint16_t)(0xf000 + i));
    fake_writes = 0;
    unsigned n = pci_scan(&fake_access, found, ARRAY_SIZE(found));
    KEXPECTF(n == FAKE_FNS && fake_writes == 0, "%u functions found, %u configuration writes", n,
             fake_writes);
    KEXPECT(!found[0].bars_sized && !found[0].skipped);
    KEXPECT(pci_size_bars(&found[0]) && found[0].bars_sized);
    KEXPECTF(fake_writes > 0 && found[0].bars[0].size == 0x1000, "%u writes, BAR0 size 0x%llx",
             fake_writes, (unsigned long long)found[0].bars[0].size);
    unsigned writes = fake_writes;
    KEXPECT(pci_size_bars(&found[0]));
    KEXPECTF(fake_writes == writes, "sized twice: %u writes, then %u", writes, fake_writes);
    /* A function whose BAR is unusable is skipped when it is sized, with its line. */
    fake[2].bar_mask[0] = 0;
    KEXPECT(!pci_size_bars(&found[2]) && found[2].skipped);
    KEXPECT(!pci_size_bars(&found[2]));
}

/* MSI with per-vector masking, on the fake function: the chip writes data, address and mask
 * where the capability says. */
KTEST(pci_msi_maskable_registers)
{
    fake_fn_init(&fake[0], 0xf000);
    unsigned n = pci_scan(&fake_access, found, 1);
    KEXPECT(n == 1 && found[0].has_msi && found[0].msi.maskable && found[0].msi.is64);
    if (n != 1 || !found[0].has_msi)
        return;
    struct msi_msg msg;
    KEXPECT(
        msi_compose(&(struct msi){ .dest = 3, .vector = 0x9e, .delivery = DELIVERY_FIXED }, &msg));
    pci_msi_chip_maskable.write(&found[0], 0, &msg);
    struct msi_msg back;
    pci_msi_read_msg(&found[0], 0, &back);
    KEXPECTF(back.addr_lo == 0xfee03000 && back.addr_hi == 0 && back.data == 0x9e,
             "address %08x:%08x data %04x", back.addr_hi, back.addr_lo, back.data);
    pci_msi_chip_maskable.mask(&found[0], 0, true);
    KEXPECTF(fake[0].cfg[0x40 + PCI_MSI_MASK_64] == 1, "mask bits %02x",
             fake[0].cfg[0x40 + PCI_MSI_MASK_64]);
    pci_msi_chip_maskable.mask(&found[0], 0, false);
    KEXPECT(fake[0].cfg[0x40 + PCI_MSI_MASK_64] == 0);
    /* Without masking the data word sits at 0x48 (32-bit) or 0x4c (64-bit). */
    KEXPECT(found[0].msi.data == 0x4c && found[0].msi.mask == 0x50 && found[0].msi.pending == 0x54);
}

KTEST(pci_ecam_window_checked)
{
    char why[PCI_WHY_LEN];
    KEXPECT(!pci_ecam_usable(0x100000, 0, 0, why, sizeof why));
    KEXPECTF(contains(why, "overlaps RAM in the memory map"), "%s", why);
    KEXPECT(!pci_ecam_usable(1ull << 52, 0, 255, why, sizeof why));
    KEXPECTF(contains(why, "physical address space"), "%s", why);
    if (acpi_ok && acpi.nmcfg)
        KEXPECT(pci_ecam_usable(acpi.mcfg[0].base, acpi.mcfg[0].bus_start, acpi.mcfg[0].bus_end,
                                why, sizeof why));
}
