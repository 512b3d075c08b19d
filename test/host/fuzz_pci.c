/* libFuzzer target for the PCI configuration-space parsers: the input is 256 bytes of
 * configuration space, then 6 BAR values and the 6 values they read back after all ones were
 * written.  Every capability the walk returns must lie in 0x40-0xff, no offset twice, and the
 * MSI/MSI-X readers are run on every capability that names itself one. */
#include "dev/pci_parse.h"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    uint8_t cfg[PCI_CFG_SIZE] = { 0 };
    uint32_t raw[PCI_BARS] = { 0 }, probe[PCI_BARS] = { 0 };
    memcpy(cfg, data, MIN(size, sizeof cfg));
    if (size > sizeof cfg)
        memcpy(raw, data + sizeof cfg, MIN(size - sizeof cfg, sizeof raw));
    if (size > sizeof cfg + sizeof raw)
        memcpy(probe, data + sizeof cfg + sizeof raw,
               MIN(size - sizeof cfg - sizeof raw, sizeof probe));

    char why[PCI_WHY_LEN];
    struct pci_cap caps[PCI_MAX_CAPS];
    int n = pci_caps_walk(cfg, caps, why, sizeof why);
    if (n > (int)PCI_MAX_CAPS)
        abort();
    uint8_t seen[PCI_CFG_SIZE] = { 0 };
    for (int i = 0; i < n; i++) {
        if (caps[i].offset < PCI_HEADER_END || (caps[i].offset & 3) || seen[caps[i].offset]++)
            abort();
    }
    struct pci_bar bars[PCI_BARS] = { 0 };
    unsigned nbars = (cfg[PCI_HEADER_TYPE] & 1) ? PCI_BRIDGE_BARS : PCI_BARS;
    for (unsigned i = 0; i < nbars;) {
        int used = pci_bar_decode(raw, probe, i, nbars, &bars[i], why, sizeof why);
        if (used == 2 && i + 1 >= nbars)
            abort();
        if (used > 0 && bars[i].kind != PCI_BAR_NONE &&
            (!bars[i].size || (bars[i].size & (bars[i].size - 1))))
            abort();
        i += used > 0 ? (unsigned)used : 1;
    }
    for (int i = 0; i < n; i++) {
        struct pci_msi_cap m;
        struct pci_msix_cap x;
        if (caps[i].id == PCI_CAP_ID_MSI &&
            !pci_msi_parse(cfg, caps[i].offset, &m, why, sizeof why)) {
            unsigned last = m.maskable ? m.pending + 4u : m.data + 2u;
            if (last > PCI_CFG_SIZE || m.vectors > 32)
                abort();
        }
        if (caps[i].id == PCI_CAP_ID_MSIX &&
            !pci_msix_parse(cfg, caps[i].offset, bars, &x, why, sizeof why)) {
            if (x.table_bar >= PCI_BARS ||
                x.table_offset + (uint64_t)x.vectors * 16 > bars[x.table_bar].size)
                abort();
        }
    }
    return 0;
}
