/* Broken tables: each must be caught, named in a problem line, and must not stop the reading
 * of what is sound. */
#include "test_acpi.h"

#include <stdio.h>
#include <string.h>

static struct tbl madt, t2;

static void simple_madt(unsigned ncpus)
{
    madt_start(&madt, 0xfee00000, ACPI_MADT_PCAT_COMPAT);
    for (unsigned i = 0; i < ncpus; i++)
        madt_lapic(&madt, (uint8_t)i, (uint8_t)i, ACPI_CPU_ENABLED);
    madt_ioapic(&madt, 0, 0xfec00000, 0);
    tbl_finish(&madt);
}

/* A standard system with `simple_madt(2)`; returns the MADT's address. */
static uint64_t std_sys(struct sys *s, bool xsdt)
{
    sys_init(s);
    simple_madt(2);
    std_tables(s, &madt, NULL, 0);
    uint64_t madt_phys = s->table_phys[1];
    sys_finish(s, xsdt);
    return madt_phys;
}

static void test_rsdp_broken(void)
{
    struct sys s;
    std_sys(&s, true);
    s.rsdp[8]++; /* the ACPI 1.0 checksum */
    parse_sys(&s, NULL);
    CHECK_EQ(parsed.rc, -1);
    CHECK(has_problem("acpi: RSDP: checksum mismatch (sum 0x01)"));
    s.rsdp[8]--;

    s.rsdp[32]++; /* the extended checksum */
    parse_sys(&s, NULL);
    CHECK_EQ(parsed.rc, -1);
    CHECK(has_problem("acpi: RSDP: extended checksum mismatch (sum 0x01)"));
    s.rsdp[32]--;

    parse_rsdp(&s.mem, s.rsdp, 20);
    CHECK_EQ(parsed.rc, -1);
    CHECK(has_problem("acpi: RSDP: revision 2 needs 36 bytes, only 20 given"));

    parse_rsdp(&s.mem, s.rsdp, 12);
    CHECK_EQ(parsed.rc, -1);
    CHECK(has_problem("acpi: RSDP: only 12 bytes given"));

    s.rsdp[0] = 'X';
    parse_sys(&s, NULL);
    CHECK_EQ(parsed.rc, -1);
    CHECK(has_problem("acpi: RSDP: signature is not \"RSD PTR \""));
    sys_free(&s);
}

static void test_no_root(void)
{
    struct sys s;
    sys_init(&s);
    sys_rsdp(&s, 0, 0, 0);
    parse_sys(&s, NULL);
    CHECK_EQ(parsed.rc, -1);
    CHECK(has_problem("acpi: RSDP: no usable root table (RSDT 0x0, XSDT 0x0)"));
    sys_free(&s);

    sys_init(&s);
    sys_rsdp(&s, 2, 0, 0x80000000);
    parse_sys(&s, NULL);
    CHECK_EQ(parsed.rc, -1);
    CHECK(has_problem("acpi: XSDT: header at 0x80000000 cannot be read; table ignored"));
    CHECK(has_problem("acpi: RSDP: no usable root table (RSDT 0x0, XSDT 0x80000000)"));
    sys_free(&s);
}

/* A revision 2 RSDP whose XSDT is spoilt: the RSDT is used instead. */
static void test_xsdt_fallback(void)
{
    struct sys s;
    sys_init(&s);
    simple_madt(2);
    std_tables(&s, &madt, NULL, 0);
    uint64_t rsdt = sys_root(&s, false, 0), xsdt = sys_root(&s, true, 0);
    fakemem_at(&s.mem, xsdt + 40, 1)[0] ^= 0x80; /* an entry's top bit: checksum now wrong */
    sys_rsdp(&s, 2, rsdt, xsdt);
    const struct acpi_info *ai = parse_sys(&s, NULL);
    CHECK_EQ(parsed.rc, 0);
    CHECK(!ai->root_is_xsdt);
    CHECK_EQ(ai->root_phys, rsdt);
    CHECK(has_problem("acpi: XSDT: checksum mismatch (sum 0x80); table ignored"));
    CHECK_EQ(ai->nproblems, 1);
    CHECK(ai->has_madt && ai->has_fadt && ai->has_hpet && ai->s5_valid);
    CHECK_EQ(ai->ncpus, 2);
    sys_free(&s);
}

