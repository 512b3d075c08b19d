"""KTAP skip reasons are printed whole (issue 11): a reason longer than 127 bytes was cut
mid-word by ktest.c's buffer.  ktest_long_skip_reason_whole (src/ktest/ktest_tests.c) always
skips, with a reason of about 190 characters."""

import qemu

REASON = (r"this reason is long on purpose: a skip reason says why a test could not check what it names, "
          r"and cutting it mid-word hides the why; the runner keeps up to a console line of it; end")


def test_long_skip_reason_is_whole(vm):
    b = vm(cmdline="test=ktest_long_skip_reason_whole", machine="q35")
    assert b.rc == qemu.EXIT_PASS, b.summary()
    k = b.ktap()
    assert k.problems == [] and len(k.tests) == 1, k.describe()
    assert k.tests[0].skipped, k.describe()
    assert b.find(rf"^ok 1 ktest_long_skip_reason_whole # SKIP {REASON}$"), b.summary()
    assert not b.find(r"skip reason of \d+ characters cut"), b.summary()
