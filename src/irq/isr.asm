; Interrupt entry stubs: one per vector, all from one macro, and one common entry that builds
; `struct regs` (src/cpu/regs.h) and calls the C dispatcher.
;
; The CPU pushes an error code for some exceptions only (SDM vol. 3A table 6-1); for the others
; the stub pushes a zero, so every frame has the same shape.  EXC_ERROR_CODE_MASK
; (src/cpu/x86.defs.h) is the one definition of which vectors those are, for C and for nasm.

%include "cpu/x86.inc"
%include "src/cpu/regs.inc"
%include "cpu/percpu.inc"
%include "cpu/frame.inc"



extern interrupt_dispatch
extern nmi_dispatch
extern nmi_repeat_noted

; RFLAGS.AC off, on every entry before any C runs.  Interrupt and exception delivery keep AC
; (SDM vol. 3A §6.12.1.3 clears TF, NT, RF and VM, and IF through an interrupt gate, nothing
; else), and AC may be set at any CPL: a ring-3 program that sets it would otherwise run every
; handler it enters with SMAP off (§4.6.1).  `syscall` clears it through IA32_FMASK
; (src/user/user.c); IRET gives the interrupted code its AC back from the frame.  Linux does
; the same with CLAC in every entry.  CLAC, though, is #UD where CPUID lacks SMAP (vol. 2A,
; CLAC), and cadre patches no code at boot, so it would need a flag test in front of it.
; PUSHF/AND/POPF needs none: it is right on every CPU, keeps "AC is clear in every handler"
; true and testable on all of them, and costs one POPF; every other flag goes back as PUSHF
; saw it.  Without SMAP, AC would be harmless in ring 0 (alignment checks apply only at CPL 3,
; §6.15, #AC).
%macro CLEAR_AC 0
    pushfq
    and dword [rsp], ~RFLAGS_AC
    popfq
%endmacro

%macro ISR_STUB 1
align 16
isr_stub_%1:
%if (%1 >= 32) || (((EXC_ERROR_CODE_MASK >> %1) & 1) == 0)
    push 0                      ; no error code from the CPU: keep the frame shape
%endif
    push %1
    jmp isr_common
%endmacro

section .text
%assign vec 0
%rep NUM_VECTORS
    ISR_STUB vec
%assign vec vec + 1
%endrep

; The CPU has pushed SS, RSP, RFLAGS, CS, RIP (16-byte aligned first, SDM vol. 3A §6.14.2), the
; stub an error code and the vector: 7 quadwords.  With 15 general registers that is 22, so RSP
; is 16-byte aligned again at the call, as the SysV ABI wants.
;
; Hardware interrupts (vectors 32 and up) run on this CPU's IRQ stack, like Linux's
; hardirq_stack: %gs:irq_count counts the interrupts being handled; the first one switches to
; %gs:irq_stack_top, a nested one stays where it is (already on the IRQ stack).  Exceptions
; stay on the stack they interrupted (or their IST stack).  RBX holds the frame's address across
; the call; it is callee-saved, so the C code gives it back.
isr_common:
    cld
    CLEAR_AC
    PUSH_REGS
    ; GS: from ring 3 the user's GS base is live and the kernel's waits in KERNEL_GS_BASE
    ; (docs/ring3.md).  Ordinary vectors can trust the saved CS.  #DB, #DF and #MC can arrive
    ; in ring 0 between a swapgs and the sysret/iret after it, where CS says kernel but GS is
    ; the user's: they read IA32_GS_BASE itself (kernel bases are in the upper half).  R12,
    ; callee-saved, remembers whether to swap back.
    xor r12d, r12d
    mov rax, [rsp + REGS_VECTOR]
    cmp rax, VEC_DB
    je .paranoid
    cmp rax, VEC_DF
    je .paranoid
    cmp rax, VEC_MC
    je .paranoid
    test byte [rsp + REGS_CS], SEL_RPL_MASK
    jz .gs_ok
    swapgs
    mov r12d, 1
    jmp .gs_ok
.paranoid:
    mov ecx, MSR_GS_BASE
    rdmsr
    test edx, edx
    js .gs_ok
    swapgs
    mov r12d, 1
.gs_ok:
    mov rdi, rsp
    mov rbx, rsp
    cmp qword [rsp + REGS_VECTOR], NUM_EXCEPTIONS
    jb .call
    cmp qword [rsp + REGS_VECTOR], VEC_SYSCALL_GATE
    je .call                    ; int 0x80 is a system call, not a hardware interrupt
    add dword [gs:PERCPU_IRQ_COUNT], 1
    cmp dword [gs:PERCPU_IRQ_COUNT], 1
    jne .call                   ; nested: already on the IRQ stack
    mov rsp, [gs:PERCPU_IRQ_STACK_TOP]
.call:
    call interrupt_dispatch
    mov rsp, rbx
    cmp qword [rsp + REGS_VECTOR], NUM_EXCEPTIONS
    jb .swap_back
    cmp qword [rsp + REGS_VECTOR], VEC_SYSCALL_GATE
    je .swap_back
    sub dword [gs:PERCPU_IRQ_COUNT], 1
.swap_back:
    test r12d, r12d
    jz .restore
    swapgs
.restore:
    POP_REGS
    add rsp, 16                 ; vector and error code
    iretq


; ---------------------------------------------------------------------------------------------
; NMI entry (docs/nmi.md).  The problem: NMI arrives on IST2, and the CPU blocks further NMIs
; only until the next IRET.  If the NMI handler takes an exception (#BP, #DB, a fixed-up #PF),
; that exception's IRET unblocks NMIs while the handler still runs, and a second NMI would be
; pushed at the top of IST2 again, over the first one's frame.  The scheme:
;
; 1. The entry copies the hardware frame from IST2 to this CPU's NMI work stack and runs the
;    handler there.  IST2 then holds nothing anyone needs: a nested NMI may land on it freely.
; 2. A nested NMI, seen by %gs:nmi_state = 1 (the handler is running), only sets
;    %gs:nmi_latched and IRETs at once.  The outer NMI, when its handler returns, clears the
;    state, swaps the latch to 0 and, if it was set, runs the handler again: the nested NMI is
;    neither lost nor run inside the first (like the hardware's one pending NMI, and Linux's
;    repeat_nmi).
; 3. Once it has cleared nmi_state, the outer NMI only checks the latch and restores registers
;    on the work stack.  An NMI arriving then (possible only if an exception unblocked NMIs) finds its
;    interrupted RSP on the work stack: it continues below that RSP instead of at the top, so
;    the outer frame is untouched, and runs as a normal NMI.
; GS: the entry reads IA32_GS_BASE and swaps if the user's is live (docs/ring3.md).
NMI_FRAME_RIP equ 16            ; offsets on IST2 after the two pushes below
NMI_FRAME_CS equ 24
NMI_FRAME_RFLAGS equ 32
NMI_FRAME_RSP equ 40
NMI_FRAME_SS equ 48

global nmi_entry
nmi_entry:
    ; GS first, the paranoid way (see isr_common): an NMI may land between a swapgs and the
    ; sysret after it.  Whether we swapped goes to %gs:nmi_swapgs_tmp, then (NMIs are still
    ; blocked) into the error-code slot of the frame on the work stack, read on the way out.
    push rax
    push rcx
    push rdx
    mov ecx, MSR_GS_BASE
    rdmsr
    xor ecx, ecx
    test edx, edx
    js .gs_kernel
    swapgs
    mov ecx, 1
.gs_kernel:
    mov [gs:PERCPU_NMI_SWAPGS_TMP], ecx
    pop rdx
    pop rcx
    pop rax
    push rax
    push rbx
    cmp dword [gs:PERCPU_NMI_STATE], 0
    jne .latch
    mov rax, [gs:PERCPU_NMI_WORK_TOP]
    mov rbx, [rsp + NMI_FRAME_RSP]
    sub rbx, rax
    add rbx, IST_STACK_SIZE     ; interrupted RSP - work stack bottom: < size iff on it
    cmp rbx, IST_STACK_SIZE
    jae .copy
    mov rax, [rsp + NMI_FRAME_RSP]
    sub rax, 64                 ; below whatever the outer NMI still has there
    and rax, -16
.copy:
    mov rbx, [rsp + NMI_FRAME_SS]
    mov [rax - 8], rbx
    mov rbx, [rsp + NMI_FRAME_RSP]
    mov [rax - 16], rbx
    mov rbx, [rsp + NMI_FRAME_RFLAGS]
    mov [rax - 24], rbx
    mov rbx, [rsp + NMI_FRAME_CS]
    mov [rax - 32], rbx
    mov rbx, [rsp + NMI_FRAME_RIP]
    mov [rax - 40], rbx
    mov rbx, [rsp + 8]          ; the interrupted RAX
    mov [rax - 48], rbx
    mov rbx, [rsp]              ; the interrupted RBX
    mov [rax - 56], rbx
    lea rsp, [rax - 56]         ; now on the work stack
    pop rbx
    pop rax
    mov dword [gs:PERCPU_NMI_STATE], 1
    push 0                      ; the error-code slot: 1 if the entry swapped GS (a dword in
    push rax                    ; the per-CPU area: zero-extended through RAX, never read as
    mov eax, [gs:PERCPU_NMI_SWAPGS_TMP] ; a qword, whose upper half is the canary)
    mov [rsp + 8], rax
    pop rax
    push VEC_NMI
    PUSH_REGS
    cld
    CLEAR_AC                    ; before any C (above: only the kernel's stacks and GS)
    mov rbx, rsp
.again:
    mov rdi, rbx
    call nmi_dispatch
    ; State first, then the latch: an NMI after the state is cleared takes rule 3 (it is not
    ; latched, so nothing can be left in the latch unseen); one latched before is seen here.
    mov dword [gs:PERCPU_NMI_STATE], 0
    xor eax, eax
    xchg eax, [gs:PERCPU_NMI_LATCHED]   ; atomic swap
    test eax, eax
    jz .out
    mov dword [gs:PERCPU_NMI_STATE], 1
    mov rdi, rbx
    call nmi_repeat_noted
    jmp .again
.out:
    mov rsp, rbx
    cmp qword [rsp + REGS_ERROR_CODE], 0 ; the swapped-GS flag: swap back?
    je .nmi_restore
    swapgs
.nmi_restore:
    POP_REGS
    add rsp, 16
    iretq
.latch:
    mov dword [gs:PERCPU_NMI_LATCHED], 1
    cmp dword [gs:PERCPU_NMI_SWAPGS_TMP], 0
    je .latch_out
    swapgs
.latch_out:
    pop rbx
    pop rax
    iretq

section .rodata
align 8
global isr_stub_table
isr_stub_table:
%assign vec 0
%rep NUM_VECTORS
%if vec == VEC_NMI
    dq nmi_entry                ; NMI has its own entry (below)
%else
    dq isr_stub_%[vec]
%endif
%assign vec vec + 1
%endrep
