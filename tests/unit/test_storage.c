/* Unit tests for src/storage: basepath classification (local, file://, s3:// and unknown
 * schemes), listing (direct regular files only, symlinks followed, pattern, byte order, sizes),
 * part paths, and opening parts: a real Parquet file opens, while a FIFO, a directory or a
 * missing part is refused at once with the path named (alarm() turns a hang into a failure). */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "storage/storage.h"

static char dir[256];

static void put_file(const char *name, size_t size)
{
	char p[512];
	snprintf(p, sizeof p, "%s/%s", dir, name);
	FILE *fp = fopen(p, "wb");
	ck_assert_ptr_nonnull(fp);
	for (size_t i = 0; i < size; i++)
		fputc('x', fp);
	fclose(fp);
}

static char *sample_parquet(void)
{
	static char buf[4096];
	const char *top = getenv("FR_TOP_SRCDIR");
	snprintf(buf, sizeof buf, "%s/tests/data/parquet/parquet-testing/data/binary.parquet",
	         top ? top : ".");
	return buf;
}

static void copy_file(const char *from, const char *name)
{
	char p[512];
	snprintf(p, sizeof p, "%s/%s", dir, name);
	FILE *in = fopen(from, "rb"), *out = fopen(p, "wb");
	ck_assert_msg(in && out, "copy %s", from);
	int c;
	while ((c = fgetc(in)) != EOF)
		fputc(c, out);
	fclose(in);
	fclose(out);
}

static void setup(void)
{
	snprintf(dir, sizeof dir, "%s/frocket-storage-XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR")
	                                                                          : "/tmp");
	ck_assert_ptr_nonnull(mkdtemp(dir));
	/* Parts and distractors: names chosen so byte order differs from locale order and from
	 * creation order. */
	put_file("b.parquet", 3);
	put_file("B.parquet", 1);
	put_file("a.parquet", 10);
	put_file("\xc3\xa9t\xc3\xa9.parquet", 2);
	put_file("_SUCCESS", 0);
	put_file("notes.txt", 5);
	put_file(".hidden.parquet", 4);
	char p[512];
	snprintf(p, sizeof p, "%s/sub.parquet", dir);      /* a directory that matches */
	ck_assert_int_eq(mkdir(p, 0755), 0);
	snprintf(p, sizeof p, "%s/sub.parquet/inner.parquet", dir);
	fclose(fopen(p, "wb"));
	snprintf(p, sizeof p, "%s/fifo.parquet", dir);     /* a FIFO that matches */
	ck_assert_int_eq(mkfifo(p, 0644), 0);
	snprintf(p, sizeof p, "%s/link.parquet", dir);     /* a link to a regular file */
	ck_assert_int_eq(symlink("a.parquet", p), 0);
	snprintf(p, sizeof p, "%s/dangling.parquet", dir); /* a link to nothing */
	ck_assert_int_eq(symlink("nowhere.parquet", p), 0);
	copy_file(sample_parquet(), "real.parquet");
}

static void teardown(void)
{
	char cmd[600];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", dir);
}

static void list_names(const char *basepath, const char *pattern, char *out, size_t n)
{
	fr_arena *a = fr_arena_new(0);
	fr_part_entry *e;
	int ne;
	fr_err err = { 0 };
	int rc = fr_storage_list(basepath, pattern, a, &e, &ne, &err);
	ck_assert_msg(rc == 0, "%s", err.msg);
	out[0] = 0;
	for (int i = 0; i < ne; i++) {
		char one[256];
		snprintf(one, sizeof one, "%s%s:%llu", i ? " " : "", e[i].name,
		         (unsigned long long)e[i].size);
		strncat(out, one, n - strlen(out) - 1);
	}
	fr_arena_free(a);
}

