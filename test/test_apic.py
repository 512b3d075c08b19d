"""ACPI and the local APIC (issue 4): the MADT summary matches what QEMU was told, the TSC and
timer are calibrated, IPIs, NMI IPIs, TPR and the error handler work (KTAP), in both APIC modes."""

import functools
import re
import subprocess

import pytest

import qemu


def acpi_cpus(b):
    return [(int(m.group(1), 16), int(m.group(2)), m.group(3))
            for m in b.findall(r"^acpi: MADT: cpu apic (0x[0-9a-f]+) uid (\d+) (\w[\w -]*)$")]


@pytest.mark.parametrize("machine", ["pc", "q35"])
@pytest.mark.parametrize("smp,total,enabled,apic_ids", [
    ("1", 1, 1, [0]),
    ("4", 4, 4, [0, 1, 2, 3]),
    ("4,maxcpus=8", 8, 4, [0, 1, 2, 3, 4, 5, 6, 7]),
    ("6,sockets=2,cores=3", 6, 6, [0, 1, 2, 4, 5, 6]),
])
def test_madt_matches_qemu(vm, machine, smp, total, enabled, apic_ids):
    b = vm(cmdline="poweroff acpi.verbose", smp=smp, machine=machine)
    assert b.find(rf"^acpi: MADT: {total} cpus \({enabled} enabled\), lapic 0xfee00000"), b.summary()
    cpus = acpi_cpus(b)
    assert [c[0] for c in cpus] == apic_ids
    assert sum(1 for c in cpus if c[2] == "enabled") == enabled
    assert b.find(r"^acpi: MADT: ioapic id 0 at 0xfec00000 gsi base 0")
    assert b.find(r"^acpi: MADT: override irq 0 -> gsi 2 \(edge, high\)")
    assert b.find(r"^acpi: MADT: lapic nmi uid 0xff \(all\) lint1")
    assert not b.find(r"^acpi: .*(problem|warning)"), b.summary()


STAGES_RE = (r"^cadre: boot stages in us since entry: first_line=(\d+) clocks=(\d+) smp_start=(\d+) "
             r"aps_online=(\d+) ready=(\d+)$")


def test_tsc_and_timer_calibrated(vm):
    """Under TCG no CPUID leaf states the TSC's rate: the PIT gives a provisional one, the HPET
    the rate; the periodic timer is measured against the TSC; the stages line is in order (the
    values are timings and are not judged)."""
    b = vm(cmdline="poweroff")
    first = b.find(r"^cadre: booting on cpu0; tsc (\d+)\.\d+ MHz \(PIT, provisional\)$")
    assert first and 100 <= int(first.group(1)) <= 10000, b.summary()
    m = b.find(r"^tsc: (\d+)\.(\d+) MHz measured against the (HPET|ACPI PM timer): median of \d+ windows "
               r"of \d+ us, spread \d+ ppm, reads within \d+ ns "
               r"\(provisional [\d.]+ MHz from the PIT, provisional\)$")
    assert m, b.summary()
    assert 100 <= int(m.group(1)) <= 10000
    t = b.find(r"^apic: timer (\d+)\.\d+ MHz \(divide by 16, measured against the TSC over \d+ us\), "
               r"tick 100 Hz in periodic mode; 1 Hz on an idle cpu$")
    assert t and int(t.group(1)) > 0, b.summary()
    st = b.find(STAGES_RE)
    assert st, b.summary()
    stages = [int(x) for x in st.groups()]
    assert stages == sorted(stages), f"stages out of order: {st.group(0)}"
    assert b.index(r"^cadre: ready: ") < b.index(STAGES_RE)


# Under this machine's KVM: what CPUID offers for the TSC (here nothing, so the HPET measures
# it; with vmware-cpuid-freq QEMU fills in the hypervisor's timing leaf), and the timer in
# both modes; the accuracy tests decide.
@pytest.mark.kvm
@pytest.mark.parametrize("cmdline,cpu,source", [
    ("", None, r"(HPET|CPUID 0x15|CPUID 0x15 and 0x16)"),
    ("timer.mode=periodic", None, r"(HPET|CPUID 0x15|CPUID 0x15 and 0x16)"),
    ("", qemu.KVM_CPU + ",+invtsc,vmware-cpuid-freq=on", r"(CPUID 0x40000010)"),
])
def test_clocks_under_kvm(vm, cmdline, cpu, source):
    b = vm(cmdline=f"test=tsc_rate_against_hpet,apic_timer_rate {cmdline}", accel="kvm", cpu=cpu, smp=2)
    assert b.find(rf"^tsc: [\d.]+ MHz (measured against the|stated by) {source}"), b.summary()
    k = b.ktap()
    assert b.rc == qemu.EXIT_PASS and k.passed, k.describe()
    for name in ("tsc_rate_against_hpet", "apic_timer_rate"):
        assert any(t.name == name and not t.skipped for t in k.tests), f"{name} did not run: {k.describe()}"


