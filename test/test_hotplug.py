"""CPU hotplug (issue 17, docs/smp.md "CPUs going offline and back").  The KTAP tests in
src/smp/hotplug_tests.c take CPUs offline and back 200 times while the PIT, COM1, the RTC and
edu's MSI fire at them; these boots run them at -smp 2 and 8 under TCG, every CPU but 0 at 64,
under KVM in x2APIC mode, with NMIs injected from the host during the transitions, send the
numbered COM1 bytes, drive the console commands, and check a panic while a CPU is offline."""

import re
import threading
import time

import pytest

import qemu

COM1_BYTES = 20000  # COM1_BYTES in src/smp/hotplug_tests.c
COM1_PROMPT = rf"^hotplug: send {COM1_BYTES} numbered bytes now$"
COM1_PATTERN = bytes(i & 0xff for i in range(COM1_BYTES))
CYCLES = "test=hotplug_cycle_one_cpu,hotplug_cycle_cpus_in_turn"
# The cycle tests' length and the host's COM1 stream, which test=all runs without (short).
OPTS = "hotplug.cycles=200 hotplug.com1=1"


def com1_input(n=2):
    """The bytes for each of the n tests that ask for them (each prompt gets its own copy)."""
    return [(COM1_PROMPT, COM1_PATTERN)] * n


def passed(b, *names):
    k = b.ktap()
    assert b.rc == qemu.EXIT_PASS and k.passed, k.describe()
    ok = {t.name for t in k.tests if not t.skipped}
    for n in names:
        assert n in ok, f"{n} did not pass: {k.describe()}"
    return k


@pytest.mark.parametrize("smp", [2, 8])
def test_hotplug_cycles_under_load(vm, smp):
    """200 offline/online cycles of one CPU and of every AP in turn, with the devices held in the
    leaving CPU's IRR by its TPR: every edu interrupt counted once, every COM1 byte once and in
    order, nothing taken by an offline CPU."""
    b = vm(cmdline=f"{CYCLES},hotplug_refuses_misuse,hotplug_all_but_cpu0,hotplug_idle_work_never_lost {OPTS}",
           smp=smp, machine="q35", extra_args=["-device", "edu"], serial_input=com1_input(),
           serial_in_order=True, timeout=240)
    passed(b, "hotplug_cycle_one_cpu", "hotplug_cycle_cpus_in_turn", "hotplug_refuses_misuse",
           "hotplug_all_but_cpu0", *(("hotplug_idle_work_never_lost",) if smp >= 3 else ()))
    assert b.find(r"^# 200 cycles: \d+ edu interrupts, \d+ PIT, \d+ RTC, 20000 COM1 bytes")
    assert not b.find(r"hotplug: warning|no handler on cpu|did not start|did not finish"), b.summary()


def test_hotplug_all_but_cpu0_at_64(vm):
    """Every CPU but 0 offline and back at -smp 64 (63 parks and 63 INIT-SIPI-SIPIs)."""
    b = vm(cmdline="test=hotplug_all_but_cpu0,hotplug_idle_work_never_lost", smp=64, machine="q35",
           extra_args=["-device", "edu"], timeout=300)
    passed(b, "hotplug_all_but_cpu0", "hotplug_idle_work_never_lost")
    assert b.find(r"^# 63 cpus offline and back")


def test_hotplug_with_host_nmis(vm):
    """inject-nmi from the host, every 20 ms, all through the cycles: CPUs going offline,
    parked (LINT1 masked by INIT, so it never gets them), starting and online."""
    stop = threading.Event()
    sent = []

    def storm(q):
        def run():
            while not stop.is_set():
                try:
                    q.cmd("inject-nmi")
                    sent.append(1)
                except Exception:  # QEMU gone: the boot is over
                    return
                time.sleep(0.02)
        threading.Thread(target=run, daemon=True).start()

    try:
        b = vm(cmdline=f"test=hotplug_cycle_cpus_in_turn {OPTS}", smp=4, machine="q35",
               extra_args=["-device", "edu"], serial_input=com1_input(1),
               on_match=[(r"^hotplug: send", storm)], timeout=240)
    finally:
        stop.set()
    passed(b, "hotplug_cycle_cpus_in_turn")
    assert len(sent) >= 10, f"only {len(sent)} NMIs injected"
    assert b.find(r"^nmi: cpu\d+ took NMI \d+ .*external"), "no injected NMI arrived"
    assert not b.find(r"^PANIC"), b.summary()