static void test_table_checksum(void)
{
    struct sys s;
    std_sys(&s, false);
    uint64_t hpet = s.table_phys[2];
    fakemem_at(&s.mem, hpet + 52, 1)[0] += 0x3c; /* HPET number */
    const struct acpi_info *ai = parse_sys(&s, NULL);
    CHECK_EQ(parsed.rc, 0);
    CHECK(has_problem("acpi: HPET: checksum mismatch (sum 0x3c); table ignored"));
    CHECK_EQ(ai->nproblems, 1);
    CHECK(!ai->has_hpet);
    CHECK(ai->has_madt && ai->has_fadt && ai->s5_valid);
    CHECK(!ai->tables[2].valid);
    CHECK(has_line("acpi: tables: FACP APIC HPET(bad) DSDT"));
    sys_free(&s);
}

static void test_table_lengths(void)
{
    struct sys s;
    uint64_t madt_phys = std_sys(&s, false);
    uint8_t *m = fakemem_at(&s.mem, madt_phys, madt.len);
    /* Longer than what is there: the rest of the table cannot be mapped. */
    m[4] = 0x00, m[5] = 0x02, m[6] = 0, m[7] = 0;
    tbl_fix_checksum(m, madt.len);
    const struct acpi_info *ai = parse_sys(&s, NULL);
    CHECK_EQ(parsed.rc, 0);
    CHECK(problem_f("acpi: MADT: its 0x200 bytes at 0x%llx cannot be read; table ignored",
                    (unsigned long long)madt_phys));
    CHECK(!ai->has_madt);
    CHECK(ai->has_fadt && ai->has_hpet && ai->s5_valid);

    m[4] = m[5] = m[6] = m[7] = 0xff;
    parse_sys(&s, NULL);
    CHECK(problem_f("acpi: MADT: length 0xffffffff at 0x%llx is impossible; table ignored",
                    (unsigned long long)madt_phys));
    CHECK(!parsed.ai.has_madt && parsed.ai.has_hpet);

    m[4] = 35, m[5] = m[6] = m[7] = 0;
    parse_sys(&s, NULL);
    CHECK(problem_f("acpi: MADT: length 0x23 at 0x%llx is impossible; table ignored",
                    (unsigned long long)madt_phys));

    /* Long enough for a header, too short for the MADT's own fields */
    m[4] = 40;
    tbl_fix_checksum(m, 40);
    parse_sys(&s, NULL);
    CHECK(
        has_problem("acpi: MADT: length 40 is shorter than its fixed fields (44); table ignored"));
    CHECK(!parsed.ai.has_madt);
    sys_free(&s);
}

/* Places `madt` (already finished) with the standard tables and parses. */
static const struct acpi_info *parse_madt(struct sys *s, const char *corpus_name)
{
    sys_init(s);
    std_tables(s, &madt, NULL, 0);
    sys_finish(s, false);
    return parse_sys(s, corpus_name);
}

