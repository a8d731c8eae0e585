/* Output sets: see outset.h.  The signal handler only calls unlink, signal and raise (all
 * async-signal-safe) on paths computed before the handler was armed. */
#include "tools/outset.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

struct fr_outset {
	char *dir;
	int n;
	char **tmp, **final;
	int renamed;                 /* parts [0, renamed) are in place */
};

static const int SIGNALS[] = { SIGINT, SIGTERM, SIGHUP };
#define NSIG_CLEAN ((int)(sizeof SIGNALS / sizeof SIGNALS[0]))

/* The set the handler cleans up; published only once every path is built. */
static fr_outset *volatile g_active;
static struct sigaction g_old[NSIG_CLEAN];
static int g_armed[NSIG_CLEAN];

static void on_signal(int sig)
{
	fr_outset *s = g_active;
	if (s)
		for (int i = s->renamed; i < s->n; i++)
			unlink(s->tmp[i]);
	/* Die of the same signal, so the caller sees how the run ended. */
	signal(sig, SIG_DFL);
	raise(sig);
}

static void arm(fr_outset *s)
{
	g_active = s;
	for (int i = 0; i < NSIG_CLEAN; i++) {
		struct sigaction sa, old;
		g_armed[i] = 0;
		if (sigaction(SIGNALS[i], NULL, &old) || old.sa_handler == SIG_IGN)
			continue;   /* nohup, or a background job: keep the signal ignored */
		memset(&sa, 0, sizeof sa);
		sa.sa_handler = on_signal;
		sigemptyset(&sa.sa_mask);
		for (int j = 0; j < NSIG_CLEAN; j++)
			sigaddset(&sa.sa_mask, SIGNALS[j]);
		if (sigaction(SIGNALS[i], &sa, &g_old[i]) == 0)
			g_armed[i] = 1;
	}
}

static void disarm(void)
{
	for (int i = 0; i < NSIG_CLEAN; i++)
		if (g_armed[i]) {
			sigaction(SIGNALS[i], &g_old[i], NULL);
			g_armed[i] = 0;
		}
	g_active = NULL;
}

static void free_set(fr_outset *s)
{
	if (!s)
		return;
	for (int i = 0; i < s->n; i++) {
		if (s->tmp)
			free(s->tmp[i]);
		if (s->final)
			free(s->final[i]);
	}
	free(s->tmp);
	free(s->final);
	free(s->dir);
	free(s);
}

static int mkdirs(const char *dir, fr_err *err)
{
	char buf[4096];
	size_t n = strlen(dir);
	if (n == 0 || n >= sizeof buf)
		return fr_err_set(err, FR_EINVAL, "bad output directory '%s'", dir);
	memcpy(buf, dir, n + 1);
	for (size_t i = 1; i <= n; i++) {
		if (buf[i] == '/' || buf[i] == 0) {
			char c = buf[i];
			buf[i] = 0;
			if (mkdir(buf, 0777) && errno != EEXIST)
				return fr_err_set(err, FR_EIO, "%s: cannot create directory: %s", buf,
					strerror(errno));
			buf[i] = c;
		}
	}
	struct stat st;
	if (stat(dir, &st) || !S_ISDIR(st.st_mode))
		return fr_err_set(err, FR_EIO, "%s: not a directory", dir);
	return 0;
}

/* A temporary file of this module: .part-N.parquet.PID.tmp (pid_out = PID), or the name used
 * before PIDs were part of it, .part-N.parquet.tmp (pid_out = 0). */
static int tmp_name(const char *name, long *pid_out)
{
	int num, len = 0;
	long pid;
	if (sscanf(name, ".part-%d.parquet.%ld.tmp%n", &num, &pid, &len) == 2 && len > 0 &&
	    name[len] == 0 && pid > 0) {
		*pid_out = pid;
		return 1;
	}
	len = 0;
	if (sscanf(name, ".part-%d.parquet.tmp%n", &num, &len) == 1 && len > 0 && name[len] == 0) {
		*pid_out = 0;
		return 1;
	}
	return 0;
}

