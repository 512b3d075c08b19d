/* RSDP search and checks, the RSDT/XSDT walk and the checks every table header gets. */
#include "acpi/acpi_tables.h"
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

/* Root System Description Pointer (ACPI 6.5 §5.2.5.3, Table 5.3) */
#define RSDP_SIGNATURE "RSD PTR "
#define RSDP_SIGNATURE_LEN 8
#define RSDP_OEM_ID 9
#define RSDP_REVISION 15
#define RSDP_RSDT_ADDRESS 16
#define RSDP_V1_LEN 20 /* the ACPI 1.0 part, which Checksum covers */
#define RSDP_XSDT_ADDRESS 24
#define RSDP_V2_LEN 36 /* the whole 2.0 structure, which Extended Checksum covers */

/* Where the RSDP may be on a legacy BIOS system (ACPI 6.5 §5.2.5.1) */
#define RSDP_ALIGN 16
#define BDA_EBDA_SEGMENT 0x40E /* u16 real-mode segment of the EBDA */
#define EBDA_SEARCH_LEN 1024
#define BIOS_AREA_START 0xE0000
#define BIOS_AREA_LEN 0x20000
/* Sanity bounds for the EBDA: above the BIOS data area, below the VGA hole. */
#define EBDA_MIN 0x500
#define EBDA_LIMIT 0xA0000

/* The root tables' entries: 32-bit addresses in the RSDT, 64-bit in the XSDT (§5.2.7, §5.2.8) */
#define RSDT_ENTRY_LEN 4
#define XSDT_ENTRY_LEN 8

void acpi_tbl_problem(struct acpi_info *ai, const char *what, const char *fmt, ...)
{
    if (ai->nproblems < ACPI_MAX_PROBLEMS) {
        char *line = ai->problems[ai->nproblems];
        int n = snprintf(line, ACPI_PROBLEM_LEN, "acpi: %s: ", what);
        if (n > 0 && n < ACPI_PROBLEM_LEN) {
            va_list ap;
            va_start(ap, fmt);
            vsnprintf(line + n, ACPI_PROBLEM_LEN - (size_t)n, fmt, ap);
            va_end(ap);
        }
    }
    ai->nproblems++;
}

uint8_t acpi_tbl_sum(const uint8_t *p, size_t len)
{
    uint8_t sum = 0;
    for (size_t i = 0; i < len; i++)
        sum = (uint8_t)(sum + p[i]);
    return sum;
}

void acpi_tbl_gas(const uint8_t *p, struct acpi_gas *gas)
{
    gas->space_id = p[0];
    gas->bit_width = p[1];
    gas->bit_offset = p[2];
    gas->access_size = p[3];
    gas->address = acpi_rd64(p + 4);
}

const char *acpi_tbl_name(const char *sig)
{
    if (!strcmp(sig, "APIC"))
        return "MADT";
    if (!strcmp(sig, "FACP"))
        return "FADT";
    return sig;
}

const uint8_t *acpi_tbl_map(acpi_map_fn map, void *ctx, uint64_t phys, size_t len)
{
    if (!len || phys > UINT64_MAX - (len - 1))
        return NULL;
    return map(phys, len, ctx);
}

/* Signatures are four ASCII characters; others are shown as '?' so a line stays readable. */
static void copy_sig(char dst[ACPI_SIG_LEN + 1], const uint8_t *src)
{
    for (int i = 0; i < ACPI_SIG_LEN; i++)
        dst[i] = src[i] >= ' ' && src[i] <= '~' ? (char)src[i] : '?';
    dst[ACPI_SIG_LEN] = '\0';
}

static bool rsdp_valid(const uint8_t *p, size_t avail)
{
    if (avail < RSDP_V1_LEN || memcmp(p, RSDP_SIGNATURE, RSDP_SIGNATURE_LEN) ||
        acpi_tbl_sum(p, RSDP_V1_LEN))
        return false;
    if (p[RSDP_REVISION] < ACPI_RSDP_REV_XSDT)
        return true;
    return avail >= RSDP_V2_LEN && !acpi_tbl_sum(p, RSDP_V2_LEN);
}

static int search_rsdp(acpi_map_fn map, void *ctx, uint64_t base, size_t len, uint64_t *found)
{
    const uint8_t *area = acpi_tbl_map(map, ctx, base, len);
    if (!area)
        return -1;
    for (size_t off = 0; off + RSDP_V1_LEN <= len; off += RSDP_ALIGN) {
        if (rsdp_valid(area + off, len - off)) {
            *found = base + off;
            return 0;
        }
    }
    return -1;
}

