/* Parsers of what a PCI function's configuration space says: its capability list, its BARs,
 * its MSI and MSI-X capabilities (PCI Local Bus 3.0 §6.2.5, §6.7, §6.8).  Pure: they read a
 * copy of the first 256 bytes of configuration space (and, for the BARs, the values the BARs
 * read back after all ones were written), never the device, so the host-side tests and the
 * fuzzer (test/host/) run the very same code.  Each finding that makes a device unusable comes
 * back as a sentence in `why`; the kernel prints it and skips the device. */
#ifndef CADRE_PCI_PARSE_H
#define CADRE_PCI_PARSE_H

#include "dev/pci_regs.h"
#include "lib/compiler.h"

#define PCI_WHY_LEN 96
/* Every capability sits in 0x40-0xff, dword aligned: at most 48 of them. */
#define PCI_MAX_CAPS ((PCI_CFG_SIZE - PCI_HEADER_END) / 4)

struct pci_cap {
    uint8_t id, offset;
};

/* Walks the capability list (§6.7).  Returns the number of capabilities (0 when the status
 * register says there is no list), or -1 when the list loops or points outside 0x40-0xff: then
 * `caps` holds the ones before the bad pointer and `why` says where it went wrong. */
int pci_caps_walk(const uint8_t cfg[PCI_CFG_SIZE], struct pci_cap caps[PCI_MAX_CAPS], char *why,
                  size_t whylen);
/* The offset of the first capability `id` among caps, or 0. */
unsigned pci_cap_find(const struct pci_cap *caps, int n, uint8_t id);
const char *pci_cap_name(uint8_t id);

enum pci_bar_kind { PCI_BAR_NONE, PCI_BAR_KIND_IO, PCI_BAR_KIND_MEM32, PCI_BAR_KIND_MEM64 };

struct pci_bar {
    enum pci_bar_kind kind;
    bool prefetchable;
    uint64_t base, size;
};

/* Decodes BAR `i` of `nbars` from the values it held (`raw`) and read back after all ones
 * were written (`probe`); a 64-bit BAR takes slot i+1 as its upper half.  Returns how many
 * slots it used (1 or 2), 1 with kind PCI_BAR_NONE for a BAR that is not implemented, or -1
 * with `why` for one that cannot be used: its size reads back as 0 or is not a power of two,
 * its type is reserved, or its upper half would be past the last BAR. */
int pci_bar_decode(const uint32_t raw[PCI_BARS], const uint32_t probe[PCI_BARS], unsigned i,
                   unsigned nbars, struct pci_bar *bar, char *why, size_t whylen);

/* The MSI capability at `off` (§6.8.1) */
struct pci_msi_cap {
    uint8_t offset;
    bool is64, maskable;
    unsigned vectors;                              /* multiple message capable: 1, 2, 4, .. 32 */
    uint8_t addr_lo, addr_hi, data, mask, pending; /* register offsets in configuration space */
};
int pci_msi_parse(const uint8_t cfg[PCI_CFG_SIZE], unsigned off, struct pci_msi_cap *m, char *why,
                  size_t whylen);

/* The MSI-X capability at `off` (§6.8.2): where its table and pending-bit array are, checked
 * against the function's memory BARs. */
struct pci_msix_cap {
    uint8_t offset;
    unsigned vectors; /* table size, 1-2048 */
    uint8_t table_bar, pba_bar;
    uint32_t table_offset, pba_offset;
};
int pci_msix_parse(const uint8_t cfg[PCI_CFG_SIZE], unsigned off,
                   const struct pci_bar bars[PCI_BARS], struct pci_msix_cap *m, char *why,
                   size_t whylen);

/* "host bridge", "ethernet controller", ...: what a class and subclass are (PCI Code and ID
 * Assignment Specification 1.11); a class name for subclasses it does not know. */
const char *pci_class_name(uint8_t class, uint8_t subclass);

#endif