X2APIC_CPU = "qemu64,+x2apic"
APIC_TESTS = ("apic_self_ipi_by_destination", "apic_nmi_ipi_self_on_nmi_stack", "apic_timer_rate",
              "apic_timer_idle_tick", "apic_tpr_holds_lower_classes", "apic_error_handler_reports")


@functools.cache
def tcg_x2apic_missing() -> str | None:
    """None if this QEMU's TCG gives a CPU x2APIC, else QEMU's words for why not.

    QEMU 7.2's TCG has no x2APIC (8.1 added it): it drops `+x2apic` with a warning.  With
    `enforce` QEMU refuses to start instead, which -S and a QMP `quit` make a sub-second probe
    that runs no guest code."""
    qmp = '{"execute": "qmp_capabilities"}\n{"execute": "quit"}\n'
    p = subprocess.run([qemu.QEMU, "-M", "q35", "-accel", "tcg", "-cpu", X2APIC_CPU + ",enforce", "-S",
                        "-display", "none", "-nodefaults", "-qmp", "stdio"],
                       input=qmp, capture_output=True, text=True, timeout=60)
    if p.returncode == 0:
        return None
    return p.stderr.strip().splitlines()[0] if p.stderr.strip() else f"QEMU exited with {p.returncode}"


@pytest.mark.parametrize("cmdline,cpu,mode", [
    ("", X2APIC_CPU, "x2APIC"),             # x2APIC where the CPU has it: the default
    ("apic=xapic", X2APIC_CPU, "xAPIC"),    # the option forces xAPIC on the same CPU
    ("", "qemu64", "xAPIC"),                # a CPU without x2APIC
])
def test_apic_tests_pass_in_each_mode(vm, cmdline, cpu, mode):
    if cpu == X2APIC_CPU and tcg_x2apic_missing():
        pytest.skip(f"this QEMU's TCG has no x2APIC ({tcg_x2apic_missing()}); "
                    "test_apic_modes_under_kvm runs both modes where /dev/kvm is usable")
    b = vm(cmdline=f"test=all {cmdline}", cpu=cpu, smp=2)  # an AP for apic_timer_idle_tick
    has = "has no" if cpu == "qemu64" else "has"
    assert b.find(rf"^apic: local APIC in {mode} mode \(the CPU {has} x2APIC\)$"), b.summary()
    k = b.ktap()
    assert b.rc == qemu.EXIT_PASS and k.passed, k.describe()
    # A reserved register #GPs in x2APIC mode, so that test is for xAPIC only (it skips there).
    must = APIC_TESTS + (("apic_error_on_illegal_register",) if mode == "xAPIC" else ())
    for name in must:
        assert any(t.name == name and not t.skipped for t in k.tests), f"{name} did not pass"


@pytest.mark.kvm
@pytest.mark.parametrize("cmdline,mode", [("", "x2APIC"), ("apic=xapic", "xAPIC")])
def test_apic_modes_under_kvm(vm, cmdline, mode):
    # The apic_* tests and rdmsr_safe (an unknown MSR #GPs under KVM, unlike TCG), not all:
    # this machine's paravirtual KVM (kvm_pvm) cannot emulate `int3` in ring 0 ("KVM internal
    # error"), which the trap tests use (docs/testing.md).
    b = vm(cmdline=f"test=apic_*,rdmsr_safe_missing_msr {cmdline}", accel="kvm", smp=2)
    assert b.find(rf"^apic: local APIC in {mode} mode"), b.summary()
    k = b.ktap()
    assert b.rc == qemu.EXIT_PASS and k.passed, k.describe()
    assert any(t.name == "rdmsr_safe_missing_msr" and not t.skipped for t in k.tests), k.describe()


@pytest.mark.parametrize("firmware,machine", [("bios", "pc"), ("uefi", "q35")])
def test_poweroff_uses_acpi_s5(vm, firmware, machine):
    b = vm(cmdline="poweroff", firmware=firmware, machine=machine)
    assert b.find(r"^cadre: ACPI S5 \(SLP_TYP \d+/\d+\)"), b.summary()
    assert b.rc == 0, b.summary()