int acpi_find_rsdp_bios(acpi_map_fn map, void *ctx, uint64_t *rsdp_phys)
{
    const uint8_t *bda = acpi_tbl_map(map, ctx, BDA_EBDA_SEGMENT, sizeof(uint16_t));
    if (bda) {
        uint64_t ebda = (uint64_t)acpi_rd16(bda) << 4;
        if (ebda >= EBDA_MIN && ebda + EBDA_SEARCH_LEN <= EBDA_LIMIT &&
            !search_rsdp(map, ctx, ebda, EBDA_SEARCH_LEN, rsdp_phys))
            return 0;
    }
    return search_rsdp(map, ctx, BIOS_AREA_START, BIOS_AREA_LEN, rsdp_phys);
}

/* Maps the table at `phys` and checks its header: signature (when `expect` is given), a length
 * between the header's and ACPI_MAX_TABLE_LEN, and the checksum.  Fills `ref` and returns the
 * whole table, or NULL with a problem recorded. */
static const uint8_t *load_table(struct acpi_info *ai, acpi_map_fn map, void *ctx, uint64_t phys,
                                 const char *expect, struct acpi_table_ref *ref)
{
    memset(ref, 0, sizeof *ref);
    ref->phys = phys;
    const uint8_t *hdr = acpi_tbl_map(map, ctx, phys, ACPI_HDR_LEN);
    if (!hdr) {
        memcpy(ref->sig, expect ? expect : "????", sizeof ref->sig);
        acpi_tbl_problem(ai, acpi_tbl_name(ref->sig),
                         "header at 0x%llx cannot be read; table ignored",
                         (unsigned long long)phys);
        return NULL;
    }
    copy_sig(ref->sig, hdr + ACPI_HDR_SIGNATURE);
    ref->length = acpi_rd32(hdr + ACPI_HDR_LENGTH);
    ref->revision = hdr[ACPI_HDR_REVISION];
    const char *name = acpi_tbl_name(ref->sig);
    if (expect && strcmp(ref->sig, expect)) {
        acpi_tbl_problem(ai, expect, "table at 0x%llx has signature %s; table ignored",
                         (unsigned long long)phys, ref->sig);
        return NULL;
    }
    if (ref->length < ACPI_HDR_LEN || ref->length > ACPI_MAX_TABLE_LEN) {
        acpi_tbl_problem(ai, name, "length 0x%x at 0x%llx is impossible; table ignored",
                         ref->length, (unsigned long long)phys);
        return NULL;
    }
    const uint8_t *t = acpi_tbl_map(map, ctx, phys, ref->length);
    if (!t) {
        acpi_tbl_problem(ai, name, "its 0x%x bytes at 0x%llx cannot be read; table ignored",
                         ref->length, (unsigned long long)phys);
        return NULL;
    }
    uint8_t sum = acpi_tbl_sum(t, ref->length);
    if (sum) {
        acpi_tbl_problem(ai, name, "checksum mismatch (sum 0x%02x); table ignored", sum);
        return NULL;
    }
    ref->valid = true;
    return t;
}

/* The next slot of ai->tables; walk_root() leaves room for every table it reads, but should the
 * list be full the table is still read, just not listed. */
static struct acpi_table_ref *new_ref(struct acpi_info *ai, struct acpi_table_ref *spare)
{
    return ai->ntables < ACPI_MAX_TABLES ? &ai->tables[ai->ntables++] : spare;
}

static void read_table(struct acpi_info *ai, acpi_map_fn map, void *ctx, uint64_t phys,
                       struct acpi_table_ref *ref)
{
    const uint8_t *t = load_table(ai, map, ctx, phys, NULL, ref);
    if (!t)
        return;
    static const struct {
        const char *sig;
        void (*read)(struct acpi_info *, const uint8_t *, uint32_t);
    } readers[] = {
        { "APIC", acpi_tbl_madt },
        { "FACP", acpi_tbl_fadt },
        { "HPET", acpi_tbl_hpet },
        { "MCFG", acpi_tbl_mcfg },
    };
    for (size_t i = 0; i < ARRAY_SIZE(readers); i++)
        if (!strcmp(ref->sig, readers[i].sig))
            readers[i].read(ai, t, ref->length);
}