static void test_madt_entries(void)
{
    struct sys s;
    /* A zero-length entry stops the walk; what came before is kept. */
    madt_start(&madt, 0xfee00000, ACPI_MADT_PCAT_COMPAT);
    for (uint8_t i = 0; i < 3; i++)
        madt_lapic(&madt, i, i, ACPI_CPU_ENABLED);
    tbl_u8(&madt, 0);
    tbl_u8(&madt, 0);
    madt_ioapic(&madt, 0, 0xfec00000, 0);
    tbl_finish(&madt);
    const struct acpi_info *ai = parse_madt(&s, "broken-madt-zero-entry");
    CHECK_EQ(parsed.rc, 0);
    CHECK(has_problem("acpi: MADT: entry 3 at offset 0x44 has length 0; stopped reading entries"));
    CHECK_EQ(ai->nproblems, 1);
    CHECK_EQ(ai->ncpus, 3);
    CHECK_EQ(ai->nioapics, 0);
    sys_free(&s);

    /* An entry running past the table's end */
    madt_start(&madt, 0xfee00000, 0);
    madt_lapic(&madt, 0, 0, ACPI_CPU_ENABLED);
    madt_lapic(&madt, 1, 1, ACPI_CPU_ENABLED);
    madt_ioapic(&madt, 0, 0xfec00000, 0);
    madt.b[madt.len - 12 + 1] = 30;
    tbl_finish(&madt);
    ai = parse_madt(&s, NULL);
    CHECK(has_problem("acpi: MADT: entry 2 at offset 0x3c (length 30) runs past the table's end; "
                      "stopped reading entries"));
    CHECK_EQ(ai->ncpus, 2);
    CHECK_EQ(ai->nioapics, 0);
    sys_free(&s);

    /* Too short for its type: skipped, the walk goes on; unknown types are skipped quietly;
     * a trailing byte is reported. */
    madt_start(&madt, 0xfee00000, 0);
    tbl_bytes(&madt, (const uint8_t[]){ 1, 8, 0, 0, 0, 0, 0xc0, 0xfe }, 8); /* I/O APIC, 8 bytes */
    tbl_bytes(&madt, (const uint8_t[]){ 0x7f, 4, 0xaa, 0xbb }, 4);          /* unknown type */
    tbl_bytes(&madt, (const uint8_t[]){ 0, 4, 0, 0 }, 4); /* local APIC, 4 bytes */
    madt_lapic(&madt, 5, 5, ACPI_CPU_ENABLED);
    tbl_u8(&madt, 0);
    tbl_finish(&madt);
    ai = parse_madt(&s, NULL);
    CHECK(has_problem(
        "acpi: MADT: entry 0 at offset 0x2c: I/O APIC entry of length 8, needs 12; skipped"));
    CHECK(has_problem(
        "acpi: MADT: entry 2 at offset 0x38: local APIC entry of length 4, needs 8; skipped"));
    CHECK(has_problem("acpi: MADT: 1 stray byte(s) after entry 4; ignored"));
    CHECK_EQ(ai->nproblems, 3);
    CHECK_EQ(ai->ncpus, 1);
    CHECK_EQ(ai->cpus[0].apic_id, 5);
    sys_free(&s);

    /* Duplicates, a usable CPU with the broadcast ID, an NMI on a LINT that does not exist, a
     * second address override */
    madt_start(&madt, 0xfee00000, 0);
    madt_lapic(&madt, 0, 0, ACPI_CPU_ENABLED);
    madt_lapic(&madt, 1, 1, ACPI_CPU_ENABLED);
    madt_lapic(&madt, 2, 1, ACPI_CPU_ENABLED);
    madt_x2apic(&madt, 0, ACPI_CPU_ENABLED, 3);
    madt_lapic(&madt, 4, 0xff, ACPI_CPU_ENABLED);
    madt_lapic_nmi(&madt, 0xff, 0, 2);
    madt_lapic_override(&madt, 0x100000000ull);
    madt_lapic_override(&madt, 0x200000000ull);
    tbl_finish(&madt);
    ai = parse_madt(&s, NULL);
    CHECK(has_problem("acpi: MADT: entry 2 at offset 0x3c: APIC ID 0x1 listed again; skipped"));
    CHECK(has_problem("acpi: MADT: entry 3 at offset 0x44: APIC ID 0x0 listed again; skipped"));
    CHECK(has_problem(
        "acpi: MADT: entry 4 at offset 0x54: processor with the broadcast APIC ID 0xff; skipped"));
    CHECK(has_problem(
        "acpi: MADT: entry 5 at offset 0x5c: NMI on LINT2, which does not exist; skipped"));
    CHECK(has_problem("acpi: MADT: entry 7 at offset 0x6e: a second local APIC address override; "
                      "kept the first"));
    CHECK_EQ(ai->nproblems, 5);
    CHECK_EQ(ai->ncpus, 2);
    CHECK_EQ(ai->nlapic_nmis, 0);
    CHECK_EQ(ai->lapic_address, 0x100000000ull);
    sys_free(&s);
}

/* A Threadripper board's MADT (ASRock X399 Taichi): the enabled CPUs, then 96 disabled
 * placeholder entries that all reuse APIC ID 0.  They are counted on one summary line, not
 * reported each, so a real problem after them still gets its own line. */
static void test_madt_placeholders(void)
{
    struct sys s;
    madt_start(&madt, 0xfee00000, ACPI_MADT_PCAT_COMPAT);
    for (unsigned i = 0; i < 4; i++)
        madt_lapic(&madt, (uint8_t)i, (uint8_t)i, ACPI_CPU_ENABLED);
    for (unsigned i = 0; i < 96; i++)
        madt_lapic(&madt, (uint8_t)(4 + i), 0, 0);
    madt_lapic(&madt, 100, 2, ACPI_CPU_ENABLED); /* entry 100: a real duplicate */
    madt_ioapic(&madt, 0, 0xfec00000, 0);
    tbl_finish(&madt);
    const struct acpi_info *ai = parse_madt(&s, "broken-madt-placeholders");
    CHECK_EQ(parsed.rc, 0);
    CHECK_EQ(ai->ncpus, 4);
    for (unsigned i = 0; i < 4 && i < ai->ncpus; i++)
        CHECK(ai->cpus[i].apic_id == i && ai->cpus[i].enabled);
    CHECK(has_problem("acpi: MADT: entry 100 at offset 0x"));
    CHECK(has_problem("APIC ID 0x2 listed again; skipped"));
    CHECK_EQ(ai->nproblems, 1);
    CHECK_EQ(ai->madt_repeated_placeholders.count, 96);
    CHECK(
        has_line("acpi: MADT: ignored disabled placeholder entries: 96 repeating a listed APIC ID "
                 "(first 0x0)"));
    CHECK(has_line("acpi: MADT: 4 cpus (4 enabled), lapic 0xfee00000, pcat_compat"));
    sys_free(&s);

    /* Placeholders first: a usable entry with a placeholder's ID takes its place, in its own
     * MADT order; broadcast-ID placeholders go on the same line. */
    madt_start(&madt, 0xfee00000, 0);
    madt_lapic(&madt, 0, 0, ACPI_CPU_ENABLED);
    madt_lapic(&madt, 1, 5, 0);
    madt_lapic(&madt, 2, 5, 0);
    madt_lapic(&madt, 3, 0xff, 0);
    madt_x2apic(&madt, 0xffffffff, 0, 4);
    madt_lapic(&madt, 5, 1, ACPI_CPU_ENABLED);
    madt_lapic(&madt, 6, 5, ACPI_CPU_ONLINE_CAPABLE);
    madt_lapic(&madt, 7, 5, 0);
    madt_lapic(&madt, 8, 0, 0);
    tbl_finish(&madt);
    ai = parse_madt(&s, NULL);
    CHECK_EQ(ai->nproblems, 0);
    CHECK_EQ(ai->ncpus, 3);
    CHECK(ai->ncpus == 3 && ai->cpus[0].apic_id == 0 && ai->cpus[1].apic_id == 1 &&
          ai->cpus[2].apic_id == 5);
    const struct acpi_cpu *c = find_cpu(5);
    CHECK(c && c->uid == 6 && c->online_capable);
    CHECK_EQ(ai->madt_repeated_placeholders.count, 4);
    CHECK_EQ(ai->madt_broadcast_placeholders, 2);
    CHECK(has_line("acpi: MADT: ignored disabled placeholder entries: 4 repeating a listed APIC ID "
                   "(first 0x5), 2 with the broadcast APIC ID"));
    sys_free(&s);
}

/* More entries of each kind than struct acpi_info keeps */
static void test_absurd_counts(void)
{
    struct sys s;
    madt_start(&madt, 0xfee00000, 0);
    for (uint32_t i = 0; i < 600; i++)
        madt_x2apic(&madt, 0x1000 + i, ACPI_CPU_ENABLED, i);
    for (uint32_t i = 0; i < 20; i++)
        madt_ioapic(&madt, (uint8_t)i, 0xfec00000 + 0x1000 * i, 24 * i);
    for (uint32_t i = 0; i < 50; i++)
        madt_iso(&madt, 0, (uint8_t)i, i, 0);
    for (uint32_t i = 0; i < 17; i++)
        madt_nmi_source(&madt, 0, 100 + i);
    for (uint32_t i = 0; i < ACPI_MAX_LAPIC_NMIS + 1; i++)
        madt_lapic_nmi(&madt, (uint8_t)(i / ACPI_LINT_PINS), 0, (uint8_t)(i % ACPI_LINT_PINS));
    tbl_finish(&madt);
    const struct acpi_info *ai = parse_madt(&s, NULL);
    CHECK_EQ(parsed.rc, 0);
    CHECK_EQ(ai->ncpus, ACPI_MAX_CPUS);
    CHECK_EQ(ai->cpus[ACPI_MAX_CPUS - 1].apic_id, 0x1000 + ACPI_MAX_CPUS - 1);
    CHECK_EQ(ai->nioapics, ACPI_MAX_IOAPICS);
    CHECK_EQ(ai->nisos, ACPI_MAX_ISOS);
    CHECK_EQ(ai->nnmis, ACPI_MAX_NMIS);
    CHECK_EQ(ai->nlapic_nmis, ACPI_MAX_LAPIC_NMIS);
    CHECK(has_problem("acpi: MADT: 600 processor entries; kept the first 512"));
    CHECK(has_problem("acpi: MADT: 20 I/O APIC entries; kept the first 16"));
    CHECK(has_problem("acpi: MADT: 50 interrupt source override entries; kept the first 48"));
    CHECK(has_problem("acpi: MADT: 17 NMI source entries; kept the first 16"));
    CHECK(problem_f(
        "acpi: MADT: %u local APIC NMI entries; kept the first %u; LINT pins named only by the "
        "others stay masked",
        ACPI_MAX_LAPIC_NMIS + 1, ACPI_MAX_LAPIC_NMIS));
    CHECK_EQ(ai->nproblems, 5);
    sys_free(&s);

    /* More problems than lines: the count goes on, the summary says how many are not shown. */
    madt_start(&madt, 0xfee00000, 0);
    for (unsigned i = 0; i < 21; i++)
        madt_lapic(&madt, (uint8_t)i, 7, ACPI_CPU_ENABLED);
    tbl_finish(&madt);
    ai = parse_madt(&s, NULL);
    CHECK_EQ(ai->ncpus, 1);
    CHECK_EQ(ai->nproblems, 20);
    CHECK(has_line("acpi: 4 more problems not shown"));
    sys_free(&s);
}

static void test_root_broken(void)
{
    struct sys s;
    sys_init(&s);
    simple_madt(2);
    std_tables(&s, &madt, NULL, 0);
    s.table_phys[s.ntables++] = 0;          /* a null entry */
    s.table_phys[s.ntables++] = 0x12345000; /* nothing there */
    uint64_t xsdt = sys_root(&s, true, 4);  /* and 4 stray bytes */
    sys_rsdp(&s, 2, 0, xsdt);
    const struct acpi_info *ai = parse_sys(&s, "broken-xsdt-length");
    CHECK_EQ(parsed.rc, 0);
    CHECK(has_problem("acpi: XSDT: length 80 is not 36 + 8*n; read its 5 whole entries"));
    CHECK(has_problem("acpi: XSDT: entry 3 is a null address; skipped"));
    CHECK(has_problem("acpi: XSDT: entry 4: no table can be read at 0x12345000; skipped"));
    CHECK_EQ(ai->nproblems, 3);
    CHECK(ai->has_madt && ai->has_fadt && ai->has_hpet && ai->s5_valid);
    sys_free(&s);

    /* The same for an RSDT: 36 + 4n */
    sys_init(&s);
    std_tables(&s, NULL, NULL, 0);
    uint64_t rsdt = sys_root(&s, false, 3);
    sys_rsdp(&s, 0, rsdt, 0);
    ai = parse_sys(&s, NULL);
    CHECK(has_problem("acpi: RSDT: length 47 is not 36 + 4*n; read its 2 whole entries"));
    CHECK(ai->has_fadt && ai->has_hpet);
    sys_free(&s);
}

