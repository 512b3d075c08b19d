/* Hand-built tables that are sound: sparse APIC IDs, several I/O APICs, x2APIC entries, every
 * override polarity and trigger, NMI wiring, FADT and _S5 variants, HPET, the RSDP search. */
#include "test_acpi.h"

#include <stdio.h>
#include <string.h>

static struct tbl madt, fadt, dsdt, hpet;

void std_tables(struct sys *s, const struct tbl *m, const uint8_t *aml, size_t aml_len)
{
    static const uint8_t qemu_s5[] = { AML_S5_QEMU };
    if (!aml) {
        aml = qemu_s5;
        aml_len = sizeof qemu_s5;
    }
    build_dsdt(&dsdt, aml, aml_len);
    uint64_t dsdt_phys = sys_place(s, &dsdt, false);
    build_fadt(
        &fadt,
        &(struct fadt_opts){
            .dsdt = dsdt_phys, .sci = 9, .pm1a_cnt = 0x604, .pm_tmr = 0x608, .pm_tmr_len = 4 });
    sys_place(s, &fadt, true);
    if (m)
        sys_place(s, m, true);
    build_hpet(&hpet, 0x8086a201, ACPI_GAS_SYSTEM_MEMORY, 0xfed00000, 0x80);
    sys_place(s, &hpet, true);
}

static void test_sparse_ioapics_xsdt(void)
{
    struct sys s;
    sys_init(&s);
    madt_start(&madt, 0xfee00000, 0); /* no 8259s */
    static const uint8_t ids[] = { 0, 2, 4, 6, 0x20, 0xfe };
    for (unsigned i = 0; i < 6; i++)
        madt_lapic(&madt, (uint8_t)(i + 1), ids[i], ACPI_CPU_ENABLED);
    madt_ioapic(&madt, 8, 0xfec00000, 0);
    madt_ioapic(&madt, 9, 0xfec01000, 24);
    madt_ioapic(&madt, 10, 0xfec40000, 56);
    tbl_finish(&madt);
    std_tables(&s, &madt, NULL, 0);
    sys_finish(&s, true);
    const struct acpi_info *ai = parse_sys(&s, "built-sparse-xsdt");
    CHECK_EQ(parsed.rc, 0);
    CHECK_EQ(ai->nproblems, 0);
    CHECK_EQ(ai->rsdp_revision, 2);
    CHECK(ai->root_is_xsdt);
    CHECK_EQ(ai->root_phys, s.root_phys);
    CHECK(!ai->pcat_compat);
    CHECK_EQ(ai->ncpus, 6);
    for (unsigned i = 0; i < 6 && i < ai->ncpus; i++) {
        CHECK_EQ(ai->cpus[i].apic_id, ids[i]);
        CHECK_EQ(ai->cpus[i].uid, i + 1);
    }
    CHECK_EQ(ai->nioapics, 3);
    CHECK_EQ(ai->ioapics[1].id, 9);
    CHECK_EQ(ai->ioapics[1].address, 0xfec01000);
    CHECK_EQ(ai->ioapics[1].gsi_base, 24);
    CHECK_EQ(ai->ioapics[2].gsi_base, 56);
    CHECK(line_f("acpi: RSDP rev 2 (ACPI 2.0+), XSDT at 0x%llx, OEM CADRE",
                 (unsigned long long)s.root_phys));
    CHECK(has_line("acpi: MADT: 6 cpus (6 enabled), lapic 0xfee00000"));
    CHECK(has_line("acpi: MADT: cpu apic 0xfe uid 6 enabled"));
    CHECK(has_line("acpi: MADT: ioapic id 10 at 0xfec40000 gsi base 56"));
    sys_free(&s);
}

static void test_x2apic(void)
{
    struct sys s;
    sys_init(&s);
    madt_start(&madt, 0xfee00000, ACPI_MADT_PCAT_COMPAT);
    madt_lapic(&madt, 0, 0, ACPI_CPU_ENABLED);
    madt_lapic(&madt, 1, 1, ACPI_CPU_ENABLED);
    madt_x2apic(&madt, 0x100, ACPI_CPU_ENABLED, 256);
    madt_x2apic(&madt, 0x101, ACPI_CPU_ONLINE_CAPABLE, 257);
    madt_x2apic(&madt, 0x12345, 0, 0x10000);
    /* Placeholder entries with the broadcast IDs, as some firmware lists: dropped quietly. */
    madt_lapic(&madt, 0xfe, 0xff, 0);
    madt_x2apic(&madt, 0xffffffff, 0, 7);
    madt_x2apic_nmi(&madt, 0, 0xffffffff, 1);
    madt_x2apic_nmi(&madt, ACPI_INTI_POLARITY_HIGH | ACPI_INTI_TRIGGER_EDGE, 256, 0);
    madt_ioapic(&madt, 0, 0xfec00000, 0);
    tbl_finish(&madt);
    std_tables(&s, &madt, NULL, 0);
    sys_finish(&s, true);
    const struct acpi_info *ai = parse_sys(&s, "built-x2apic");
    CHECK_EQ(parsed.rc, 0);
    CHECK_EQ(ai->nproblems, 0);
    CHECK_EQ(ai->ncpus, 5);
    const struct acpi_cpu *c = find_cpu(0x100);
    CHECK(c && c->x2apic && c->enabled && c->uid == 256);
    c = find_cpu(0x101);
    CHECK(c && c->x2apic && !c->enabled && c->online_capable && c->uid == 257);
    c = find_cpu(0x12345);
    CHECK(c && c->x2apic && !c->enabled && !c->online_capable && c->uid == 0x10000);
    c = find_cpu(1);
    CHECK(c && !c->x2apic && c->enabled);
    CHECK(find_cpu(0xff) == NULL);
    CHECK_EQ(ai->nlapic_nmis, 2);
    CHECK(ai->lapic_nmis[0].all && ai->lapic_nmis[0].x2apic);
    CHECK_EQ(ai->lapic_nmis[0].lint, 1);
    CHECK(!ai->lapic_nmis[1].all);
    CHECK_EQ(ai->lapic_nmis[1].uid, 256);
    CHECK_EQ(ai->lapic_nmis[1].lint, 0);
    CHECK_EQ(ai->lapic_nmis[1].flags, 0x5);
    CHECK(has_line("acpi: MADT: 5 cpus (3 enabled, 1 online-capable, 3 x2apic), lapic 0xfee00000, "
                   "pcat_compat"));
    CHECK(has_line("acpi: MADT: cpu x2apic 0x101 uid 257 online-capable"));
    CHECK(has_line("acpi: MADT: cpu x2apic 0x12345 uid 65536 disabled"));
    CHECK(has_line("acpi: MADT: x2apic nmi uid 0xffffffff (all) lint1"));
    CHECK(has_line("acpi: MADT: x2apic nmi uid 0x100 lint0"));
    sys_free(&s);
}

/* Every polarity (bits 1:0) and trigger (bits 3:2) encoding of MPS INTI flags on ISA IRQs
 * 0-15; the reserved 10 encodings fall back to ISA's edge/high. */
static void test_iso_flags(void)
{
    struct sys s;
    sys_init(&s);
    madt_start(&madt, 0xfee00000, ACPI_MADT_PCAT_COMPAT);
    madt_lapic(&madt, 0, 0, ACPI_CPU_ENABLED);
    madt_ioapic(&madt, 0, 0xfec00000, 0);
    for (unsigned irq = 0; irq < 16; irq++)
        madt_iso(&madt, 0, (uint8_t)irq, 16 + irq,
                 (uint16_t)irq); /* flags == irq: pol irq&3, trig irq>>2 */
    tbl_finish(&madt);
    std_tables(&s, &madt, NULL, 0);
    sys_finish(&s, false);
    const struct acpi_info *ai = parse_sys(&s, "built-iso-flags");
    CHECK_EQ(parsed.rc, 0);
    CHECK_EQ(ai->nproblems, 0);
    CHECK_EQ(ai->nisos, 16);
    for (unsigned irq = 0; irq < 16; irq++) {
        unsigned pol = irq & 3, trig = irq >> 2;
        bool want_low = pol == 3, want_level = trig == 3;
        uint32_t gsi = 0;
        bool low = !want_low, level = !want_level;
        CHECK_EQ(acpi_isa_irq_to_gsi(ai, irq, &gsi, &low, &level), 0);
        CHECK_EQ(gsi, 16 + irq);
        CHECK_EQ(low, want_low);
        CHECK_EQ(level, want_level);
        /* On a bus whose default is active low and level (PCI), "conforms" and reserved
         * follow the bus, the explicit encodings do not. */
        CHECK_EQ(acpi_iso_active_low((uint16_t)irq, true), pol != 1);
        CHECK_EQ(acpi_iso_level((uint16_t)irq, true), trig != 1);
    }
    CHECK(has_line("acpi: MADT: override irq 15 -> gsi 31 (level, low)"));
    CHECK(has_line("acpi: MADT: override irq 13 -> gsi 29 (level, high)"));
    CHECK(has_line("acpi: MADT: override irq 7 -> gsi 23 (edge, low)"));
    CHECK(has_line("acpi: MADT: override irq 10 -> gsi 26 (edge, high)"));
    sys_free(&s);
}

