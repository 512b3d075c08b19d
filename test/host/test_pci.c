/* Host tests of the PCI configuration-space parsers (src/dev/pci_parse.c): capability lists
 * sound, looping and pointing into the header; BARs of every kind, of size 0, a 64-bit one in
 * the last slot; MSI in its four layouts; MSI-X tables inside and outside their BAR. */
#include "check.h"
#include "dev/pci_parse.h"

#include <stdio.h>
#include <string.h>

static uint8_t cfg[PCI_CFG_SIZE];
static struct pci_cap caps[PCI_MAX_CAPS];
static char why[PCI_WHY_LEN];

static void put16(unsigned off, uint16_t v)
{
    cfg[off] = (uint8_t)v;
    cfg[off + 1] = (uint8_t)(v >> 8);
}

static void put32(unsigned off, uint32_t v)
{
    put16(off, (uint16_t)v);
    put16(off + 2, (uint16_t)(v >> 16));
}

/* A function with capabilities at the offsets given, each pointing to the next. */
static void chain(const uint8_t *ids, const uint8_t *offs, unsigned n)
{
    memset(cfg, 0, sizeof cfg);
    put16(PCI_STATUS, PCI_STATUS_CAP_LIST);
    cfg[PCI_CAP_PTR] = n ? offs[0] : 0;
    for (unsigned i = 0; i < n; i++) {
        cfg[offs[i] + PCI_CAP_ID] = ids[i];
        cfg[offs[i] + PCI_CAP_NEXT] = i + 1 < n ? offs[i + 1] : 0;
    }
}

static void test_caps_sound(void)
{
    /* QEMU's virtio-rng-pci: MSI-X at 0x98, then four vendor capabilities. */
    static const uint8_t ids[] = { PCI_CAP_ID_MSIX, PCI_CAP_ID_VENDOR, PCI_CAP_ID_VENDOR,
                                   PCI_CAP_ID_VENDOR, PCI_CAP_ID_VENDOR };
    static const uint8_t offs[] = { 0x98, 0x84, 0x70, 0x60, 0x50 };
    chain(ids, offs, 5);
    cfg[0x50 + PCI_CAP_NEXT] |= 0x3; /* reserved bits in a pointer are ignored */
    CHECK_EQ(pci_caps_walk(cfg, caps, why, sizeof why), 5);
    CHECK_EQ(caps[0].id, PCI_CAP_ID_MSIX);
    CHECK_EQ(caps[4].offset, 0x50);
    CHECK_EQ(pci_cap_find(caps, 5, PCI_CAP_ID_MSIX), 0x98);
    CHECK_EQ(pci_cap_find(caps, 5, PCI_CAP_ID_MSI), 0);
    /* No list at all: the status bit is clear, whatever the pointer says. */
    put16(PCI_STATUS, 0);
    CHECK_EQ(pci_caps_walk(cfg, caps, why, sizeof why), 0);
    /* All 48 dwords used, the longest list there can be. */
    memset(cfg, 0, sizeof cfg);
    put16(PCI_STATUS, PCI_STATUS_CAP_LIST);
    cfg[PCI_CAP_PTR] = 0x40;
    for (unsigned off = 0x40; off < PCI_CFG_SIZE; off += 4)
        cfg[off + PCI_CAP_NEXT] = off + 4 < PCI_CFG_SIZE ? (uint8_t)(off + 4) : 0;
    CHECK_EQ(pci_caps_walk(cfg, caps, why, sizeof why), PCI_MAX_CAPS);
}

static void test_caps_broken(void)
{
    static const uint8_t ids[] = { PCI_CAP_ID_MSI, PCI_CAP_ID_PM, PCI_CAP_ID_PCIE };
    static const uint8_t offs[] = { 0x40, 0x80, 0xc0 };
    chain(ids, offs, 3);
    cfg[0xc0 + PCI_CAP_NEXT] = 0x80; /* the last points back to the second */
    CHECK_EQ(pci_caps_walk(cfg, caps, why, sizeof why), -1);
    CHECK_STR(why, "capability list loops: 0x80 at 0xc1 points back to 0x80");
    chain(ids, offs, 3);
    cfg[0x40 + PCI_CAP_NEXT] = 0x40; /* itself */
    CHECK_EQ(pci_caps_walk(cfg, caps, why, sizeof why), -1);
    CHECK_STR(why, "capability list loops: 0x40 at 0x41 points back to 0x40");
    chain(ids, offs, 3);
    cfg[0x80 + PCI_CAP_NEXT] = 0x10; /* into the header */
    CHECK_EQ(pci_caps_walk(cfg, caps, why, sizeof why), -1);
    CHECK_STR(why, "capability pointer 0x10 at 0x81 points into the header, outside 0x40-0xff");
    chain(ids, offs, 3);
    cfg[PCI_CAP_PTR] = 0x3c;
    CHECK_EQ(pci_caps_walk(cfg, caps, why, sizeof why), -1);
    CHECK_STR(why, "capability pointer 0x3c at 0x34 points into the header, outside 0x40-0xff");
}

