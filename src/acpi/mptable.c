/* The Intel MP table (MP spec 1.4, chapter 4): floating pointer search and checks, the
 * configuration table's entries into struct acpi_info, and the summary lines. */
#include "acpi/mptable.h"

#include "acpi/acpi_internal.h"

#ifdef CADRE_HOST
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#else
#include <stdarg.h>

#include "lib/printf.h"
#include "lib/string.h"
#endif

/* MP floating pointer structure (MP spec §4.1, Figure 4-2, Table 4-1) */
#define MPFP_SIGNATURE "_MP_"
#define MPFP_ALIGN 16
#define MPFP_LEN 16
#define MPFP_TABLE 4  /* u32 physical address of the configuration table; 0: none */
#define MPFP_LENGTH 8 /* in 16-byte paragraphs: 1 */
#define MPFP_SPEC_REV 9
#define MPFP_FEATURE1 11 /* nonzero: one of the default configurations of chapter 5 */
#define MPFP_FEATURE2 12
#define MPFP_FEATURE2_IMCRP 0x80

/* Where the floating pointer may be (MP spec §4) */
#define BDA_EBDA_SEGMENT 0x40E /* u16 real-mode segment of the EBDA */
#define BDA_BASE_MEM_KIB 0x413 /* u16 base memory size in KiB */
#define SEARCH_LEN 1024        /* the EBDA's first KiB, base memory's last KiB */
#define BIOS_ROM_START 0xF0000
#define BIOS_ROM_LEN 0x10000
#define EBDA_MIN 0x500
#define BASE_MEM_LIMIT 0xA0000

/* Configuration table header (MP spec §4.2, Figure 4-3, Table 4-2) */
#define MPC_SIGNATURE "PCMP"
#define MPC_BASE_LEN 4 /* u16 */
#define MPC_SPEC_REV 6
#define MPC_OEM_ID 8
#define MPC_OEM_ID_LEN 8
#define MPC_PRODUCT_ID 16
#define MPC_PRODUCT_ID_LEN 12
#define MPC_ENTRY_COUNT 34 /* u16 */
#define MPC_LAPIC 36       /* u32 */
#define MPC_EXT_LEN 40     /* u16 */
#define MPC_EXT_CHECKSUM 42
#define MPC_HEADER_LEN 44

/* Base table entries (MP spec §4.3, Table 4-3): a processor takes 20 bytes, the others 8. */
enum { MP_PROCESSOR = 0, MP_BUS = 1, MP_IOAPIC = 2, MP_IOINT = 3, MP_LINT = 4 };
#define MP_PROCESSOR_LEN 20
#define MP_ENTRY_LEN 8

/* Processor entry (§4.3.1, Table 4-4) */
#define PROC_APIC_ID 1
#define PROC_FLAGS 3
#define PROC_EN 0x01
#define PROC_BP 0x02
#define APIC_ID_BROADCAST 0xFF

/* Bus entry (§4.3.2, Table 4-6): a six-character type, space padded (Table 4-8) */
#define BUS_ID 1
#define BUS_TYPE 2
#define BUS_TYPE_LEN 6
#define MP_MAX_BUSES 256

/* I/O APIC entry (§4.3.3, Table 4-9) */
#define IOAPIC_ID 1
#define IOAPIC_FLAGS 3
#define IOAPIC_EN 0x01
#define IOAPIC_ADDRESS 4

/* I/O and local interrupt assignment entries (§4.3.4, Table 4-10; §4.3.5, Table 4-12); their
 * flags are the PO and EL fields that ACPI's MPS INTI flags took over (ACPI_INTI_*). */
#define INT_TYPE 1
#define INT_FLAGS 2 /* u16 */
#define INT_SRC_BUS 4
#define INT_SRC_IRQ 5
#define INT_DST 6 /* I/O APIC ID, or local APIC ID; 0xFF: all */
#define INT_DST_PIN 7
enum { MP_INT = 0, MP_NMI = 1, MP_SMI = 2, MP_EXTINT = 3 }; /* Table 4-11 */

#define LOCAL_APIC_DEFAULT 0xFEE00000u /* §3.6.1 */

enum bus_kind { BUS_NONE, BUS_ISA, BUS_PCI, BUS_OTHER };

__printf(2, 3) static void problem(struct acpi_info *ai, const char *fmt, ...)
{
    if (ai->nproblems < ACPI_MAX_PROBLEMS) {
        char *line = ai->problems[ai->nproblems];
        int n = snprintf(line, ACPI_PROBLEM_LEN, "mptable: ");
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(line + n, ACPI_PROBLEM_LEN - (size_t)n, fmt, ap);
        va_end(ap);
    }
    ai->nproblems++;
}

static bool floating_valid(const uint8_t *p)
{
    return !memcmp(p, MPFP_SIGNATURE, 4) && p[MPFP_LENGTH] == 1 && !acpi_tbl_sum(p, MPFP_LEN);
}

static int search(acpi_map_fn map, void *ctx, uint64_t base, size_t len, uint64_t *found)
{
    const uint8_t *area = acpi_tbl_map(map, ctx, base, len);
    if (!area)
        return -1;
    for (size_t off = 0; off + MPFP_LEN <= len; off += MPFP_ALIGN) {
        if (floating_valid(area + off)) {
            *found = base + off;
            return 0;
        }
    }
    return -1;
}

int mp_find_floating(acpi_map_fn map, void *ctx, uint64_t *fp_phys)
{
    const uint8_t *p = acpi_tbl_map(map, ctx, BDA_EBDA_SEGMENT, sizeof(uint16_t));
    if (p) {
        uint64_t ebda = (uint64_t)acpi_rd16(p) << 4;
        if (ebda >= EBDA_MIN && ebda + SEARCH_LEN <= BASE_MEM_LIMIT &&
            !search(map, ctx, ebda, SEARCH_LEN, fp_phys))
            return 0;
    }
    p = acpi_tbl_map(map, ctx, BDA_BASE_MEM_KIB, sizeof(uint16_t));
    if (p) {
        uint64_t top = (uint64_t)acpi_rd16(p) << 10;
        if (top >= EBDA_MIN + SEARCH_LEN && top <= BASE_MEM_LIMIT &&
            !search(map, ctx, top - SEARCH_LEN, SEARCH_LEN, fp_phys))
            return 0;
    }
    return search(map, ctx, BIOS_ROM_START, BIOS_ROM_LEN, fp_phys);
}

/* OEM and product IDs are space-padded ASCII; others are shown as '?'. */
static void copy_id(char *dst, const uint8_t *src, size_t len)
{
    size_t n = 0;
    for (size_t i = 0; i < len; i++)
        dst[i] = src[i] >= ' ' && src[i] <= '~' ? (char)src[i] : '?';
    for (size_t i = 0; i < len; i++)
        if (dst[i] != ' ')
            n = i + 1;
    dst[n] = '\0';
}

static enum bus_kind bus_kind_of(const uint8_t *type)
{
    /* Table 4-8; EISA buses carry ISA interrupts too (and are level-capable per ELCR). */
    if (!memcmp(type, "ISA   ", BUS_TYPE_LEN) || !memcmp(type, "EISA  ", BUS_TYPE_LEN))
        return BUS_ISA;
    if (!memcmp(type, "PCI   ", BUS_TYPE_LEN))
        return BUS_PCI;
    return BUS_OTHER;
}

static void read_processor(struct acpi_info *ai, const uint8_t *e)
{
    uint8_t id = e[PROC_APIC_ID], flags = e[PROC_FLAGS];
    if (id == APIC_ID_BROADCAST) {
        problem(ai, "processor entry with the broadcast APIC ID 0xff ignored");
        return;
    }
    for (unsigned i = 0; i < ai->ncpus; i++) {
        if (ai->cpus[i].apic_id == id) {
            problem(ai, "processor entry repeats APIC ID %u; ignored", id);
            return;
        }
    }
    if (ai->ncpus == ACPI_MAX_CPUS) {
        problem(ai, "more than %d processor entries; the rest ignored", ACPI_MAX_CPUS);
        return;
    }
    /* No ACPI UID: the APIC ID stands in, so local interrupt entries can name a processor. */
    ai->cpus[ai->ncpus++] =
        (struct acpi_cpu){ .apic_id = id, .uid = id, .flags = flags, .enabled = flags & PROC_EN };
}

static void read_ioapic(struct acpi_info *ai, const uint8_t *e)
{
    uint8_t id = e[IOAPIC_ID];
    uint32_t address = acpi_rd32(e + IOAPIC_ADDRESS);
    if (!(e[IOAPIC_FLAGS] & IOAPIC_EN)) {
        problem(ai, "I/O APIC %u is marked unusable; ignored", id);
        return;
    }
    if (!address) {
        problem(ai, "I/O APIC %u has address 0; ignored", id);
        return;
    }
    for (unsigned i = 0; i < ai->nioapics; i++) {
        if (ai->ioapics[i].id == id) {
            problem(ai, "I/O APIC entry repeats ID %u; ignored", id);
            return;
        }
    }
    if (ai->nioapics == ACPI_MAX_IOAPICS) {
        problem(ai, "more than %d I/O APICs; the rest ignored", ACPI_MAX_IOAPICS);
        return;
    }
    ai->ioapics[ai->nioapics] = (struct acpi_ioapic){ .id = id,
                                                      .address = address,
                                                      .gsi_base = ai->nioapics * MP_IOAPIC_PINS };
    ai->nioapics++;
}

static const struct acpi_ioapic *ioapic_by_id(const struct acpi_info *ai, uint8_t id)
{
    for (unsigned i = 0; i < ai->nioapics; i++)
        if (ai->ioapics[i].id == id)
            return &ai->ioapics[i];
    return NULL;
}

/* An I/O interrupt entry: ISA interrupts become overrides (every one, identity or not, since
 * the MP table, unlike ACPI, lists each connected ISA IRQ), NMIs NMI sources. */
static void read_ioint(struct acpi_info *ai, const uint8_t *e, const uint8_t *buses)
{
    uint8_t type = e[INT_TYPE], bus = e[INT_SRC_BUS], irq = e[INT_SRC_IRQ], dst = e[INT_DST],
            pin = e[INT_DST_PIN];
    uint16_t flags = acpi_rd16(e + INT_FLAGS);
    if (type == MP_SMI || type == MP_EXTINT) {
        ai->mp.other_irqs++;
        return;
    }
    if (type != MP_INT && type != MP_NMI) {
        problem(ai, "I/O interrupt entry of unknown type %u ignored", type);
        return;
    }
    const struct acpi_ioapic *io = ioapic_by_id(ai, dst);
    if (!io) {
        problem(ai, "bus %u irq %u goes to I/O APIC %u, which is not listed; ignored", bus, irq,
                dst);
        return;
    }
    if (pin >= MP_IOAPIC_PINS) {
        problem(ai, "bus %u irq %u goes to pin %u of I/O APIC %u, beyond its %d; ignored", bus, irq,
                pin, dst, MP_IOAPIC_PINS);
        return;
    }
    uint32_t gsi = io->gsi_base + pin;
    if (type == MP_NMI) {
        if (ai->nnmis == ACPI_MAX_NMIS) {
            problem(ai, "more than %d NMI sources; the rest ignored", ACPI_MAX_NMIS);
            return;
        }
        ai->nmis[ai->nnmis++] = (struct acpi_nmi_source){ .flags = flags, .gsi = gsi };
        return;
    }
    if (buses[bus] == BUS_PCI) {
        ai->mp.pci_irqs++;
        return;
    }
    if (buses[bus] != BUS_ISA) {
        problem(ai, "irq %u of bus %u, which is %s, ignored", irq, bus,
                buses[bus] == BUS_NONE ? "not listed" : "neither ISA nor PCI");
        return;
    }
    if (irq >= ACPI_ISA_IRQS) {
        problem(ai, "ISA irq %u does not exist; entry ignored", irq);
        return;
    }
    for (unsigned i = 0; i < ai->nisos; i++) {
        if (ai->isos[i].irq == irq) {
            problem(ai, "ISA irq %u is assigned twice; the first (gsi %u) kept", irq,
                    ai->isos[i].gsi);
            return;
        }
    }
    if (ai->nisos == ACPI_MAX_ISOS)
        return; /* 16 ISA IRQs, each once: cannot happen */
    ai->isos[ai->nisos++] = (struct acpi_iso){ .bus = 0, .irq = irq, .gsi = gsi, .flags = flags };
}

static void read_lint(struct acpi_info *ai, const uint8_t *e)
{
    uint8_t type = e[INT_TYPE], dst = e[INT_DST], pin = e[INT_DST_PIN];
    if (type != MP_NMI) {
        ai->mp.other_irqs++; /* ExtINT on LINT0: the 8259's virtual wire, which cadre masks */
        return;
    }
    if (pin >= ACPI_LINT_PINS) {
        problem(ai, "local NMI to LINT%u, which does not exist; ignored", pin);
        return;
    }
    if (ai->nlapic_nmis == ACPI_MAX_LAPIC_NMIS)
        return;
    ai->lapic_nmis[ai->nlapic_nmis++] = (struct acpi_lapic_nmi){
        .uid = dst, .all = dst == APIC_ID_BROADCAST, .flags = acpi_rd16(e + INT_FLAGS), .lint = pin
    };
}

/* The base table's entries, in two passes: processors, buses and I/O APICs first, so that the
 * interrupt entries find what they name whatever the order (§4.3 sorts them, but asks nothing). */
static void read_entries(struct acpi_info *ai, const uint8_t *t, uint16_t len, uint16_t count)
{
    uint8_t buses[MP_MAX_BUSES] = { 0 };
    for (int pass = 0; pass < 2; pass++) {
        unsigned n = 0;
        uint32_t off = MPC_HEADER_LEN;
        while (off < len) {
            uint8_t type = t[off];
            uint32_t elen = type == MP_PROCESSOR ? MP_PROCESSOR_LEN : MP_ENTRY_LEN;
            if (type > MP_LINT) {
                if (pass)
                    problem(
                        ai,
                        "entry %u at offset %u has unknown type %u; the rest of the table ignored",
                        n, off, type);
                break;
            }
            if (off + elen > len) {
                if (pass)
                    problem(ai, "entry %u at offset %u runs past the table's %u bytes; ignored", n,
                            off, len);
                break;
            }
            const uint8_t *e = t + off;
            if (!pass && type == MP_PROCESSOR) {
                read_processor(ai, e);
            } else if (!pass && type == MP_BUS) {
                if (buses[e[BUS_ID]] != BUS_NONE) {
                    problem(ai, "bus %u is listed twice; the first kept", e[BUS_ID]);
                } else {
                    buses[e[BUS_ID]] = (uint8_t)bus_kind_of(e + BUS_TYPE);
                    ai->mp.nbuses++;
                    ai->mp.isa_buses += buses[e[BUS_ID]] == BUS_ISA;
                    ai->mp.pci_buses += buses[e[BUS_ID]] == BUS_PCI;
                }
            } else if (!pass && type == MP_IOAPIC) {
                read_ioapic(ai, e);
            } else if (pass && type == MP_IOINT) {
                read_ioint(ai, e, buses);
            } else if (pass && type == MP_LINT) {
                read_lint(ai, e);
            }
            off += elen;
            n++;
        }
        if (pass && n != count)
            problem(ai, "the header counts %u entries, the table holds %u", count, n);
    }
}

int mp_parse(uint64_t fp_phys, acpi_map_fn map, void *ctx, struct acpi_info *ai)
{
    memset(ai, 0, sizeof *ai);
    ai->from_mptable = true;
    ai->mp.fp_phys = fp_phys;
    const uint8_t *fp = acpi_tbl_map(map, ctx, fp_phys, MPFP_LEN);
    if (!fp || !floating_valid(fp)) {
        problem(ai, "no valid floating pointer at 0x%llx", (unsigned long long)fp_phys);
        return -1;
    }
    ai->mp.spec_rev = fp[MPFP_SPEC_REV];
    ai->mp.default_config = fp[MPFP_FEATURE1];
    ai->mp.imcr = fp[MPFP_FEATURE2] & MPFP_FEATURE2_IMCRP;
    ai->mp.table_phys = acpi_rd32(fp + MPFP_TABLE);
    if (ai->mp.default_config) {
        /* Chapter 5's default configurations: two processors on 1990s boards; not supported. */
        problem(ai,
                "the floating pointer names default configuration %u, which cadre does not support",
                ai->mp.default_config);
        return -1;
    }
    if (!ai->mp.table_phys) {
        problem(ai, "the floating pointer names no configuration table");
        return -1;
    }
    const uint8_t *t = acpi_tbl_map(map, ctx, ai->mp.table_phys, MPC_HEADER_LEN);
    if (!t || memcmp(t, MPC_SIGNATURE, 4)) {
        problem(ai, "no PCMP configuration table at 0x%llx", (unsigned long long)ai->mp.table_phys);
        return -1;
    }
    uint16_t len = acpi_rd16(t + MPC_BASE_LEN), count = acpi_rd16(t + MPC_ENTRY_COUNT);
    uint16_t ext_len = acpi_rd16(t + MPC_EXT_LEN);
    uint8_t ext_sum = t[MPC_EXT_CHECKSUM];
    ai->mp.table_len = len;
    ai->mp.nentries = count;
    ai->lapic_address = acpi_rd32(t + MPC_LAPIC);
    copy_id(ai->mp.oem_id, t + MPC_OEM_ID, MPC_OEM_ID_LEN);
    copy_id(ai->mp.product_id, t + MPC_PRODUCT_ID, MPC_PRODUCT_ID_LEN);
    if (t[MPC_SPEC_REV] != ai->mp.spec_rev)
        problem(ai, "the table says spec revision %u, the floating pointer %u", t[MPC_SPEC_REV],
                ai->mp.spec_rev);
    if (len < MPC_HEADER_LEN) {
        problem(ai, "configuration table length %u is shorter than its header", len);
        return -1;
    }
    t = acpi_tbl_map(map, ctx, ai->mp.table_phys, (size_t)len + ext_len);
    if (!t) {
        problem(ai, "the configuration table's %u bytes at 0x%llx cannot be read", len + ext_len,
                (unsigned long long)ai->mp.table_phys);
        return -1;
    }
    if (acpi_tbl_sum(t, len)) {
        problem(ai, "configuration table checksum is wrong; table ignored");
        return -1;
    }
    /* The extended entries (MP spec 1.4 chapter 4.4) are not used; their checksum is checked so
     * that a table damaged there is still said. */
    if (ext_len && (uint8_t)(acpi_tbl_sum(t + len, ext_len) + ext_sum))
        problem(ai, "extended table checksum is wrong (the extended entries are not used)");
    if (!ai->lapic_address) {
        problem(ai, "local APIC address is 0; taking 0x%x", LOCAL_APIC_DEFAULT);
        ai->lapic_address = LOCAL_APIC_DEFAULT;
    }
    read_entries(ai, t, len, count);
    if (!ai->ncpus || !ai->nioapics) {
        problem(ai, "the table lists %u processors and %u usable I/O APICs; not used", ai->ncpus,
                ai->nioapics);
        return -1;
    }
    return 0;
}

struct out {
    void (*line)(void *ctx, const char *text);
    void *ctx;
};

__printf(2, 3) static void say(struct out *o, const char *fmt, ...)
{
    char buf[ACPI_PROBLEM_LEN + 40];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    o->line(o->ctx, buf);
}

void mp_info_summary(const struct acpi_info *ai, bool verbose,
                     void (*line)(void *ctx, const char *text), void *ctx)
{
    struct out o = { line, ctx };
    if (ai->mp.table_len) {
        say(&o,
            "mptable: floating pointer at 0x%llx (spec 1.%u), table at 0x%llx: %u bytes, %u "
            "entries, "
            "OEM \"%s\" product \"%s\"",
            (unsigned long long)ai->mp.fp_phys, ai->mp.spec_rev,
            (unsigned long long)ai->mp.table_phys, ai->mp.table_len, ai->mp.nentries, ai->mp.oem_id,
            ai->mp.product_id);
        unsigned enabled = 0;
        for (unsigned i = 0; i < ai->ncpus; i++)
            enabled += ai->cpus[i].enabled;
        say(&o, "mptable: %u cpus (%u enabled), lapic 0x%llx, %s; buses: %u ISA, %u PCI, %u other",
            ai->ncpus, enabled, (unsigned long long)ai->lapic_address,
            ai->mp.imcr ? "IMCR (PIC mode)" : "virtual wire mode", ai->mp.isa_buses,
            ai->mp.pci_buses, ai->mp.nbuses - ai->mp.isa_buses - ai->mp.pci_buses);
    }
    for (unsigned i = 0; verbose && i < ai->ncpus; i++)
        say(&o, "mptable: cpu apic %u %s", ai->cpus[i].apic_id,
            ai->cpus[i].enabled ? "enabled" : "disabled");
    for (unsigned i = 0; i < ai->nioapics; i++)
        say(&o, "mptable: ioapic id %u at 0x%x gsi base %u", ai->ioapics[i].id,
            ai->ioapics[i].address, ai->ioapics[i].gsi_base);
    if (ai->nisos) {
        /* One line for the ISA IRQs: "irq->gsi" with a mark where it is not edge, active high. */
        char buf[ACPI_PROBLEM_LEN + 40];
        size_t n = (size_t)snprintf(buf, sizeof buf, "mptable: ISA irqs:");
        for (unsigned i = 0; i < ai->nisos && n < sizeof buf; i++) {
            const struct acpi_iso *s = &ai->isos[i];
            bool low = acpi_iso_active_low(s->flags, false),
                 level = acpi_iso_level(s->flags, false);
            n += (size_t)snprintf(buf + n, sizeof buf - n, " %u->%u%s%s", s->irq, s->gsi,
                                  level ? " level" : "", low ? " low" : "");
        }
        line(ctx, buf);
    }
    if (ai->nnmis || ai->nlapic_nmis || ai->mp.pci_irqs || ai->mp.other_irqs)
        say(&o,
            "mptable: %u NMI sources, %u local NMI entries; not used: %u PCI, %u SMI/ExtINT "
            "entries",
            ai->nnmis, ai->nlapic_nmis, ai->mp.pci_irqs, ai->mp.other_irqs);
    for (unsigned i = 0; i < ai->nproblems && i < ACPI_MAX_PROBLEMS; i++)
        line(ctx, ai->problems[i]);
    if (ai->nproblems > ACPI_MAX_PROBLEMS)
        say(&o, "mptable: %u more problems not shown", ai->nproblems - ACPI_MAX_PROBLEMS);
}
