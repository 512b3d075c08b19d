; The AP trampoline.  A STARTUP IPI starts the AP in real mode at CS = page >> 4 (the page that
; pmm_init chose below 1 MiB), IP = 0 (SDM vol. 3A §9.4.4.1).  This code is copied to that page; src/smp/smp.c fills in the
; named fields of the parameter block, the GDTR and far-jump targets included, so the code
; never writes to its own page: under TCG every AP's write there would throw away the code
; the APs before it had translated (QEMU's self-modifying-code check, per page).
;
; real mode -> protected mode (CR0.PE, SDM §9.9.1) -> long mode (PAE, EFER.LME, CR0.PG, §9.8.5)
; with the trampoline page tables (this page identity-mapped, the kernel half shared), then:
; find this CPU's entry by its APIC ID, mark it alive, and jump to ap_start in the higher half
; with its per-CPU area and stack.

%include "cpu/x86.inc"
%include "smp/trampoline.inc"

%define OFF(label) ((label) - trampoline_start)

section .rodata
align 4096
global trampoline_start, trampoline_end
trampoline_start:

bits 16
    cli
    cld
    mov ax, cs
    mov ds, ax
    mov es, ax
    mov ss, ax
    xor ebx, ebx
    mov bx, ax
    shl ebx, 4                  ; ebx = this page's physical address
    lgdt [TP_GDTR]
    mov eax, cr0
    or eax, CR0_PE
    mov cr0, eax
    jmp far dword [TP_FAR32]

bits 32
global trampoline_protected_mode
trampoline_protected_mode:
    mov ax, TGDT_DATA
    mov ds, ax
    mov es, ax
    mov ss, ax
    mov eax, cr4
    or eax, CR4_PAE
    mov cr4, eax
    mov eax, [ebx + TP_CR3]
    mov cr3, eax
    mov ecx, MSR_EFER
    rdmsr
    or eax, [ebx + TP_EFER]
    wrmsr
    mov eax, cr0
    ; INIT leaves CD and NW set (SDM vol. 3A table 9-1): clear them, or this CPU runs uncached
    and eax, ~(CR0_CD | CR0_NW)
    or eax, CR0_PG | CR0_WP
    mov cr0, eax
    jmp far dword [ebx + TP_FAR64]

bits 64
global trampoline_long_mode
trampoline_long_mode:
    mov ebx, ebx                ; zero-extend: upper halves are undefined after the switch
    ; This CPU's APIC ID: CPUID leaf 0xB gives the full x2APIC ID where it exists (EBX != 0
    ; for a valid level), else leaf 1 EBX[31:24] the 8-bit initial APIC ID (SDM vol. 2A, CPUID).
    xor eax, eax
    cpuid
    cmp eax, 0xb
    jb .leaf1
    mov eax, 0xb
    xor ecx, ecx
    cpuid
    test ebx, ebx
    jz .leaf1_restore
    mov r8d, edx
    jmp .have_id
.leaf1_restore:
.leaf1:
    mov eax, 1
    cpuid
    shr ebx, 24
    mov r8d, ebx
.have_id:
    ; the page address again (cpuid clobbered ebx)
    lea rbx, [rel trampoline_start]
    mov rsi, [rbx + TP_TABLE]
    mov ecx, [rbx + TP_COUNT]
.search:
    test ecx, ecx
    jz .stray
    cmp [rsi + SBE_APIC_ID], r8d
    je .found
    add rsi, SBE_SIZE
    dec ecx
    jmp .search
.stray:
    lock inc dword [rbx + TP_STRAYS]
.park:
    cli
    hlt
    jmp .park
.found:
    mov rsp, [rsi + SBE_STACK_TOP]
    mov rdi, [rsi + SBE_PERCPU]
    mov dword [rsi + SBE_ALIVE], 1
    mov rax, [rbx + TP_ENTRY64]
    mov rsi, [rbx + TP_KERNEL_CR3]
    jmp rax

trampoline_code_end:
%if OFF(trampoline_code_end) > TP_PARAMS
%error "the trampoline code runs into its parameter block"
%endif
    times TP_PARAMS - OFF(trampoline_code_end) db 0
    times TP_END - TP_PARAMS db 0
trampoline_end:
