/* The MADT: processors, I/O APICs, interrupt source overrides and NMI wiring (ACPI 6.5 §5.2.12). */
#include "acpi/acpi_internal.h"

#ifdef CADRE_HOST
#include <string.h>
#else
#include "lib/string.h"
#endif

/* MADT layout after the common header (ACPI 6.5 Table 5.19) */
#define MADT_LAPIC_ADDRESS 36
#define MADT_FLAGS 40
#define MADT_ENTRIES 44

/* Every interrupt controller structure starts with its type and length (Table 5.21). */
#define ENTRY_TYPE 0
#define ENTRY_LENGTH 1
#define ENTRY_HEADER 2

enum {
    MADT_LAPIC = 0x0,          /* §5.2.12.2, Table 5.22 */
    MADT_IOAPIC = 0x1,         /* §5.2.12.3, Table 5.24 */
    MADT_ISO = 0x2,            /* §5.2.12.5, Table 5.25 */
    MADT_NMI_SOURCE = 0x3,     /* §5.2.12.6, Table 5.27 */
    MADT_LAPIC_NMI = 0x4,      /* §5.2.12.7, Table 5.28 */
    MADT_LAPIC_OVERRIDE = 0x5, /* §5.2.12.8, Table 5.29 */
    MADT_X2APIC = 0x9,         /* §5.2.12.12, Table 5.36 */
    MADT_X2APIC_NMI = 0xA,     /* §5.2.12.13, Table 5.37 */
};

/* Field offsets inside each entry, from the tables named above. */
#define LAPIC_UID 2
#define LAPIC_ID 3
#define LAPIC_FLAGS 4
#define IOAPIC_ID 2
#define IOAPIC_ADDRESS 4
#define IOAPIC_GSI_BASE 8
#define ISO_BUS 2
#define ISO_SOURCE 3
#define ISO_GSI 4
#define ISO_FLAGS 8
#define NMI_SOURCE_FLAGS 2
#define NMI_SOURCE_GSI 4
#define LAPIC_NMI_UID 2
#define LAPIC_NMI_FLAGS 3
#define LAPIC_NMI_LINT 5
#define LAPIC_OVERRIDE_ADDRESS 4
#define X2APIC_ID 4
#define X2APIC_FLAGS 8
#define X2APIC_UID 12
#define X2APIC_NMI_FLAGS 2
#define X2APIC_NMI_UID 4
#define X2APIC_NMI_LINT 8

/* "All processors" in the NMI entries; the broadcast IDs, which no processor has. */
#define LAPIC_NMI_ALL 0xFFu
#define X2APIC_NMI_ALL 0xFFFFFFFFu
#define XAPIC_BROADCAST_ID 0xFFu
#define X2APIC_BROADCAST_ID 0xFFFFFFFFu
#define LINT_MAX 1

/* What the walk counts, to report entries beyond a cap once, with their total. */
enum { KIND_CPU, KIND_IOAPIC, KIND_ISO, KIND_NMI, KIND_LAPIC_NMI, KINDS };

struct walk {
    struct acpi_info *ai;
    unsigned index;  /* of the entry being read, from 0 */
    uint32_t offset; /* of that entry in the table */
    unsigned seen[KINDS];
    bool lapic_overridden_twice;
};

static const struct {
    const char *name;
    unsigned cap;
    const char *lost; /* what dropping the rest costs, when it is not plain */
} kinds[KINDS] = {
    [KIND_CPU] = { "processor", ACPI_MAX_CPUS, "" },
    [KIND_IOAPIC] = { "I/O APIC", ACPI_MAX_IOAPICS, "" },
    [KIND_ISO] = { "interrupt source override", ACPI_MAX_ISOS, "" },
    [KIND_NMI] = { "NMI source", ACPI_MAX_NMIS, "" },
    [KIND_LAPIC_NMI] = { "local APIC NMI", ACPI_MAX_LAPIC_NMIS,
                         "; LINT pins named only by the others stay masked" },
};

/* Counts one entry of a capped kind; true when there is room to keep it. */
static bool room(struct walk *w, unsigned kind) { return w->seen[kind]++ < kinds[kind].cap; }

/* A disabled processor entry that repeats an APIC ID: a placeholder firmware lists for a core
 * it does not have.  Counted for the summary, never a problem line of its own. */
static void placeholder(struct acpi_info *ai, uint32_t apic_id)
{
    if (!ai->madt_repeated_placeholders.count++)
        ai->madt_repeated_placeholders.first_apic_id = apic_id;
}

static bool cpu_usable(uint32_t flags)
{
    return flags & (ACPI_CPU_ENABLED | ACPI_CPU_ONLINE_CAPABLE);
}

/* Drops kept entry `i`, keeping the others in MADT order (the order CPUs are numbered in). */
static void drop_cpu(struct acpi_info *ai, unsigned i)
{
    memmove(&ai->cpus[i], &ai->cpus[i + 1], (ai->ncpus - i - 1) * sizeof ai->cpus[0]);
    ai->ncpus--;
}

static void add_cpu(struct walk *w, uint32_t apic_id, uint32_t uid, uint32_t flags, bool x2apic)
{
    struct acpi_info *ai = w->ai;
    bool usable = cpu_usable(flags);
    /* Firmware lists placeholder entries with the broadcast ID; only a usable one is news. */
    if (apic_id == (x2apic ? X2APIC_BROADCAST_ID : XAPIC_BROADCAST_ID)) {
        if (usable)
            acpi_tbl_problem(ai, "MADT",
                             "entry %u at offset 0x%x: processor with the broadcast "
                             "APIC ID 0x%x; skipped",
                             w->index, w->offset, apic_id);
        else
            ai->madt_broadcast_placeholders++;
        return;
    }
    /* An APIC ID names one processor.  Disabled entries that repeat one are placeholders, not
     * duplicates: one after the ID is listed is dropped; a disabled entry before a usable one
     * with its ID is dropped for it, and it is kept in its own place in MADT order (the slot
     * and the count it frees are its own).  Two usable entries with one ID are a real fault. */
    bool replaced = false;
    for (unsigned i = 0; i < ai->ncpus && !replaced; i++) {
        if (ai->cpus[i].apic_id != apic_id)
            continue;
        if (!usable) {
            placeholder(ai, apic_id);
            return;
        }
        if (cpu_usable(ai->cpus[i].flags)) {
            acpi_tbl_problem(ai, "MADT",
                             "entry %u at offset 0x%x: APIC ID 0x%x listed again; skipped",
                             w->index, w->offset, apic_id);
            return;
        }
        placeholder(ai, apic_id);
        drop_cpu(ai, i);
        replaced = true;
    }
    if (!replaced && !room(w, KIND_CPU))
        return;
    struct acpi_cpu *c = &ai->cpus[ai->ncpus++];
    c->apic_id = apic_id;
    c->uid = uid;
    c->flags = flags;
    c->enabled = flags & ACPI_CPU_ENABLED;
    c->online_capable = !c->enabled && (flags & ACPI_CPU_ONLINE_CAPABLE);
    c->x2apic = x2apic;
}

static void add_lapic_nmi(struct walk *w, uint32_t uid, bool all, uint16_t flags, uint8_t lint,
                          bool x2apic)
{
    if (lint > LINT_MAX) {
        acpi_tbl_problem(w->ai, "MADT",
                         "entry %u at offset 0x%x: NMI on LINT%u, which does not "
                         "exist; skipped",
                         w->index, w->offset, lint);
        return;
    }
    if (!room(w, KIND_LAPIC_NMI))
        return;
    struct acpi_lapic_nmi *n = &w->ai->lapic_nmis[w->ai->nlapic_nmis++];
    n->uid = uid;
    n->all = all;
    n->x2apic = x2apic;
    n->flags = flags;
    n->lint = lint;
}

static void read_lapic(struct walk *w, const uint8_t *e)
{
    add_cpu(w, e[LAPIC_ID], e[LAPIC_UID], acpi_rd32(e + LAPIC_FLAGS), false);
}

static void read_x2apic(struct walk *w, const uint8_t *e)
{
    add_cpu(w, acpi_rd32(e + X2APIC_ID), acpi_rd32(e + X2APIC_UID), acpi_rd32(e + X2APIC_FLAGS),
            true);
}

static void read_ioapic(struct walk *w, const uint8_t *e)
{
    if (!room(w, KIND_IOAPIC))
        return;
    struct acpi_ioapic *io = &w->ai->ioapics[w->ai->nioapics++];
    io->id = e[IOAPIC_ID];
    io->address = acpi_rd32(e + IOAPIC_ADDRESS);
    io->gsi_base = acpi_rd32(e + IOAPIC_GSI_BASE);
}

static void read_iso(struct walk *w, const uint8_t *e)
{
    if (!room(w, KIND_ISO))
        return;
    struct acpi_iso *o = &w->ai->isos[w->ai->nisos++];
    o->bus = e[ISO_BUS];
    o->irq = e[ISO_SOURCE];
    o->gsi = acpi_rd32(e + ISO_GSI);
    o->flags = acpi_rd16(e + ISO_FLAGS);
}

static void read_nmi_source(struct walk *w, const uint8_t *e)
{
    if (!room(w, KIND_NMI))
        return;
    struct acpi_nmi_source *n = &w->ai->nmis[w->ai->nnmis++];
    n->flags = acpi_rd16(e + NMI_SOURCE_FLAGS);
    n->gsi = acpi_rd32(e + NMI_SOURCE_GSI);
}

static void read_lapic_nmi(struct walk *w, const uint8_t *e)
{
    uint8_t uid = e[LAPIC_NMI_UID];
    add_lapic_nmi(w, uid, uid == LAPIC_NMI_ALL, acpi_rd16(e + LAPIC_NMI_FLAGS), e[LAPIC_NMI_LINT],
                  false);
}

static void read_x2apic_nmi(struct walk *w, const uint8_t *e)
{
    uint32_t uid = acpi_rd32(e + X2APIC_NMI_UID);
    add_lapic_nmi(w, uid, uid == X2APIC_NMI_ALL, acpi_rd16(e + X2APIC_NMI_FLAGS),
                  e[X2APIC_NMI_LINT], true);
}

/* §5.2.12.8: the 64-bit address replaces the header's 32-bit one; there is at most one. */
static void read_lapic_override(struct walk *w, const uint8_t *e)
{
    if (w->ai->lapic_address_overridden) {
        if (!w->lapic_overridden_twice)
            acpi_tbl_problem(w->ai, "MADT",
                             "entry %u at offset 0x%x: a second local APIC address "
                             "override; kept the first",
                             w->index, w->offset);
        w->lapic_overridden_twice = true;
        return;
    }
    w->ai->lapic_address = acpi_rd64(e + LAPIC_OVERRIDE_ADDRESS);
    w->ai->lapic_address_overridden = true;
}

/* The entry types read, with the length each needs (the tables named in the enum). */
static const struct {
    uint8_t min_len;
    const char *name;
    void (*read)(struct walk *w, const uint8_t *e);
} types[] = {
    [MADT_LAPIC] = { 8, "local APIC", read_lapic },
    [MADT_IOAPIC] = { 12, "I/O APIC", read_ioapic },
    [MADT_ISO] = { 10, "interrupt source override", read_iso },
    [MADT_NMI_SOURCE] = { 8, "NMI source", read_nmi_source },
    [MADT_LAPIC_NMI] = { 6, "local APIC NMI", read_lapic_nmi },
    [MADT_LAPIC_OVERRIDE] = { 12, "local APIC address override", read_lapic_override },
    [MADT_X2APIC] = { 16, "local x2APIC", read_x2apic },
    [MADT_X2APIC_NMI] = { 12, "local x2APIC NMI", read_x2apic_nmi },
};

void acpi_tbl_madt(struct acpi_info *ai, const uint8_t *t, uint32_t len)
{
    if (ai->has_madt) {
        acpi_tbl_problem(ai, "MADT", "a second MADT; ignored (using the first)");
        return;
    }
    if (len < MADT_ENTRIES) {
        acpi_tbl_problem(ai, "MADT",
                         "length %u is shorter than its fixed fields (%u); table ignored", len,
                         MADT_ENTRIES);
        return;
    }
    ai->has_madt = true;
    ai->lapic_address = acpi_rd32(t + MADT_LAPIC_ADDRESS);
    ai->madt_flags = acpi_rd32(t + MADT_FLAGS);
    ai->pcat_compat = ai->madt_flags & ACPI_MADT_PCAT_COMPAT;

    struct walk w = { .ai = ai };
    for (w.offset = MADT_ENTRIES; w.offset < len;
         w.offset += t[w.offset + ENTRY_LENGTH], w.index++) {
        if (len - w.offset < ENTRY_HEADER) {
            acpi_tbl_problem(ai, "MADT", "%u stray byte(s) after entry %u; ignored", len - w.offset,
                             w.index);
            break;
        }
        const uint8_t *e = t + w.offset;
        uint8_t type = e[ENTRY_TYPE], elen = e[ENTRY_LENGTH];
        if (elen < ENTRY_HEADER) {
            acpi_tbl_problem(ai, "MADT",
                             "entry %u at offset 0x%x has length %u; stopped reading entries",
                             w.index, w.offset, elen);
            break;
        }
        if (elen > len - w.offset) {
            acpi_tbl_problem(ai, "MADT",
                             "entry %u at offset 0x%x (length %u) runs past the table's "
                             "end; stopped reading entries",
                             w.index, w.offset, elen);
            break;
        }
        if (type >= ARRAY_SIZE(types) || !types[type].read)
            continue; /* a type we do not use: skipped by its length */
        if (elen < types[type].min_len) {
            acpi_tbl_problem(ai, "MADT",
                             "entry %u at offset 0x%x: %s entry of length %u, needs %u; skipped",
                             w.index, w.offset, types[type].name, elen, types[type].min_len);
            continue;
        }
        types[type].read(&w, e);
    }

    for (unsigned k = 0; k < KINDS; k++)
        if (w.seen[k] > kinds[k].cap)
            acpi_tbl_problem(ai, "MADT", "%u %s entries; kept the first %u%s", w.seen[k],
                             kinds[k].name, kinds[k].cap, kinds[k].lost);
}
