/* Multiboot2 constants (Multiboot2 specification 2.0, §3.1 and §3.6).  Shared with nasm. */
#ifndef CADRE_MULTIBOOT2_DEFS_H
#define CADRE_MULTIBOOT2_DEFS_H

#define MB2_HEADER_MAGIC 0xe85250d6     /* §3.1.2: in the OS image header */
#define MB2_ARCH_I386 0                 /* 32-bit protected mode entry */
#define MB2_BOOTLOADER_MAGIC 0x36d76289 /* §3.3: in EAX at the entry point */
/* For the 32-bit entry code, which reads only these two tags (§3.6.12-13): EFI system table
 * pointers, present when UEFI firmware started the loader. */
#define MB2_TAG_TYPE_EFI32 11
#define MB2_TAG_TYPE_EFI64 12

/* Header tags (§3.1.3): each starts 8-byte aligned; flags bit 0 makes one optional, so that a
 * loader that cannot meet it boots the kernel all the same. */
#define MB2_HEADER_TAG_END 0
#define MB2_HEADER_TAG_FRAMEBUFFER 5 /* §3.1.10 */
#define MB2_HEADER_TAG_OPTIONAL 1
#define MB2_HEADER_TAG_FRAMEBUFFER_SIZE 20
/* The mode the framebuffer console asks for (0 would mean "no preference"): 128x48 cells of the
 * 8x16 font, a mode that every VBE BIOS and UEFI GOP seen so far offers. */
#define MB2_FB_WANT_WIDTH 1024
#define MB2_FB_WANT_HEIGHT 768
#define MB2_FB_WANT_DEPTH 32

#endif
