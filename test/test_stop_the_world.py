"""The paths that must never fail (docs/console.md): NMIs to all when some CPUs are not online, a
panic while every other CPU prints, the console lock under thousands of NMIs, and lines that stay
whole whatever bytes come in from outside."""

import re

import pytest

import qemu


def report_is_complete_and_last(b, cpu, first):
    """The report starts with `first` on `cpu`, has a backtrace, ends with its end line, is the
    last thing on the console, and no other CPU printed inside it."""
    assert b.rc == qemu.EXIT_PANIC, b.summary()
    lines = b.kernel_lines()
    starts = [i for i, (_, c, t) in enumerate(lines) if c == cpu and re.match(first, t)]
    assert starts, f"no report line matching {first!r}\n{b.summary()}"
    ends = [i for i, (_, c, t) in enumerate(lines) if t.startswith(f"PANIC: cpu{cpu}: end of report")]
    assert ends, f"the report never ended\n{b.summary()}"
    start, end = starts[0], ends[-1]
    assert end == len(lines) - 1, f"lines after the report: {lines[end + 1:][:5]}"
    inside = lines[start:end + 1]
    assert all(c == cpu for _, c, _ in inside), \
        f"another CPU printed inside the report: {[l for l in inside if l[1] != cpu][:3]}"
    texts = [t for _, _, t in inside]
    assert any(re.match(r"^\s+#\d+ ", t) for t in texts), f"no backtrace in the report: {texts}"
    assert not b.malformed_lines(), f"lines without the prefix: {b.malformed_lines()[:5]}"
    return texts


def test_nmi_to_all_with_cpus_not_online(vm):
    """smp.maxcpus=2 of 4: the all-but-self shorthand would reach the two APs that were never
    started (no IDT: triple fault).  NMIs then go to each online CPU by APIC ID."""
    b = vm(cmdline="smp.maxcpus=2 bench=nmi_fanout", smp=4, machine="q35")
    assert b.rc == qemu.EXIT_PASS, b.summary()
    assert b.find(r"^smp: IPI shorthands off: 2 of 4 listed cpus are online$"), b.summary()
    assert b.find(r"^bench: nmi_fanout cpus=2 rounds=\d+ "), b.summary()
    assert not b.find(r"took NMI \d+ on .*: external"), "an NMI reached a CPU with no request"


def test_nmi_to_all_uses_the_shorthand_when_all_are_online(vm):
    b = vm(cmdline="bench=nmi_fanout", smp=4, machine="q35")
    assert b.rc == qemu.EXIT_PASS, b.summary()
    assert b.find(r"^smp: IPI shorthands on: all 4 listed cpus are online$"), b.summary()
    assert b.find(r"^bench: nmi_fanout cpus=4 rounds=\d+ "), b.summary()


@pytest.mark.parametrize("where", ["0", "2"])
@pytest.mark.parametrize("fault", ["panic_storm", "panic_storm_nmi"])
def test_panic_while_every_cpu_prints(vm, fault, where):
    b = vm(cmdline=f"test=fault:{fault}@{where}", smp=4, timeout=60)
    cpu = int(where)
    first = (r"^PANIC: cpu\d+: nmi: panic requested in NMI context \(test\)$" if fault.endswith("nmi")
             else r"^PANIC: cpu\d+: panic_storm: cpu\d+ panics while the other cpus print$")
    texts = report_is_complete_and_last(b, cpu, first)
    assert any(re.match(rf"^panic: cpu{cpu} stopped 3 of 3 other cpus with an NMI$", t) for t in b.texts()), \
        b.summary()
    assert "fault_panic_storm" in " ".join(texts), f"the backtrace misses fault_panic_storm: {texts}"
    # The printers overflowed the log buffer: the loss is said, on a line of its own.
    assert b.find(r"^console: \d+ bytes lost: the log buffer was full$"), b.summary()


def test_console_lock_survives_nmis(vm):
    b = vm(cmdline="test=console_lock_survives_nmis", smp=2, timeout=120)
    k = b.ktap()
    assert b.rc == qemu.EXIT_PASS and k.passed, k.describe()
    assert "console_lock_survives_nmis" in {t.name for t in k.tests if not t.skipped}


def test_control_bytes_from_outside_are_escaped(vm):
    """The command line comes from outside: CR, LF and ESC in it must not break the log into
    lines without a prefix."""
    b = vm(cmdline="poweroff x=a\rb y=\x1b[2Jc\nz", smp=1)
    assert b.rc in (qemu.EXIT_POWEROFF, 0) and b.find(r"^cadre: powering off$"), b.summary()
    assert not b.malformed_lines(), f"lines without the prefix: {b.malformed_lines()}"
    line = b.find(r"^cmdline: from fw_cfg opt/cadre/cmdline: .*")
    assert line and r"x=a\x0db y=\x1b[2Jc\x0az" in line.group(0), b.summary()


def test_nul_in_command_line_is_said(vm):
    b = vm(cmdline="poweroff\x00 test=all", smp=1)
    assert b.rc in (qemu.EXIT_POWEROFF, 0) and b.find(r"^cadre: powering off$"), b.summary()
    assert b.find(r"^cmdline: warning: fw_cfg opt/cadre/cmdline has a NUL at byte 8: "
                  r"the 9 bytes after it are ignored$"), b.summary()
