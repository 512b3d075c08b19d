#include "dev/fwcfg.h"

#include "cpu/cpu.h"
#include "lib/string.h"

#define FW_CFG_PORT_SEL 0x510
#define FW_CFG_PORT_DATA 0x511
#define FW_CFG_SIGNATURE 0x0000 /* selector: reads "QEMU" */
#define FW_CFG_FILE_DIR 0x0019  /* selector: the file directory */
#define FW_CFG_MAX_FILES 4096   /* a sanity bound on the directory's count */

/* A directory entry; the numbers are big-endian. */
struct fwcfg_file {
    uint32_t size;
    uint16_t select;
    uint16_t reserved;
    char name[56];
} __packed;

static void read_bytes(void *buf, size_t n)
{
    uint8_t *p = buf;
    while (n--)
        *p++ = inb(FW_CFG_PORT_DATA);
}

static uint32_t be32(uint32_t v) { return __builtin_bswap32(v); }
static uint16_t be16(uint16_t v) { return __builtin_bswap16(v); }

bool fwcfg_present(void)
{
    char sig[4];
    outw(FW_CFG_PORT_SEL, FW_CFG_SIGNATURE);
    read_bytes(sig, sizeof sig);
    return !memcmp(sig, "QEMU", 4);
}

long fwcfg_read_file(const char *name, char *buf, size_t size)
{
    if (!size || !fwcfg_present())
        return -1;
    uint32_t count;
    outw(FW_CFG_PORT_SEL, FW_CFG_FILE_DIR);
    read_bytes(&count, sizeof count);
    count = be32(count);
    if (count > FW_CFG_MAX_FILES)
        return -1;
    for (uint32_t i = 0; i < count; i++) {
        struct fwcfg_file f;
        read_bytes(&f, sizeof f);
        f.name[sizeof f.name - 1] = '\0';
        if (strcmp(f.name, name))
            continue;
        uint32_t len = be32(f.size);
        size_t n = len < size - 1 ? len : size - 1;
        outw(FW_CFG_PORT_SEL, be16(f.select));
        read_bytes(buf, n);
        buf[n] = '\0';
        return (long)n;
    }
    return -1;
}
