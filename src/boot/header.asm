; The multiboot2 header (Multiboot2 spec §3.1): magic, architecture, length and a checksum that
; makes the four fields sum to zero, then tags.  We need no tags but the end tag: GRUB enters the
; ELF entry point (_start) in 32-bit protected mode with paging off.
%include "boot/multiboot2.inc"

section .multiboot2 progbits alloc noexec nowrite align=8
mb2_header:
    dd MB2_HEADER_MAGIC
    dd MB2_ARCH_I386
    dd mb2_header_end - mb2_header
    dd -(MB2_HEADER_MAGIC + MB2_ARCH_I386 + (mb2_header_end - mb2_header))
    ; end tag: type 0, flags 0, size 8 (§3.1.3)
    dw 0
    dw 0
    dd 8
mb2_header_end:
