; cadre's built-in ring-3 test program.  Position-independent: the kernel copies it into each
; CPU's user code page (src/user/user.c) and enters it with `iretq`, RDI = the case to run
; (src/user/user.defs.h), RSI = an argument.  It talks to the kernel only by system calls.

%include "user/user.inc"
%include "cpu/x86.inc"

AC_POLLS equ 2000               ; UT_AC_ENTRY, IRQ and NMI: how many times to ask before giving up
AC_SPIN equ 0x10000             ; loop iterations between two asks, in ring 3 with AC set

; RFLAGS.AC on: POPF may change it at any CPL (SDM vol. 2B, POPF).  In ring 3 it only turns on
; alignment checks where CR0.AM is set (SDM vol. 3A §6.15, #AC), and every access here is
; aligned; in ring 0 it lets the kernel touch user pages in spite of SMAP (§4.6.1).
%macro SET_AC 0
    pushfq
    or dword [rsp], RFLAGS_AC
    popfq
%endmacro

section .rodata
align 16
global user_program_start, user_program_end
user_program_start:
    cmp rdi, UT_COUNT
    jae exit_bad
    lea rax, [rel cases]
    movsxd rdx, dword [rax + rdi * 4]
    add rax, rdx
    jmp rax

cases:
    dd hello - cases
    dd t_int3 - cases
    dd t_int20 - cases
    dd t_read_kernel - cases
    dd t_write_kernel - cases
    dd t_cli - cases
    dd t_hlt - cases
    dd t_rdmsr - cases
    dd t_mov_cr3 - cases
    dd t_sgdt - cases
    dd t_sidt - cases
    dd t_single_step - cases
    dd t_spin - cases
    dd t_ac_entry - cases

hello:
    lea rdi, [rel msg_hello]
    mov esi, msg_hello_len
    mov eax, SYS_WRITE
    syscall
    mov eax, SYS_GETCPU
    syscall
    mov r12, rax
    mov eax, SYS_GETCPU
    int 0x80
    mov r13, rax
    mov eax, SYS_YIELD
    syscall
    mov eax, SYS_YIELD
    int 0x80
    mov rdi, r12                ; exit code: syscall's CPU << 16 | int 0x80's CPU
    shl rdi, 16
    or rdi, r13
    mov eax, SYS_EXIT
    syscall
    ud2                         ; exit does not return

t_int3:
    int3
    jmp exit0
t_int20:
    int 0x20
    jmp exit0
t_read_kernel:
    mov rax, USER_KERNEL_ADDRESS
    mov rax, [rax]
    jmp exit0
t_write_kernel:
    mov rax, USER_KERNEL_ADDRESS
    mov [rax], rax
    jmp exit0
t_cli:
    cli
    jmp exit0
t_hlt:
    hlt
    jmp exit0
t_rdmsr:
    mov ecx, MSR_EFER
    rdmsr
    jmp exit0
t_mov_cr3:
    xor eax, eax
    mov cr3, rax
    jmp exit0
t_sgdt:
    sub rsp, 16
    sgdt [rsp]
    add rsp, 16
    mov edi, 1                  ; exit 1: the instruction ran (no UMIP)
    jmp exit_code
t_sidt:
    sub rsp, 16
    sidt [rsp]
    add rsp, 16
    mov edi, 1
    jmp exit_code
t_single_step:
    pushfq
    or qword [rsp], RFLAGS_TF
    popfq
    nop                         ; #DB after this one; the kernel clears TF
    nop
    jmp exit0
t_spin:
    mov rbx, rsi
.loop:
    test rbx, 0xffff
    jnz .next
    mov eax, SYS_GETCPU
    syscall
.next:
    dec rbx
    jnz .loop
    jmp exit0

; AC set, then into the kernel by the path RSI names (USER_ENTRY_*); the kernel records the
; RFLAGS each handler runs with.  SYS_TEST is answered by the kernel test that runs this case:
; by int 0x80 and syscall it gets a user buffer (RDI, holding USER_AC_MARK) and the program
; exits with its answer; for an IRQ or NMI the program asks, with a spin between, until the
; kernel says one has come from ring 3 (exit 0), at most AC_POLLS times (exit 1).
t_ac_entry:
    mov rbx, rsi
    cmp rbx, USER_ENTRY_EXCEPTION
    je .exception
    cmp rbx, USER_ENTRY_INT80
    je .int80
    cmp rbx, USER_ENTRY_SYSCALL
    je .syscall
    cmp rbx, USER_ENTRY_IRQ
    je .poll
    cmp rbx, USER_ENTRY_NMI
    je .poll
    jmp exit_bad
.exception:
    SET_AC
    int3
    jmp exit0
.int80:
    mov eax, USER_AC_MARK
    push rax
    mov rdi, rsp
    mov eax, SYS_TEST
    SET_AC
    int 0x80
    mov rdi, rax
    jmp exit_code
.syscall:
    mov eax, USER_AC_MARK
    push rax
    mov rdi, rsp
    mov eax, SYS_TEST
    SET_AC
    syscall
    mov rdi, rax
    jmp exit_code
.poll:
    mov r12d, AC_POLLS
.ask:
    mov rsi, rbx
    mov eax, SYS_TEST
    SET_AC
    syscall                     ; sysret gives AC back from R11: it stays set in the spin
    test rax, rax
    jnz exit0
    mov ecx, AC_SPIN
.spin:
    dec ecx
    jnz .spin
    dec r12d
    jnz .ask
    mov edi, 1
    jmp exit_code

exit0:
    xor edi, edi
exit_code:
    mov eax, SYS_EXIT
    syscall
    ud2
exit_bad:
    mov edi, 0xbad
    jmp exit_code

msg_hello: db "hello from ring 3"
msg_hello_len equ $ - msg_hello
align 16
user_program_end:
