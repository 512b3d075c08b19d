; The multiboot2 header (Multiboot2 spec §3.1): magic, architecture, length and a checksum that
; makes the four fields sum to zero, then tags.  GRUB enters the ELF entry point (_start) in
; 32-bit protected mode with paging off.  One tag asks for a linear framebuffer, optionally: the
; framebuffer console (src/dev/fb.c) draws on it, and a loader that cannot set a mode boots the
; kernel anyway, serial-only.
%include "boot/multiboot2.inc"

section .multiboot2 progbits alloc noexec nowrite align=8
mb2_header:
    dd MB2_HEADER_MAGIC
    dd MB2_ARCH_I386
    dd mb2_header_end - mb2_header
    dd -(MB2_HEADER_MAGIC + MB2_ARCH_I386 + (mb2_header_end - mb2_header))
    ; framebuffer request (§3.1.10): type, flags, size, then width, height and depth
    dw MB2_HEADER_TAG_FRAMEBUFFER
    dw MB2_HEADER_TAG_OPTIONAL
    dd MB2_HEADER_TAG_FRAMEBUFFER_SIZE
    dd MB2_FB_WANT_WIDTH
    dd MB2_FB_WANT_HEIGHT
    dd MB2_FB_WANT_DEPTH
    align 8, db 0
    ; end tag: type 0, flags 0, size 8 (§3.1.3)
    dw MB2_HEADER_TAG_END
    dw 0
    dd 8
mb2_header_end:
