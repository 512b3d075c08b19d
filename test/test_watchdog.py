"""The lockup watchdog (issue 16, docs/watchdog.md): each injected lockup
(test=fault:hardlockup@CPU, softlockup@CPU, lockup_all) is reported once, naming the right CPU,
with the spinning function in that CPU's own backtrace; then the end of the episode.  The
thresholds are shortened here (3 s, checks every 500 ms) so that the boots stay short; the
defaults are longer (docs/watchdog.md says why).  No test passes or fails on a time."""

import re

import pytest

import qemu

FAST = "watchdog.period_ms=500"
HARD = f"{FAST} watchdog.hard_ms=3000"
SOFT = f"{FAST} watchdog.soft_ms=3000"
SYM = r"\+0x[0-9a-f]+"


def frames_of(b: qemu.Boot, cpu: int) -> list[str]:
    """The symbols of the backtrace frames that `cpu` printed."""
    out = []
    for _, c, text in b.kernel_lines():
        m = re.match(r"^ +#\d+ +[0-9a-f]{16} (\S+)", text)
        if c == cpu and m:
            out.append(m.group(1))
    return out


def check_hard(b: qemu.Boot, cpu: int) -> None:
    assert b.rc == qemu.EXIT_PASS, b.summary()
    reports = b.findall(r"^watchdog: hard lockup on cpu(\d+) \(stuck for \d+ ms")
    assert [int(m.group(1)) for m in reports] == [cpu], f"want one report, of cpu{cpu}\n{b.summary()}"
    assert b.find(rf"^nmi: backtrace of cpu{cpu} \(apic \d+\), interrupted at [0-9a-f]+ "
                  rf"<fault_hardlockup_spin{SYM}>"), b.summary()
    assert any(f.startswith("fault_hardlockup_spin+") for f in frames_of(b, cpu)), b.summary()
    assert b.index(r"^watchdog: hard lockup on cpu") < \
        b.index(rf"^watchdog: cpu{cpu} recovered from its hard lockup: its timer ticks again"), b.summary()
    assert b.find(rf"^test: hardlockup: cpu{cpu} spun, and 1 lockup report\(s\) named it; "
                  r"the watchdog saw it end"), b.summary()
    assert not b.find(r"^watchdog: soft lockup"), b.summary()


@pytest.mark.parametrize("smp,cpu", [(2, 1), (2, 0), (8, 5)])
def test_hard_lockup_buddy(vm, smp, cpu):
    """A CPU spinning with interrupts off: its buddy (the previous online CPU) sees its tick
    count stand still and NMIs it; the NMI prints its backtrace."""
    b = vm(cmdline=f"test=fault:hardlockup@{cpu} {HARD}", smp=smp, timeout=120)
    check_hard(b, cpu)
    assert b.find(r"seen by the buddy check on cpu"), b.summary()


def check_soft(b: qemu.Boot, cpu: int) -> None:
    assert b.rc == qemu.EXIT_PASS, b.summary()
    reports = b.findall(r"^watchdog: soft lockup on cpu(\d+) \(stuck for \d+ ms")
    assert [int(m.group(1)) for m in reports] == [cpu], f"want one report, of cpu{cpu}\n{b.summary()}"
    assert frames_of(b, cpu) and frames_of(b, cpu)[0].startswith("fault_softlockup_spin+"), b.summary()
    assert b.find(rf"^watchdog: cpu{cpu} soft lockup ended after \d+ ms"), b.summary()
    assert b.find(rf"^test: softlockup: cpu{cpu} spun, and 1 lockup report\(s\) named it"), b.summary()
    assert not b.find(r"^watchdog: hard lockup"), b.summary()


@pytest.mark.parametrize("smp,cpu", [(2, 1), (8, 7)])
def test_soft_lockup(vm, smp, cpu):
    """A CPU spinning with interrupts on: its own tick sees that it has not been back to its
    idle loop or the console, and prints the frame it interrupted."""
    check_soft(vm(cmdline=f"test=fault:softlockup@{cpu} {SOFT}", smp=smp, timeout=120), cpu)