static int bar(const uint32_t *raw, const uint32_t *probe, unsigned i, unsigned n,
               struct pci_bar *b)
{
    why[0] = '\0';
    return pci_bar_decode(raw, probe, i, n, b, why, sizeof why);
}

static void test_bars(void)
{
    struct pci_bar b;
    /* edu: 1 MiB of 32-bit memory at 0xfea00000; virtio: 16 KiB of 64-bit prefetchable memory
     * above 4 GiB in BAR4/5, an i/o BAR of 32 ports, an unused BAR. */
    uint32_t raw[PCI_BARS] = { 0xfea00000, 0xc041, 0, 0, 0x0000000c, 0x1 };
    uint32_t probe[PCI_BARS] = { 0xfff00000, 0xffffffe1, 0, 0, 0xffffc00c, 0xffffffff };
    CHECK_EQ(bar(raw, probe, 0, PCI_BARS, &b), 1);
    CHECK(b.kind == PCI_BAR_KIND_MEM32 && b.base == 0xfea00000 && b.size == 0x100000 &&
          !b.prefetchable);
    CHECK_EQ(bar(raw, probe, 1, PCI_BARS, &b), 1);
    CHECK(b.kind == PCI_BAR_KIND_IO && b.base == 0xc040 && b.size == 32);
    CHECK_EQ(bar(raw, probe, 2, PCI_BARS, &b), 1);
    CHECK(b.kind == PCI_BAR_NONE);
    CHECK_EQ(bar(raw, probe, 4, PCI_BARS, &b), 2);
    CHECK(b.kind == PCI_BAR_KIND_MEM64 && b.base == 0x100000000ull && b.size == 0x4000 &&
          b.prefetchable);
    /* A 64-bit BAR of 4 GiB: the low half's address bits read back 0, the high half's not. */
    uint32_t raw4[PCI_BARS] = { 0x4, 0x8 }, probe4[PCI_BARS] = { 0x4, 0xffffffff };
    CHECK_EQ(bar(raw4, probe4, 0, PCI_BARS, &b), 2);
    CHECK_EQ(b.size, 0x100000000ull);
}

static void test_bars_broken(void)
{
    struct pci_bar b;
    uint32_t raw[PCI_BARS] = { 0xfe000000, 0xc001, 0x2, 0, 0, 0xfd000004 };
    uint32_t probe[PCI_BARS] = { 0x0, 0x1, 0x2, 0xfff0ff00, 0, 0xfff00004 };
    CHECK_EQ(bar(raw, probe, 0, PCI_BARS, &b), -1);
    CHECK_STR(why, "BAR0 (memory) reads back as size 0");
    CHECK_EQ(bar(raw, probe, 1, PCI_BARS, &b), -1);
    CHECK_STR(why, "BAR1 (i/o) reads back as size 0");
    CHECK_EQ(bar(raw, probe, 2, PCI_BARS, &b), -1);
    CHECK_STR(why, "BAR2 has the reserved memory type 1");
    CHECK_EQ(bar(raw, probe, 3, PCI_BARS, &b), -1);
    CHECK_STR(why, "BAR3 (memory) reads back 0xfffffffffff0ff00: its size is not a power of two");
    CHECK_EQ(bar(raw, probe, 5, PCI_BARS, &b), -1);
    CHECK_STR(why, "BAR5 is 64-bit but is the last BAR: no upper half");
    /* A bridge has two BARs: a 64-bit BAR1 has no upper half there. */
    CHECK_EQ(bar(raw, probe, 1, PCI_BRIDGE_BARS, &b), -1);
}