/* A root table listing more tables than are kept; the table list wraps over several lines. */
static void test_many_tables(void)
{
    struct sys s;
    sys_init(&s);
    tbl_start(&t2, "WAET", 1);
    tbl_u32(&t2, 0);
    tbl_finish(&t2);
    uint64_t waet = sys_place(&s, &t2, false);
    tbl_start(&t2, "XSDT", 1);
    for (unsigned i = 0; i < 70; i++)
        tbl_u64(&t2, waet);
    tbl_finish(&t2);
    uint64_t xsdt = sys_place(&s, &t2, false);
    sys_rsdp(&s, 2, 0, xsdt);
    const struct acpi_info *ai = parse_sys(&s, NULL);
    CHECK_EQ(parsed.rc, 0);
    CHECK(has_problem("acpi: XSDT: lists 70 tables; read the first 63"));
    CHECK_EQ(ai->nproblems, 1);
    CHECK_EQ(ai->ntables, ACPI_MAX_TABLES - 1);
    unsigned lines = 0, listed = 0;
    for (unsigned i = 0; i < parsed.nlines; i++) {
        if (strncmp(parsed.lines[i], "acpi: tables:", 13))
            continue;
        lines++;
        for (const char *p = parsed.lines[i]; (p = strstr(p, " WAET")); p++)
            listed++;
    }
    CHECK(lines > 1);
    CHECK_EQ(listed, ACPI_MAX_TABLES - 1);
    sys_free(&s);
}

static void test_other_tables_broken(void)
{
    struct sys s;
    /* HPET registers in I/O space; a second MADT; a DSDT that is not one */
    sys_init(&s);
    simple_madt(2);
    tbl_start(&t2, "SSDT", 2);
    tbl_finish(&t2);
    uint64_t ssdt = sys_place(&s, &t2, false);
    build_fadt(&t2,
               &(struct fadt_opts){ .dsdt = ssdt, .sci = 9, .pm_tmr = 0x608, .pm_tmr_len = 3 });
    sys_place(&s, &t2, true);
    sys_place(&s, &madt, true);
    sys_place(&s, &madt, true);
    build_hpet(&t2, 0x8086a201, ACPI_GAS_SYSTEM_IO, 0xfed00000, 0);
    sys_place(&s, &t2, true);
    sys_finish(&s, false);
    const struct acpi_info *ai = parse_sys(&s, NULL);
    CHECK_EQ(parsed.rc, 0);
    CHECK(has_problem("acpi: FADT: PM timer block at 0x608 has length 3, not 4; no PM timer"));
    CHECK(has_problem("acpi: MADT: a second MADT; ignored (using the first)"));
    CHECK(has_problem(
        "acpi: HPET: base address 0xfed00000 in address space 1 is not memory; table ignored"));
    CHECK(problem_f("acpi: DSDT: table at 0x%llx has signature SSDT; table ignored",
                    (unsigned long long)ssdt));
    CHECK_EQ(ai->nproblems, 4);
    CHECK(ai->has_madt && !ai->has_hpet && !ai->s5_valid);
    CHECK_EQ(ai->pm_timer.address, 0);
    CHECK(has_line("acpi: FADT: rev 1, sci 9, no pm timer, no S5"));
    sys_free(&s);

    /* A FADT shorter than ACPI 1.0's: what it covers is read. */
    sys_init(&s);
    tbl_start(&t2, "FACP", 1);
    uint8_t zero[30] = { 0 };
    tbl_bytes(&t2, zero, sizeof zero); /* up to offset 66: SCI_INT and SMI_CMD are there */
    t2.b[46] = 11;
    t2.b[48] = 0xb2;
    tbl_finish(&t2);
    sys_place(&s, &t2, true);
    sys_finish(&s, false);
    ai = parse_sys(&s, NULL);
    CHECK(has_problem("acpi: FADT: only 66 bytes, fewer than ACPI 1.0's 116; read what is there"));
    CHECK(ai->has_fadt);
    CHECK_EQ(ai->sci_int, 11);
    CHECK_EQ(ai->smi_cmd, 0xb2);
    CHECK_EQ(ai->pm_timer.address, 0);
    CHECK_EQ(ai->dsdt_phys, 0);
    sys_free(&s);
}

