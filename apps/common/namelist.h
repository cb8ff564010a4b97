/**
 * @file
 * The names a module lists one by one (ikcp_profile_name(), ikcp_cc_name()),
 * as one ", "-separated line for usage texts and error messages, so that a
 * program's help never keeps its own copy of a list the module owns.
 */
#ifndef NAMELIST_H
#define NAMELIST_H

#include <stddef.h>

/**
 * Writes name_of(0), name_of(1), ... up to the first NULL into buf, ", "
 * between them, cut to fit size bytes (always terminated when size > 0).
 * @param name_of the module's lister: the name of entry i, NULL past the last
 * @return buf
 */
const char *namelist_join(const char *(*name_of)(int), char *buf, size_t size);

#endif /* NAMELIST_H */