def test_watchdog_raises_the_idle_tick(vm):
    """A period under a second raises timer.idle_hz to one tick a period, on CPUs that were
    already idling at the old rate too (apic_timer_idle_tick checks the idle AP's count)."""
    b = vm(cmdline="test=apic_timer_idle_tick watchdog.period_ms=250", smp=2, timeout=120)
    assert b.find(r"^apic: an idle cpu ticks at 4 Hz now$"), b.summary()
    k = b.ktap()
    assert b.rc == qemu.EXIT_PASS and k.passed, k.describe()
    assert [t.name for t in k.tests if not t.skipped] == ["apic_timer_idle_tick"], k.describe()


def check_lockup_all(b: qemu.Boot, smp: int) -> None:
    assert b.find(r"^watchdog: nmi: source HPET comparator \d+ on GSI \d+, NMI delivery to cpu0"), b.summary()
    assert b.rc == qemu.EXIT_PANIC, b.summary()
    reported = sorted(int(m.group(1)) for m in
                      b.findall(r"^watchdog: hard lockup on cpu(\d+) .*seen by the NMI watchdog on cpu0"))
    assert reported == list(range(smp)), f"every cpu reported once\n{b.summary()}"
    for c in range(1, smp):
        assert b.find(rf"^nmi: backtrace of cpu{c} \(apic \d+\), interrupted at [0-9a-f]+ "
                      rf"<fault_lockup_all_spin{SYM}>"), f"cpu{c}\n{b.summary()}"
    report = b.panic_report()
    assert report and re.match(r"^PANIC: cpu0: watchdog: every cpu is stuck", report[0]), b.summary()
    # cpu0 is the NMI's target: its own frame is the panic report's.
    assert any(re.match(rf"^ +#0 +[0-9a-f]{{16}} fault_lockup_all_spin{SYM}", t) for t in report), b.summary()


@pytest.mark.parametrize("smp", [2, 8])
def test_lockup_all_nmi_watchdog(vm, smp):
    """Every CPU spins with interrupts off: no tick anywhere, so only the NMI watchdog (an HPET
    comparator through the I/O APIC with NMI delivery, q35) sees it, reports each CPU, and
    panics, since no CPU can print any more."""
    b = vm(cmdline=f"test=fault:lockup_all watchdog=all {HARD}", smp=smp, machine="q35", timeout=120)
    check_lockup_all(b, smp)


def test_hard_lockup_64_cpus(vm):
    """At -smp 64: the last CPU, watched by the one before it."""
    b = vm(cmdline=f"test=fault:hardlockup@63 {HARD}", smp=64, timeout=240)
    check_hard(b, 63)


def test_nmi_watchdog_no_source_on_pc(vm):
    """On the PC (piix) the HPET can only drive GSI 2, which the PIT device holds: the NMI
    watchdog says it has no source and the buddy goes on."""
    b = vm(cmdline=f"test=fault:hardlockup@1 watchdog=all {HARD}", smp=2, timeout=120)
    assert b.find(r"^watchdog: nmi: warning: no HPET comparator can interrupt on a free GSI"), b.summary()
    check_hard(b, 1)


def test_watchdog_command_and_options(vm):
    """The console's `watchdog` command prints each CPU's counters; bad options get a line."""
    ticks: dict[int, int] = {}

    def until_all_ticked(line, send):
        # An AP's first tick comes 10 ms after it is online, once the host runs its vCPU thread:
        # the command is asked again until every CPU has ticked, however long the host takes.
        cpu, n = map(int, re.match(r"watchdog: cpu(\d+) ticks (\d+)", line).groups())
        ticks[cpu] = n
        if cpu != 3:
            return False
        done = all(ticks.get(c, 0) > 0 for c in range(4))
        send(b"poweroff\r" if done else b"watchdog\r")
        return done

    b = vm(smp=4, timeout=90, serial_in_order=True,
           cmdline="watchdog=sometimes watchdog.period_ms=5 watchdog.hard_ms=x watchdog.panic=2 "
                   "watchdog.soft_ms=700000",
           serial_input=[(r"^console: ready on COM1", b"watchdog\r"),
                         (r"^watchdog: cpu\d+ ticks", until_all_ticked)])
    for opt, why in (("watchdog=sometimes", "expected watchdog=off, buddy, nmi or all"),
                     ("watchdog.period_ms=5", "expected watchdog.period_ms=10..60000"),
                     ("watchdog.hard_ms=x", "expected watchdog.hard_ms=10..600000"),
                     ("watchdog.panic=2", "expected watchdog.panic=0 or watchdog.panic=1"),
                     ("watchdog.soft_ms=700000", "expected watchdog.soft_ms=0..600000")):
        assert b.find(rf"^cmdline: warning: option '{re.escape(opt)}': {re.escape(why)} \(ignored\)$"), \
            f"{opt}\n{b.summary()}"
    assert b.find(r"^watchdog: buddy, period 1000 ms, hard lockup after 10000 ms \(and 10 checks\), "
                  r"soft lockup after 60000 ms$"), b.summary()
    assert b.find(r"^watchdog: period 1000 ms, hard 10000 ms, soft 60000 ms, panic 0; buddy on; nmi off$"), b.summary()
    for c in range(4):
        # An idle CPU ticks once a period (timer.idle_hz), so at first it has not checked yet.
        # The last table: the one printed once every CPU had ticked.
        ms = b.findall(rf"^watchdog: cpu{c} ticks (\d+); watches cpu{(c + 1) % 4}( \(no check yet\))?: (\d+) checks, "
                       r"the last \d+ ms ago, \d+ without progress; idle/console \d+ ms ago; lockups hard 0 soft 0$")
        assert ms and int(ms[-1].group(1)) > 0, f"cpu{c}\n{b.summary()}"


def test_hard_lockup_panic(vm):
    """watchdog.panic=1: the report, the stuck CPU's backtrace, then a panic."""
    b = vm(cmdline=f"test=fault:hardlockup@1 {HARD} watchdog.panic=1", smp=2, timeout=120)
    assert b.rc == qemu.EXIT_PANIC, b.summary()
    assert b.index(r"^watchdog: hard lockup on cpu1 ") < \
        b.index(r"^nmi: backtrace of cpu1 .*<fault_hardlockup_spin") < \
        b.index(r"^PANIC: cpu0: watchdog: hard lockup on cpu1 \(watchdog.panic=1\)"), b.summary()


@pytest.mark.kvm
@pytest.mark.parametrize("smp", [2, 8, 64])
def test_lockups_under_kvm(vm, smp):
    """Under KVM: a hard lockup of the last CPU reported by the buddy, at -smp 2, 8 and 64."""
    b = vm(cmdline=f"test=fault:hardlockup@{smp - 1} {HARD}", smp=smp, accel="kvm",
           machine="q35,accel=kvm,kernel-irqchip=split", mem="256M", timeout=240)
    check_hard(b, smp - 1)


@pytest.mark.kvm
def test_soft_lockup_under_kvm(vm):
    """Under KVM at -smp 8: a soft lockup of cpu3, seen by its own tick."""
    b = vm(cmdline=f"test=fault:softlockup@3 {SOFT}", smp=8, accel="kvm",
           machine="q35,accel=kvm,kernel-irqchip=split", timeout=240)
    check_soft(b, 3)


@pytest.mark.kvm
def test_lockup_all_under_kvm(vm):
    """Under KVM at -smp 8: every CPU stuck, seen by the HPET NMI watchdog."""
    b = vm(cmdline=f"test=fault:lockup_all watchdog=all {HARD}", smp=8, accel="kvm",
           machine="q35,accel=kvm,kernel-irqchip=split", timeout=240)
    check_lockup_all(b, 8)


def test_slow_console_is_not_a_soft_lockup(vm):
    """A CPU printing a long block through a slow console (as the screen is under this machine's
    KVM) is making progress: no soft-lockup report (KTAP watchdog_slow_console_is_not_a_soft_lockup,
    which checks that the printing outlasted the threshold)."""
    b = vm(cmdline="test=watchdog_slow_console_is_not_a_soft_lockup watchdog.period_ms=100 "
                   "watchdog.soft_ms=400", smp=2, timeout=90)
    assert b.rc == qemu.EXIT_PASS, b.summary()
    k = b.ktap()
    assert [t.name for t in k.tests] == ["watchdog_slow_console_is_not_a_soft_lockup"], k.describe()
    assert k.passed and not k.tests[0].skipped, k.describe()
    assert not b.find(r"^watchdog: soft lockup on cpu"), b.summary()
