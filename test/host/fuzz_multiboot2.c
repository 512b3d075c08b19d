/* libFuzzer target for the multiboot2 information parser: the input is the information block,
 * copied to a heap buffer of exactly its size (ASan's malloc aligns it to 16 bytes), so any read
 * past it is an ASan report; a framebuffer it keeps must be one the driver can draw on. */
#include "boot/multiboot2.h"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct boot_info bi;
    uint8_t *buf = malloc(size ? size : 1);
    if (!buf)
        return 0;
    memcpy(buf, data, size);
    if (mb2_parse(buf, size, &bi) == 0) {
        if (bi.total_size > size || bi.mmap_count > MB2_MAX_MMAP || bi.rsdp_len > MB2_RSDP_MAX)
            abort();
    }
    if (bi.has_cmdline && strlen(bi.cmdline) >= MB2_CMDLINE_MAX)
        abort();
    /* A framebuffer kept is one fb_init may map and draw on: what the parser promises. */
    if (bi.has_fb &&
        (!bi.fb_tag || !bi.fb.width || !bi.fb.height || !bi.fb.bpp || bi.fb.bpp > 32 ||
         !bi.fb.addr || (uint64_t)bi.fb.width * bi.fb.bpp > (uint64_t)bi.fb.pitch * 8 ||
         bi.fb.addr + (uint64_t)bi.fb.pitch * bi.fb.height < bi.fb.addr))
        abort();
    if (bi.has_fb && bi.fb.type == MB2_FB_RGB &&
        (bi.fb.red_pos + bi.fb.red_size > bi.fb.bpp ||
         bi.fb.green_pos + bi.fb.green_size > bi.fb.bpp ||
         bi.fb.blue_pos + bi.fb.blue_size > bi.fb.bpp))
        abort();
    (void)mb2_usable_bytes(&bi);
    free(buf);
    return 0;
}
