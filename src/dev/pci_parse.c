#include "dev/pci_parse.h"

#ifdef CADRE_HOST
#include <stdio.h>
#else
#include "lib/printf.h"
#endif

static uint16_t rd16(const uint8_t *cfg, unsigned off)
{
    return (uint16_t)(cfg[off] | cfg[off + 1] << 8);
}

static uint32_t rd32(const uint8_t *cfg, unsigned off)
{
    return (uint32_t)rd16(cfg, off) | (uint32_t)rd16(cfg, off + 2) << 16;
}

int pci_caps_walk(const uint8_t cfg[PCI_CFG_SIZE], struct pci_cap caps[PCI_MAX_CAPS], char *why,
                  size_t whylen)
{
    if (!(rd16(cfg, PCI_STATUS) & PCI_STATUS_CAP_LIST))
        return 0;
    /* A loop revisits an offset; every offset is dword aligned in 0x40-0xfc (§6.7), so one bit
     * per dword of configuration space finds it. */
    uint64_t seen[PCI_CFG_SIZE / 4 / 64] = { 0 };
    int n = 0;
    unsigned from = PCI_CAP_PTR;
    for (unsigned off = cfg[PCI_CAP_PTR] & PCI_CAP_PTR_MASK; off;
         off = cfg[off + PCI_CAP_NEXT] & PCI_CAP_PTR_MASK) {
        if (off < PCI_HEADER_END) {
            snprintf(
                why, whylen,
                "capability pointer 0x%02x at 0x%02x points into the header, outside 0x40-0xff",
                off, from);
            return -1;
        }
        unsigned dw = off / 4;
        if (seen[dw / 64] & (1ull << (dw % 64))) {
            snprintf(why, whylen, "capability list loops: 0x%02x at 0x%02x points back to 0x%02x",
                     off, from, off);
            return -1;
        }
        seen[dw / 64] |= 1ull << (dw % 64);
        caps[n++] = (struct pci_cap){ .id = cfg[off + PCI_CAP_ID], .offset = (uint8_t)off };
        from = off + PCI_CAP_NEXT;
    }
    return n;
}

unsigned pci_cap_find(const struct pci_cap *caps, int n, uint8_t id)
{
    for (int i = 0; i < n; i++)
        if (caps[i].id == id)
            return caps[i].offset;
    return 0;
}

const char *pci_cap_name(uint8_t id)
{
    switch (id) {
        case PCI_CAP_ID_PM: return "power management";
        case PCI_CAP_ID_MSI: return "msi";
        case PCI_CAP_ID_VENDOR: return "vendor";
        case PCI_CAP_ID_PCIE: return "pci express";
        case PCI_CAP_ID_MSIX: return "msi-x";
        default: return "other";
    }
}

