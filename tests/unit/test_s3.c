/* Unit tests for the S3 store's pieces that need no server: the XML reader, the credential
 * chain (overrides, environment, shared files and profiles, refusals), region resolution and
 * the disk cache (hits, sizes, LRU pruning, eviction).  The network paths are covered end to
 * end by tests/e2e/s3_test.py against s3rver. */
#include <check.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "storage/s3.h"
#include "storage/s3_internal.h"

static char tmpdir[256];

/* Hands the process's environment (as changed by the test) to storage again, as the
 * invoker layer does at start: storage reads no variable itself. */
static void recapture(void)
{
	fr_storage_s3_opts o;
	fr_storage_s3_defaults(&o);
	o.env = environ;
	fr_err err = { 0 };
	ck_assert_int_eq(fr_storage_s3_init(&o, &err), 0);
}

static void setup(void)
{
	snprintf(tmpdir, sizeof tmpdir, "/tmp/frocket-test-s3-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(tmpdir));
	/* a clean chain: nothing from the developer's own AWS setup */
	const char *vars[] = { "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN",
		"AWS_SECURITY_TOKEN", "AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_REGION",
		"AWS_DEFAULT_REGION", "AWS_WEB_IDENTITY_TOKEN_FILE", "AWS_ROLE_ARN",
		"AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "AWS_CONTAINER_CREDENTIALS_FULL_URI", NULL };
	for (int i = 0; vars[i]; i++)
		unsetenv(vars[i]);
	char p[512];
	snprintf(p, sizeof p, "%s/nocreds", tmpdir);
	setenv("AWS_SHARED_CREDENTIALS_FILE", p, 1);
	snprintf(p, sizeof p, "%s/noconfig", tmpdir);
	setenv("AWS_CONFIG_FILE", p, 1);
	setenv("AWS_EC2_METADATA_DISABLED", "true", 1);
	recapture();
}

static void teardown(void)
{
	char cmd[300];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
	ck_assert_int_eq(system(cmd), 0);
}

static void write_file(const char *name, const char *text)
{
	char p[512];
	snprintf(p, sizeof p, "%s/%s", tmpdir, name);
	FILE *f = fopen(p, "w");
	ck_assert_ptr_nonnull(f);
	fputs(text, f);
	fclose(f);
}

START_TEST(xml_local_names_and_entities)
{
	const char *x = "<?xml version=\"1.0\"?><ListBucketResult xmlns=\"http://doc.s3."
		"amazonaws.com/2006-03-01/\"><IsTruncated>true</IsTruncated><Contents><Key>a&amp;b"
		"&lt;&#233;&#x2603;.parquet</Key><Size>12</Size></Contents><s3:NextContinuationToken>"
		"tok+/=</s3:NextContinuationToken><Empty/></ListBucketResult>";
	fr_buf b = FR_BUF_INIT;
	ck_assert_int_eq(fr_s3_xml_text(x, strlen(x), "Key", &b, NULL), 1);
	ck_assert_str_eq((char *)b.data, "a&b<\xc3\xa9\xe2\x98\x83.parquet");
	ck_assert_int_eq(fr_s3_xml_text(x, strlen(x), "NextContinuationToken", &b, NULL), 1);
	ck_assert_str_eq((char *)b.data, "tok+/=");
	ck_assert_int_eq(fr_s3_xml_text(x, strlen(x), "IsTruncated", &b, NULL), 1);
	ck_assert_str_eq((char *)b.data, "true");
	ck_assert_int_eq(fr_s3_xml_text(x, strlen(x), "Empty", &b, NULL), 1);
	ck_assert_uint_eq(b.len, 0);
	ck_assert_int_eq(fr_s3_xml_text(x, strlen(x), "Nope", &b, NULL), 0);
	/* an unterminated element is not found, never read past the end */
	ck_assert_int_eq(fr_s3_xml_text("<Key>abc", 8, "Key", &b, NULL), 0);
	fr_buf_free(&b);
}
END_TEST

START_TEST(parse_paths)
{
	fr_arena *a = fr_arena_new(0);
	const char *b, *k;
	fr_err err = { 0 };
	ck_assert_int_eq(fr_s3_parse("s3://bucket.x/a/b.parquet", a, &b, &k, &err), 0);
	ck_assert_str_eq(b, "bucket.x");
	ck_assert_str_eq(k, "a/b.parquet");
	ck_assert_int_eq(fr_s3_parse("s3://bucket/", a, &b, &k, &err), 0);
	ck_assert_str_eq(k, "");
	ck_assert_int_eq(fr_s3_parse("s3://bucket", a, &b, &k, &err), FR_EINVAL);
	ck_assert_int_eq(fr_s3_parse("s3:///x", a, &b, &k, &err), FR_EINVAL);
	ck_assert_int_eq(fr_s3_parse("s3://b@d/x", a, &b, &k, &err), FR_EINVAL);
	ck_assert_ptr_nonnull(strstr(err.msg, "Invalid path"));
	/* basepaths: interfaces.md §4.1's pattern, whole string */
	ck_assert_int_eq(fr_s3_check_basepath("s3://bucket/", &err), 0);
	ck_assert_int_eq(fr_s3_check_basepath("s3://b.u-c_k/a/b/", &err), 0);
	ck_assert_int_eq(fr_s3_check_basepath("s3://bucket", &err), FR_EINVAL);
	ck_assert_int_eq(fr_s3_check_basepath("s3://bucket/dt=2021/", &err), FR_EINVAL);
	ck_assert_str_eq(err.msg, "Invalid path: s3://bucket/dt=2021/ (protocol: S3)");
	ck_assert_int_eq(fr_s3_check_basepath("s3:/", &err), FR_EINVAL);
	fr_arena_free(a);
}
END_TEST

START_TEST(creds_overrides_first)
{
	setenv("AWS_ACCESS_KEY_ID", "ENVKEY", 1);
	setenv("AWS_SECRET_ACCESS_KEY", "envsecret", 1);
	fr_storage_s3_opts o;
	fr_storage_s3_defaults(&o);
	o.env = environ;
	o.access_key_id = "FRKEY";
	o.secret_access_key = "frsecret";
	fr_err err = { 0 };
	fr_storage_s3_init(&o, &err);
	fr_aws_creds c;
	ck_assert_int_eq(fr_s3_creds_get(&c, &err), 0);
	ck_assert_str_eq(c.access_key_id, "FRKEY");
	ck_assert_ptr_null(c.token);
	fr_aws_creds_free(&c);
	/* only one of the pair: refused by name, the secret never shown */
	o.access_key_id = NULL;
	fr_storage_s3_init(&o, &err);
	ck_assert_int_eq(fr_s3_creds_get(&c, &err), FR_EINVAL);
	ck_assert_ptr_nonnull(strstr(err.msg, "partial S3 credentials"));
	ck_assert_ptr_null(strstr(err.msg, "frsecret"));
	/* without overrides: the environment, with its session token */
	setenv("AWS_SESSION_TOKEN", "envtoken", 1);
	recapture();
	ck_assert_int_eq(fr_s3_creds_get(&c, &err), 0);
	ck_assert_str_eq(c.access_key_id, "ENVKEY");
	ck_assert_str_eq(c.token, "envtoken");
	fr_aws_creds_free(&c);
	unsetenv("AWS_SECRET_ACCESS_KEY");
	recapture();
	ck_assert_int_eq(fr_s3_creds_get(&c, &err), FR_EINVAL);
	ck_assert_ptr_nonnull(strstr(err.msg, "AWS_SECRET_ACCESS_KEY"));
}
END_TEST

START_TEST(creds_shared_files_and_profiles)
{
	char p[512];
	write_file("credentials", "# comment\n[default]\naws_access_key_id = DEFKEY\n"
	           "aws_secret_access_key = defsecret\n\n[dev]\n; another\n"
	           "aws_access_key_id=DEVKEY\naws_secret_access_key=devsecret\n"
	           "aws_session_token = devtoken\n");
	write_file("config", "[default]\nregion = eu-west-3\n[profile cfg]\n"
	           "aws_access_key_id = CFGKEY\naws_secret_access_key = cfgsecret\n"
	           "region = ap-south-1\n");
	snprintf(p, sizeof p, "%s/credentials", tmpdir);
	setenv("AWS_SHARED_CREDENTIALS_FILE", p, 1);
	snprintf(p, sizeof p, "%s/config", tmpdir);
	setenv("AWS_CONFIG_FILE", p, 1);
	fr_err err = { 0 };
	fr_aws_creds c;
	recapture();
	ck_assert_int_eq(fr_s3_creds_get(&c, &err), 0);
	ck_assert_str_eq(c.access_key_id, "DEFKEY");
	fr_aws_creds_free(&c);
	ck_assert_str_eq(fr_s3_region(), "eu-west-3");
	setenv("AWS_PROFILE", "dev", 1);
	recapture();
	ck_assert_int_eq(fr_s3_creds_get(&c, &err), 0);
	ck_assert_str_eq(c.access_key_id, "DEVKEY");
	ck_assert_str_eq(c.token, "devtoken");
	fr_aws_creds_free(&c);
	/* a profile only in the config file: "[profile NAME]" */
	setenv("AWS_PROFILE", "cfg", 1);
	recapture();
	ck_assert_int_eq(fr_s3_creds_get(&c, &err), 0);
	ck_assert_str_eq(c.access_key_id, "CFGKEY");
	fr_aws_creds_free(&c);
	ck_assert_str_eq(fr_s3_region(), "ap-south-1");
	/* the region environment variables win over the profile */
	setenv("AWS_DEFAULT_REGION", "us-west-1", 1);
	recapture();
	ck_assert_str_eq(fr_s3_region(), "us-west-1");
	setenv("AWS_REGION", "us-west-2", 1);
	recapture();
	ck_assert_str_eq(fr_s3_region(), "us-west-2");
	/* storage reads the environment it was given, never the process's own */
	setenv("AWS_REGION", "eu-north-1", 1);
	fr_s3_creds_reset();
	ck_assert_str_eq(fr_s3_region(), "us-west-2");
	setenv("AWS_REGION", "us-west-2", 1);
	/* a missing profile: nothing found, the sources named, no secret in the message */
	unsetenv("AWS_REGION");
	unsetenv("AWS_DEFAULT_REGION");
	setenv("AWS_PROFILE", "nosuch", 1);
	recapture();
	ck_assert_int_eq(fr_s3_creds_get(&c, &err), FR_EINVAL);
	ck_assert_ptr_nonnull(strstr(err.msg, "no AWS credentials found"));
	ck_assert_ptr_nonnull(strstr(err.msg, "nosuch"));
	ck_assert_ptr_null(strstr(err.msg, "secret"));
	ck_assert_str_eq(fr_s3_region(), "us-east-1");
}
END_TEST

START_TEST(creds_container_full_uri_refused)
{
	setenv("AWS_CONTAINER_CREDENTIALS_FULL_URI", "http://203.0.113.9/creds", 1);
	recapture();
	fr_aws_creds c;
	fr_err err = { 0 };
	ck_assert_int_eq(fr_s3_creds_get(&c, &err), FR_EINVAL);
	ck_assert_ptr_nonnull(strstr(err.msg, "AWS_CONTAINER_CREDENTIALS_FULL_URI"));
	unsetenv("AWS_CONTAINER_CREDENTIALS_FULL_URI");
	/* a web identity token file that is not there is named */
	setenv("AWS_WEB_IDENTITY_TOKEN_FILE", "/nonexistent/token", 1);
	setenv("AWS_ROLE_ARN", "arn:aws:iam::123456789012:role/x", 1);
	recapture();
	ck_assert_int_eq(fr_s3_creds_get(&c, &err), FR_EIO);
	ck_assert_ptr_nonnull(strstr(err.msg, "/nonexistent/token"));
}
END_TEST

static void cache_opts(uint64_t max)
{
	fr_storage_s3_opts o;
	fr_storage_s3_defaults(&o);
	char d[512];
	snprintf(d, sizeof d, "%s/cache", tmpdir);
	o.cache_dir = d;
	o.cache_max_bytes = max;
	fr_err err = { 0 };
	ck_assert_int_eq(fr_storage_s3_init(&o, &err), 0);
}

START_TEST(cache_hits_lru_and_evict)
{
	cache_opts(3000);
	fr_buf b = FR_BUF_INIT;
	char data[1000];
	memset(data, 'a', sizeof data);
	ck_assert_int_eq(fr_s3_cache_get("k1", "0-1000", 1000, &b), 0);
	fr_s3_cache_put("k1", "0-1000", data, 1000);
	ck_assert_int_eq(fr_s3_cache_get("k1", "0-1000", 1000, &b), 1);
	ck_assert_uint_eq(b.len, 1000);
	ck_assert_int_eq(memcmp(b.data, data, 1000), 0);
	/* a wrong size is damage: a miss, and the entry is gone */
	fr_buf_reset(&b);
	ck_assert_int_eq(fr_s3_cache_get("k1", "0-1000", 999, &b), 0);
	ck_assert_int_eq(fr_s3_cache_get("k1", "0-1000", 1000, &b), 0);
	/* LRU: four entries of 1000 bytes in a 3000-byte cache; the oldest unused goes */
	fr_s3_cache_put("k1", "a", data, 1000);
	fr_s3_cache_put("k1", "b", data, 1000);
	fr_s3_cache_put("k2", "c", data, 1000);
	char p[512];
	snprintf(p, sizeof p, "%s/cache/k1/a", tmpdir);
	struct timespec old[2] = { { time(NULL) - 100, 0 }, { time(NULL) - 100, 0 } };
	ck_assert_int_eq(utimensat(AT_FDCWD, p, old, 0), 0);
	snprintf(p, sizeof p, "%s/cache/k1/b", tmpdir);
	struct timespec older[2] = { { time(NULL) - 200, 0 }, { time(NULL) - 200, 0 } };
	ck_assert_int_eq(utimensat(AT_FDCWD, p, older, 0), 0);
	/* a hit on b makes it the newest: a is now the least recently used */
	fr_buf_reset(&b);
	ck_assert_int_eq(fr_s3_cache_get("k1", "b", 1000, &b), 1);
	fr_s3_cache_put("k2", "d", data, 1000);
	fr_s3_cache_prune();
	fr_buf_reset(&b);
	ck_assert_int_eq(fr_s3_cache_get("k1", "a", 1000, &b), 0);
	ck_assert_int_eq(fr_s3_cache_get("k1", "b", 1000, &b), 1);
	ck_assert_int_eq(fr_s3_cache_get("k2", "c", 1000, &b), 1);
	ck_assert_int_eq(fr_s3_cache_get("k2", "d", 1000, &b), 1);
	/* eviction of a part drops all its entries, not the others' */
	fr_s3_cache_evict("k2");
	fr_buf_reset(&b);
	ck_assert_int_eq(fr_s3_cache_get("k2", "c", 1000, &b), 0);
	ck_assert_int_eq(fr_s3_cache_get("k1", "b", 1000, &b), 1);
	/* size 0 disables the cache */
	cache_opts(0);
	fr_s3_cache_put("k3", "x", data, 10);
	fr_buf_reset(&b);
	ck_assert_int_eq(fr_s3_cache_get("k3", "x", 10, &b), 0);
	fr_buf_free(&b);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("s3");
	TCase *tc = tcase_create("offline");
	tcase_set_timeout(tc, 60);
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, xml_local_names_and_entities);
	tcase_add_test(tc, parse_paths);
	tcase_add_test(tc, creds_overrides_first);
	tcase_add_test(tc, creds_shared_files_and_profiles);
	tcase_add_test(tc, creds_container_full_uri_refused);
	tcase_add_test(tc, cache_hits_lru_and_evict);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int nf = srunner_ntests_failed(sr);
	srunner_free(sr);
	return nf ? EXIT_FAILURE : EXIT_SUCCESS;
}
