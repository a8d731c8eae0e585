/* Disk cache of S3 byte ranges (runtime.md §6.4, decision 20).
 *
 * What is cached: the byte ranges the Parquet reader asks for, not whole files: the tail read
 * at open (footer and the last chunks, with the object's size), and each column chunk a
 * query loads.  A warm cache therefore answers a repeated query without any request, while a
 * cold one never downloads columns nobody asked for.
 *
 * Layout: <dir>/<key>/<name>, one file per range.  key is a digest of the part's dataset
 * registration (name, registeredAt, part path): a re-registration gets new keys and the old
 * entries age out.  There is no shared index: an entry is written to a temporary name and
 * renamed into place, so readers in any process see a whole file or none; eviction unlinks,
 * which never disturbs a reader that already opened the file.  LRU order is the entries'
 * mtime, bumped on every hit; pruning (under an flock, so concurrent processes do not race
 * to delete the same files) removes the oldest entries until the total fits. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "core/log.h"
#include "storage/s3_internal.h"

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static uint64_t written_since_prune;

static const char *root(void)
{
	const fr_storage_s3_opts *o = fr_s3_opts();
	if (!o->cache_dir || !*o->cache_dir || o->cache_max_bytes == 0)
		return NULL;
	return o->cache_dir;
}

static int mkdirs(const char *path)
{
	char tmp[4096];
	snprintf(tmp, sizeof tmp, "%s", path);
	for (char *p = tmp + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = 0;
		if (mkdir(tmp, 0700) && errno != EEXIST)
			return -1;
		*p = '/';
	}
	return mkdir(tmp, 0700) && errno != EEXIST ? -1 : 0;
}

/* The path of the entry key/name into path; -1 when the cache is off. */
static int entry_path(const char *key, const char *name, char path[4096])
{
	const char *r = root();
	if (!r || !key)
		return -1;
	snprintf(path, 4096, "%s/%s/%s", r, key, name);
	return 0;
}

/* Opens the entry key/name of the cache (its path into path, its stat into st): the file
 * descriptor, or -1 when the cache is off or the entry is not a regular file. */
static int entry_open(const char *key, const char *name, char path[4096], struct stat *st)
{
	if (entry_path(key, name, path))
		return -1;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	if (fstat(fd, st) || !S_ISREG(st->st_mode)) {
		close(fd);
		return -1;
	}
	return fd;
}

int fr_s3_cache_get(const char *key, const char *name, uint64_t want, fr_buf *out)
{
	char path[4096];
	struct stat st;
	int fd = entry_open(key, name, path, &st);
	if (fd < 0)
		return 0;
	int hit = 0;
	if (want && (uint64_t)st.st_size != want) {
		/* renamed in whole, so a size mismatch is damage: drop it */
		unlink(path);
	} else if (st.st_size < ((off_t)1 << 34) && !fr_buf_reserve(out, (size_t)st.st_size)) {
		size_t n = (size_t)st.st_size, got = 0;
		while (got < n) {
			ssize_t k = pread(fd, out->data + out->len + got, n - got, (off_t)got);
			if (k <= 0)
				break;
			got += (size_t)k;
		}
		if (got == n) {
			out->len += n;
			hit = 1;
			/* the LRU clock: a hit makes the entry the newest */
			futimens(fd, NULL);
		}
	}
	close(fd);
	return hit;
}

int fr_s3_cache_read(const char *key, const char *name, void *dst, uint64_t len)
{
	char path[4096];
	struct stat st;
	int fd = entry_open(key, name, path, &st);
	if (fd < 0)
		return 0;
	int hit = 0;
	if ((uint64_t)st.st_size == len) {
		uint64_t got = 0;
		while (got < len) {
			ssize_t k = pread(fd, (char *)dst + got, (size_t)(len - got), (off_t)got);
			if (k <= 0)
				break;
			got += (uint64_t)k;
		}
		hit = got == len;
		if (hit)
			futimens(fd, NULL);
	}
	close(fd);
	return hit;
}

const void *fr_s3_cache_map(const char *key, const char *name, uint64_t len)
{
	if (len == 0 || len > ((uint64_t)1 << 34))
		return NULL;
	char path[4096];
	struct stat st;
	int fd = entry_open(key, name, path, &st);
	if (fd < 0)
		return NULL;
	void *p = NULL;
	if ((uint64_t)st.st_size == len) {
		/* entries are renamed into place whole and never rewritten: a mapping stays
		 * valid, even when a pruning process unlinks the entry meanwhile */
		p = mmap(NULL, (size_t)len, PROT_READ, MAP_PRIVATE, fd, 0);
		if (p == MAP_FAILED) {
			p = NULL;
		} else {
#ifdef MADV_POPULATE_READ
			(void)madvise(p, (size_t)len, MADV_POPULATE_READ);   /* one call, not a fault per page */
#endif
			futimens(fd, NULL);   /* the LRU clock */
		}
	}
	close(fd);
	return p;
}

int fr_s3_cache_has(const char *key, const char *name, uint64_t len)
{
	char path[4096];
	struct stat st;
	return !entry_path(key, name, path) && !stat(path, &st) && S_ISREG(st.st_mode) &&
	       (uint64_t)st.st_size == len;
}