static void test_nmi_entries(void)
{
    struct sys s;
    sys_init(&s);
    madt_start(&madt, 0xfee00000, ACPI_MADT_PCAT_COMPAT);
    for (uint8_t i = 0; i < 4; i++)
        madt_lapic(&madt, i, i, ACPI_CPU_ENABLED);
    madt_ioapic(&madt, 0, 0xfec00000, 0);
    madt_lapic_nmi(&madt, 0xff, 0, 1);
    madt_lapic_nmi(&madt, 2, ACPI_INTI_POLARITY_LOW | ACPI_INTI_TRIGGER_LEVEL, 0);
    madt_nmi_source(&madt, ACPI_INTI_POLARITY_HIGH | ACPI_INTI_TRIGGER_EDGE, 23);
    madt_iso(&madt, 1, 3, 40, 0); /* a non-ISA bus: kept, not used for ISA IRQ 3 */
    tbl_finish(&madt);
    std_tables(&s, &madt, NULL, 0);
    sys_finish(&s, false);
    const struct acpi_info *ai = parse_sys(&s, "built-nmi");
    CHECK_EQ(parsed.rc, 0);
    CHECK_EQ(ai->nproblems, 0);
    CHECK_EQ(ai->nlapic_nmis, 2);
    CHECK(ai->lapic_nmis[0].all);
    CHECK_EQ(ai->lapic_nmis[0].lint, 1);
    CHECK(!ai->lapic_nmis[1].all);
    CHECK_EQ(ai->lapic_nmis[1].uid, 2);
    CHECK_EQ(ai->lapic_nmis[1].lint, 0);
    CHECK_EQ(ai->lapic_nmis[1].flags, 0xf);
    CHECK_EQ(ai->nnmis, 1);
    CHECK_EQ(ai->nmis[0].gsi, 23);
    CHECK_EQ(ai->nmis[0].flags, 0x5);
    CHECK_EQ(ai->nisos, 1);
    CHECK_EQ(ai->isos[0].bus, 1);
    uint32_t gsi;
    bool low, level;
    CHECK_EQ(acpi_isa_irq_to_gsi(ai, 3, &gsi, &low, &level), 0);
    CHECK_EQ(gsi, 3);
    CHECK(has_line("acpi: MADT: lapic nmi uid 0xff (all) lint1"));
    CHECK(has_line("acpi: MADT: lapic nmi uid 0x2 lint0"));
    CHECK(has_line("acpi: MADT: nmi source gsi 23 (edge, high)"));
    CHECK(has_line("acpi: MADT: override bus 1 irq 3 -> gsi 40 (edge, high)"));
    sys_free(&s);
}

/* A summary without verbose: its count line for local APIC NMIs, and any line per entry. */
static unsigned brief_count_lines, brief_entry_lines;

static void brief_line(void *ctx, const char *text)
{
    (void)ctx;
    brief_count_lines +=
        !strcmp(text, "acpi: MADT: 64 local APIC NMI entries (acpi.verbose lists them)");
    brief_entry_lines += strstr(text, "nmi uid") != NULL;
}

/* A board with more per-CPU local APIC NMI entries than the 32 once kept: 64 CPUs, each with
 * its own LINT1 entry (as many server boards list them).  Every entry is kept and every CPU
 * gets NMI on LINT1, none on LINT0. */
