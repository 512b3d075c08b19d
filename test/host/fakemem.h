/* A fake physical memory for the ACPI parser's map callback: a list of chunks, each a range of
 * physical addresses with its bytes.  fakemem_map() serves only ranges that lie inside one chunk,
 * and hands out a fresh heap copy of exactly the bytes asked for, freeing the previous one: under
 * AddressSanitizer, reading one byte past the range asked for, or through a pointer from an
 * earlier call, is caught.
 *
 * Image files (tools/dump-acpi.py writes them) hold "CADRMEM1", u64 rsdp_phys, then chunks of
 * u64 base, u64 length and `length` bytes, all little-endian. */
#ifndef CADRE_TEST_FAKEMEM_H
#define CADRE_TEST_FAKEMEM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define FAKEMEM_MAX_CHUNKS 64
#define FAKEMEM_MAGIC "CADRMEM1"
#define FAKEMEM_MAGIC_LEN 8

struct fakemem_chunk {
    uint64_t base;
    size_t len;
    uint8_t *data;
};

struct fakemem {
    struct fakemem_chunk chunks[FAKEMEM_MAX_CHUNKS];
    unsigned nchunks;
    uint64_t rsdp_phys;
    void *last;          /* the copy handed out by the last map call */
    unsigned maps;       /* calls to fakemem_map */
    unsigned map_misses; /* of which returned NULL */
};

void fakemem_init(struct fakemem *m);
/* Adds a chunk holding a copy of `data`; returns a pointer to the copy for patching. */
uint8_t *fakemem_add(struct fakemem *m, uint64_t base, const void *data, size_t len);
/* Parses an image.  Strict: every chunk complete, else -1.  Lenient (for the fuzzer): a short
 * last chunk is cut to what is there. */
int fakemem_load(struct fakemem *m, const uint8_t *buf, size_t len, bool lenient);
int fakemem_load_file(struct fakemem *m, const char *path);
/* Serialises `m` in the image format; returns a malloc'd buffer, its length in *len. */
uint8_t *fakemem_save(const struct fakemem *m, size_t *len);
/* Where the bytes at `phys` live, for tests that patch memory; NULL when not all inside one chunk.
 */
uint8_t *fakemem_at(struct fakemem *m, uint64_t phys, size_t len);
const void *fakemem_map(uint64_t phys, size_t len, void *ctx);
void fakemem_free(struct fakemem *m);

#endif