static void test_mcfg_broken(void)
{
    struct sys s;
    sys_init(&s);
    static const struct mcfg_entry e[] = {
        { .base = 0xe0000000, .segment = 0, .bus_start = 0, .bus_end = 63 }, /* sound */
        { .base = 0xe0080000, .bus_start = 0, .bus_end = 1 },                /* not 1 MiB aligned */
        { .base = 0, .bus_start = 0, .bus_end = 1 },                         /* null */
        { .base = 0xf0000000, .segment = 1, .bus_start = 9, .bus_end = 3 },  /* backwards */
        { .base = 0xfffffffffff00000ull, .bus_start = 0, .bus_end = 255 },   /* wraps */
    };
    build_mcfg(&t2, e, 5);
    sys_place(&s, &t2, true);
    sys_finish(&s, false);
    const struct acpi_info *ai = parse_sys(&s, "broken-mcfg");
    CHECK(ai->has_mcfg);
    CHECK_EQ(ai->nmcfg, 1);
    CHECK_EQ(ai->mcfg[0].base, 0xe0000000);
    CHECK_EQ(ai->mcfg[0].bus_end, 63);
    CHECK(has_problem(
        "acpi: MCFG: entry 1: base 0xe0080000 is null, not 1 MiB aligned, or wraps; skipped"));
    CHECK(has_problem("acpi: MCFG: entry 2: base 0x0 is null"));
    CHECK(has_problem("acpi: MCFG: entry 3: bus range 9-3 is backwards; skipped"));
    CHECK(has_problem("acpi: MCFG: entry 4: base 0xfffffffffff00000"));
    CHECK_EQ(ai->nproblems, 4);
    CHECK(has_line("acpi: MCFG: ecam 0xe0000000 segment 0 buses 0-63"));
    sys_free(&s);

    /* Shorter than its reserved field; a length that cuts an entry. */
    sys_init(&s);
    tbl_start(&t2, "MCFG", 1);
    tbl_u32(&t2, 0);
    tbl_finish(&t2);
    sys_place(&s, &t2, true);
    sys_finish(&s, false);
    ai = parse_sys(&s, NULL);
    CHECK(has_problem("acpi: MCFG: length 40 is shorter than 44; table ignored"));
    CHECK(!ai->has_mcfg);
    sys_free(&s);

    sys_init(&s);
    build_mcfg(&t2, e, 1);
    tbl_u32(&t2, 0); /* 4 stray bytes */
    tbl_finish(&t2);
    sys_place(&s, &t2, true);
    sys_finish(&s, false);
    ai = parse_sys(&s, NULL);
    CHECK(has_problem("acpi: MCFG: length 64 is not 44 + 16*n; read its 1 whole entries"));
    CHECK_EQ(ai->nmcfg, 1);
    sys_free(&s);
}

struct s5_case {
    const char *name;
    uint8_t aml[16];
    size_t len;
    const char *problem;
};

