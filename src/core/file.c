/* Regular-file checks for inputs (see file.h). */
#include "core/file.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

const char *fr_file_type_name(mode_t mode)
{
	if (S_ISREG(mode))
		return "regular file";
	if (S_ISDIR(mode))
		return "directory";
	if (S_ISFIFO(mode))
		return "FIFO";
	if (S_ISCHR(mode))
		return "character device";
	if (S_ISBLK(mode))
		return "block device";
	if (S_ISSOCK(mode))
		return "socket";
	if (S_ISLNK(mode))
		return "symbolic link";
	return "special file";
}

static int not_regular(const char *path, mode_t mode, fr_err *err)
{
	return fr_err_set(err, FR_EINVAL, "%s: is a %s, not a regular file", path,
	                  fr_file_type_name(mode));
}

static int sys_error(const char *path, const char *what, int e, fr_err *err)
{
	return fr_err_set(err, e == ENOENT || e == ENOTDIR ? FR_ENOTFOUND : FR_EIO, "%s: %s%s%s",
	                  path, what, *what ? ": " : "", strerror(e));
}

int fr_file_stat_regular(const char *path, struct stat *st, fr_err *err)
{
	if (stat(path, st))
		return sys_error(path, "", errno, err);
	if (!S_ISREG(st->st_mode))
		return not_regular(path, st->st_mode, err);
	return 0;
}

int fr_file_open_regular(const char *path, int *fd, struct stat *st, fr_err *err)
{
	*fd = -1;
	int rc = fr_file_stat_regular(path, st, err);
	if (rc)
		return rc;
	/* O_NONBLOCK: should the path turn into a FIFO after the stat, open() still returns at
	 * once; O_NOCTTY: a terminal never becomes our controlling one. */
	int d = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
	if (d < 0)
		return sys_error(path, "", errno, err);
	if (fstat(d, st)) {
		int e = errno;
		close(d);
		return sys_error(path, "fstat", e, err);
	}
	if (!S_ISREG(st->st_mode)) {
		close(d);
		return not_regular(path, st->st_mode, err);
	}
	/* Reads of a regular file never block anyway; clear the flag so callers see a plain
	 * descriptor. */
	int fl = fcntl(d, F_GETFL);
	if (fl < 0 || fcntl(d, F_SETFL, fl & ~O_NONBLOCK) < 0) {
		int e = errno;
		close(d);
		return sys_error(path, "fcntl", e, err);
	}
	*fd = d;
	return 0;
}
