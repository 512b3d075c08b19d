"""pytest glue for cadre's boot tests.

* The `vm` fixture: `vm(**kwargs)` is qemu.boot(name=<this test's id>, **kwargs) and records the
  Boot.  When the test fails, its report gets one section per recorded boot with the QEMU
  command, the status and the last 300 lines of the serial log (plus where the whole log is,
  under build/test-logs/).
* Tests marked `kvm` (registered in pytest.ini) need /dev/kvm opened read-write; they are
  skipped, with the reason, where it cannot be.  `make test` deselects them from its TCG run
  and runs them afterwards where /dev/kvm is usable; `make test-kvm` runs only them.
"""

import errno
import os
import re

import pytest

import qemu

BOOTS = pytest.StashKey[list]()
LOG_TAIL = 300


def _boot_name(nodeid: str) -> str:
    # test/test_faults.py::test_fault_report[pf] -> test_faults-test_fault_report-pf
    name = nodeid.split("/")[-1].replace(".py::", "-").replace("::", "-")
    name = name.replace("[", "-").replace("]", "")
    return re.sub(r"[^A-Za-z0-9._-]+", "_", name)[:120]


@pytest.fixture
def vm(request):
    boots = request.node.stash.setdefault(BOOTS, [])
    name = _boot_name(request.node.nodeid)

    def run(**kwargs):
        kwargs.setdefault("name", name)
        try:
            b = qemu.boot(**kwargs)
        except BaseException as e:
            partial = getattr(e, "boot", None)
            if partial is not None:
                boots.append(partial)
            raise
        boots.append(b)
        return b

    return run


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    rep = outcome.get_result()
    if not rep.failed:
        return
    boots = item.stash.get(BOOTS, [])
    for i, b in enumerate(boots, 1):
        rep.sections.append((f"cadre boot {i} of {len(boots)}: {b.name}", b.describe(tail=LOG_TAIL)))


# A lockup report in a boot that injected none is a false report (docs/watchdog.md): every test
# that boots through `vm` fails for it.  Cheap: one search over lines already in memory.
LOCKUP_INJECTED = re.compile(r"fault:(hardlockup|softlockup|lockup_all)")


@pytest.fixture(autouse=True)
def no_false_lockup_report(request):
    yield
    for b in request.node.stash.get(BOOTS, []):
        if LOCKUP_INJECTED.search(b.cmdline or ""):
            continue
        m = b.find(r"^watchdog: (hard|soft) lockup on cpu\d+")
        if m:
            pytest.fail(f"false lockup report in boot {b.name} (no lockup was injected): "
                        f"{m.group(0)!r}; log {b.log_path}", pytrace=False)


def kvm_unusable_reason() -> str | None:
    """None if /dev/kvm can be opened read-write, else why not (tools/kvm-usable.sh says the same)."""
    if not os.path.exists("/dev/kvm"):
        return "/dev/kvm does not exist (no KVM on this host, or the kvm module is not loaded)"
    try:
        os.close(os.open("/dev/kvm", os.O_RDWR | os.O_CLOEXEC))
    except OSError as e:
        if e.errno in (errno.EACCES, errno.EPERM):
            return "/dev/kvm is not readable and writable by this user (add it to the kvm group)"
        return f"/dev/kvm cannot be opened: {e.strerror}"
    return None


def pytest_runtest_setup(item):
    if item.get_closest_marker("kvm") is not None:
        reason = kvm_unusable_reason()
        if reason:
            pytest.skip(f"needs KVM: {reason}")
