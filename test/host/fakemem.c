#include "fakemem.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define U64_LEN 8

static uint64_t get64(const uint8_t *p)
{
    uint64_t v = 0;
    for (int i = U64_LEN - 1; i >= 0; i--)
        v = v << 8 | p[i];
    return v;
}

static void put64(uint8_t *p, uint64_t v)
{
    for (int i = 0; i < U64_LEN; i++, v >>= 8)
        p[i] = (uint8_t)v;
}

void fakemem_init(struct fakemem *m) { memset(m, 0, sizeof *m); }

uint8_t *fakemem_add(struct fakemem *m, uint64_t base, const void *data, size_t len)
{
    if (m->nchunks == FAKEMEM_MAX_CHUNKS || !len)
        return NULL;
    struct fakemem_chunk *c = &m->chunks[m->nchunks++];
    c->base = base;
    c->len = len;
    c->data = malloc(len);
    if (!c->data)
        abort();
    memcpy(c->data, data, len);
    return c->data;
}

int fakemem_load(struct fakemem *m, const uint8_t *buf, size_t len, bool lenient)
{
    fakemem_init(m);
    if (len < FAKEMEM_MAGIC_LEN + U64_LEN || memcmp(buf, FAKEMEM_MAGIC, FAKEMEM_MAGIC_LEN))
        return -1;
    m->rsdp_phys = get64(buf + FAKEMEM_MAGIC_LEN);
    size_t off = FAKEMEM_MAGIC_LEN + U64_LEN;
    while (off + 2 * U64_LEN <= len) {
        uint64_t base = get64(buf + off), clen = get64(buf + off + U64_LEN);
        off += 2 * U64_LEN;
        if (clen > len - off) {
            if (!lenient)
                return -1;
            clen = len - off;
        }
        if (clen && !fakemem_add(m, base, buf + off, clen))
            return lenient ? 0 : -1;
        off += clen;
    }
    return off == len || lenient ? 0 : -1;
}

int fakemem_load_file(struct fakemem *m, const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return -1;
    uint8_t *buf = NULL;
    size_t len = 0, cap = 0, n;
    do {
        if (len == cap) {
            cap = cap ? 2 * cap : 65536;
            buf = realloc(buf, cap);
            if (!buf)
                abort();
        }
        n = fread(buf + len, 1, cap - len, f);
        len += n;
    } while (n);
    fclose(f);
    int r = fakemem_load(m, buf, len, false);
    free(buf);
    return r;
}

uint8_t *fakemem_save(const struct fakemem *m, size_t *len)
{
    size_t total = FAKEMEM_MAGIC_LEN + U64_LEN;
    for (unsigned i = 0; i < m->nchunks; i++)
        total += 2 * U64_LEN + m->chunks[i].len;
    uint8_t *buf = malloc(total), *p = buf;
    if (!buf)
        abort();
    memcpy(p, FAKEMEM_MAGIC, FAKEMEM_MAGIC_LEN);
    put64(p + FAKEMEM_MAGIC_LEN, m->rsdp_phys);
    p += FAKEMEM_MAGIC_LEN + U64_LEN;
    for (unsigned i = 0; i < m->nchunks; i++) {
        put64(p, m->chunks[i].base);
        put64(p + U64_LEN, m->chunks[i].len);
        memcpy(p + 2 * U64_LEN, m->chunks[i].data, m->chunks[i].len);
        p += 2 * U64_LEN + m->chunks[i].len;
    }
    *len = total;
    return buf;
}

uint8_t *fakemem_at(struct fakemem *m, uint64_t phys, size_t len)
{
    for (unsigned i = 0; i < m->nchunks; i++) {
        const struct fakemem_chunk *c = &m->chunks[i];
        if (phys >= c->base && phys - c->base <= c->len && len <= c->len - (phys - c->base))
            return c->data + (phys - c->base);
    }
    return NULL;
}

const void *fakemem_map(uint64_t phys, size_t len, void *ctx)
{
    struct fakemem *m = ctx;
    free(m->last);
    m->last = NULL;
    m->maps++;
    const uint8_t *src = len ? fakemem_at(m, phys, len) : NULL;
    if (!src) {
        m->map_misses++;
        return NULL;
    }
    m->last = malloc(len);
    if (!m->last)
        abort();
    memcpy(m->last, src, len);
    return m->last;
}

void fakemem_free(struct fakemem *m)
{
    free(m->last);
    for (unsigned i = 0; i < m->nchunks; i++)
        free(m->chunks[i].data);
    fakemem_init(m);
}