START_TEST(listing)
{
	alarm(20);   /* nothing here may block (the FIFO is never opened by listing) */
	char got[2048];
	const char *all = "B.parquet:1 a.parquet:10 b.parquet:3 link.parquet:10 real.parquet:";
	list_names(dir, NULL, got, sizeof got);
	/* default *.parquet: regular files and links to them, byte order, no subdirectory, no
	 * FIFO, no dangling link; '*' matches a leading dot (fnmatch without FNM_PERIOD) */
	struct stat st;
	char p[512];
	snprintf(p, sizeof p, "%s/real.parquet", dir);
	ck_assert_int_eq(stat(p, &st), 0);
	char want[1024];
	snprintf(want, sizeof want, ".hidden.parquet:4 %s%llu \xc3\xa9t\xc3\xa9.parquet:2", all,
	         (unsigned long long)st.st_size);
	ck_assert_str_eq(got, want);
	/* file:// prefix and a trailing slash list the same */
	char base[512];
	snprintf(base, sizeof base, "file://%s/", dir);
	list_names(base, "*.parquet", got, sizeof got);
	ck_assert_str_eq(got, want);
	snprintf(base, sizeof base, "FILE://%s", dir);
	list_names(base, NULL, got, sizeof got);
	ck_assert_str_eq(got, want);
	/* patterns: ?, [seq], [!seq], anchored at both ends, case-sensitive */
	list_names(dir, "?.parquet", got, sizeof got);
	ck_assert_str_eq(got, "B.parquet:1 a.parquet:10 b.parquet:3");
	list_names(dir, "[ab].parquet", got, sizeof got);
	ck_assert_str_eq(got, "a.parquet:10 b.parquet:3");
	list_names(dir, "[!ab].parquet", got, sizeof got);
	ck_assert_str_eq(got, "B.parquet:1");
	list_names(dir, "_SUCCESS", got, sizeof got);
	ck_assert_str_eq(got, "_SUCCESS:0");
	list_names(dir, "parquet", got, sizeof got);
	ck_assert_str_eq(got, "");
	list_names(dir, "*.PARQUET", got, sizeof got);
	ck_assert_str_eq(got, "");
	list_names(dir, "*", got, sizeof got);
	ck_assert_msg(strstr(got, "notes.txt:5") && !strstr(got, "sub.parquet") &&
	              !strstr(got, "fifo") && !strstr(got, "dangling"), "%s", got);
	/* relative basepaths resolve against the working directory, with or without file:// */
	char *slash = strrchr(dir, '/');
	*slash = 0;
	ck_assert_int_eq(chdir(dir), 0);
	*slash = '/';
	list_names(slash + 1, NULL, got, sizeof got);
	ck_assert_str_eq(got, want);
	snprintf(base, sizeof base, "file://%s", slash + 1);
	list_names(base, NULL, got, sizeof got);
	ck_assert_str_eq(got, want);
	/* an empty directory: zero matches is not an error */
	snprintf(base, sizeof base, "%s/sub.parquet", dir);
	list_names(base, "*.txt", got, sizeof got);
	ck_assert_str_eq(got, "");
	alarm(0);
}
END_TEST

START_TEST(listing_errors)
{
	fr_arena *a = fr_arena_new(0);
	fr_part_entry *e;
	int n = 7;
	fr_err err = { 0 };
	char base[512];
	snprintf(base, sizeof base, "%s/missing", dir);
	ck_assert_int_eq(fr_storage_list(base, NULL, a, &e, &n, &err), FR_ENOTFOUND);
	ck_assert_int_eq(n, 0);
	char want[600];
	snprintf(want, sizeof want, "[Errno 2] No such file or directory: '%s'", base);
	ck_assert_str_eq(err.msg, want);
	snprintf(base, sizeof base, "file://%s/missing", dir);
	ck_assert_int_eq(fr_storage_list(base, NULL, a, &e, &n, &err), FR_ENOTFOUND);
	ck_assert_str_eq(err.msg, want);   /* names the local path */
	snprintf(base, sizeof base, "%s/a.parquet", dir);   /* a file is not a directory */
	ck_assert_int_eq(fr_storage_list(base, NULL, a, &e, &n, &err), FR_EIO);
	ck_assert_msg(strstr(err.msg, "[Errno 20]") && strstr(err.msg, base), "%s", err.msg);
	ck_assert_int_eq(fr_storage_list("gs://b/x/", NULL, a, &e, &n, &err), FR_EINVAL);
	ck_assert_str_eq(err.msg, "Storage protocol 'gs' is not in supported list: ['FILE', 'S3']");
	ck_assert_int_eq(fr_storage_list("s3://bucket", NULL, a, &e, &n, &err), FR_EINVAL);
	ck_assert_str_eq(err.msg, "Invalid path: s3://bucket (protocol: S3)");
	/* listing a valid s3:// basepath goes to the S3 client: tests/e2e/s3_test.py */
	fr_arena_free(a);
}
END_TEST

START_TEST(kinds_and_paths)
{
	fr_store_kind k;
	fr_err err = { 0 };
	const char *local[] = { "/data/x", "data/x", "file:///data/x", "FiLe://data", "", "file://",
	                        "a:/b", "://x", "s3:/b/" };
	for (size_t i = 0; i < sizeof local / sizeof local[0]; i++) {
		ck_assert_msg(fr_storage_kind(local[i], &k, &err) == 0, "%s: %s", local[i], err.msg);
		ck_assert_int_eq(k, FR_STORE_LOCAL);
	}
	const char *s3ok[] = { "s3://bucket/", "s3://b.c-d_e/a/b", "s3://b/a/b/" };
	for (size_t i = 0; i < 3; i++) {
		ck_assert_int_eq(fr_storage_kind(s3ok[i], &k, &err), 0);
		ck_assert_int_eq(k, FR_STORE_S3);
	}
	/* the protocol matches case-insensitively, but the s3 form wants lower-case "s3://" */
	const char *s3bad[] = { "S3://b/", "s3://bucket", "s3://bucket/dt=2021/", "s3:///x",
	                        "s3://b/a b" };
	for (size_t i = 0; i < sizeof s3bad / sizeof s3bad[0]; i++) {
		ck_assert_int_eq(fr_storage_kind(s3bad[i], &k, &err), FR_EINVAL);
		char want[200];
		snprintf(want, sizeof want, "Invalid path: %s (protocol: S3)", s3bad[i]);
		ck_assert_str_eq(err.msg, want);
	}
	ck_assert_int_eq(fr_storage_kind("http://x/y", &k, &err), FR_EINVAL);
	ck_assert_str_eq(err.msg, "Storage protocol 'http' is not in supported list: ['FILE', 'S3']");
	ck_assert_int_eq(fr_storage_kind("my_proto9://x", &k, &err), FR_EINVAL);
	ck_assert(strstr(err.msg, "'my_proto9'"));
	fr_arena *a = fr_arena_new(0);
	ck_assert_str_eq(fr_storage_part_path("/d", "p.parquet", a), "/d/p.parquet");
	ck_assert_str_eq(fr_storage_part_path("/d/", "p.parquet", a), "/d/p.parquet");
	ck_assert_str_eq(fr_storage_part_path("file:///d", "p", a), "/d/p");
	ck_assert_str_eq(fr_storage_part_path("file://rel/d/", "p", a), "rel/d/p");
	ck_assert_str_eq(fr_storage_part_path("s3://b/pre", "p", a), "s3://b/pre/p");
	ck_assert_str_eq(fr_storage_part_path("s3://b/", "p", a), "s3://b/p");
	ck_assert_str_eq(fr_storage_part_path("", "p", a), "/p");
	fr_arena_free(a);
}
END_TEST

