/* The \_S5 object in the DSDT: the SLP_TYPa/SLP_TYPb values that put the machine into soft-off
 * (ACPI 6.5 §7.4.2 and §16.1.7).  No AML interpreter: the object is nearly always a plain
 *     Name (_S5, Package () { a, b, ... })
 * so the byte pattern of that is looked for and decoded, every read checked against the table. */
#include "acpi/acpi_internal.h"

#ifdef CADRE_HOST
#include <string.h>
#else
#include "lib/string.h"
#endif

/* AML encodings (ACPI 6.5 §20.2) */
#define AML_ZERO_OP 0x00 /* §20.2.3, ConstObj */
#define AML_ONE_OP 0x01
#define AML_NAME_OP 0x08     /* §20.2.5.1, DefName := NameOp NameString DataRefObject */
#define AML_BYTE_PREFIX 0x0A /* §20.2.3, ComputationalData */
#define AML_WORD_PREFIX 0x0B
#define AML_DWORD_PREFIX 0x0C
#define AML_PACKAGE_OP 0x12 /* §20.2.5.4, DefPackage := PackageOp PkgLength NumElements ... */
#define AML_ROOT_CHAR '\\'  /* §20.2.2, a name from the namespace root */
#define AML_NAMESEG_LEN 4
#define S5_NAMESEG "_S5_"

/* PkgLength (§20.2.4): bits 7-6 of the lead byte count the bytes that follow it (0-3).  With
 * none, bits 5-0 are the length; otherwise bits 3-0 are its low nibble and each following byte
 * gives the next 8 bits.  The length counts the PkgLength bytes themselves. */
#define PKG_FOLLOW_SHIFT 6
#define PKG_SHORT_MASK 0x3F
#define PKG_NIBBLE_MASK 0x0F
#define PKG_NIBBLE_BITS 4
#define BITS_PER_BYTE 8

#define S5_ELEMENTS 2 /* SLP_TYPa, SLP_TYPb (§7.4.2) */
#define SLP_TYP_MAX 7 /* SLP_TYPx is a 3-bit field of PM1 control (ACPI 6.5 Table 4.13) */

struct cursor {
    const uint8_t *t;
    uint32_t pos, end; /* end: the first byte that may not be read */
};

static bool next(struct cursor *c, uint8_t *v)
{
    if (c->pos >= c->end)
        return false;
    *v = c->t[c->pos++];
    return true;
}

/* A little-endian number of `n` bytes. */
static bool next_n(struct cursor *c, unsigned n, uint32_t *v)
{
    *v = 0;
    for (unsigned i = 0; i < n; i++) {
        uint8_t b;
        if (!next(c, &b))
            return false;
        *v |= (uint32_t)b << (BITS_PER_BYTE * i);
    }
    return true;
}

enum result { OK, CUT_SHORT, NOT_INTEGER };

/* One package element that is an integer constant: Zero, One or a Byte/Word/DWord constant. */
static enum result integer(struct cursor *c, uint32_t *v, uint8_t *op)
{
    if (!next(c, op))
        return CUT_SHORT;
    switch (*op) {
        case AML_ZERO_OP: *v = 0; return OK;
        case AML_ONE_OP: *v = 1; return OK;
        case AML_BYTE_PREFIX: return next_n(c, sizeof(uint8_t), v) ? OK : CUT_SHORT;
        case AML_WORD_PREFIX: return next_n(c, sizeof(uint16_t), v) ? OK : CUT_SHORT;
        case AML_DWORD_PREFIX: return next_n(c, sizeof(uint32_t), v) ? OK : CUT_SHORT;
        default: return NOT_INTEGER;
    }
}

/* Decodes the package that follows the name at `pos`. */
static void read_package(struct acpi_info *ai, const uint8_t *t, uint32_t len, uint32_t pos)
{
    struct cursor c = { .t = t, .pos = pos, .end = len };
    uint8_t op, lead, count;
    if (!next(&c, &op))
        goto cut_short;
    if (op != AML_PACKAGE_OP) {
        acpi_tbl_problem(ai, "DSDT", "\\_S5 at offset 0x%x is not a package (opcode 0x%02x); no S5",
                         pos, op);
        return;
    }
    uint32_t pkg_start = c.pos;
    if (!next(&c, &lead))
        goto cut_short;
    unsigned follow = lead >> PKG_FOLLOW_SHIFT;
    uint32_t pkg_len = follow ? lead & PKG_NIBBLE_MASK : lead & PKG_SHORT_MASK;
    for (unsigned i = 0; i < follow; i++) {
        uint8_t b;
        if (!next(&c, &b))
            goto cut_short;
        pkg_len |= (uint32_t)b << (PKG_NIBBLE_BITS + BITS_PER_BYTE * i);
    }
    if (pkg_len > len - pkg_start)
        goto cut_short;
    c.end = pkg_start + pkg_len; /* the elements must lie inside the package, too */
    if (!next(&c, &count))
        goto cut_short;
    if (count < S5_ELEMENTS) {
        acpi_tbl_problem(ai, "DSDT",
                         "\\_S5 package at offset 0x%x has %u element(s), needs %u; no S5", pos,
                         count, S5_ELEMENTS);
        return;
    }
    uint32_t typ[S5_ELEMENTS];
    for (unsigned i = 0; i < S5_ELEMENTS; i++) {
        switch (integer(&c, &typ[i], &op)) {
            case OK: break;
            case CUT_SHORT: goto cut_short;
            case NOT_INTEGER:
                acpi_tbl_problem(ai, "DSDT",
                                 "\\_S5 element %u is AML opcode 0x%02x, not an integer "
                                 "constant; no S5",
                                 i, op);
                return;
        }
        if (typ[i] > SLP_TYP_MAX) {
            acpi_tbl_problem(ai, "DSDT", "\\_S5 element %u is %u, too large for SLP_TYP; no S5", i,
                             typ[i]);
            return;
        }
    }
    ai->s5_valid = true;
    ai->s5_slp_typ_a = (uint8_t)typ[0];
    ai->s5_slp_typ_b = (uint8_t)typ[1];
    return;
cut_short:
    acpi_tbl_problem(ai, "DSDT", "\\_S5 package at offset 0x%x is cut short; no S5", pos);
}

void acpi_tbl_s5(struct acpi_info *ai, const uint8_t *t, uint32_t len)
{
    /* The name needs a NameOp before it, and the AML starts after the header. */
    for (uint32_t i = ACPI_HDR_LEN + 1; i + AML_NAMESEG_LEN <= len; i++) {
        if (memcmp(t + i, S5_NAMESEG, AML_NAMESEG_LEN))
            continue;
        uint32_t op = i - 1;
        if (t[op] == AML_ROOT_CHAR && op > ACPI_HDR_LEN)
            op--;
        if (t[op] != AML_NAME_OP)
            continue;
        read_package(ai, t, len, i + AML_NAMESEG_LEN);
        return;
    }
}