int pci_bar_decode(const uint32_t raw[PCI_BARS], const uint32_t probe[PCI_BARS], unsigned i,
                   unsigned nbars, struct pci_bar *bar, char *why, size_t whylen)
{
    *bar = (struct pci_bar){ .kind = PCI_BAR_NONE };
    uint32_t lo = raw[i], plo = probe[i];
    /* A BAR that is not implemented is hard-wired to 0 (§6.2.5.1). */
    if (!lo && !plo)
        return 1;
    if (lo & PCI_BAR_IO) {
        /* I/O BARs decode at most 16 bits on x86; the upper bits may read back as 0. */
        uint32_t mask = plo & PCI_BAR_IO_MASK & 0xffff;
        if (!mask) {
            snprintf(why, whylen, "BAR%u (i/o) reads back as size 0", i);
            return -1;
        }
        uint32_t size = (~mask + 1) & 0xffff;
        if (size & (size - 1)) {
            snprintf(why, whylen, "BAR%u (i/o) size 0x%x is not a power of two", i, size);
            return -1;
        }
        *bar =
            (struct pci_bar){ .kind = PCI_BAR_KIND_IO, .base = lo & PCI_BAR_IO_MASK, .size = size };
        return 1;
    }
    unsigned type = lo & PCI_BAR_MEM_TYPE_MASK;
    if (type != PCI_BAR_MEM_TYPE_32 && type != PCI_BAR_MEM_TYPE_64) {
        snprintf(why, whylen, "BAR%u has the reserved memory type %u", i, type >> 1);
        return -1;
    }
    bool is64 = type == PCI_BAR_MEM_TYPE_64;
    if (is64 && i + 1 >= nbars) {
        snprintf(why, whylen, "BAR%u is 64-bit but is the last BAR: no upper half", i);
        return -1;
    }
    uint64_t base = lo & PCI_BAR_MEM_MASK, mask = plo & PCI_BAR_MEM_MASK;
    if (is64) {
        base |= (uint64_t)raw[i + 1] << 32;
        mask |= (uint64_t)probe[i + 1] << 32;
    } else {
        mask |= 0xffffffff00000000ull; /* the size sums as if the upper bits were all ones */
    }
    /* A 32-bit BAR whose address bits read back as 0, or a 64-bit one whose 60 do, decodes
     * nothing: a device bug (or a BAR the probe could not write). */
    if (is64 ? !mask : !(plo & PCI_BAR_MEM_MASK)) {
        snprintf(why, whylen, "BAR%u (memory) reads back as size 0", i);
        return -1;
    }
    uint64_t size = ~mask + 1;
    if (!size || (size & (size - 1))) {
        snprintf(why, whylen, "BAR%u (memory) reads back 0x%llx: its size is not a power of two", i,
                 (unsigned long long)mask);
        return -1;
    }
    *bar = (struct pci_bar){ .kind = is64 ? PCI_BAR_KIND_MEM64 : PCI_BAR_KIND_MEM32,
                             .prefetchable = lo & PCI_BAR_MEM_PREFETCH,
                             .base = base,
                             .size = size };
    return is64 ? 2 : 1;
}

int pci_msi_parse(const uint8_t cfg[PCI_CFG_SIZE], unsigned off, struct pci_msi_cap *m, char *why,
                  size_t whylen)
{
    uint16_t ctl = rd16(cfg, off + PCI_MSI_CONTROL);
    bool is64 = ctl & PCI_MSI_64BIT, maskable = ctl & PCI_MSI_MASKABLE;
    unsigned len = is64 ? (maskable ? PCI_MSI_PENDING_64 + 4 : PCI_MSI_DATA_64 + 2)
                        : (maskable ? PCI_MSI_PENDING_32 + 4 : PCI_MSI_DATA_32 + 2);
    if (off + len > PCI_CFG_SIZE) {
        snprintf(why, whylen, "MSI capability at 0x%02x (%u bytes) runs past configuration space",
                 off, len);
        return -1;
    }
    unsigned mmc = (ctl >> PCI_MSI_MMC_SHIFT) & PCI_MSI_MM_MASK;
    if (mmc > 5) { /* 32 vectors at most; 6 and 7 are reserved (§6.8.1.3) */
        snprintf(why, whylen, "MSI capability at 0x%02x asks for the reserved %u", off, mmc);
        return -1;
    }
    *m = (struct pci_msi_cap){
        .offset = (uint8_t)off,
        .is64 = is64,
        .maskable = maskable,
        .vectors = 1u << mmc,
        .addr_lo = (uint8_t)(off + PCI_MSI_ADDR_LO),
        .addr_hi = is64 ? (uint8_t)(off + PCI_MSI_ADDR_HI) : 0,
        .data = (uint8_t)(off + (is64 ? PCI_MSI_DATA_64 : PCI_MSI_DATA_32)),
        .mask = maskable ? (uint8_t)(off + (is64 ? PCI_MSI_MASK_64 : PCI_MSI_MASK_32)) : 0,
        .pending = maskable ? (uint8_t)(off + (is64 ? PCI_MSI_PENDING_64 : PCI_MSI_PENDING_32)) : 0,
    };
    return 0;
}

