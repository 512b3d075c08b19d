/* libFuzzer target for the ACPI table parser.  The input is a fake physical memory image in the
 * format of test/host/fakemem.h (the seeds are the QEMU/Bochs dumps and the hand-built tests'
 * systems), read leniently; the RSDP copy is taken from the image's rsdp_phys as the kernel
 * would.  fakemem_map hands out exact-size heap copies and frees the last one on the next call,
 * so any read beyond a mapped range or through a stale mapping is an ASan report. */
#include "acpi/acpi_tables.h"
#include "fakemem.h"

#include <stdlib.h>
#include <string.h>

#define RSDP_V2_LEN 36
#define RSDP_V1_LEN 20
#define RSDP_REVISION 15

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void sink(void *ctx, const char *text)
{
    (void)ctx;
    if (strlen(text) >= 200)
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct fakemem m;
    static struct acpi_info ai;
    if (fakemem_load(&m, data, size, true)) {
        fakemem_free(&m);
        return 0;
    }
    uint64_t found;
    if (acpi_find_rsdp_bios(fakemem_map, &m, &found) == 0 && !fakemem_at(&m, found, RSDP_V1_LEN))
        abort(); /* it reported an RSDP where there is no memory */

    uint8_t rsdp[RSDP_V2_LEN] = { 0 };
    size_t len = 0;
    /* 20 bytes for revision 0, 36 for 2 and later (ACPI 6.5 §5.2.5.3); chunks may overlap, so
     * the 36 are taken from wherever they all are. */
    const uint8_t *p = fakemem_at(&m, m.rsdp_phys, RSDP_V1_LEN), *p2;
    if (p) {
        len = RSDP_V1_LEN;
        if (p[RSDP_REVISION] >= 2 && (p2 = fakemem_at(&m, m.rsdp_phys, RSDP_V2_LEN))) {
            p = p2;
            len = RSDP_V2_LEN;
        }
        memcpy(rsdp, p, len);
    }
    acpi_parse(len ? rsdp : NULL, len, fakemem_map, &m, &ai);
    if (ai.ncpus > ACPI_MAX_CPUS || ai.nioapics > ACPI_MAX_IOAPICS || ai.nisos > ACPI_MAX_ISOS ||
        ai.nnmis > ACPI_MAX_NMIS || ai.nlapic_nmis > ACPI_MAX_LAPIC_NMIS ||
        ai.ntables > ACPI_MAX_TABLES)
        abort();
    acpi_info_summary(&ai, true, sink, NULL);
    for (unsigned irq = 0; irq <= ACPI_ISA_IRQS; irq++) {
        uint32_t gsi;
        bool low, level;
        acpi_isa_irq_to_gsi(&ai, irq, &gsi, &low, &level);
    }
    /* The LINT lookup the kernel does for each CPU, on a few of them and on one not listed. */
    for (unsigned i = 0; i <= ai.ncpus && i < 8; i++) {
        uint16_t flags;
        for (unsigned pin = 0; pin < ACPI_LINT_PINS; pin++)
            acpi_lint_nmi(&ai, i < ai.ncpus ? &ai.cpus[i] : NULL, pin, &flags);
    }
    fakemem_free(&m);
    return 0;
}
