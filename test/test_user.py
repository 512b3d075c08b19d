"""Ring 3 on every CPU (issue 8): system calls by `syscall` and `int 0x80`, faults that end
the program and not the kernel, SMEP/SMAP from ring 0, NMIs and #DB while user programs run,
each with the right GS, and RFLAGS.AC from ring 3 cleared on every way in (issue 11)."""

import re
import time

import pytest

import qemu


@pytest.mark.parametrize("smp,firmware", [(1, "bios"), (4, "bios"), (16, "bios"), (16, "uefi")])
def test_user_program_on_every_cpu(vm, smp, firmware):
    b = vm(cmdline="test=user_hello_every_cpu", smp=smp, machine="q35", mem="256M", firmware=firmware)
    assert b.rc == qemu.EXIT_PASS and b.ktap().passed, b.summary()
    exits = {int(m.group(1)): int(m.group(2), 16) for m in
             b.findall(r"^user: cpu(\d+): program 'hello' exited with 0x([0-9a-f]+)$")}
    assert sorted(exits) == list(range(smp))
    for cpu, code in exits.items():
        assert code == (cpu << 16 | cpu), f"cpu{cpu}: getcpu by syscall / int 0x80 gave {code:#x}"
    writes = [m for m in b.findall(r"^user: cpu(\d+): write by syscall: hello from ring 3$")]
    assert len(writes) == smp
    for _, cpu, text in b.kernel_lines():
        if text.startswith("user: cpu"):
            assert text.startswith(f"user: cpu{cpu}:"), f"a user line printed by another CPU: {text}"


@pytest.mark.parametrize("cpu", ["max", "qemu64"])
def test_faults_from_ring3_end_the_program(vm, cpu):
    b = vm(cmdline="test=user_faults_end_the_program", cpu=cpu)
    assert b.rc == qemu.EXIT_PASS and b.ktap().passed, b.summary()
    assert b.find(r"^user trap on cpu0: #BP breakpoint .*; the program goes on")
    assert b.find(r"^user trap on cpu0: #DB debug exception .*; the program goes on")
    assert b.find(r"^user fault on cpu0: #GP general protection fault .*: IDT vector index \d+ \(error code 0x[0-9a-f]+2\)")
    assert b.find(r"^user fault on cpu0: #PF page fault at 0xffffffff80100000: read from a present page "
                  r"\(protection violation\) in user mode")
    assert b.find(r"^user fault on cpu0: #PF page fault at 0xffffffff80100000: write to a present page "
                  r"\(protection violation\) in user mode")
    gp = b.findall(r"^user fault on cpu0: #GP general protection fault at \w+ <\?> \(error code 0x0\)")
    umip = b.find(r"UMIP on") is not None
    assert len(gp) == (6 if umip else 4), f"cli, hlt, rdmsr, mov cr3{', sgdt, sidt' if umip else ''}"
    assert b.panic_report() is None


@pytest.mark.parametrize("fault", ["smep", "smap"])
def test_smep_smap_from_ring0(vm, fault):
    b = vm(cmdline=f"test=fault:{fault}", cpu="max")
    assert b.rc == qemu.EXIT_PANIC, b.summary()
    access = "instruction fetch from" if fault == "smep" else "read from"
    assert b.find(rf"^PANIC: cpu0: #PF page fault at 0x0000000000400000: {access} a present page "
                  r"\(protection violation\) in kernel mode"), b.summary()
    b = vm(cmdline=f"test=fault:{fault}", cpu="qemu64")
    assert b.rc == qemu.EXIT_PASS, b.summary()
    assert b.find(rf"^test: {fault.upper()} is off \(the CPU lacks it\): nothing to check; skipped")


ENTRIES = ["exception (#BP)", "IRQ (self IPI)", "NMI (from another CPU)", "int 0x80", "syscall"]


@pytest.mark.parametrize("cpu", ["max", "qemu64"])
def test_entry_from_ring3_clears_ac(vm, cpu):
    """The program sets AC before each way into the kernel; every handler must run with AC clear,
    with SMAP (max) or without (qemu64).  Two CPUs: the second sends the NMIs."""
    b = vm(cmdline="test=user_entry_clears_ac", smp=2, cpu=cpu)
    assert b.rc == qemu.EXIT_PASS and b.ktap().passed, b.summary()
    for e in ENTRIES:
        assert b.find(rf"^# {re.escape(e)} from ring 3 with AC set: the handler ran with RFLAGS 0x[0-9a-f]+, "
                      r"AC clear$"), f"{e}: no AC-clear line\n{b.summary()}"
    assert not b.find(r"not checked"), b.summary()
    assert b.find(r"^user trap on cpu0: #BP breakpoint .*; the program goes on$")


@pytest.mark.parametrize("smp", [1, 4])
def test_nmis_while_ring3_runs_everywhere(vm, smp):
    def storm(q):
        # The programs may all finish (and QEMU exit) before the last inject: that is fine.
        try:
            for _ in range(12):
                q.cmd("inject-nmi")
                time.sleep(0.05)
        except (OSError, qemu.QmpError):
            pass

    b = vm(cmdline="test=user_spin_every_cpu user.spin=150000000", smp=smp, cpu="max",
           on_match=[(rf"^user: cpu{smp - 1}: spinning in ring 3", storm)], timeout=90)
    assert b.rc == qemu.EXIT_PASS and b.ktap().passed, b.summary()
    nmis = b.findall(r"^nmi: cpu(\d+) took NMI \d+ on the NMI stack of cpu\1: external .*; interrupted ring (\d), GS (\w+)$")
    assert nmis and all(m.group(3) == "ok" for m in nmis), b.summary()
    ring3 = {int(m.group(1)) for m in nmis if m.group(2) == "3"}
    assert ring3 == set(range(smp)), f"NMIs that interrupted ring 3 on cpus {sorted(ring3)}"
    exits = b.findall(r"^user: cpu(\d+): program 'spin' exited with 0x0$")
    assert sorted(int(m.group(1)) for m in exits) == list(range(smp)), "a user program did not go on"
