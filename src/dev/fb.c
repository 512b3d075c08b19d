#include "dev/fb.h"

#include "core/console.h"
#include "cpu/pat.h"
#include "dev/font8x16.h"
#include "lib/string.h"
#include "mm/paging.h"

/* A text grid over the framebuffer.  `shown` holds the character drawn in every cell, so that a
 * scroll redraws only the cells whose character changes, and never reads the framebuffer back
 * (reads of uncached video memory are slow on real hardware).  When the cursor passes the last
 * row, the text moves up by a quarter of the screen at once: one redraw per SCROLL_DIV-th of the
 * screen's lines, so a boot of thousands of lines costs few full redraws.  Everything is sized
 * at build time; after fb_init nothing is allocated and no lock is taken. */

#define FB_MAX_COLS 256 /* 2048 pixels wide; a wider screen uses its left part */
#define FB_MAX_ROWS 128 /* 2048 pixels high */
#define SCROLL_DIV 4
#define TAB_STOP 8
#define MAX_BYTES_PER_PIXEL 4

static struct {
    volatile uint8_t *base;
    uint32_t pitch, bytes_pp;
    uint32_t cols, rows, scroll;
    uint32_t fg, bg; /* pixel values */
} fb;
static bool ready;
static char shown[FB_MAX_ROWS][FB_MAX_COLS];
static uint32_t row, col;

/* All bits of one colour field: the brightest value of that colour. */
static uint32_t field(uint8_t pos, uint8_t size) { return (uint32_t)(((1ull << size) - 1) << pos); }

static void put_pixel(volatile uint8_t *p, uint32_t v)
{
    switch (fb.bytes_pp) {
        case 4: *(volatile uint32_t *)p = v; break;
        case 3:
            p[0] = (uint8_t)v;
            p[1] = (uint8_t)(v >> 8);
            p[2] = (uint8_t)(v >> 16);
            break;
        case 2: *(volatile uint16_t *)p = (uint16_t)v; break;
        default: *p = (uint8_t)v; break;
    }
}

static void draw(uint32_t r, uint32_t c, char ch)
{
    if (shown[r][c] == ch)
        return;
    shown[r][c] = ch;
    const uint8_t *glyph = font8x16[(unsigned char)ch - FONT_FIRST];
    volatile uint8_t *line =
        fb.base + (size_t)r * FONT_HEIGHT * fb.pitch + (size_t)c * FONT_WIDTH * fb.bytes_pp;
    if (fb.bytes_pp == sizeof(uint32_t) && !((uintptr_t)line % sizeof(uint64_t))) {
        /* 32 bits a pixel: two pixels a store, half the stores (a store to video memory may
         * trap to a hypervisor: docs/performance.md). */
        for (unsigned y = 0; y < FONT_HEIGHT; y++, line += fb.pitch)
            for (unsigned x = 0; x < FONT_WIDTH; x += 2) {
                uint64_t lo = glyph[y] & (0x80 >> x) ? fb.fg : fb.bg;
                uint64_t hi = glyph[y] & (0x40 >> x) ? fb.fg : fb.bg;
                *(volatile uint64_t *)(line + x * sizeof(uint32_t)) = lo | hi << 32;
            }
        return;
    }
    for (unsigned y = 0; y < FONT_HEIGHT; y++, line += fb.pitch)
        for (unsigned x = 0; x < FONT_WIDTH; x++)
            put_pixel(line + x * fb.bytes_pp, glyph[y] & (0x80 >> x) ? fb.fg : fb.bg);
}

static void scroll(void)
{
    uint32_t keep = fb.rows - fb.scroll;
    for (uint32_t r = 0; r < fb.rows; r++)
        for (uint32_t c = 0; c < fb.cols; c++)
            draw(r, c, r < keep ? shown[r + fb.scroll][c] : ' ');
    row = keep;
}

static void newline(void)
{
    col = 0;
    if (++row >= fb.rows)
        scroll();
}

