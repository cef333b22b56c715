/* SPDX-License-Identifier: MIT */
#pragma once

#include <check.h>
#include <stdlib.h>

/* Runs the suite (reporting as CK_* in the environment says: TAP under
 * meson) and turns its result into the exit status. */
static inline int run_suite(Suite *suite)
{
        SRunner *runner = srunner_create(suite);
        int failed;

        srunner_run_all(runner, CK_ENV);
        failed = srunner_ntests_failed(runner);
        srunner_free(runner);
        return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
