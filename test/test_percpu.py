"""The per-CPU design (issue 3): GS and the canary, the stack each trap runs on, the IRQ stack,
page rights, and the #DF report for a kernel stack overflow.  The in-kernel checks are KTAP
tests; these boot them on each machine and CPU model and assert on the reports."""

import pytest

import qemu

MACHINES = ["pc", "q35"]
CPUS = ["qemu64", "max"]


@pytest.mark.parametrize("machine", MACHINES)
@pytest.mark.parametrize("cpu", CPUS)
def test_ktap_all_pass(vm, machine, cpu):
    b = vm(cmdline="test=all", machine=machine, cpu=cpu)
    k = b.ktap()
    assert b.rc == qemu.EXIT_PASS, b.summary()
    assert k.passed and not k.problems, k.describe()
    names = {t.name for t in k.tests}
    for must in ("percpu_gs_self", "canary_at_gs40", "trap_bp_returns", "trap_db_single_step_ist3",
                 "irq_stack_nesting", "irq_stack_hardware_ipi", "extable_fixup_read",
                 "paging_section_rights", "idt_gates"):
        assert must in names, f"{must} did not run"


@pytest.mark.parametrize("cpu,expect", [("qemu64", "off"), ("max", "on")])
def test_protections_follow_cpuid(vm, cpu, expect):
    b = vm(cmdline="poweroff", cpu=cpu)
    m = b.find(r"^cpu: protections: NX on, WP on, SMEP (\w+).*SMAP (\w+).*UMIP (\w+)")
    assert m, b.summary()
    assert (m.group(1), m.group(2), m.group(3)) == (expect,) * 3


def test_stack_overflow_is_a_double_fault_on_ist1(vm):
    b = vm(cmdline="test=fault:overflow")
    assert b.rc == qemu.EXIT_PANIC, b.summary()
    report = b.panic_report()
    assert report, b.summary()
    head = report[0]
    assert head.startswith("PANIC: cpu0: #DF double fault"), head
    assert "kernel stack overflow on cpu0" in head and "guard page" in head
    assert any("the handler ran on the #DF stack of cpu0" in l for l in report), report
    assert any("fault_recurse" in l for l in report if l.strip().startswith("#"))
    assert not b.find("Triple fault")


@pytest.mark.parametrize("fault,cause", [
    ("rodata", r"#PF page fault at 0xffffffff8[0-9a-f]+: write to a present page \(protection violation\) in kernel mode \(error code 0x3\)"),
    ("nx", r"#PF page fault at 0xffffffff8[0-9a-f]+: instruction fetch from a present page \(protection violation\) in kernel mode \(error code 0x11\)"),
    ("null", r"#PF page fault at 0x0000000000000000: read from a not-present page in kernel mode \(error code 0x0\)"),
])
def test_page_fault_causes(vm, fault, cause):
    b = vm(cmdline=f"test=fault:{fault}")
    assert b.rc == qemu.EXIT_PANIC, b.summary()
    report = b.panic_report()
    assert report and b.find(r"^PANIC: cpu0: " + cause), report


@pytest.mark.parametrize("fault,stack", [("bp", "boot"), ("db", "#DB")])
def test_bp_and_db_report_and_return(vm, fault, stack):
    b = vm(cmdline=f"test=fault:{fault}")
    assert b.rc == qemu.EXIT_PASS, b.summary()
    assert b.find(rf"^trap: #(BP|DB) .* on cpu0, handled on the {stack} stack of cpu0; continuing")
    assert b.find(rf"^test: fault:{fault} was handled; the kernel goes on")
    assert b.panic_report() is None


def test_host_nmi_runs_on_nmi_stack_and_kernel_goes_on(vm):
    """QMP inject-nmi reaches the CPU through LINT1 (set from the MADT); twice, to see that the
    kernel went on after the first."""
    b = vm(smp=1,
           on_match=[(r"^cadre: ready", lambda q: q.cmd("inject-nmi")),
                     (r"^nmi: cpu0 took NMI 1 ", lambda q: q.cmd("inject-nmi"))],
           until=r"^nmi: cpu0 took NMI 2 ")
    assert not b.timed_out, b.summary()
    for n in (1, 2):
        assert b.find(rf"^nmi: cpu0 took NMI {n} on the NMI stack of cpu0: external \(port 0x61 "), b.summary()