static void remove_stale(const char *dir)
{
	DIR *d = opendir(dir);
	if (!d)
		return;
	struct dirent *e;
	long self = (long)getpid();
	while ((e = readdir(d))) {
		long pid;
		if (!tmp_name(e->d_name, &pid) || pid == self)
			continue;
		/* A live process may be writing it (a concurrent run): leave it alone. */
		if (pid > 0 && (kill((pid_t)pid, 0) == 0 || errno != ESRCH))
			continue;
		char path[4096];
		if (snprintf(path, sizeof path, "%s/%s", dir, e->d_name) < (int)sizeof path)
			unlink(path);
	}
	closedir(d);
}

int fr_outset_begin(const char *dir, int nparts, fr_outset **out, fr_err *err)
{
	*out = NULL;
	if (nparts < 1)
		return fr_err_set(err, FR_EINVAL, "%s: no part to write", dir);
	if (g_active)
		return fr_err_set(err, FR_EINVAL, "%s: another output set is being written", dir);
	if (mkdirs(dir, err))
		return err->code;
	remove_stale(dir);
	fr_outset *s = calloc(1, sizeof *s);
	if (!s)
		return fr_err_set(err, FR_ENOMEM, "out of memory");
	s->n = nparts;
	s->dir = strdup(dir);
	s->tmp = calloc((size_t)nparts, sizeof *s->tmp);
	s->final = calloc((size_t)nparts, sizeof *s->final);
	if (!s->dir || !s->tmp || !s->final)
		goto oom;
	size_t len = strlen(dir) + 64;
	for (int i = 0; i < nparts; i++) {
		s->tmp[i] = malloc(len);
		s->final[i] = malloc(len);
		if (!s->tmp[i] || !s->final[i])
			goto oom;
		snprintf(s->tmp[i], len, "%s/.part-%05d.parquet.%ld.tmp", dir, i, (long)getpid());
		snprintf(s->final[i], len, "%s/part-%05d.parquet", dir, i);
	}
	arm(s);
	*out = s;
	return 0;
oom:
	free_set(s);
	return fr_err_set(err, FR_ENOMEM, "out of memory");
}

const char *fr_outset_tmp_path(const fr_outset *s, int part)
{
	return s->tmp[part];
}

void fr_outset_abort(fr_outset *s)
{
	if (!s)
		return;
	for (int i = s->renamed; i < s->n; i++)
		unlink(s->tmp[i]);
	disarm();
	free_set(s);
}

static int sync_path(const char *path, int dir, fr_err *err)
{
	int fd = open(path, (dir ? O_DIRECTORY : 0) | O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return fr_err_set(err, FR_EIO, "%s: cannot open to sync: %s", path, strerror(errno));
	int rc = fsync(fd);
	int e = errno;
	close(fd);
	if (rc)
		return fr_err_set(err, FR_EIO, "%s: sync failed: %s", path, strerror(e));
	return 0;
}

int fr_outset_commit(fr_outset *s, fr_err *err)
{
	int rc = 0;
	/* Data first: a crash after the renames must not leave empty or torn parts in place. */
	for (int i = 0; i < s->n && !rc; i++)
		rc = sync_path(s->tmp[i], 0, err);
	for (int i = 0; i < s->n && !rc; i++) {
		if (rename(s->tmp[i], s->final[i]))
			rc = fr_err_set(err, FR_EIO, "%s: cannot rename into place: %s", s->final[i],
				strerror(errno));
		else
			s->renamed = i + 1;
	}
	if (!rc)
		rc = sync_path(s->dir, 1, err);
	fr_outset_abort(s);
	return rc;
}

int fr_outset_stale_warning(const char *dir, int nparts, char *msg, size_t n)
{
	DIR *d = opendir(dir);
	if (!d)
		return 0;
	int count = 0;
	char first[256] = "";
	struct dirent *e;
	while ((e = readdir(d))) {
		int num, len = 0;
		if (sscanf(e->d_name, "part-%d.parquet%n", &num, &len) == 1 && len > 0 &&
		    e->d_name[len] == 0 && num >= nparts) {
			if (!count)
				snprintf(first, sizeof first, "%s", e->d_name);
			count++;
		}
	}
	closedir(d);
	if (count && n)
		snprintf(msg, n, "%s also holds %d part file%s from another run (%s...); remove %s "
			"before using it as a dataset", dir, count, count > 1 ? "s" : "", first,
			count > 1 ? "them" : "it");
	return count;
}
