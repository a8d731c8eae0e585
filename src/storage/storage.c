/* Storage: basepath classification (interfaces.md §4.1), local listing by pattern (§4.2-4.3)
 * and opening a part for the Parquet reader.  Local parts are opened non-blocking and checked
 * to be regular files before the reader maps them, so a FIFO or a device put where a part
 * should be fails at once instead of hanging a worker.  s3:// parts are listed and read by
 * the S3 client (s3.c). */
#include "storage/storage.h"
#include "storage/s3.h"

#include "core/file.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#define DEFAULT_PATTERN "*.parquet"

/* The scheme of `^(\w+)://(.+)$` (interfaces.md §4.1): its length, or 0 when the path has none
 * (a plain local path). */
static size_t scheme_len(const char *p)
{
	size_t n = 0;
	while ((p[n] >= 'a' && p[n] <= 'z') || (p[n] >= 'A' && p[n] <= 'Z') ||
	       (p[n] >= '0' && p[n] <= '9') || p[n] == '_')
		n++;
	if (n == 0 || strncmp(p + n, "://", 3) || !p[n + 3])
		return 0;
	return n;
}

static int is_s3_char(char c, int slash)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '_' || c == '.' || c == '-' || (slash && c == '/');
}

/* The whole path against ^s3://([A-Za-z0-9_.-]+)/([A-Za-z0-9_./-]*)$ */
static int s3_valid(const char *p)
{
	if (strncmp(p, "s3://", 5))
		return 0;
	p += 5;
	const char *b = p;
	while (is_s3_char(*p, 0))
		p++;
	if (p == b || *p != '/')
		return 0;
	for (p++; *p; p++)
		if (!is_s3_char(*p, 1))
			return 0;
	return 1;
}

int fr_storage_kind(const char *basepath, fr_store_kind *out, fr_err *err)
{
	*out = FR_STORE_LOCAL;
	size_t n = scheme_len(basepath);
	if (n == 0)
		return 0;
	if (n == 4 && !strncasecmp(basepath, "file", 4))
		return 0;
	if (n == 2 && !strncasecmp(basepath, "s3", 2)) {
		if (!s3_valid(basepath))
			return fr_err_set(err, FR_EINVAL, "Invalid path: %s (protocol: S3)", basepath);
		*out = FR_STORE_S3;
		return 0;
	}
	return fr_err_set(err, FR_EINVAL,
	                  "Storage protocol '%.*s' is not in supported list: ['FILE', 'S3']",
	                  (int)n, basepath);
}

/* The local path of a local basepath: a file:// prefix (any case) stripped. */
static const char *local_path(const char *basepath)
{
	size_t n = scheme_len(basepath);
	if (n == 4 && !strncasecmp(basepath, "file", 4))
		return basepath + 7;
	return basepath;
}

/* Python's OSError text, as the original reports a listing failure. */
static int os_error(fr_err *err, int e, const char *path)
{
	return fr_err_set(err, e == ENOENT ? FR_ENOTFOUND : FR_EIO, "[Errno %d] %s: '%s'", e,
	                  strerror(e), path);
}

static int cmp_entry(const void *a, const void *b)
{
	/* strcmp compares as unsigned char: byte (and so code-point) order */
	return strcmp(((const fr_part_entry *)a)->name, ((const fr_part_entry *)b)->name);
}

