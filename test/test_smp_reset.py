"""What AP bring-up leaves for the BIOS (issue 11, item 10): it sets the CMOS shutdown code to
0AH and the warm-reset vector at 40:67 to the trampoline (MP spec B.4), and must put both back
to a normal reset afterwards, in either mode and when there is no AP to start."""

import pytest

import qemu


@pytest.mark.parametrize("smp,mode", [(2, "parallel"), (2, "serial"), (1, "parallel")])
def test_warm_reset_restored_after_bringup(vm, smp, mode):
    b = vm(cmdline=f"smp.bringup={mode} test=smp_warm_reset_restored", smp=smp, machine="q35")
    k = b.ktap()
    assert k.problems == [], k.describe()
    assert [(t.ok, t.name) for t in k.tests] == [(True, "smp_warm_reset_restored")], k.describe()
    assert b.rc == qemu.EXIT_PASS, b.summary()
    assert b.find(rf"^cadre: ready: {smp} cpus online$"), b.summary()
