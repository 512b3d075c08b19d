/* The PCI Express memory-mapped configuration table, MCFG (PCI Firmware Specification 3.0,
 * §4.1.2, Tables 4-2 and 4-3): after the common header and 8 reserved bytes, one 16-byte entry
 * per ECAM window, each naming its base address, PCI segment group and bus range. */
#include "acpi/acpi_internal.h"

#define MCFG_ENTRIES 44 /* header (36) + reserved (8) */
#define MCFG_ENTRY_LEN 16
#define MCFG_E_BASE 0
#define MCFG_E_SEGMENT 8
#define MCFG_E_BUS_START 10
#define MCFG_E_BUS_END 11

/* ECAM gives every bus 1 MiB: 32 devices x 8 functions x 4 KiB (PCIe base spec 4.0 §7.2.2). */
#define MCFG_BUS_SPAN (1ull << 20)

void acpi_tbl_mcfg(struct acpi_info *ai, const uint8_t *t, uint32_t len)
{
    if (ai->has_mcfg)
        return; /* one table only (PCI Firmware 3.0 §4.1.2); the first is kept */
    if (len < MCFG_ENTRIES) {
        acpi_tbl_problem(ai, "MCFG", "length %u is shorter than %u; table ignored", len,
                         MCFG_ENTRIES);
        return;
    }
    ai->has_mcfg = true;
    uint32_t count = (len - MCFG_ENTRIES) / MCFG_ENTRY_LEN;
    if ((len - MCFG_ENTRIES) % MCFG_ENTRY_LEN)
        acpi_tbl_problem(ai, "MCFG", "length %u is not %u + %u*n; read its %u whole entries", len,
                         MCFG_ENTRIES, MCFG_ENTRY_LEN, count);
    for (uint32_t i = 0; i < count; i++) {
        const uint8_t *e = t + MCFG_ENTRIES + (size_t)i * MCFG_ENTRY_LEN;
        struct acpi_mcfg_window w = {
            .base = acpi_rd64(e + MCFG_E_BASE),
            .segment = acpi_rd16(e + MCFG_E_SEGMENT),
            .bus_start = e[MCFG_E_BUS_START],
            .bus_end = e[MCFG_E_BUS_END],
        };
        if (w.bus_end < w.bus_start) {
            acpi_tbl_problem(ai, "MCFG", "entry %u: bus range %u-%u is backwards; skipped", i,
                             w.bus_start, w.bus_end);
            continue;
        }
        /* The base is where bus 0 would be, even for a window that starts at a later bus; it is
         * 1 MiB aligned and the whole window must fit below 2^64. */
        if (!w.base || (w.base & (MCFG_BUS_SPAN - 1)) ||
            w.base + ((uint64_t)w.bus_end + 1) * MCFG_BUS_SPAN < w.base) {
            acpi_tbl_problem(ai, "MCFG",
                             "entry %u: base 0x%llx is null, not 1 MiB aligned, or wraps; skipped",
                             i, (unsigned long long)w.base);
            continue;
        }
        if (ai->nmcfg == ACPI_MAX_MCFG) {
            acpi_tbl_problem(ai, "MCFG", "more than %u windows; the rest ignored", ACPI_MAX_MCFG);
            return;
        }
        ai->mcfg[ai->nmcfg++] = w;
    }
}
