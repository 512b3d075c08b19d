"""Deliberate faults (test=fault:NAME, src/ktest/faults.c).  A fatal one gives a complete,
named panic report and ends QEMU with status 37; #BP and #DB are reported in one line and the
kernel goes on (status 33)."""

import re

import pytest

import qemu

ADDR = r"([0-9a-f]{16})"
SYM = r"\+0x[0-9a-f]+"

# name: (first line of the report, vector, function RIP must be in)
FAULTS = {
    "de": (rf"#DE divide error at {ADDR} <fault_raise_de{SYM}>$", 0, "fault_raise_de"),
    "ud": (rf"#UD invalid opcode at {ADDR} <fault_raise_ud{SYM}>$", 6, "fault_raise_ud"),
    "gp": (rf"#GP general protection fault at {ADDR} <fault_raise_gp{SYM}> \(error code 0x0\)$",
           13, "fault_raise_gp"),
    "pf": (r"#PF page fault at 0x00000000cafe0000: read from a not-present page in kernel mode "
           r"\(error code 0x0\)$", 14, "fault_raise_pf"),
}


def check_common(b: qemu.Boot) -> list[str]:
    assert b.rc == qemu.EXIT_PANIC, b.summary()
    report = b.panic_report()
    assert report, f"no PANIC line\n{b.summary()}"
    assert re.match(r"^PANIC: cpu0: end of report; leaving QEMU through isa-debug-exit$",
                    report[-1]), f"report does not end with 'end of report': {report[-1]!r}"
    texts = b.texts()
    assert texts[-1] == report[-1], f"kernel lines after the end of the report: {texts[texts.index(report[-1]) + 1:]}"
    assert b.index(r"^cadre: ready") < b.index(r"^test: raising .* deliberately( on cpu0)?$") \
        < b.index(r"^PANIC: cpu0: "), b.summary()
    return report


def backtrace(report: list[str]) -> list[tuple[int, str, str]]:
    """(frame number, address, symbol) for each `#N ADDR symbol+0xOFF` line after `backtrace:`."""
    i = report.index("  backtrace:")
    frames = []
    for t in report[i + 1:]:
        m = re.match(r"^ +#(\d+) +([0-9a-f]{16}) ([\w.]+)\+0x[0-9a-f]+$", t)
        if m:
            frames.append((int(m.group(1)), m.group(2), m.group(3)))
    return frames


# Every report under SeaBIOS; under OVMF (q35) a page fault and a general protection fault here,
# and the stack protector's report in test_canary_report.
UEFI_FAULTS = ("pf", "gp")


@pytest.mark.parametrize("name,firmware", [(n, "bios") for n in FAULTS] + [(n, "uefi") for n in UEFI_FAULTS])
def test_exception_report(vm, name, firmware):
    first, vector, func = FAULTS[name]
    b = vm(cmdline=f"test=fault:{name}", firmware=firmware, machine="q35" if firmware == "uefi" else "pc")
    report = check_common(b)
    m = re.match(r"^PANIC: cpu0: " + first, report[0])
    assert m, f"first line {report[0]!r} does not match {first!r}"

    rip = next((re.match(rf"^  RIP 0008:{ADDR} <(\w+){SYM}>  RFLAGS [0-9a-f]{{16}}$", t)
                for t in report if t.startswith("  RIP ")), None)
    assert rip, f"no RIP line\n{b.summary()}"
    assert rip.group(2) == func, f"RIP in {rip.group(2)}, not {func}"
    if m.groups():
        assert m.group(1) == rip.group(1), "the PANIC line's address is not RIP"

    assert any(re.match(rf"^  RSP 0010:[0-9a-f]{{16}}  vector {vector}  error code 0x[0-9a-f]+$", t)
               for t in report), f"no 'vector {vector}' line"
    for regs in ("RAX RBX RCX", "RDX RSI RDI", "RBP R8  R9 ", "R10 R11 R12", "R13 R14 R15",
                 "CR0 CR2 CR3 CR4"):
        names = [regs[i:i + 3] for i in range(0, len(regs), 4)]
        rx = "^  " + " ".join(rf"{n} [0-9a-f]{{16}}" for n in names) + "$"
        assert any(re.match(rx, t) for t in report), f"no {regs} register line"
    cr2 = next(re.search(r"CR2 ([0-9a-f]{16})", t).group(1) for t in report if " CR2 " in t)
    if name == "pf":
        assert cr2 == "00000000cafe0000"

    frames = backtrace(report)
    assert frames and frames[0][0] == 0 and frames[0][1] == rip.group(1) and frames[0][2] == func, \
        f"backtrace #0 is not RIP in {func}: {frames[:1]}"
    names = [f[2] for f in frames]
    assert "ktest_run_and_exit" in names and "kmain" in names, f"backtrace: {names}"
    assert names.index("ktest_run_and_exit") < names.index("kmain")
    assert [f[0] for f in frames] == list(range(len(frames))), "backtrace numbering"


