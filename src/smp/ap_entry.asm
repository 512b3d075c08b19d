; Where an AP arrives in the higher half, from the trampoline: RDI = its per-CPU area,
; RSI = the kernel's CR3, RSP = its kernel stack.  Switch to the kernel's page tables, point GS
; at the per-CPU area (the stack protector reads %gs:40 from the first C function on), load the
; early IDT (no IST: there is no TSS yet), and call ap_main, which never returns.

%include "cpu/x86.inc"

extern ap_main
extern idt_early_load

section .text
global ap_start
ap_start:
    mov cr3, rsi
    mov rbx, rdi
    mov ecx, MSR_GS_BASE
    mov rax, rdi
    mov rdx, rdi
    shr rdx, 32
    wrmsr
    xor ebp, ebp
    call idt_early_load
    mov rdi, rbx
    call ap_main
.halt:
    cli
    hlt
    jmp .halt
