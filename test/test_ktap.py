"""In-kernel tests as KTAP (test=all, test=a,b): the run, and the harness's KTAP parser."""

import pytest

import qemu


# The in-kernel serial_receive_irq test waits up to 10 s for the host to type "cadre" on
# COM1 (and skips if nothing comes); answering at once saves that time.  If the prompt
# changes, nothing is sent and the test only skips.
SERIAL_PROMPT = (r"^serial: waiting .* for the host to send 'cadre'", b"cadre")


# QEMU's edu (MSI) and virtio-rng-pci (MSI-X): with them test=all runs the pci_* and msi_*
# tests in full (test_msi.py runs them without the devices too).
DEVICES = ["-device", "edu", "-device", "virtio-rng-pci"]


# Under SeaBIOS on both machines; under OVMF (q35, the machine OVMF is made for) at 1, 4, 64 and
# 255 CPUs: the UEFI boot differs in its memory map, tags and trampoline page (docs/boot.md).
@pytest.mark.parametrize("machine,firmware,smp", [
    ("pc", "bios", 1), ("q35", "bios", 1),
    ("q35", "uefi", 1), ("q35", "uefi", 4), ("q35", "uefi", 64), ("q35", "uefi", 255),
])
def test_ktap_all_pass(vm, machine, firmware, smp):
    # test=all itself runs for a minute or more on a loaded host (bounded waits add up): two
    # more minutes than the boot's default, still a bound for a kernel that hangs.
    b = vm(machine=machine, cmdline="test=all", serial_input=[SERIAL_PROMPT], firmware=firmware, smp=smp, extra_args=DEVICES,
           mem="256M" if smp > 16 else "128M", timeout=qemu.default_timeout(smp, "tcg", firmware) + 120)
    k = b.ktap()
    assert k.version == 1, b.summary()
    assert k.plan is not None, b.summary()
    assert [t.number for t in k.tests] == list(range(1, k.plan + 1)), k.describe()
    assert k.problems == [], k.describe()
    assert k.failed == [], k.describe()
    assert k.summary == (k.plan, 0), k.describe()
    assert b.rc == qemu.EXIT_PASS, b.summary()
    assert b.texts()[-1] == f"# cadre tests: {k.plan} run, 0 failed"
    assert b.index(r"^cadre: ready") < b.index(r"^KTAP version 1$")
    # The devices are there: no test skips for want of them (one CPU still skips the moves).
    assert not [t.name for t in k.tests if t.skipped and "device" in t.directive], k.describe()


def test_ktap_no_such_test_fails(vm):
    """The negative check: an unknown test is `not ok` and the run ends with status 35."""
    b = vm(cmdline="test=no_such_test")
    assert b.rc == qemu.EXIT_FAIL, b.summary()
    assert b.find(r"^not ok 1 no_such_test # no such test$"), b.summary()
    k = b.ktap()
    assert (k.version, k.plan, k.problems) == (1, 1, []), k.describe()
    assert k.tests == [qemu.KtapTest(False, 1, "no_such_test", "no such test", [])]
    assert k.summary == (1, 1)
    assert not k.passed


def test_ktap_selection_list(vm):
    b = vm(cmdline="test=nope_a,nope_b")
    assert b.rc == qemu.EXIT_FAIL, b.summary()
    k = b.ktap()
    assert k.plan == 2 and k.problems == [], k.describe()
    assert [(t.ok, t.number, t.name) for t in k.tests] == [(False, 1, "nope_a"), (False, 2, "nope_b")]


# ----------------------------------------------------------------------------------------------
# The parser, on made-up logs (no QEMU).

def make_boot(*texts: str) -> qemu.Boot:
    log = "\x1b[H  Booting `cadre'\n\n" + "".join(
        f"[00000.{i:06d}] cpu0: {t}\n" for i, t in enumerate(texts))
    return qemu.Boot(log=log, rc=qemu.EXIT_PASS)


def test_parser_good_run():
    k = make_boot("cadre: ready: 1 cpus online", "KTAP version 1", "1..3",
                  "ok 1 alpha", "# beta.c:12: expectation failed: x == 1", "not ok 2 beta",
                  "  KTAP version 1", "  1..1", "  not ok 1 nested", "ok 3 gamma # SKIP no HPET",
                  "# cadre tests: 3 run, 1 failed").ktap()
    assert (k.version, k.plan, k.problems, k.summary) == (1, 3, [], (3, 1))
    assert [(t.ok, t.number, t.name) for t in k.tests] == [(True, 1, "alpha"), (False, 2, "beta"),
                                                           (True, 3, "gamma")]
    assert k.tests[1].diagnostics == ["beta.c:12: expectation failed: x == 1"]
    assert k.tests[2].directive == "SKIP no HPET" and k.tests[2].skipped
    assert k.failed == [k.tests[1]] and not k.passed


@pytest.mark.parametrize("texts,problem", [
    (["ok 1 a"], "no 'KTAP version' line"),
    (["KTAP version 1", "ok 1 a"], "no plan line"),
    (["KTAP version 1", "1..2", "ok 1 a"], "1 results for a plan of 2"),
    (["KTAP version 1", "1..2", "ok 1 a", "ok 3 b"], "result number 3 where 2 was expected"),
    (["KTAP version 1", "1..1", "ok 1 a", "# cadre tests: 1 run, 1 failed"], "summary says"),
    (["KTAP version 1", "1..1", "ok 1 a", "1..1"], "second plan line"),
])
def test_parser_finds_problems(texts, problem):
    k = make_boot(*texts).ktap()
    assert any(problem in p for p in k.problems), k.problems
    assert not k.passed


def test_panic_report_parser():
    b = make_boot("cadre: ready: 1 cpus online", "PANIC: cpu0: #UD invalid opcode at x",
                  "  RIP 0008:...", "PANIC: cpu0: end of report; halting", "after")
    assert b.panic_report() == ["PANIC: cpu0: #UD invalid opcode at x", "  RIP 0008:...",
                                "PANIC: cpu0: end of report; halting"]
    assert make_boot("cadre: ready: 1 cpus online").panic_report() is None
    assert make_boot("PANIC: cpu0: x", "  y").panic_report() == ["PANIC: cpu0: x", "  y"]