/* Reads the entries one at a time, so that no mapping is held while a table is read. */
static void walk_root(struct acpi_info *ai, acpi_map_fn map, void *ctx, uint64_t root, uint32_t len,
                      bool xsdt)
{
    const char *name = xsdt ? "XSDT" : "RSDT";
    uint32_t esize = xsdt ? XSDT_ENTRY_LEN : RSDT_ENTRY_LEN;
    uint32_t count = (len - ACPI_HDR_LEN) / esize;
    if ((len - ACPI_HDR_LEN) % esize)
        acpi_tbl_problem(ai, name, "length %u is not %u + %u*n; read its %u whole entries", len,
                         ACPI_HDR_LEN, esize, count);
    /* One slot is kept for the DSDT, which the FADT names. */
    if (count > ACPI_MAX_TABLES - 1) {
        acpi_tbl_problem(ai, name, "lists %u tables; read the first %u", count,
                         ACPI_MAX_TABLES - 1);
        count = ACPI_MAX_TABLES - 1;
    }
    for (uint32_t i = 0; i < count; i++) {
        const uint8_t *e = acpi_tbl_map(map, ctx, root + ACPI_HDR_LEN + (uint64_t)i * esize, esize);
        if (!e) {
            acpi_tbl_problem(ai, name, "entry %u cannot be read; stopped", i);
            return;
        }
        uint64_t phys = xsdt ? acpi_rd64(e) : acpi_rd32(e);
        if (!phys) {
            acpi_tbl_problem(ai, name, "entry %u is a null address; skipped", i);
            continue;
        }
        if (!acpi_tbl_map(map, ctx, phys, ACPI_HDR_LEN)) {
            acpi_tbl_problem(ai, name, "entry %u: no table can be read at 0x%llx; skipped", i,
                             (unsigned long long)phys);
            continue;
        }
        struct acpi_table_ref spare;
        read_table(ai, map, ctx, phys, new_ref(ai, &spare));
    }
}

static void read_dsdt(struct acpi_info *ai, acpi_map_fn map, void *ctx)
{
    struct acpi_table_ref spare, *ref = new_ref(ai, &spare);
    const uint8_t *t = load_table(ai, map, ctx, ai->dsdt_phys, "DSDT", ref);
    if (t)
        acpi_tbl_s5(ai, t, ref->length);
}

/* Checks the RSDP copy and picks the root table: the XSDT for revision 2 and later when it has
 * one, the RSDT otherwise or when the XSDT is unusable. */
static int read_rsdp(struct acpi_info *ai, const uint8_t *p, size_t len)
{
    if (len < RSDP_V1_LEN) {
        acpi_tbl_problem(ai, "RSDP", "only %zu bytes given; it has at least %u", len, RSDP_V1_LEN);
        return -1;
    }
    if (memcmp(p, RSDP_SIGNATURE, RSDP_SIGNATURE_LEN)) {
        acpi_tbl_problem(ai, "RSDP", "signature is not \"%s\"", RSDP_SIGNATURE);
        return -1;
    }
    uint8_t sum = acpi_tbl_sum(p, RSDP_V1_LEN);
    if (sum) {
        acpi_tbl_problem(ai, "RSDP", "checksum mismatch (sum 0x%02x)", sum);
        return -1;
    }
    ai->rsdp_revision = p[RSDP_REVISION];
    for (int i = 0; i < ACPI_OEM_ID_LEN; i++) {
        uint8_t c = p[RSDP_OEM_ID + i];
        ai->oem_id[i] = c >= ' ' && c <= '~' ? (char)c : '?';
    }
    /* OEM IDs are padded with spaces; drop them. */
    for (int i = ACPI_OEM_ID_LEN - 1; i >= 0 && ai->oem_id[i] == ' '; i--)
        ai->oem_id[i] = '\0';
    ai->rsdt_phys = acpi_rd32(p + RSDP_RSDT_ADDRESS);
    if (ai->rsdp_revision < ACPI_RSDP_REV_XSDT)
        return 0;
    if (len < RSDP_V2_LEN) {
        acpi_tbl_problem(ai, "RSDP", "revision %u needs %u bytes, only %zu given",
                         ai->rsdp_revision, RSDP_V2_LEN, len);
        return -1;
    }
    sum = acpi_tbl_sum(p, RSDP_V2_LEN);
    if (sum) {
        acpi_tbl_problem(ai, "RSDP", "extended checksum mismatch (sum 0x%02x)", sum);
        return -1;
    }
    ai->xsdt_phys = acpi_rd64(p + RSDP_XSDT_ADDRESS);
    return 0;
}

int acpi_parse(const void *rsdp, size_t rsdp_len, acpi_map_fn map, void *ctx, struct acpi_info *ai)
{
    memset(ai, 0, sizeof *ai);
    if (!rsdp || read_rsdp(ai, rsdp, rsdp_len))
        return -1;

    struct acpi_table_ref root;
    const uint8_t *t = NULL;
    if (ai->xsdt_phys) {
        t = load_table(ai, map, ctx, ai->xsdt_phys, "XSDT", &root);
        ai->root_is_xsdt = t != NULL;
    }
    if (!t && ai->rsdt_phys)
        t = load_table(ai, map, ctx, ai->rsdt_phys, "RSDT", &root);
    if (!t) {
        acpi_tbl_problem(ai, "RSDP", "no usable root table (RSDT 0x%llx, XSDT 0x%llx)",
                         (unsigned long long)ai->rsdt_phys, (unsigned long long)ai->xsdt_phys);
        return -1;
    }
    ai->root_phys = root.phys;
    walk_root(ai, map, ctx, root.phys, root.length, ai->root_is_xsdt);
    if (ai->dsdt_phys)
        read_dsdt(ai, map, ctx);
    return 0;
}
