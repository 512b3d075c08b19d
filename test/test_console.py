"""The serial console (issue 7): commands typed on COM1 from the host, through the COM1
interrupt, each answered; nothing typed crashes the kernel."""

import pytest

import qemu

READY = r"^console: ready on COM1"


def chain(*steps):
    """(regex, bytes) pairs for serial_input: each command is sent when the previous answer
    (or the ready line) appears."""
    return list(steps)


@pytest.mark.parametrize("firmware,machine", [("bios", "pc"), ("uefi", "q35")])
def test_commands(vm, firmware, machine):
    b = vm(smp=4, timeout=60, firmware=firmware, machine=machine, serial_in_order=True,
           serial_input=chain(
        (READY, b"help\r"),
        (r"^console:   poweroff", b"cpus\r"),
        (r"^cpus: +3 ", b"routes\r"),
        (r"^irq: route irq 8 ", b"affinity 1 2\r"),
        (r"^console: IRQ 1 now goes to cpu2", b"ipi 3\r"),
        (r"^console: call IPI to cpu3 and back", b"nmi 1\r"),
        (r"^nmi: cpu1 took NMI \d+ on the NMI stack of cpu1: sent on request", b"nmi all\r"),
        (r"^console: NMI sent to 4 cpus", b"tpr 2 3\r"),
        (r"^console: cpu2 TPR class 3", b"test percpu_gs_self\r"),
        (r"^ok 1 percpu_gs_self", b"irqs\r"),
        (r"^irqs: 0xe0 local timer", b"backtrace all\r"),
        (r"^nmi: all-cpu backtrace: 3 of 3 other cpus answered", b"poweroff\r"),
    ))
    assert b.rc == 0, b.summary()
    for rx in (r"^console:   affinity +IRQ CPU", r"^cpus: 4 online", r"^ipi: cpu3 ran a call from cpu0",
               r"^nmi: cpu[023] took NMI \d+ on the NMI stack of cpu[023]: sent on request",
               r"^nmi: backtrace of cpu1 ", r"^cadre: powering off"):
        assert b.find(rx), f"missing {rx}\n{b.summary()}"


def test_bad_input_never_crashes(vm):
    b = vm(smp=2, timeout=60, serial_in_order=True, serial_input=chain(
        (READY, b"bogus\r"),
        (r"^console: unknown command 'bogus'", b"affinity x y\r"),
        (r"^console: usage: affinity IRQ CPU", b"affinity 1 99\r"),
        (r"^console: '99' is not an online cpu", b"tpr 1 15\r"),
        (r"^console: usage: tpr", b"nmi\r"),
        (r"^console: usage: nmi CPU\|all", b"test no_such_test\r"),
        (r"^not ok 1 no_such_test # no such test", b"\x1b[A\x00\xff" + b"x" * 300 + b"\r"),
        (r"^console: line too long \(300 bytes, at most 127\): dropped, not run$", b"hx\x7felp\r"),
        (r"^console:   poweroff", b"poweroff\r"),
    ))
    # Status 0 is also what a triple fault under -no-reboot gives: the power-off line says
    # the kernel got to the end.
    assert b.rc == 0 and b.find(r"^cadre: powering off$"), b.summary()
    assert b.panic_report() is None
    assert b.find(r"^console: > help$"), "backspace did not edit the line"
    assert not b.find(r"^console: > x"), "a line cut at its end ran"


def test_panic_command(vm):
    b = vm(smp=2, serial_input=[(READY, b"panic\r")])
    assert b.rc == qemu.EXIT_PANIC, b.summary()
    assert b.find(r"^PANIC: cpu0: console: panic requested")


def test_pasted_lines_all_run_in_order(vm):
    """300 short commands in one write, as a script pasting into the console would send them,
    then poweroff: every one runs, in order, and nothing is dropped (issue 11, item 8).  The
    kernel cannot keep up with the bytes (it echoes each and prints two lines per command), so
    this holds only if it stops taking bytes from the UART while its ring is full."""
    n = 300
    script = b"".join(b"echo %04d\r" % i for i in range(1, n + 1)) + b"poweroff\r"
    b = vm(smp=2, timeout=60, serial_input=[(READY, script)])
    ran = [int(m.group(1)) for m in b.findall(r"^echo: (\d+)$")]
    missing = sorted(set(range(1, n + 1)) - set(ran))
    breaks = [(x, y) for x, y in zip(ran, ran[1:]) if y != x + 1]
    assert ran == list(range(1, n + 1)), f"{len(ran)} of {n} ran; missing {missing[:20]}; breaks {breaks[:20]}"
    assert b.find(r"^cadre: powering off$"), b.summary()
    assert not b.find(r"^serial: warning:"), b.summary()