static void test_lapic_nmi_per_cpu(void)
{
    enum { NCPUS = 64 };
    const uint16_t flags = ACPI_INTI_POLARITY_HIGH | ACPI_INTI_TRIGGER_EDGE;
    struct sys s;
    sys_init(&s);
    madt_start(&madt, 0xfee00000, ACPI_MADT_PCAT_COMPAT);
    for (unsigned i = 0; i < NCPUS; i++)
        madt_lapic(&madt, (uint8_t)i, (uint8_t)i, ACPI_CPU_ENABLED);
    for (unsigned i = 0; i < NCPUS; i++)
        madt_lapic_nmi(&madt, (uint8_t)i, flags, 1);
    madt_ioapic(&madt, 0, 0xfec00000, 0);
    tbl_finish(&madt);
    std_tables(&s, &madt, NULL, 0);
    sys_finish(&s, false);
    const struct acpi_info *ai = parse_sys(&s, "built-lapic-nmi-64");
    CHECK_EQ(parsed.rc, 0);
    CHECK_EQ(ai->nproblems, 0);
    CHECK_EQ(ai->ncpus, NCPUS);
    CHECK_EQ(ai->nlapic_nmis, NCPUS);
    unsigned lint1 = 0, lint0 = 0;
    for (unsigned i = 0; i < ai->ncpus; i++) {
        uint16_t got = 0;
        if (acpi_lint_nmi(ai, &ai->cpus[i], 1, &got) && got == flags)
            lint1++;
        else
            printf("  cpu %u (uid %u): no LINT1 NMI\n", i, ai->cpus[i].uid);
        lint0 += acpi_lint_nmi(ai, &ai->cpus[i], 0, &got);
    }
    CHECK_EQ(lint1, NCPUS);
    CHECK_EQ(lint0, 0);
    /* A CPU the MADT does not list is reached by no per-CPU entry. */
    uint16_t got;
    CHECK(!acpi_lint_nmi(ai, NULL, 1, &got));
    CHECK(has_line("acpi: MADT: lapic nmi uid 0x3f lint1"));
    /* Without verbose (the kernel's default above 16 CPUs) one line counts them. */
    brief_count_lines = brief_entry_lines = 0;
    acpi_info_summary(ai, false, brief_line, NULL);
    CHECK_EQ(brief_count_lines, 1);
    CHECK_EQ(brief_entry_lines, 0);
    sys_free(&s);
}

static void test_lapic_override(void)
{
    struct sys s;
    sys_init(&s);
    madt_start(&madt, 0xfee00000, 0);
    madt_lapic(&madt, 0, 0, ACPI_CPU_ENABLED);
    madt_lapic_override(&madt, 0x4fee00000ull);
    tbl_finish(&madt);
    std_tables(&s, &madt, NULL, 0);
    sys_finish(&s, false);
    const struct acpi_info *ai = parse_sys(&s, NULL);
    CHECK_EQ(ai->nproblems, 0);
    CHECK(ai->lapic_address_overridden);
    CHECK_EQ(ai->lapic_address, 0x4fee00000ull);
    CHECK(has_line("acpi: MADT: 1 cpus (1 enabled), lapic 0x4fee00000 (override)"));
    sys_free(&s);
}

/* A 6.5-sized FADT: X_DSDT over DSDT, X_PM_TMR_BLK over PM_TMR_BLK, the 32-bit timer flag and
 * the reset register. */
static void test_fadt_x_fields(void)
{
    static const uint8_t aml[] = { AML_S5_QEMU };
    struct sys s;
    sys_init(&s);
    build_dsdt(&dsdt, aml, sizeof aml);
    uint64_t dsdt_phys = sys_place(&s, &dsdt, false);
    build_fadt(&fadt, &(struct fadt_opts){ .x_fields = true,
                                           .dsdt = dsdt_phys,
                                           .sci = 20,
                                           .pm1a_cnt = 0x1804,
                                           .pm_tmr = 0x1808,
                                           .pm_tmr_len = 4,
                                           .x_pm_tmr = 0x408,
                                           .flags = ACPI_FADT_TMR_VAL_EXT | ACPI_FADT_RESET_REG_SUP,
                                           .reset_port = 0xcf9,
                                           .reset_value = 6 });
    sys_place(&s, &fadt, true);
    sys_finish(&s, true);
    const struct acpi_info *ai = parse_sys(&s, "built-fadt-x");
    CHECK_EQ(parsed.rc, 0);
    CHECK_EQ(ai->nproblems, 0);
    CHECK(!ai->has_madt);
    CHECK_EQ(ai->fadt_revision, 6);
    CHECK_EQ(ai->sci_int, 20);
    CHECK_EQ(ai->dsdt_phys, dsdt_phys);
    CHECK_EQ(ai->pm_timer.address, 0x408);
    CHECK(ai->pm_timer_32bit);
    /* X_PM1a_CNT_BLK is left empty: the 32-bit block is used. */
    CHECK_EQ(ai->pm1a_cnt.address, 0x1804);
    CHECK_EQ(ai->pm1a_cnt.space_id, ACPI_GAS_SYSTEM_IO);
    CHECK(ai->has_reset);
    CHECK_EQ(ai->reset_reg.address, 0xcf9);
    CHECK_EQ(ai->reset_value, 6);
    CHECK(ai->s5_valid);
    CHECK(has_line("acpi: tables: FACP DSDT"));
    CHECK(has_line("acpi: FADT: rev 6, sci 20, pm timer 0x408 (32-bit), pm1a_cnt 0x1804, S5 "
                   "slp_typ 0/0, reset 0xcf9=0x6"));
    sys_free(&s);
}

struct s5_case {
    const char *name;
    uint8_t aml[40];
    size_t len;
    uint8_t a, b;
};

static void test_s5_encodings(void)
{
    static const struct s5_case cases[] = {
        /* \_S5 at the root, Byte constants as many firmwares write it */
        { "root byte",
          { 0x08, '\\', '_', 'S', '5', '_', 0x12, 0x08, 0x04, 0x0a, 0x07, 0x0a, 0x05, 0x00, 0x00 },
          15,
          7,
          5 },
        /* One, Word constant; a decoy "_S5_" first that no NameOp precedes */
        { "decoy, word",
          { 0x10, '_', 'S', '5', '_', 0x08, '_', 'S', '5', '_', 0x12, 0x06, 0x02, 0x01, 0x0b, 0x03,
            0x00 },
          17,
          1,
          3 },
        /* A two-byte PkgLength (lead 0x40: one byte follows) and DWord constants */
        { "pkglength 2",
          { 0x08, '_', 'S', '5', '_',  0x12, 0x40 | 0x0e, 0x00, 0x03, 0x0c,
            0x05, 0,   0,   0,   0x0c, 0x06, 0,           0,    0,    0x00 },
          20,
          5,
          6 },
        /* A three-byte PkgLength: 0x80 | low nibble, then 16 more bits (length 0x008) */
        { "pkglength 3",
          { 0x08, '_', 'S', '5', '_', 0x12, 0x80 | 0x08, 0x00, 0x00, 0x02, 0x0a, 0x02, 0x0a, 0x04 },
          14,
          2,
          4 },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct sys s;
        sys_init(&s);
        std_tables(&s, NULL, cases[i].aml, cases[i].len);
        sys_finish(&s, false);
        const struct acpi_info *ai = parse_sys(&s, NULL);
        if (ai->nproblems || !ai->s5_valid)
            printf("  _S5 case \"%s\"\n", cases[i].name);
        CHECK_EQ(ai->nproblems, 0);
        CHECK(ai->s5_valid);
        CHECK_EQ(ai->s5_slp_typ_a, cases[i].a);
        CHECK_EQ(ai->s5_slp_typ_b, cases[i].b);
        sys_free(&s);
    }
}

static void test_hpet_decode(void)
{
    struct sys s;
    sys_init(&s);
    /* AMD (0x1022), no legacy routing, 32-bit counter, last comparator 7 */
    build_hpet(&hpet, 0x10220701, ACPI_GAS_SYSTEM_MEMORY, 0xfed80000, 0x37ee);
    sys_place(&s, &hpet, true);
    sys_finish(&s, false);
    const struct acpi_info *ai = parse_sys(&s, "built-hpet");
    CHECK_EQ(ai->nproblems, 0);
    CHECK(ai->has_hpet);
    CHECK_EQ(ai->hpet_address, 0xfed80000);
    CHECK_EQ(ai->hpet_comparators, 8);
    CHECK_EQ(ai->hpet_vendor_id, 0x1022);
    CHECK(!ai->hpet_counter_64);
    CHECK(!ai->hpet_legacy_capable);
    CHECK_EQ(ai->hpet_min_tick, 0x37ee);
    CHECK(has_line("acpi: HPET at 0xfed80000, 8 comparators, 32-bit counter, min tick 14318"));
    sys_free(&s);
}

