; The kernel's entry from GRUB: 32-bit protected mode, paging off, EAX = multiboot2 magic,
; EBX = physical address of the multiboot2 information (Multiboot2 spec §3.3).
;
; 1. check the magic and that the CPU has long mode; where either is missing say so on serial,
;    port 0xE9 and (unless UEFI started the loader) the VGA text screen, and halt;
; 2. build the boot page tables: the first 1 GiB of physical memory mapped with 2 MiB pages
;    at 0 (identity, only until we run in the higher half), at DIRECT_MAP_BASE and at KERNEL_VMA;
; 3. PAE, EFER.LME (and EFER.NXE where the CPU has NX), CR0.PG|WP: long mode (SDM vol. 3A §9.8.5);
; 4. jump to the higher half, drop the identity map, point GS at the BSP's per-CPU area, install
;    the early IDT and call kmain(multiboot2 information, physical address).

%include "cpu/x86.inc"
%include "cpu/layout.inc"
%include "boot/multiboot2.inc"

COM1            equ 0x3f8
COM1_LSR        equ COM1 + 5
LSR_THRE        equ 0x20
DEBUGCON_PORT   equ 0xe9
VGA_TEXT        equ 0xb8000
VGA_WHITE_ON_RED equ 0x4f00
BOOT_PAGE_2M    equ 0x200000

%define PHYS(x) ((x) - KERNEL_VMA)

section .boot.text progbits alloc exec nowrite
bits 32
global _start
_start:
    cli
    cld
    mov esp, boot32_stack_top
    mov edi, eax                ; keep the magic
    mov esi, ebx                ; and the information pointer through the checks
    call serial32_init
    cmp edi, MB2_BOOTLOADER_MAGIC
    jne .no_multiboot2
    call cpu_has_long_mode
    test eax, eax
    jz .no_long_mode
    ; Time 0 of the kernel's clock: every CPU with long mode has the TSC (the check above is
    ; what makes RDTSC safe here).  src/core/time.c counts from it.
    rdtsc
    mov [PHYS(boot_entry_tsc)], eax
    mov [PHYS(boot_entry_tsc) + 4], edx

    call boot_page_tables_build
    mov eax, cr4
    or eax, CR4_PAE
    mov cr4, eax
    mov eax, boot_pml4
    mov cr3, eax
    ; EFER.NXE only where CPUID says NX exists: setting it elsewhere is a #GP.
    mov eax, CPUID_EXT_FEATURES
    cpuid                       ; (clobbers ebx)
    mov ebx, EFER_LME
    test edx, CPUID_EXT_EDX_NX
    jz .no_nx
    or ebx, EFER_NXE
.no_nx:
    mov ecx, MSR_EFER
    rdmsr
    or eax, ebx
    wrmsr
    mov eax, cr0
    or eax, CR0_PG | CR0_WP
    mov cr0, eax
    lgdt [boot_gdt_ptr32]
    jmp SEL_KCODE:long_mode_low

.no_multiboot2:
    mov eax, msg_no_multiboot2
    jmp fatal32
.no_long_mode:
    mov eax, msg_no_long_mode
    jmp fatal32

; eax = 1 if CPUID exists and reports long mode (leaf 0x80000001 EDX bit 29), else 0.
cpu_has_long_mode:
    pushfd                      ; CPUID exists if EFLAGS.ID can be toggled (SDM vol. 2A, CPUID)
    pop eax
    mov ecx, eax
    xor eax, RFLAGS_ID
    push eax
    popfd
    pushfd
    pop eax
    push ecx
    popfd
    xor eax, ecx
    jz .no
    mov eax, CPUID_EXT_LEAF
    cpuid
    cmp eax, CPUID_EXT_FEATURES
    jb .no
    mov eax, CPUID_EXT_FEATURES
    cpuid
    test edx, CPUID_EXT_EDX_LM
    jz .no
    mov eax, 1
    ret
.no:
    xor eax, eax
    ret

