"""Device IRQs through the I/O APIC, priorities, NMI (issue 6).  The in-kernel KTAP tests
(src/irq/irq_tests.c) check routing, TPR, priority order, NMI storms and nesting on the CPU;
these boot them over the machine matrix and check what only the host can: routes as the policy
says, COM1 input typed by the host, inject-nmi on every CPU, and a panic that stops the rest."""

import re

import pytest

import qemu

ROUTE = re.compile(r"^irq: route irq (\d+) -> gsi (\d+) (edge|level)/(high|low) vector 0x([0-9a-f]+) "
                   r"\(class (\d+)\) cpu (\d+) \(apic (\d+)\) (.+)$")


def routes(b):
    return {int(m.group(1)): m for m in (ROUTE.match(t) for t in b.texts()) if m}


FLIP_BYTES = 20000  # FLIP_BYTES in src/irq/irq_tests.c
FLIP_PROMPT = rf"^serial: route flip: send {FLIP_BYTES} numbered bytes now$"
FLIP_PATTERN = bytes(i & 0xff for i in range(FLIP_BYTES))


@pytest.mark.parametrize("machine,smp,firmware", [(m, n, "bios") for m in ("pc", "q35") for n in (1, 2, 4, 16)]
                         + [("q35", 4, "uefi")])
def test_irq_and_nmi_ktap(vm, machine, smp, firmware):
    b = vm(cmdline="test=irq_*,nmi_*", smp=smp, machine=machine, serial_input=[(FLIP_PROMPT, FLIP_PATTERN)],
           firmware=firmware)
    k = b.ktap()
    assert b.rc == qemu.EXIT_PASS and k.passed, k.describe()
    names = {t.name for t in k.tests if not t.skipped}
    for must in ("irq_devices_arrive_on_their_cpu", "irq_tpr_holds_a_device",
                 "irq_priority_classes_order", "irq_storm_all_to_all", "nmi_ipi_reaches_every_cpu",
                 "nmi_nested_during_bp_in_nmi_handler", "nmi_backtrace_all_cpus"):
        assert must in names, f"{must} did not pass"
    if smp > 1:
        for must in ("nmi_storm_loses_nothing", "irq_affinity_moves_lose_nothing",
                     "irq_com1_route_flip_keeps_bytes"):
            assert must in names, f"{must} did not pass"
    assert b.find(r"^# order AHaS ")


def test_spread_policy_routes(vm):
    b = vm(cmdline="poweroff", smp=4, machine="q35")
    r = routes(b)
    assert set(r) == {0, 1, 4, 8}, b.summary()
    assert int(r[0].group(2)) == 2, "IRQ 0 goes to GSI 2 through the MADT override"
    assert {int(m.group(7)) for m in r.values()} == {0, 1, 2, 3}, "spread over the four CPUs"
    # classes follow priority: timer above serial above keyboard and RTC
    cls = {irq: int(m.group(6)) for irq, m in r.items()}
    assert cls[0] > cls[4] > cls[1] and cls[4] > cls[8]
    assert all(m.group(3) == "edge" and m.group(4) == "high" for m in r.values())


def test_bsp_policy_and_affinity(vm):
    b = vm(cmdline="poweroff irq.policy=bsp", smp=4)
    assert {int(m.group(7)) for m in routes(b).values()} == {0}
    b = vm(cmdline="poweroff irq.affinity=1:3,8:2", smp=4)
    r = routes(b)
    assert int(r[1].group(7)) == 3 and int(r[8].group(7)) == 2, b.summary()


def test_bad_affinity_is_a_warning(vm):
    b = vm(cmdline="poweroff irq.affinity=1:x", smp=2)
    assert b.find(r"^cmdline: warning: option 'irq\.affinity=1:x': ")
    assert b.find(r"^cadre: ready: 2 cpus online")


@pytest.mark.parametrize("machine,firmware", [("pc", "bios"), ("q35", "bios"), ("q35", "uefi")])
def test_serial_input_through_com1_irq(vm, machine, firmware):
    b = vm(cmdline="test=serial_receive_irq", smp=2, machine=machine, firmware=firmware,
           serial_input=[(r"^serial: waiting 10 s for the host", b"cadre")])
    k = b.ktap()
    assert b.rc == qemu.EXIT_PASS and k.passed, k.describe()
    assert b.find(r"^# received 'cadre' through IRQ 4 on cpu\d+"), b.summary()


def test_inject_nmi_reaches_every_cpu(vm):
    """QEMU delivers inject-nmi through every CPU's LINT1, which the kernel set up from the
    MADT's local APIC NMI entry on each CPU.  A second inject once all four have reported the
    first ends the boot (its lines are the `until`)."""
    b = vm(smp=4, on_match=[(r"^cadre: ready", lambda q: q.cmd("inject-nmi")),
                            (r"^nmi: cpu3 took NMI 1 ", lambda q: q.cmd("inject-nmi"))],
           until=r"^nmi: cpu\d+ took NMI 2 ", timeout=30)
    cpus = sorted(int(m.group(1)) for m in b.findall(r"^nmi: cpu(\d+) took NMI 1 on the NMI stack of cpu\1: external"))
    assert cpus == [0, 1, 2, 3], b.summary()


def test_panic_on_an_ap_stops_the_others_and_is_last(vm):
    b = vm(cmdline="test=fault:ud@2", smp=4)
    assert b.rc == qemu.EXIT_PANIC, b.summary()
    assert b.find(r"^panic: cpu2 stopped 3 of 3 other cpus with an NMI$"), b.summary()
    lines = b.kernel_lines()
    end = max(i for i, (_, _, t) in enumerate(lines) if t.startswith("PANIC: cpu2: end of report"))
    assert end == len(lines) - 1, f"lines after the report: {lines[end + 1:]}"
    start = next(i for i, (_, _, t) in enumerate(lines) if t.startswith("PANIC: cpu2: #UD"))
    assert all(cpu == 2 for _, cpu, _ in lines[start:end + 1]), "another CPU printed inside the report"


def test_all_cpu_backtrace_blocks_are_whole(vm):
    b = vm(cmdline="test=nmi_backtrace_all_cpus", smp=4)
    assert b.rc == qemu.EXIT_PASS, b.summary()
    lines = b.kernel_lines()
    seen = []
    for i, (_, cpu, t) in enumerate(lines):
        m = re.match(r"^nmi: backtrace of cpu(\d+)", t)
        if not m:
            continue
        seen.append(int(m.group(1)))
        # the block runs to the line before the next "nmi: " line; all of it from that CPU
        j = i + 1
        while j < len(lines) and (lines[j][2].startswith("  ")):
            assert lines[j][1] == cpu, f"cpu{lines[j][1]} printed inside cpu{cpu}'s backtrace"
            j += 1
        assert j > i + 1, "an empty backtrace block"
    assert sorted(seen) == [0, 1, 2, 3]


def test_irq_table(vm):
    b = vm(cmdline="test=irq_devices_arrive_on_their_cpu irq.table", smp=2)
    assert b.find(r"^irqs: vec +source +cpu0 +cpu1"), b.summary()
    assert b.find(r"^irqs: 0xe0 local timer")


def test_com1_route_flip_keeps_bytes(vm):
    """The host streams numbered bytes into COM1 while the kernel flips COM1's route between
    the CPUs as fast as it can: every byte must come out once and in order (issue 11, item 7)."""
    b = vm(cmdline="test=irq_com1_route_flip_keeps_bytes", smp=4, machine="q35",
           serial_input=[(FLIP_PROMPT, FLIP_PATTERN)])
    k = b.ktap()
    assert b.rc == qemu.EXIT_PASS and k.passed, k.describe()
    assert [t.name for t in k.tests if not t.skipped] == ["irq_com1_route_flip_keeps_bytes"], k.describe()
    m = b.find(rf"^# {FLIP_BYTES} bytes, 0 breaks in their order, while COM1's route moved (\d+) times "
               r"over 4 cpus")
    assert m and int(m.group(1)) > 100, b.summary()