/* An RSDP at `off` into a 16-byte-aligned area, revision `rev`; `bad` spoils a checksum. */
static void put_rsdp(uint8_t *area, size_t off, uint8_t rev, bool bad_checksum, bool bad_extended)
{
    struct sys tmp;
    sys_init(&tmp);
    sys_rsdp(&tmp, rev, 0x1000, rev >= 2 ? 0x2000 : 0);
    if (bad_checksum)
        tmp.rsdp[8]++;
    if (bad_extended)
        tmp.rsdp[32]++;
    memcpy(area + off, tmp.rsdp, tmp.rsdp_len);
    sys_free(&tmp);
}

static void test_rsdp_search(void)
{
    static uint8_t bios[0x20000], ebda[1024];
    struct fakemem m;
    uint64_t found = 0;

    /* In the BIOS area: decoys first (bad checksum, bad extended checksum, not on a 16-byte
     * boundary), then the real one. */
    fakemem_init(&m);
    memset(bios, 0, sizeof bios);
    put_rsdp(bios, 0x100, 0, true, false);
    put_rsdp(bios, 0x200, 2, false, true);
    put_rsdp(bios, 0x308, 0, false, false);
    put_rsdp(bios, 0x1230, 2, false, false);
    fakemem_add(&m, 0x40e, &(uint16_t){ 0 }, 2);
    fakemem_add(&m, 0xe0000, bios, sizeof bios);
    CHECK_EQ(acpi_find_rsdp_bios(fakemem_map, &m, &found), 0);
    CHECK_EQ(found, 0xe1230);
    fakemem_free(&m);

    /* In the EBDA, found before the one in the BIOS area */
    fakemem_init(&m);
    memset(ebda, 0, sizeof ebda);
    put_rsdp(ebda, 0x3e0, 0, false, false);
    fakemem_add(&m, 0x40e, &(uint16_t){ 0x9fc0 }, 2);
    fakemem_add(&m, 0x9fc00, ebda, sizeof ebda);
    fakemem_add(&m, 0xe0000, bios, sizeof bios);
    CHECK_EQ(acpi_find_rsdp_bios(fakemem_map, &m, &found), 0);
    CHECK_EQ(found, 0x9ffe0);
    fakemem_free(&m);

    /* A revision 2 RSDP two paragraphs before 1 MiB: its 20-byte part fits, its 36 bytes
     * would run past the area, so it is not taken; nothing else is there. */
    fakemem_init(&m);
    memset(bios, 0, sizeof bios);
    uint8_t last[36];
    put_rsdp(last, 0, 2, false, false);
    memcpy(bios + sizeof bios - 32, last, 32);
    fakemem_add(&m, 0xe0000, bios, sizeof bios);
    CHECK_EQ(acpi_find_rsdp_bios(fakemem_map, &m, &found), -1);
    fakemem_free(&m);

    /* Nothing mapped at all */
    fakemem_init(&m);
    CHECK_EQ(acpi_find_rsdp_bios(fakemem_map, &m, &found), -1);
    fakemem_free(&m);
}

void acpi_built_tests(void)
{
    run_test("acpi", "XSDT, sparse APIC IDs, three I/O APICs", test_sparse_ioapics_xsdt);
    run_test("acpi", "x2APIC entries, IDs above 255, x2APIC NMIs", test_x2apic);
    run_test("acpi", "overrides: every polarity and trigger encoding", test_iso_flags);
    run_test("acpi", "local APIC NMI for all and one CPU, NMI source", test_nmi_entries);
    run_test("acpi", "64 per-CPU local APIC NMI entries: all kept, LINT1 on every CPU",
             test_lapic_nmi_per_cpu);
    run_test("acpi", "local APIC address override", test_lapic_override);
    run_test("acpi", "FADT 6.5: X_ fields, 32-bit PM timer, reset register", test_fadt_x_fields);
    run_test("acpi", "_S5 encodings: root prefix, Byte/Word/DWord, long PkgLength",
             test_s5_encodings);
    run_test("acpi", "HPET fields", test_hpet_decode);
    run_test("acpi", "RSDP search: EBDA, BIOS area, decoys", test_rsdp_search);
}