# name: the one-line report of a trap the kernel returns from
TRAPS = {
    "bp": rf"^trap: #BP breakpoint at {ADDR} <fault_raise_bp{SYM}> on cpu0, handled on the .+ "
          r"stack of cpu0; continuing$",
    "db": rf"^trap: #DB debug exception \(dr6 0x[0-9a-f]+, single step\) at {ADDR} "
          rf"<fault_single_step{SYM}> on cpu0, handled on the #DB stack of cpu0; continuing$",
}


@pytest.mark.parametrize("name", list(TRAPS))
def test_trap_reported_and_survived(vm, name):
    b = vm(cmdline=f"test=fault:{name}")
    assert b.rc == qemu.EXIT_PASS, b.summary()
    assert b.panic_report() is None, b.summary()
    raised = b.index(r"^test: raising .* deliberately( on cpu0)?$")
    trap = b.index(TRAPS[name])
    handled = b.index(rf"^test: fault:{name} was handled; the kernel goes on$")
    assert None not in (raised, trap, handled) and raised < trap < handled, b.summary()
    assert b.texts()[-1] == f"test: fault:{name} was handled; the kernel goes on"


@pytest.mark.parametrize("firmware,machine", [("bios", "pc"), ("uefi", "q35")])
def test_canary_report(vm, firmware, machine):
    b = vm(cmdline="test=fault:canary", firmware=firmware, machine=machine)
    report = check_common(b)
    assert re.match(r"^PANIC: cpu0: stack protector: canary corrupted "
                    rf"\(detected in fault_smash_canary{SYM}\)$", report[0]), report[0]
    names = [f[2] for f in backtrace(report)]
    assert "fault_smash_canary" in names, f"backtrace: {names}"
    assert "ktest_run_and_exit" in names and "kmain" in names, f"backtrace: {names}"
    assert names.index("fault_smash_canary") < names.index("ktest_run_and_exit") < names.index("kmain")


@pytest.mark.parametrize("cpu", ["max", "qemu64"])
def test_user_ac_does_not_reach_the_kernel(vm, cpu):
    """A ring-3 program sets RFLAGS.AC and calls int 0x80 into a handler that reads its buffer
    without stac: the entry must have cleared AC, so SMAP stops the read with a #PF report.
    Where the CPU lacks SMAP there is nothing to stop it, and the test says so."""
    b = vm(cmdline="test=fault:user_ac", cpu=cpu)
    if cpu == "qemu64":
        assert b.rc == qemu.EXIT_PASS, b.summary()
        assert b.find(r"^test: SMAP is off \(the CPU lacks it\): nothing to check; skipped$"), b.summary()
        assert b.panic_report() is None
        return
    assert not b.find(r"^test: fault:user_ac: no #PF"), "AC from ring 3 left SMAP off in the int 0x80 handler"
    report = check_common(b)
    m = re.match(r"^PANIC: cpu0: #PF page fault at 0x([0-9a-f]{16}): read from a present page "
                 r"\(protection violation\) in kernel mode \(error code 0x1\)$", report[0])
    assert m, f"first line {report[0]!r} is not SMAP's #PF"
    assert 0x400000 <= int(m.group(1), 16) < 0x410000, "not an address of cpu0's user region"
    assert any(re.match(rf"^  RIP 0008:{ADDR} <fault_read_user_without_stac{SYM}>  RFLAGS [0-9a-f]{{16}}$", t)
               for t in report), "RIP not in the handler that reads user memory"
    frames = backtrace(report)
    assert frames and frames[0][2] == "fault_read_user_without_stac", f"backtrace: {frames}"


def test_unknown_fault(vm):
    b = vm(cmdline="test=fault:nope")
    assert b.rc == qemu.EXIT_FAIL, b.summary()
    assert b.find(r"^test: warning: no fault named 'nope'; known:$"), b.summary()
    listed = {m.group(1) for m in b.findall(r"^  fault:(\w+) ")}
    assert listed >= set(FAULTS) | set(TRAPS) | {"canary", "user_ac"}, listed
    assert b.find(r"^test: fault:nope did not end the kernel$"), b.summary()
    assert b.panic_report() is None