int fr_storage_list(const char *basepath, const char *pattern, fr_arena *arena,
                    fr_part_entry **out, int *n, fr_err *err)
{
	*out = NULL;
	*n = 0;
	fr_store_kind kind;
	if (fr_storage_kind(basepath, &kind, err))
		return err->code;
	if (!pattern)
		pattern = DEFAULT_PATTERN;
	if (kind == FR_STORE_S3)
		return fr_s3_list(basepath, pattern, arena, out, n, err);
	const char *dir = local_path(basepath);
	DIR *d = opendir(dir);
	if (!d)
		return os_error(err, errno, dir);
	fr_part_entry *v = NULL;
	size_t nv = 0, cap = 0;
	int rc = 0;
	for (;;) {
		errno = 0;
		struct dirent *de = readdir(d);
		if (!de) {
			if (errno)
				rc = os_error(err, errno, dir);
			break;
		}
		const char *name = de->d_name;
		if (!strcmp(name, ".") || !strcmp(name, "..") ||
		    fnmatch(pattern, name, FNM_NOESCAPE) != 0)
			continue;
		struct stat st;
		/* follows symlinks: a link to a regular file is a part, a dangling one is not */
		if (fstatat(dirfd(d), name, &st, 0)) {
			if (errno == ENOENT || errno == ELOOP || errno == ENOTDIR)
				continue;   /* dangling link, or removed while listing */
			rc = fr_err_set(err, FR_EIO, "[Errno %d] %s: '%s/%s'", errno, strerror(errno),
			                dir, name);
			break;
		}
		if (!S_ISREG(st.st_mode))
			continue;
		if (nv == cap) {
			if (nv >= (size_t)INT32_MAX) {
				rc = fr_err_set(err, FR_ELIMIT, "%s: more than %d matching files", basepath,
				                INT32_MAX);
				break;
			}
			size_t ncap = cap ? cap * 2 : 64;
			fr_part_entry *nvp = realloc(v, ncap * sizeof *v);
			if (!nvp) {
				rc = fr_err_set(err, FR_ENOMEM, "%s: out of memory listing files", basepath);
				break;
			}
			v = nvp;
			cap = ncap;
		}
		char *copy = fr_arena_strdup(arena, name);
		if (!copy) {
			rc = fr_err_set(err, FR_ENOMEM, "%s: out of memory listing files", basepath);
			break;
		}
		v[nv].name = copy;
		v[nv].size = (uint64_t)st.st_size;
		nv++;
	}
	closedir(d);
	if (!rc && nv) {
		qsort(v, nv, sizeof *v, cmp_entry);
		*out = fr_arena_memdup(arena, v, nv * sizeof *v);
		if (!*out)
			rc = fr_err_set(err, FR_ENOMEM, "%s: out of memory listing files", basepath);
		else
			*n = (int)nv;
	}
	free(v);
	return rc;
}

/* basepath + '/' (unless it ends with one) + name, file:// stripped for local stores. */
static char *join(const char *basepath, const char *name, fr_arena *arena)
{
	basepath = local_path(basepath);   /* only ever strips file:// */
	size_t bl = strlen(basepath), nl = strlen(name);
	int slash = !(bl && basepath[bl - 1] == '/');
	char *p = arena ? fr_arena_alloc(arena, bl + slash + nl + 1) : malloc(bl + slash + nl + 1);
	if (!p)
		return NULL;
	memcpy(p, basepath, bl);
	if (slash)
		p[bl] = '/';
	memcpy(p + bl + slash, name, nl + 1);
	return p;
}

char *fr_storage_part_path(const char *basepath, const char *name, fr_arena *arena)
{
	return join(basepath, name, arena);
}

int fr_storage_open(const char *basepath, const char *name, fr_pq_file **out, uint64_t *size,
                    fr_err *err)
{
	return fr_storage_open_ex(basepath, name, NULL, out, size, err);
}

void fr_storage_evict(const char *basepath, const char *name, const fr_storage_open_opts *o)
{
	fr_store_kind kind;
	fr_err err = { 0 };
	if (fr_storage_kind(basepath, &kind, &err) || kind != FR_STORE_S3)
		return;   /* local parts are never cached */
	char *path = join(basepath, name, NULL);
	if (path)
		fr_s3_evict(path, o);
	free(path);
}

int fr_storage_open_ex(const char *basepath, const char *name, const fr_storage_open_opts *o,
                       fr_pq_file **out, uint64_t *size, fr_err *err)
{
	*out = NULL;
	*size = 0;
	fr_store_kind kind;
	if (fr_storage_kind(basepath, &kind, err))
		return err->code;
	/* Parts are direct entries of the basepath (that is all listing returns), so a name
	 * from a corrupt or forged request cannot reach outside it. */
	if (!name[0] || strchr(name, '/') || !strcmp(name, ".") || !strcmp(name, ".."))
		return fr_err_set(err, FR_EINVAL, "%s: part name '%s' is not a file name", basepath,
		                  name);
	char *path = join(basepath, name, NULL);
	if (!path)
		return fr_err_set(err, FR_ENOMEM, "%s: out of memory", name);
	int rc, fd;
	if (kind == FR_STORE_S3) {
		rc = fr_s3_open(path, o, out, size, err);
		free(path);
		return rc;
	}
	struct stat st;
	/* a FIFO, device or directory is refused by what it is, without blocking in open() */
	if ((rc = fr_file_open_regular(path, &fd, &st, err)))
		goto out;
	rc = fr_pq_open_fd(path, fd, out, err);   /* takes fd */
	if (rc == 0)
		*size = (uint64_t)st.st_size;
out:
	free(path);
	return rc;
}