void fr_s3_cache_put(const char *key, const char *name, const void *p, size_t n)
{
	const char *r = root();
	if (!r || !key)
		return;
	char dir[4096], tmp[4200], path[4200];
	snprintf(dir, sizeof dir, "%s/%s", r, key);
	if (mkdirs(dir)) {
		FR_WARN("s3", "disk cache: cannot create %s: %s", dir, strerror(errno));
		return;
	}
	static unsigned seq;
	unsigned s = __atomic_add_fetch(&seq, 1, __ATOMIC_RELAXED);
	snprintf(tmp, sizeof tmp, "%s/.tmp.%d.%u", dir, (int)getpid(), s);
	snprintf(path, sizeof path, "%s/%s", dir, name);
	int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0)
		return;
	size_t done = 0;
	while (done < n) {
		ssize_t k = write(fd, (const char *)p + done, n - done);
		if (k <= 0)
			break;
		done += (size_t)k;
	}
	if (close(fd) || done != n || rename(tmp, path)) {
		unlink(tmp);   /* a full disk only costs the cache entry */
		return;
	}
	pthread_mutex_lock(&mu);
	written_since_prune += n;
	pthread_mutex_unlock(&mu);
}

static void rm_dir(const char *dir)
{
	DIR *d = opendir(dir);
	if (!d)
		return;
	struct dirent *e;
	char p[4400];
	while ((e = readdir(d))) {
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		snprintf(p, sizeof p, "%s/%s", dir, e->d_name);
		unlink(p);
	}
	closedir(d);
	rmdir(dir);
}

void fr_s3_cache_evict(const char *key)
{
	const char *r = root();
	if (!r || !key)
		return;
	char dir[4096];
	snprintf(dir, sizeof dir, "%s/%s", r, key);
	rm_dir(dir);
}

typedef struct ent {
	char *path;
	struct timespec mtime;
	uint64_t size;
} ent;

static int ent_cmp(const void *a, const void *b)
{
	const ent *x = a, *y = b;
	if (x->mtime.tv_sec != y->mtime.tv_sec)
		return x->mtime.tv_sec < y->mtime.tv_sec ? -1 : 1;
	if (x->mtime.tv_nsec != y->mtime.tv_nsec)
		return x->mtime.tv_nsec < y->mtime.tv_nsec ? -1 : 1;
	return 0;
}

void fr_s3_cache_prune(void)
{
	const char *r = root();
	if (!r)
		return;
	time_t now = time(NULL);
	pthread_mutex_lock(&mu);
	/* a process prunes what it wrote: one that only reads (a warm cache) never scans the
	 * directory, and one that writes keeps the whole cache within its size */
	int due = written_since_prune > 0;
	if (due) {
		written_since_prune = 0;
	}
	pthread_mutex_unlock(&mu);
	if (!due)
		return;
	if (mkdirs(r))
		return;
	char lockp[4200];
	snprintf(lockp, sizeof lockp, "%s/.lock", r);
	int lfd = open(lockp, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (lfd < 0)
		return;
	if (flock(lfd, LOCK_EX | LOCK_NB)) {
		close(lfd);   /* another process is pruning right now */
		return;
	}
	uint64_t max = fr_s3_opts()->cache_max_bytes, total = 0;
	ent *v = NULL;
	size_t n = 0, cap = 0;
	DIR *d = opendir(r);
	struct dirent *e;
	while (d && (e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		char sub[4400];
		snprintf(sub, sizeof sub, "%s/%s", r, e->d_name);
		DIR *sd = opendir(sub);
		struct dirent *f;
		int nfiles = 0;
		while (sd && (f = readdir(sd))) {
			if (!strcmp(f->d_name, ".") || !strcmp(f->d_name, ".."))
				continue;
			char p[4700];
			snprintf(p, sizeof p, "%s/%s", sub, f->d_name);
			struct stat st;
			if (stat(p, &st))
				continue;
			nfiles++;
			if (f->d_name[0] == '.') {
				/* a temporary file left by a process that died mid-write */
				if (now - st.st_mtime > 600)
					unlink(p);
				continue;
			}
			if (n == cap) {
				size_t nc = cap ? cap * 2 : 256;
				ent *nv = realloc(v, nc * sizeof *nv);
				if (!nv)
					break;
				v = nv;
				cap = nc;
			}
			v[n].path = strdup(p);
			if (!v[n].path)
				break;
			v[n].mtime = st.st_mtim;
			v[n].size = (uint64_t)st.st_size;
			total += v[n].size;
			n++;
		}
		if (sd)
			closedir(sd);
		if (!nfiles)
			rmdir(sub);
	}
	if (d)
		closedir(d);
	if (total > max) {
		qsort(v, n, sizeof *v, ent_cmp);
		for (size_t i = 0; i < n && total > max; i++) {
			if (unlink(v[i].path) && errno != ENOENT)
				FR_WARN("s3", "disk cache: cannot remove %s: %s", v[i].path, strerror(errno));
			total -= v[i].size;
		}
	}
	for (size_t i = 0; i < n; i++)
		free(v[i].path);
	free(v);
	flock(lfd, LOCK_UN);
	close(lfd);
}
