/* PCI enumeration (docs/pci.md): configuration space through ECAM where the ACPI MCFG table
 * gives a window (q35), else through ports 0xCF8/0xCFC (pc; PCI 3.0 §3.2.2.3.2); every
 * function of every bus reached from bus 0 is read once at boot, printed, and kept with its
 * capabilities.  Its BARs are sized later, when a driver finds it or the console lists it: the
 * scan only reads.  A function whose configuration space cannot be trusted (a capability list
 * that loops or points outside, a BAR of size 0) gets a line and is skipped. */
#ifndef CADRE_PCI_H
#define CADRE_PCI_H

#include "dev/pci_parse.h"

#define PCI_MAX_DEVS 64
#define PCI_BUSES 256
#define PCI_DEVICES 32
#define PCI_FUNCTIONS 8

/* How configuration space is reached: ECAM, the ports, or (in the tests) a fake. */
struct pci_access {
    const char *name;
    uint32_t (*read)(void *ctx, unsigned bus, unsigned dev, unsigned fn,
                     unsigned off); /* 32-bit aligned */
    void (*write)(void *ctx, unsigned bus, unsigned dev, unsigned fn, unsigned off, uint32_t v);
    void *ctx;
};

struct pci_dev {
    const struct pci_access *access;
    uint8_t bus, dev, fn;
    char bdf[8]; /* "BB:DD.F" */
    uint16_t vendor, device;
    uint8_t class, subclass, prog_if, header, int_pin;
    const char *what;
    struct pci_bar bars[PCI_BARS]; /* valid once bars_sized */
    bool bars_sized;
    struct pci_cap caps[PCI_MAX_CAPS];
    int ncaps;
    bool has_msi, has_msix; /* has_msix: once bars_sized (its table must fit its BAR) */
    struct pci_msi_cap msi;
    struct pci_msix_cap msix;
    bool skipped; /* its configuration space did not parse: no driver gets it */
    char why[PCI_WHY_LEN];
    volatile uint8_t *msix_table, *msix_pba; /* mapped by pci_msix_enable */
    bool msi_on, msix_on;
};

/* Configuration mechanism #1, there on pc and q35 alike (the tests compare it with ECAM). */
extern const struct pci_access pci_port_access;

extern struct pci_dev pci_devs[PCI_MAX_DEVS];
extern unsigned pci_ndevs;

/* Chooses the access (MCFG's window, if it is usable, else the ports) and enumerates. */
void pci_init(void);
/* Enumerates through `a` into `out` (at most `max`); returns how many functions were found,
 * skipped ones included.  Prints the `pci:` lines.  pci_init uses it; so do the tests. */
unsigned pci_scan(const struct pci_access *a, struct pci_dev *out, unsigned max);
/* Whether an ECAM window can be used: 1 MiB per bus, inside the physical address width and
 * clear of RAM in the memory map.  false with `why` otherwise. */
bool pci_ecam_usable(uint64_t base, unsigned bus_start, unsigned bus_end, char *why, size_t whylen);
const char *pci_access_name(void);

uint32_t pci_read32(const struct pci_dev *d, unsigned off);
uint16_t pci_read16(const struct pci_dev *d, unsigned off);
void pci_write32(const struct pci_dev *d, unsigned off, uint32_t v);
void pci_write16(const struct pci_dev *d, unsigned off, uint16_t v);

/* Sizes d's BARs, once, and checks its MSI-X table and pending bits against them.  Sizing
 * writes the command register and the BARs, and a hypervisor may rebuild its memory map for
 * each such write (about 20 ms each under TCG at -smp 255, docs/performance.md), so only what
 * a driver finds or the console lists is sized.  false, with a `pci: warning:` line, where a
 * BAR cannot be used: the function is skipped from then on. */
bool pci_size_bars(struct pci_dev *d);
/* The first function not skipped with this vendor and device ID, its BARs sized, or NULL. */
struct pci_dev *pci_find(uint16_t vendor, uint16_t device);
/* The console's `pci`: every function with its BARs and capabilities. */
void pci_print(void);

#endif