static void test_msi(void)
{
    struct pci_msi_cap m;
    static const struct {
        uint16_t control;
        bool is64, maskable;
        uint8_t data, mask;
        unsigned vectors;
    } cases[] = {
        { 0x0000, false, false, 0x48, 0, 1 },
        { 0x0080, true, false, 0x4c, 0, 1 }, /* edu: 64-bit, no masking */
        { 0x0100 | 0x2, false, true, 0x48, 0x4c, 2 },
        { 0x0180 | 0xa, true, true, 0x4c, 0x50, 32 },
    };
    for (unsigned i = 0; i < 4; i++) {
        memset(cfg, 0, sizeof cfg);
        put16(0x40 + PCI_MSI_CONTROL, cases[i].control);
        CHECK_EQ(pci_msi_parse(cfg, 0x40, &m, why, sizeof why), 0);
        CHECK_EQ(m.is64, cases[i].is64);
        CHECK_EQ(m.maskable, cases[i].maskable);
        CHECK_EQ(m.data, cases[i].data);
        CHECK_EQ(m.mask, cases[i].mask);
        CHECK_EQ(m.vectors, cases[i].vectors);
        CHECK_EQ(m.addr_lo, 0x44);
    }
    /* The 64-bit, maskable form is 24 bytes: at 0xec it would end at 0x104. */
    put16(0xec + PCI_MSI_CONTROL, 0x0180);
    CHECK_EQ(pci_msi_parse(cfg, 0xec, &m, why, sizeof why), -1);
    CHECK_STR(why, "MSI capability at 0xec (24 bytes) runs past configuration space");
    put16(0x40 + PCI_MSI_CONTROL, 0x7 << PCI_MSI_MMC_SHIFT);
    CHECK_EQ(pci_msi_parse(cfg, 0x40, &m, why, sizeof why), -1);
}

static void test_msix(void)
{
    struct pci_msix_cap m;
    struct pci_bar bars[PCI_BARS] = {
        [1] = { .kind = PCI_BAR_KIND_MEM32, .base = 0xfeb00000, .size = 0x1000 },
        [4] = { .kind = PCI_BAR_KIND_MEM64, .base = 0x100000000ull, .size = 0x4000 },
        [0] = { .kind = PCI_BAR_KIND_IO, .base = 0xc000, .size = 0x20 },
    };
    memset(cfg, 0, sizeof cfg);
    put16(0x98 + PCI_MSIX_CONTROL, 2 - 1); /* virtio-rng-pci: 2 vectors, table and PBA in BAR1 */
    put32(0x98 + PCI_MSIX_TABLE, 0x000 | 1);
    put32(0x98 + PCI_MSIX_PBA, 0x800 | 1);
    CHECK_EQ(pci_msix_parse(cfg, 0x98, bars, &m, why, sizeof why), 0);
    CHECK_EQ(m.vectors, 2);
    CHECK_EQ(m.table_bar, 1);
    CHECK_EQ(m.pba_offset, 0x800);
    /* 256 vectors: the 4 KiB table covers the PBA at 0x800; 512 do not fit the BAR. */
    put16(0x98 + PCI_MSIX_CONTROL, 256 - 1);
    CHECK_EQ(pci_msix_parse(cfg, 0x98, bars, &m, why, sizeof why), -1);
    CHECK_STR(why, "MSI-X table and pending-bit array overlap in BAR1");
    put16(0x98 + PCI_MSIX_CONTROL, 512 - 1);
    CHECK_EQ(pci_msix_parse(cfg, 0x98, bars, &m, why, sizeof why), -1);
    CHECK_STR(why, "MSI-X table at BAR1+0x0 (0x2000 bytes) runs past the BAR's 0x1000");
    put16(0x98 + PCI_MSIX_CONTROL, 0);
    put32(0x98 + PCI_MSIX_TABLE, 0);
    CHECK_EQ(pci_msix_parse(cfg, 0x98, bars, &m, why, sizeof why), -1);
    CHECK_STR(why, "MSI-X table is in BAR0, which is not a memory BAR");
    put32(0x98 + PCI_MSIX_TABLE, 4);
    put32(0x98 + PCI_MSIX_PBA, 7);
    CHECK_EQ(pci_msix_parse(cfg, 0x98, bars, &m, why, sizeof why), -1);
    CHECK_STR(why, "MSI-X pending-bit array is in BAR7, which is not a memory BAR");
    CHECK_EQ(pci_msix_parse(cfg, 0xf8, bars, &m, why, sizeof why), -1);
}

static void test_names(void)
{
    CHECK_STR(pci_class_name(0x06, 0x00), "host bridge");
    CHECK_STR(pci_class_name(0x00, 0xff), "device");
    CHECK_STR(pci_class_name(0x02, 0x80), "network");
    CHECK_STR(pci_class_name(0x42, 0x00), "unknown class");
}

int main(void)
{
    run_test("pci", "capability lists: virtio's, none, the longest", test_caps_sound);
    run_test("pci", "capability lists that loop or point into the header", test_caps_broken);
    run_test("pci", "BARs: memory 32/64-bit, i/o, unused, 4 GiB", test_bars);
    run_test("pci", "BARs of size 0, reserved type, not a power of two, 64-bit last",
             test_bars_broken);
    run_test("pci", "MSI: 32/64-bit, with and without per-vector masking, past the end", test_msi);
    run_test("pci", "MSI-X: table and PBA inside their BAR, outside it, in an i/o BAR", test_msix);
    run_test("pci", "class names", test_names);
    return check_report();
}
