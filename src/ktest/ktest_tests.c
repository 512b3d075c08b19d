/* Tests of the test runner itself. */
#include "ktest/ktest.h"

/* A skip reason as long as a console line allows must come out whole, not cut at a buffer's
 * size mid-word (test/test_ktap_skip.py reads it back). */
KTEST(ktest_long_skip_reason_whole)
{
    ktest_skip(
        "this reason is long on purpose: a skip reason says why a test could not check what it "
        "names, "
        "and cutting it mid-word hides the why; the runner keeps up to a console line of it; end");
}
