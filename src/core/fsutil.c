/* fsutil.c -- see fsutil.h. */
#include "fsutil.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int fs_mkdirs(const char *path, mode_t mode, mident_error *err)
{
    char tmp[4096];
    if (snprintf(tmp, sizeof tmp, "%s", path) >= (int)sizeof tmp)
        return mid_fail(err, MIDENT_EINVAL, "path too long: %s", path);
    for (char *p = tmp + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        if (mkdir(tmp, mode) < 0 && errno != EEXIST)
            return mid_fail(err, MIDENT_EIO, "mkdir %s: %s", tmp, strerror(errno));
        *p = '/';
    }
    if (mkdir(tmp, mode) < 0 && errno != EEXIST)
        return mid_fail(err, MIDENT_EIO, "mkdir %s: %s", tmp, strerror(errno));
    return 0;
}

static int fsync_dir_of(const char *path)
{
    char tmp[4096];
    snprintf(tmp, sizeof tmp, "%s", path);
    int fd = open(dirname(tmp), O_RDONLY | O_DIRECTORY);
    if (fd < 0)
        return -1;
    int rc = fsync(fd);
    close(fd);
    return rc;
}

int fs_write_atomic(const char *path, const void *data, size_t len,
                    mode_t mode, mident_error *err)
{
    char tmp[4096];
    if (snprintf(tmp, sizeof tmp, "%s.tmp.%ld", path, (long)getpid()) >=
        (int)sizeof tmp)
        return mid_fail(err, MIDENT_EINVAL, "path too long: %s", path);
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
    if (fd < 0)
        return mid_fail(err, MIDENT_EIO, "create %s: %s", tmp, strerror(errno));
    fchmod(fd, mode); /* umask must not widen or narrow the mode we chose */
    const char *p = data;
    size_t left = len;
    while (left > 0) {
        ssize_t n = write(fd, p, left);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            int e = errno;
            close(fd);
            unlink(tmp);
            return mid_fail(err, MIDENT_EIO, "write %s: %s", tmp, strerror(e));
        }
        p += n;
        left -= (size_t)n;
    }
    if (fsync(fd) < 0 || close(fd) < 0) {
        unlink(tmp);
        return mid_fail(err, MIDENT_EIO, "fsync %s: %s", tmp, strerror(errno));
    }
    if (rename(tmp, path) < 0) {
        int e = errno;
        unlink(tmp);
        return mid_fail(err, MIDENT_EIO, "rename %s: %s", path, strerror(e));
    }
    if (fsync_dir_of(path) < 0)
        return mid_fail(err, MIDENT_EIO, "fsync directory of %s: %s", path,
                        strerror(errno));
    return 0;
}

char *fs_read_all(const char *path, size_t max, size_t *len, mident_error *err)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        mid_fail(err, errno == ENOENT ? MIDENT_ENOTFOUND : MIDENT_EIO,
                 "open %s: %s", path, strerror(errno));
        return NULL;
    }
    size_t cap = 4096, n = 0;
    char *data = malloc(cap);
    while (data) {
        if (n + 1 >= cap) {
            if (cap >= max + 1) {
                free(data);
                fclose(f);
                mid_fail(err, MIDENT_ETOOBIG, "%s is larger than %zu bytes", path,
                         max);
                return NULL;
            }
            cap *= 2;
            char *p = realloc(data, cap);
            if (!p) {
                free(data);
                data = NULL;
                break;
            }
            data = p;
        }
        size_t r = fread(data + n, 1, cap - n - 1, f);
        if (r == 0)
            break;
        n += r;
    }
    int failed = ferror(f);
    fclose(f);
    if (!data) {
        mid_fail(err, MIDENT_ENOMEM, "out of memory reading %s", path);
        return NULL;
    }
    if (failed || n > max) {
        free(data);
        mid_fail(err, failed ? MIDENT_EIO : MIDENT_ETOOBIG, "read %s failed", path);
        return NULL;
    }
    data[n] = '\0';
    if (len)
        *len = n;
    return data;
}

int fs_exists(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0;
}

int fs_default_data_dir(char *out, size_t n, mident_error *err)
{
    const char *home = getenv("HOME");
    if (!home || !*home)
        home = "/root";
    if (snprintf(out, n, "%s/.mident", home) >= (int)n)
        return mid_fail(err, MIDENT_EINVAL, "HOME path too long");
    return 0;
}