void fb_console_putc(char c)
{
    if (!READ_ONCE(ready))
        return;
    /* A printer stopped half-way by a panic may have left these anywhere: bring them back. */
    if (row >= fb.rows)
        row = fb.rows - 1;
    if (col > fb.cols)
        col = 0;
    switch (c) {
        case '\n': newline(); return;
        case '\r': col = 0; return;
        case '\b':
            if (col)
                col--;
            return;
        case '\t':
            do
                fb_console_putc(' ');
            while (col % TAB_STOP);
            return;
        default: break;
    }
    if ((unsigned char)c < FONT_FIRST || (unsigned char)c > FONT_LAST)
        return; /* kprintf escapes control bytes; raw ones (the shell's echo) are not drawn */
    /* The wrap waits for the next character, so that a line of exactly `cols` characters
     * leaves no empty row behind it. */
    if (col == fb.cols)
        newline();
    draw(row, col++, c);
}

static const char *unsupported(const struct mb2_framebuffer *f)
{
    if (f->type == MB2_FB_EGA_TEXT)
        return "EGA text mode, which it does not draw on";
    if (f->type == MB2_FB_INDEXED)
        return "indexed colour (a palette), which it does not draw on";
    if (f->type != MB2_FB_RGB)
        return "a framebuffer type that multiboot2 does not define";
    if (f->bpp < 8 || (f->bpp + 7) / 8 > MAX_BYTES_PER_PIXEL)
        return "a depth it does not draw (8 to 32 bits a pixel)";
    if (f->width < FONT_WIDTH || f->height < FONT_HEIGHT)
        return "too small for one 8x16 cell";
    return NULL;
}

void fb_init(const struct boot_info *bi)
{
    const struct mb2_framebuffer *f = &bi->fb;
    if (!bi->has_fb) {
        kprintf(
            "fb: none: %s; the console is on serial only",
            bi->fb_tag
                ? "the loader's framebuffer tag is unusable (the multiboot2 line above says why)"
                : "the loader gave no framebuffer tag");
        return;
    }
    const char *why = unsupported(f);
    if (why) {
        kprintf("fb: none: the loader gave %ux%ux%u at %#llx (type %u): %s; the console is on "
                "serial only",
                f->width, f->height, f->bpp, (unsigned long long)f->addr, f->type, why);
        return;
    }
    fb.pitch = f->pitch;
    fb.bytes_pp = (f->bpp + 7u) / 8;
    fb.cols = MIN(f->width / FONT_WIDTH, (uint32_t)FB_MAX_COLS);
    fb.rows = MIN(f->height / FONT_HEIGHT, (uint32_t)FB_MAX_ROWS);
    fb.scroll = MAX(fb.rows / SCROLL_DIV, 1u);
    fb.fg = field(f->red_pos, f->red_size) | field(f->green_pos, f->green_size) |
            field(f->blue_pos, f->blue_size);
    fb.bg = 0;
    size_t bytes = (size_t)f->pitch * f->height;
    /* Write-combining (cpu/pat.h): the screen is only written, never read back. */
    fb.base = ioremap_wc(f->addr, bytes);
    size_t i = 0;
    for (; i + sizeof(uint64_t) <= bytes; i += sizeof(uint64_t))
        *(volatile uint64_t *)(fb.base + i) = 0;
    for (; i < bytes; i++)
        fb.base[i] = 0;
    memset(shown, ' ', sizeof shown);
    row = col = 0;
    kprintf("fb: %ux%ux%u at %#llx, pitch %u; %ux%u cells of 8x16, scrolling %u rows at a time, "
            "mapped %s",
            f->width, f->height, f->bpp, (unsigned long long)f->addr, f->pitch, fb.cols, fb.rows,
            fb.scroll, pat_has_wc() ? "write-combining" : "uncached (the CPU has no PAT)");
    __atomic_store_n(&ready, true, __ATOMIC_RELEASE);
    static const struct console_sink screen = { .name = "framebuffer", .putc = fb_console_putc };
    console_register_sink(&screen);
}