; Identity + direct map share one PDPT, the kernel window has its own; both use one PD of
; 512 2-MiB pages (SDM vol. 3A §4.5, figure 4-9).
boot_page_tables_build:
    mov edi, boot_pml4          ; the tables are in .boot.bss: zero them, whatever the loader did
    mov ecx, (4 * PAGE_SIZE) / 4
    xor eax, eax
    rep stosd
    mov eax, boot_pdpt_low + (PTE_P | PTE_W)
    mov [boot_pml4 + 0 * 8], eax                              ; identity (dropped later)
    mov [boot_pml4 + ((DIRECT_MAP_BASE >> 39) & 511) * 8], eax ; direct map
    mov eax, boot_pdpt_high + (PTE_P | PTE_W)
    mov [boot_pml4 + ((KERNEL_VMA >> 39) & 511) * 8], eax
    mov eax, boot_pd + (PTE_P | PTE_W)
    mov [boot_pdpt_low + 0 * 8], eax
    mov [boot_pdpt_high + ((KERNEL_VMA >> 30) & 511) * 8], eax
    xor ecx, ecx
.pd:
    mov eax, ecx
    shl eax, 21
    or eax, PTE_P | PTE_W | PTE_PS
    mov [boot_pd + ecx * 8], eax
    inc ecx
    cmp ecx, 512
    jb .pd
    ret

; 115200 8N1, FIFOs on, interrupts off: enough to say why we stopped.
serial32_init:
    mov dx, COM1 + 1
    xor al, al
    out dx, al                  ; IER: no interrupts
    mov dx, COM1 + 3
    mov al, 0x80
    out dx, al                  ; LCR: DLAB
    mov dx, COM1
    mov al, 1
    out dx, al                  ; divisor 1 = 115200 baud
    mov dx, COM1 + 1
    xor al, al
    out dx, al
    mov dx, COM1 + 3
    mov al, 0x03
    out dx, al                  ; LCR: 8 bits, no parity, 1 stop
    mov dx, COM1 + 2
    mov al, 0xc7
    out dx, al                  ; FCR: enable and clear FIFOs
    mov dx, COM1 + 4
    mov al, 0x03
    out dx, al                  ; MCR: DTR, RTS
    ret

; eax = 1 if the multiboot2 information at esi (magic in edi) has an EFI system table tag, that
; is, UEFI started the loader: then there may be no VGA text buffer at 0xB8000 (docs/boot.md).
; Every tag is checked against the information's total size (Multiboot2 spec §3.6).
booted_by_uefi32:
    cmp edi, MB2_BOOTLOADER_MAGIC
    jne .no                     ; no information to read
    test esi, 7
    jnz .no
    mov ecx, [esi]              ; total_size
    add ecx, esi                ; end of the information
    lea edx, [esi + 8]          ; first tag
.next:
    lea eax, [edx + 8]
    cmp eax, ecx
    ja .no                      ; runs past the end
    mov eax, [edx]              ; type
    test eax, eax
    jz .no                      ; end tag
    cmp eax, MB2_TAG_TYPE_EFI32
    je .yes
    cmp eax, MB2_TAG_TYPE_EFI64
    je .yes
    mov eax, [edx + 4]          ; size
    cmp eax, 8
    jb .no
    add eax, 7
    jc .no
    and eax, ~7
    add edx, eax
    jc .no
    jmp .next
.yes:
    mov eax, 1
    ret
.no:
    xor eax, eax
    ret

; Print the NUL-terminated string at eax to serial, port 0xE9 and, when BIOS started the loader,
; VGA row 0, then halt.
fatal32:
    mov ebp, eax
    call booted_by_uefi32
    xchg eax, ebp               ; ebp = 1: UEFI, no VGA text buffer to write
    mov esi, eax
    mov ebx, msg_prefix
    call puts32
    mov ebx, esi
    call puts32
    mov ebx, msg_newline
    call puts32
    test ebp, ebp
    jnz .halt
    mov edi, VGA_TEXT
.vga:
    movzx eax, byte [esi]
    test al, al
    jz .halt
    or eax, VGA_WHITE_ON_RED
    mov [edi], ax
    add edi, 2
    inc esi
    jmp .vga
.halt:
    cli
    hlt
    jmp .halt

; Print the NUL-terminated string at ebx to COM1 (bounded wait for THRE) and port 0xE9.
puts32:
    movzx eax, byte [ebx]
    test al, al
    jz .done
    mov ecx, 100000
    mov dx, COM1_LSR
.wait:
    in al, dx
    test al, LSR_THRE
    jnz .ready
    pause
    loop .wait
.ready:
    mov al, [ebx]
    mov dx, COM1
    out dx, al
    mov dx, DEBUGCON_PORT
    out dx, al
    inc ebx
    jmp puts32
.done:
    ret

bits 64
long_mode_low:
    mov rax, higher_half_entry
    jmp rax

section .boot.data progbits alloc noexec write align=16
; The boot GDT: null, 64-bit kernel code, kernel data (SDM vol. 3A §3.4.5, §5.2.1).  Each CPU
; gets its own GDT in cpu_init; this one only carries us there.  The accessed bits are preset
; so the CPU never has to write them.
align 16
boot_gdt:
    dq 0
    dq DESC_P | DESC_S | DESC_EXEC | DESC_RW | DESC_A | DESC_L
    dq DESC_P | DESC_S | DESC_RW | DESC_A | DESC_DB | DESC_G | DESC_LIMIT_MAX
boot_gdt_end:
boot_gdt_ptr32:
    dw boot_gdt_end - boot_gdt - 1
    dd boot_gdt
align 8
boot_gdt_ptr_high:
    dw boot_gdt_end - boot_gdt - 1
    dq boot_gdt + KERNEL_VMA

msg_prefix:         db "[00000.000000] cpu0: ", 0
msg_newline:        db 13, 10, 0
msg_no_multiboot2:  db "cadre: boot: not started by a multiboot2 loader (bad magic in EAX); halting", 0
msg_no_long_mode:   db "cadre: boot: this CPU has no long mode (x86_64); cadre needs a 64-bit CPU; halting", 0

section .data
align 8
global boot_entry_tsc
boot_entry_tsc: dq 0

section .boot.bss nobits alloc noexec write align=4096
global boot_pml4
boot_pml4:      resb PAGE_SIZE
boot_pdpt_low:  resb PAGE_SIZE
boot_pdpt_high: resb PAGE_SIZE
boot_pd:        resb PAGE_SIZE
boot32_stack:   resb 1024
boot32_stack_top:

; ---------------------------------------------------------------------------------------------
section .text.entry progbits alloc exec nowrite
extern kmain
extern bsp_percpu
global higher_half_entry
higher_half_entry:
    ; The GDT must be reached through the higher half before the identity map goes.
    lgdt [boot_gdt_ptr_high + KERNEL_VMA]
    mov ax, SEL_KDATA
    mov ds, ax
    mov es, ax
    mov ss, ax
    xor eax, eax
    mov fs, ax
    mov gs, ax                  ; GS base is set through the MSR below, after this load
    push SEL_KCODE
    lea rax, [rel .reloaded]
    push rax
    retfq
.reloaded:
    mov rsp, boot_stack_top
    xor ebp, ebp                ; the backtrace stops at a zero frame pointer
    mov qword [boot_pml4 + KERNEL_VMA], 0   ; drop the identity map: NULL must fault
    mov rax, cr3
    mov cr3, rax
    ; IA32_GS_BASE -> the BSP's per-CPU area, before any C: the stack protector reads %gs:40.
    mov ecx, MSR_GS_BASE
    mov rax, bsp_percpu
    mov rdx, rax
    shr rdx, 32
    wrmsr
    mov ebx, esi                ; multiboot2 information, physical: zero-extended (the upper
                                ; halves were undefined) and in a register C preserves
    mov edi, ebx                ; kmain's first call loads the early IDT (src/init/main.c)
    call kmain
.halt:
    cli
    hlt
    jmp .halt

section .bss nobits alloc noexec write align=4096
; The BSP's first kernel stack, with a guard page below it that the kernel page tables leave
; unmapped (src/mm/paging.c), so an overflow faults instead of running into other data.
global boot_stack_guard, boot_stack_bottom, boot_stack_top
boot_stack_guard:   resb PAGE_SIZE
boot_stack_bottom:  resb BOOT_STACK_SIZE
boot_stack_top:
