/* Opening input files without blocking on special files: a FIFO, a device or a directory
 * named where a regular file is expected is refused by what it is, before any open() that
 * could hang (a FIFO without a writer) or have side effects (some devices). */
#ifndef FR_CORE_FILE_H
#define FR_CORE_FILE_H

#include <sys/stat.h>
#include "core/error.h"

/* "regular file", "directory", "FIFO", "character device", "block device", "socket",
 * "symbolic link" or "special file". */
const char *fr_file_type_name(mode_t mode);
/* stat()s path into *st (following symlinks); 0 if it is a regular file, else FR_ENOTFOUND
 * (missing), FR_EIO (cannot stat, e.g. permission) or FR_EINVAL ("PATH: is a FIFO, not a
 * regular file"), with the message naming path. */
int fr_file_stat_regular(const char *path, struct stat *st, fr_err *err);
/* Opens a regular file read-only (close-on-exec) into *fd and fills *st from the open
 * descriptor.  Never blocks in open(): the path is checked first and opened O_NONBLOCK,
 * and the descriptor is checked again (the path may have been swapped in between). */
int fr_file_open_regular(const char *path, int *fd, struct stat *st, fr_err *err);

#endif