static void test_s5_broken(void)
{
    /* The package starts at DSDT offset 36 + 5 = 0x29 (after NameOp and the name). */
    static const struct s5_case cases[] = {
        { "package past the DSDT's end",
          { 0x08, '_', 'S', '5', '_', 0x12, 0x06, 0x04, 0x00 },
          9,
          "acpi: DSDT: \\_S5 package at offset 0x29 is cut short; no S5" },
        { "element past the package's end",
          { 0x08, '_', 'S', '5', '_', 0x12, 0x04, 0x02, 0x00, 0x0a, 0x05, 0x05 },
          12,
          "acpi: DSDT: \\_S5 package at offset 0x29 is cut short; no S5" },
        { "name at the DSDT's end",
          { 0x08, '_', 'S', '5', '_' },
          5,
          "acpi: DSDT: \\_S5 package at offset 0x29 is cut short; no S5" },
        { "PkgLength bytes missing",
          { 0x08, '_', 'S', '5', '_', 0x12, 0xc0 },
          7,
          "acpi: DSDT: \\_S5 package at offset 0x29 is cut short; no S5" },
        { "not a package",
          { 0x08, '_', 'S', '5', '_', 0x0a, 0x05 },
          7,
          "acpi: DSDT: \\_S5 at offset 0x29 is not a package (opcode 0x0a); no S5" },
        { "one element",
          { 0x08, '_', 'S', '5', '_', 0x12, 0x03, 0x01, 0x00 },
          9,
          "acpi: DSDT: \\_S5 package at offset 0x29 has 1 element(s), needs 2; no S5" },
        { "a string element",
          { 0x08, '_', 'S', '5', '_', 0x12, 0x06, 0x02, 0x0d, 'A', 0x00, 0x00 },
          12,
          "acpi: DSDT: \\_S5 element 0 is AML opcode 0x0d, not an integer constant; no S5" },
        { "too large",
          { 0x08, '_', 'S', '5', '_', 0x12, 0x05, 0x02, 0x00, 0x0a, 0x09 },
          11,
          "acpi: DSDT: \\_S5 element 1 is 9, too large for SLP_TYP; no S5" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct sys s;
        sys_init(&s);
        std_tables(&s, NULL, cases[i].aml, cases[i].len);
        sys_finish(&s, false);
        const struct acpi_info *ai = parse_sys(&s, NULL);
        if (!has_problem(cases[i].problem) || ai->s5_valid || ai->nproblems != 1) {
            printf("  _S5 case \"%s\"\n", cases[i].name);
            CHECK(!"the case's problem, and only it");
        }
        CHECK(ai->has_fadt && ai->has_hpet);
        sys_free(&s);
    }
}

void acpi_broken_tests(void)
{
    run_test("acpi", "broken RSDP: checksums, signature, too short", test_rsdp_broken);
    run_test("acpi", "no root table", test_no_root);
    run_test("acpi", "bad XSDT: the RSDT is used", test_xsdt_fallback);
    run_test("acpi", "bad table checksum: that table ignored", test_table_checksum);
    run_test("acpi", "table lengths: truncated, 0xffffffff, < 36, < MADT fields",
             test_table_lengths);
    run_test("acpi", "MADT entries: zero length, past the end, short, duplicates",
             test_madt_entries);
    run_test("acpi", "MADT placeholders: 96 disabled entries with APIC ID 0, then a real problem",
             test_madt_placeholders);
    run_test("acpi", "absurd counts, more problems than lines", test_absurd_counts);
    run_test("acpi", "root tables: not 36 + 8n / 4n, null and unreadable entries",
             test_root_broken);
    run_test("acpi", "more tables than kept; the table list wraps", test_many_tables);
    run_test("acpi", "FADT, HPET, DSDT and a second MADT broken", test_other_tables_broken);
    run_test("acpi", "_S5 cut short and malformed", test_s5_broken);
    run_test("acpi", "MCFG: unaligned, null, backwards, wrapping windows; short tables",
             test_mcfg_broken);
}
