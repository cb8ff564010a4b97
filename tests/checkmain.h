/**
 * @file
 * What every Check program's main() does, written once.
 */
#ifndef CHECKMAIN_H
#define CHECKMAIN_H

#include <check.h>

/**
 * Runs every test of @p s (Check's default: each in a child process) and
 * frees it.
 * @return main()'s result: EXIT_SUCCESS when every test passed
 */
int checkmain_run(Suite *s);

#endif /* CHECKMAIN_H */