def test_console_cpu_offline_and_online(vm):
    """The console's `cpu offline N`, `cpu online N`, `cpus`, `irqs`, and every misuse line."""
    script = ["cpu offline 3", "cpus", "irqs", "ipi 3", "cpu offline 3", "cpu offline 0",
              "cpu offline 9", "cpu online 2", "cpu", "cpu online x", "cpu online 3", "cpus",
              "ipi 3", "echo done"]
    inputs = [(r"^console: ready", (script[0] + "\n").encode())]
    inputs += [(r"^console: > " + re.escape(prev) + "$", (cmd + "\n").encode())
               for prev, cmd in zip(script, script[1:])]
    b = vm(cmdline="irq.affinity=4:3,8:3", smp=4, machine="q35", extra_args=["-device", "edu"],
           serial_input=inputs, serial_in_order=True, until=r"^echo: done$")
    assert b.find(r"^hotplug: cpu 3 offline in \d+ us: [1-9]\d* routes and MSI vectors moved; "
                  r"3 of 4 cpus online$"), b.summary()
    assert b.find(r"^cpus:    3     3 offline ")
    assert b.find(r"^irqs: 1 of 4 cpus are not online and have no column$")
    assert b.find(r"^console: '3' is not an online cpu")
    assert b.find(r"^hotplug: cpu 3 is offline, not online; nothing to take offline$")
    assert b.find(r"^hotplug: cpu 0 is the boot cpu and stays online")
    assert b.find(r"^hotplug: cpu 9: no such cpu \(this machine has cpus 0-3\)$")
    assert b.find(r"^hotplug: cpu 2 is online; only an offline or failed cpu can be brought online$")
    assert b.find(r"^console: usage: cpu offline N \| cpu online N$")
    assert b.find(r"^console: 'x' is not a cpu number")
    assert b.find(r"^hotplug: cpu 3 online in \d+ us: [1-9]\d* routes and MSI vectors moved back; "
                  r"4 of 4 cpus online; IPI shorthands on$"), b.summary()
    assert b.find(r"^cpus:    3     3 online ")
    assert b.find(r"^ipi: cpu3 ran a call from cpu0$")


@pytest.mark.parametrize("fault", ["panic_offline", "panic_starting"])
def test_panic_while_a_cpu_is_offline(vm, fault):
    """A panic while one CPU is offline (and, for panic_starting, another coming up): the report
    is whole, the stop line counts only the online CPUs, and no offline CPU is named as one that
    did not answer."""
    b = vm(cmdline=f"test=fault:{fault}", smp=4, machine="q35")
    assert b.rc == qemu.EXIT_PANIC, b.summary()
    report = b.panic_report()
    assert report and re.search(r"end of report", report[-1]), b.summary()
    m = b.find(r"^panic: cpu0 stopped (\d+) of (\d+) other cpus with an NMI$")
    assert m and m.group(1) == m.group(2), b.summary()
    # 4 cpus, 2 offline (panic_offline); for panic_starting one of them may be online again by
    # the time the stop is sent (then it is stopped too), or still starting (then not sent)
    assert int(m.group(2)) == 1 if fault == "panic_offline" else int(m.group(2)) in (1, 2), b.summary()
    assert b.find(r"^panic: not sent: [12] offline cpus \(parked by INIT\)"), b.summary()
    assert not b.find(r"did not answer|not stopped within"), b.summary()


@pytest.mark.kvm
def test_hotplug_under_kvm_x2apic(vm):
    """The cycles under KVM in x2APIC mode (intel-iommu with eim, as test_smp's 288-CPU boot):
    INIT leaves x2APIC mode on (IA32_APIC_BASE is not reset by INIT), and the AP comes back in it."""
    b = vm(cmdline=f"{CYCLES},hotplug_all_but_cpu0 {OPTS}", smp=4, accel="kvm",
           machine="q35,accel=kvm,kernel-irqchip=split", serial_input=com1_input(),
           serial_in_order=True, timeout=400,
           extra_args=["-device", "intel-iommu,intremap=on,eim=on", "-device", "edu"])
    assert b.find(r"^apic: local APIC in x2APIC mode"), b.summary()
    passed(b, "hotplug_cycle_one_cpu", "hotplug_cycle_cpus_in_turn", "hotplug_all_but_cpu0")
