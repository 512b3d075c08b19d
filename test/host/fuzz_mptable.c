/* libFuzzer target for the Intel MP table reader.  The input is a fake physical memory image in
 * the format of test/host/fakemem.h (the seeds are SeaBIOS's tables and test_mptable's built
 * ones), read leniently; the search runs as the kernel's does, then the parse, from what the
 * search found or else from the image's recorded pointer (so that a broken pointer is parsed
 * too).  fakemem_map hands out exact-size heap copies, freeing the last one on the next call, so
 * any read past a mapped range or through a stale mapping is an ASan report. */
#include "acpi/mptable.h"
#include "fakemem.h"

#include <stdlib.h>
#include <string.h>

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
    uint64_t fp;
    if (mp_find_floating(fakemem_map, &m, &fp) == 0) {
        if (!fakemem_at(&m, fp, 16))
            abort(); /* it reported a pointer where there is no memory */
    } else {
        fp = m.rsdp_phys;
    }
    int rc = mp_parse(fp, fakemem_map, &m, &ai);
    if (ai.ncpus > ACPI_MAX_CPUS || ai.nioapics > ACPI_MAX_IOAPICS || ai.nisos > ACPI_ISA_IRQS ||
        ai.nnmis > ACPI_MAX_NMIS || ai.nlapic_nmis > ACPI_MAX_LAPIC_NMIS ||
        (rc == 0 && (!ai.ncpus || !ai.nioapics)))
        abort();
    for (unsigned i = 0; i < ai.nioapics; i++)
        if (!ai.ioapics[i].address)
            abort();
    mp_info_summary(&ai, true, sink, NULL);
    for (unsigned irq = 0; irq <= ACPI_ISA_IRQS; irq++) {
        uint32_t gsi;
        bool low, level;
        acpi_isa_irq_to_gsi(&ai, irq, &gsi, &low, &level);
    }
    fakemem_free(&m);
    return 0;
}