START_TEST(opening)
{
	alarm(20);   /* a FIFO opened for reading without O_NONBLOCK would wait here forever */
	fr_pq_file *f;
	uint64_t size = 1;
	fr_err err = { 0 };
	struct stat st;
	char p[512];
	snprintf(p, sizeof p, "%s/real.parquet", dir);
	ck_assert_int_eq(stat(p, &st), 0);
	ck_assert_msg(fr_storage_open(dir, "real.parquet", &f, &size, &err) == 0, "%s", err.msg);
	ck_assert_uint_eq(size, (uint64_t)st.st_size);
	ck_assert_str_eq(fr_pq_name(f), p);
	ck_assert_int_gt(fr_pq_num_columns(f), 0);
	fr_pq_close(f);
	char base[512];
	snprintf(base, sizeof base, "file://%s/", dir);
	ck_assert_msg(fr_storage_open(base, "real.parquet", &f, &size, &err) == 0, "%s", err.msg);
	ck_assert_str_eq(fr_pq_name(f), p);   /* the prefix is gone before the file is opened */
	fr_pq_close(f);
	/* refused without blocking, naming the path and what it is */
	struct { const char *name; int code; const char *what; } bad[] = {
		{ "fifo.parquet", FR_EINVAL, "is a FIFO, not a regular file" },
		{ "sub.parquet", FR_EINVAL, "is a directory, not a regular file" },
		{ "missing.parquet", FR_ENOTFOUND, "No such file or directory" },
		{ "dangling.parquet", FR_ENOTFOUND, "No such file or directory" },
		{ "a.parquet", FR_ECORRUPT, "not a parquet file" },
		{ "_SUCCESS", FR_ECORRUPT, "only 0 bytes" },
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		f = (fr_pq_file *)&err;   /* must be reset */
		size = 9;
		int rc = fr_storage_open(dir, bad[i].name, &f, &size, &err);
		ck_assert_msg(rc == bad[i].code, "%s: %d %s", bad[i].name, rc, err.msg);
		ck_assert_ptr_null(f);
		ck_assert_uint_eq(size, 0);
		snprintf(p, sizeof p, "%s/%s", dir, bad[i].name);
		ck_assert_msg(strstr(err.msg, p) && strstr(err.msg, bad[i].what), "%s", err.msg);
	}
	ck_assert_int_eq(fr_storage_open("/dev", "null", &f, &size, &err), FR_EINVAL);
	ck_assert_msg(strstr(err.msg, "/dev/null: is a character device"), "%s", err.msg);
	const char *notnames[] = { "", ".", "..", "../x.parquet", "sub.parquet/inner.parquet" };
	for (size_t i = 0; i < sizeof notnames / sizeof notnames[0]; i++) {
		ck_assert_int_eq(fr_storage_open(dir, notnames[i], &f, &size, &err), FR_EINVAL);
		ck_assert_msg(strstr(err.msg, "is not a file name"), "%s", err.msg);
	}
	ck_assert_int_eq(fr_storage_open("gs://x/", "p", &f, &size, &err), FR_EINVAL);
	/* s3 part names obey the same rule, refused before any request */
	ck_assert_int_eq(fr_storage_open("s3://b/x/", "../p", &f, &size, &err), FR_EINVAL);
	/* nothing is held after a refusal: no descriptor leaks across many of them */
	int before = open("/dev/null", O_RDONLY);
	close(before);
	for (int i = 0; i < 200; i++) {
		fr_storage_open(dir, "fifo.parquet", &f, &size, &err);
		fr_storage_open(dir, "a.parquet", &f, &size, &err);
	}
	int after = open("/dev/null", O_RDONLY);
	close(after);
	ck_assert_int_eq(after, before);
	alarm(0);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("storage");
	TCase *tc = tcase_create("storage");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, listing);
	tcase_add_test(tc, listing_errors);
	tcase_add_test(tc, kinds_and_paths);
	tcase_add_test(tc, opening);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
