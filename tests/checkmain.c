/**
 * @file
 * What every Check program's main() does, written once (see checkmain.h).
 */
#include "checkmain.h"

#include <stdlib.h>

int
checkmain_run(Suite *s)
{
  SRunner *sr = srunner_create(s);
  int failed;

  srunner_run_all(sr, CK_NORMAL);
  failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
