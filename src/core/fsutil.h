/*
 * fsutil.h -- small file-system helpers.
 *
 * fs_write_atomic writes to a temporary file in the same directory, fsyncs
 * it, renames it over the target and fsyncs the directory, so a reader
 * sees either the old or the new file and an acknowledged write survives a
 * crash. Thread-safe (no shared state).
 */
#ifndef MID_FSUTIL_H
#define MID_FSUTIL_H

#include <stddef.h>
#include <sys/types.h>

#include "err.h"

/* mkdir -p with the given mode for created directories. */
int fs_mkdirs(const char *path, mode_t mode, mident_error *err);
int fs_write_atomic(const char *path, const void *data, size_t len,
                    mode_t mode, mident_error *err);
/* Reads a whole file (at most max bytes) into a malloc'd NUL-terminated
 * buffer. ENOTFOUND if it does not exist. */
char *fs_read_all(const char *path, size_t max, size_t *len, mident_error *err);
int fs_exists(const char *path);
/* "$HOME/.mident" into out. */
int fs_default_data_dir(char *out, size_t n, mident_error *err);

#endif
