/* The framebuffer console (docs/console.md, "The screen"): the console's bytes drawn with the
 * built-in 8x16 font on the linear framebuffer the loader set up, for machines without a serial
 * port.  Serial stays the primary console; this is a mirror of it. */
#ifndef CADRE_FB_H
#define CADRE_FB_H

#include "boot/multiboot2.h"

/* Maps the framebuffer the multiboot2 tag describes and clears it, or says why there is none.
 * Needs paging_init (for ioremap); until it has run, fb_console_putc draws nothing. */
void fb_init(const struct boot_info *bi);

/* Draws one byte of console output.  Called with the console's printer serialised (or by the
 * panicking CPU alone, docs/console.md): it takes no lock, allocates nothing and touches only the
 * mapped framebuffer and its own fixed-size state, so it works whatever else is broken. */
void fb_console_putc(char c);

#endif