int pci_msix_parse(const uint8_t cfg[PCI_CFG_SIZE], unsigned off,
                   const struct pci_bar bars[PCI_BARS], struct pci_msix_cap *m, char *why,
                   size_t whylen)
{
    if (off + PCI_MSIX_PBA + 4 > PCI_CFG_SIZE) {
        snprintf(why, whylen, "MSI-X capability at 0x%02x runs past configuration space", off);
        return -1;
    }
    uint32_t table = rd32(cfg, off + PCI_MSIX_TABLE), pba = rd32(cfg, off + PCI_MSIX_PBA);
    *m = (struct pci_msix_cap){
        .offset = (uint8_t)off,
        .vectors = (rd16(cfg, off + PCI_MSIX_CONTROL) & PCI_MSIX_TABLE_SIZE_MASK) + 1u,
        .table_bar = table & PCI_MSIX_BIR_MASK,
        .table_offset = table & ~(uint32_t)PCI_MSIX_BIR_MASK,
        .pba_bar = pba & PCI_MSIX_BIR_MASK,
        .pba_offset = pba & ~(uint32_t)PCI_MSIX_BIR_MASK,
    };
    /* Both live in memory BARs, inside them (§6.8.2.4, §6.8.2.5): one 16-byte entry a vector,
     * and one pending bit a vector in whole qwords. */
    struct {
        const char *what;
        uint8_t bir;
        uint64_t offset, len;
    } parts[] = {
        { "table", m->table_bar, m->table_offset, (uint64_t)m->vectors * PCI_MSIX_ENTRY_SIZE },
        { "pending-bit array", m->pba_bar, m->pba_offset, (m->vectors + 63u) / 64 * 8 },
    };
    for (unsigned i = 0; i < ARRAY_SIZE(parts); i++) {
        const struct pci_bar *b = parts[i].bir < PCI_BARS ? &bars[parts[i].bir] : NULL;
        if (!b || (b->kind != PCI_BAR_KIND_MEM32 && b->kind != PCI_BAR_KIND_MEM64)) {
            snprintf(why, whylen, "MSI-X %s is in BAR%u, which is not a memory BAR", parts[i].what,
                     parts[i].bir);
            return -1;
        }
        if (parts[i].offset + parts[i].len > b->size) {
            snprintf(why, whylen,
                     "MSI-X %s at BAR%u+0x%llx (0x%llx bytes) runs past the BAR's 0x%llx",
                     parts[i].what, parts[i].bir, (unsigned long long)parts[i].offset,
                     (unsigned long long)parts[i].len, (unsigned long long)b->size);
            return -1;
        }
    }
    /* They may share a BAR, even a 4 KiB page, but must not overlap (PCIe base 4.0 §7.7.2). */
    if (m->table_bar == m->pba_bar && parts[0].offset < parts[1].offset + parts[1].len &&
        parts[1].offset < parts[0].offset + parts[0].len) {
        snprintf(why, whylen, "MSI-X table and pending-bit array overlap in BAR%u", m->table_bar);
        return -1;
    }
    return 0;
}

const char *pci_class_name(uint8_t class, uint8_t subclass)
{
    static const struct {
        uint8_t class, subclass;
        const char *name;
    } known[] = {
        { 0x01, 0x01, "ide controller" },
        { 0x01, 0x06, "sata controller" },
        { 0x01, 0x08, "nvme controller" },
        { 0x01, 0x00, "scsi controller" },
        { 0x02, 0x00, "ethernet controller" },
        { 0x03, 0x00, "vga controller" },
        { 0x06, 0x00, "host bridge" },
        { 0x06, 0x01, "isa bridge" },
        { 0x06, 0x04, "pci bridge" },
        { 0x0c, 0x05, "smbus controller" },
        { 0x0c, 0x03, "usb controller" },
        { 0x00, 0xff, "device" }, /* class 0x00: before class codes */
        { 0xff, 0x00, "unassigned class" },
        { 0x10, 0x00, "crypto controller" },
    };
    static const char *const classes[] = {
        "unclassified", "storage",         "network",
        "display",      "multimedia",      "memory",
        "bridge",       "communication",   "system peripheral",
        "input",        "docking station", "processor",
        "serial bus",   "wireless",        "intelligent i/o",
        "satellite",    "encryption",      "signal processing",
        "accelerator",
    };
    for (unsigned i = 0; i < ARRAY_SIZE(known); i++)
        if (known[i].class == class && known[i].subclass == subclass)
            return known[i].name;
    return class < ARRAY_SIZE(classes) ? classes[class] : "unknown class";
}
