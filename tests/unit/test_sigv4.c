/* SigV4 against every vector in tests/data/sigv4 (copied from the shared testdata with its
 * licence): for each case the canonical request, the string to sign and the signature must
 * match byte for byte; the two smithy-rs cases check double URI encoding. */
/* paths here are short; a truncated one would fail the test loudly anyway */
#pragma GCC diagnostic ignored "-Wformat-truncation"
#include <check.h>
#include <dirent.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "storage/sigv4.h"

static char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	fseek(f, 0, SEEK_END);
	long n = ftell(f);
	fseek(f, 0, SEEK_SET);
	char *b = malloc((size_t)n + 1);
	if (b && fread(b, 1, (size_t)n, f) != (size_t)n) {
		free(b);
		b = NULL;
	}
	if (b)
		b[n] = 0;
	if (len)
		*len = (size_t)n;
	fclose(f);
	return b;
}

static const char *datadir(void)
{
	static char d[4096];
	const char *top = getenv("FR_TOP_SRCDIR");
	snprintf(d, sizeof d, "%s/tests/data/sigv4", top ? top : ".");
	return d;
}

typedef struct parsed {
	char method[16];
	char *path, *query;
	fr_sigv4_hdr h[32];
	int nh;
	const char *body;
	size_t body_len;
	char amz_date[32];       /* an X-Amz-Date found in the request (smithy cases) */
	char *text;
} parsed;

/* request.txt: request line, Name:value lines (a leading blank continues the previous
 * header), a blank line, the body. */
static void parse_request(const char *file, parsed *p)
{
	memset(p, 0, sizeof *p);
	size_t n;
	p->text = slurp(file, &n);
	ck_assert_msg(p->text != NULL, "cannot read %s", file);
	char *s = p->text, *end = s + n;
	char *eol = strchr(s, '\n');
	if (eol)
		*eol = 0;
	char *sp = strchr(s, ' ');
	ck_assert(sp != NULL);
	*sp = 0;
	snprintf(p->method, sizeof p->method, "%s", s);
	char *target = sp + 1;
	char *sp2 = strstr(target, " HTTP/");
	if (sp2)
		*sp2 = 0;
	char *q = strchr(target, '?');
	if (q)
		*q++ = 0;
	p->path = target;
	p->query = q;
	s = eol ? eol + 1 : end;
	while (s < end && *s != '\n') {
		eol = strchr(s, '\n');
		char *next = eol ? eol + 1 : end;
		if (eol)
			*eol = 0;
		if ((*s == ' ' || *s == '\t') && p->nh > 0) {
			/* folded continuation: glue onto the previous value with a newline (the
			 * signer turns it into one space) */
			char *prev = (char *)p->h[p->nh - 1].value;
			size_t pl = strlen(prev);
			memmove(prev + pl + 1, s, strlen(s) + 1);
			prev[pl] = '\n';
		} else {
			char *c = strchr(s, ':');
			ck_assert(c != NULL);
			*c = 0;
			if (!strcasecmp(s, "x-amz-date")) {
				snprintf(p->amz_date, sizeof p->amz_date, "%s", c + 1);
			} else {
				ck_assert_int_lt(p->nh, 32);
				p->h[p->nh].name = s;
				p->h[p->nh].value = c + 1;
				p->nh++;
			}
		}
		s = next;
	}
	if (s < end && *s == '\n')
		s++;
	p->body = s < end ? s : "";
	p->body_len = s < end ? (size_t)(end - s) : 0;
}

static time_t parse_time(const char *iso)
{
	struct tm tm = { 0 };
	if (strchr(iso, '-'))
		ck_assert(strptime(iso, "%Y-%m-%dT%H:%M:%SZ", &tm) != NULL);
	else
		ck_assert(strptime(iso, "%Y%m%dT%H%M%SZ", &tm) != NULL);
	return timegm(&tm);
}

static void expect_file(const char *dir, const char *name, const char *got, const char *what)
{
	char path[4096];
	snprintf(path, sizeof path, "%s/%s", dir, name);
	char *want = slurp(path, NULL);
	ck_assert_msg(want != NULL, "missing %s", path);
	/* a few smithy-rs files end with a newline the value does not have */
	size_t wl = strlen(want);
	if (wl && want[wl - 1] == '\n' && !(*got && got[strlen(got) - 1] == '\n'))
		want[wl - 1] = 0;
	ck_assert_msg(!strcmp(want, got), "%s: %s differs\nwant:\n%s\ngot:\n%s", dir, what, want,
	              got);
	free(want);
}

static int run_case(const char *dir)
{
	char path[4096];
	snprintf(path, sizeof path, "%s/context.json", dir);
	json_error_t je;
	json_t *ctx = json_load_file(path, 0, &je);
	if (!ctx)
		return 0;   /* a folder without context.json is checked by its own test */
	json_t *cr = json_object_get(ctx, "credentials");
	fr_sigv4_creds c = {
		.access_key_id = json_string_value(json_object_get(cr, "access_key_id")),
		.secret = json_string_value(json_object_get(cr, "secret_access_key")),
		.token = json_string_value(json_object_get(cr, "token")),
	};
	const char *region = json_string_value(json_object_get(ctx, "region"));
	const char *service = json_string_value(json_object_get(ctx, "service"));
	time_t t = parse_time(json_string_value(json_object_get(ctx, "timestamp")));
	json_t *dbl = json_object_get(ctx, "double_uri_encode");
	const char *ph = json_string_value(json_object_get(ctx, "payload_hash"));
	parsed p;
	snprintf(path, sizeof path, "%s/request.txt", dir);
	parse_request(path, &p);
	char bodyhash[65];
	fr_sigv4_sha256_hex(p.body, p.body_len, bodyhash);
	fr_sigv4_req r = {
		.method = p.method, .path = p.path, .query = p.query, .headers = p.h,
		.nheaders = p.nh, .payload_hash = ph ? ph : bodyhash,
		.normalize = json_is_true(json_object_get(ctx, "normalize")),
		/* the v4 suite signs for a generic service: double encoding unless told */
		.double_encode = dbl ? json_is_true(dbl) : 1,
		.add_content_sha256 = json_is_true(json_object_get(ctx, "sign_body")),
		.omit_token = json_is_true(json_object_get(ctx, "omit_session_token")),
	};
	fr_sigv4_out o;
	fr_err err = { 0 };
	ck_assert_msg(fr_sigv4_sign(&r, &c, region, service, t, &o, &err) == 0, "%s: %s", dir,
	              err.msg);
	expect_file(dir, "header-canonical-request.txt", (char *)o.canonical.data,
	            "canonical request");
	expect_file(dir, "header-string-to-sign.txt", (char *)o.string_to_sign.data,
	            "string to sign");
	expect_file(dir, "header-signature.txt", o.signature, "signature");
	/* the Authorization header we send is the one in the signed request */
	snprintf(path, sizeof path, "%s/header-signed-request.txt", dir);
	char *signed_req = slurp(path, NULL);
	ck_assert_ptr_nonnull(signed_req);
	char *auth = strstr(signed_req, "Authorization:");
	ck_assert_ptr_nonnull(auth);
	auth += strlen("Authorization:");
	char *nl = strchr(auth, '\n');
	if (nl)
		*nl = 0;
	ck_assert_msg(!strcmp(auth, (char *)o.authorization.data), "%s: Authorization\n%s\n%s",
	              dir, auth, (char *)o.authorization.data);
	free(signed_req);
	if (c.token) {
		/* the token is always sent, signed or not */
		int found = 0;
		for (int i = 0; i < o.nadd; i++)
			found |= strstr((char *)o.add[i].data, "X-Amz-Security-Token: ") != NULL;
		ck_assert_msg(found, "%s: session token not sent", dir);
	}
	fr_sigv4_out_free(&o);
	free(p.text);
	json_decref(ctx);
	return 1;
}

static int run_folder(const char *sub)
{
	char d[4096];
	snprintf(d, sizeof d, "%s/%s", datadir(), sub);
	DIR *dir = opendir(d);
	ck_assert_msg(dir != NULL, "cannot open %s", d);
	struct dirent *e;
	int n = 0;
	while ((e = readdir(dir))) {
		if (e->d_name[0] == '.')
			continue;
		char c[4096];
		snprintf(c, sizeof c, "%s/%s", d, e->d_name);
		n += run_case(c);
	}
	closedir(dir);
	return n;
}

START_TEST(aws_v4_suite)
{
	/* all 38 header-signing cases of the AWS suite */
	ck_assert_int_eq(run_folder("v4"), 38);
}
END_TEST

START_TEST(s3_cases)
{
	ck_assert_int_eq(run_folder("s3"), 8);
}
END_TEST

START_TEST(s3_published_signatures)
{
	/* the four AWS-documented examples also record the published signature */
	const char *cases[] = { "s3-get-object-range", "s3-put-object", "s3-get-bucket-lifecycle",
		"s3-list-objects" };
	for (int i = 0; i < 4; i++) {
		char path[4096];
		snprintf(path, sizeof path, "%s/s3/%s/context.json", datadir(), cases[i]);
		json_error_t je;
		json_t *ctx = json_load_file(path, 0, &je);
		ck_assert_ptr_nonnull(ctx);
		const char *pub = json_string_value(json_object_get(ctx, "published_signature"));
		snprintf(path, sizeof path, "%s/s3/%s/header-signature.txt", datadir(), cases[i]);
		char *sig = slurp(path, NULL);
		ck_assert_str_eq(pub, sig);
		free(sig);
		json_decref(ctx);
	}
}
END_TEST

START_TEST(smithy_double_url_encode)
{
	char dir[4096];
	snprintf(dir, sizeof dir, "%s/v4-smithy-rs/double-url-encode", datadir());
	char path[4200];
	snprintf(path, sizeof path, "%s/request.txt", dir);
	parsed p;
	parse_request(path, &p);
	fr_sigv4_creds c = { "AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", NULL };
	fr_sigv4_req r = { .method = p.method, .path = p.path, .query = p.query, .headers = p.h,
		.nheaders = p.nh, .payload_hash = FR_SIGV4_EMPTY_SHA256, .normalize = 1,
		.double_encode = 1 };
	fr_sigv4_out o;
	fr_err err = { 0 };
	ck_assert_int_eq(fr_sigv4_sign(&r, &c, "us-east-2", "lambda", parse_time(p.amz_date), &o,
	                               &err), 0);
	expect_file(dir, "header-canonical-request.txt", (char *)o.canonical.data, "canonical");
	expect_file(dir, "header-string-to-sign.txt", (char *)o.string_to_sign.data, "sts");
	ck_assert_str_eq(o.signature,
	                 "4b93abbcc68be32bd64c18e2c71150660ab4c29bbd6c32a383a7517a88fc1804");
	fr_sigv4_out_free(&o);
	free(p.text);
}
END_TEST

START_TEST(smithy_double_encode_path)
{
	char dir[4096];
	snprintf(dir, sizeof dir, "%s/v4-smithy-rs/double-encode-path", datadir());
	char path[4200];
	snprintf(path, sizeof path, "%s/request.txt", dir);
	parsed p;
	parse_request(path, &p);
	fr_sigv4_creds c = { "ANOTREAL", "notrealrnrELgWzOk3IfjzDKtFBhDby", NULL };
	fr_sigv4_req r = { .method = p.method, .path = p.path, .query = p.query, .headers = p.h,
		.nheaders = p.nh, .payload_hash = FR_SIGV4_EMPTY_SHA256, .normalize = 1,
		.double_encode = 1 };
	fr_sigv4_out o;
	fr_err err = { 0 };
	ck_assert_int_eq(fr_sigv4_sign(&r, &c, "us-east-1", "service", parse_time(p.amz_date), &o,
	                               &err), 0);
	/* only the canonical URI line of that file is current (see the vectors' README) */
	snprintf(path, sizeof path, "%s/header-canonical-request.txt", dir);
	char *want = slurp(path, NULL);
	ck_assert_ptr_nonnull(want);
	char *l2 = strchr(want, '\n') + 1;
	*strchr(l2, '\n') = 0;
	char *g2 = strchr((char *)o.canonical.data, '\n') + 1;
	ck_assert_int_eq(strncmp(g2, l2, strlen(l2)), 0);
	ck_assert_str_eq(o.signature,
	                 "57d157672191bac40bae387e48bbe14b15303c001fdbb01f4abf295dccb09705");
	free(want);
	fr_sigv4_out_free(&o);
	free(p.text);
}
END_TEST

START_TEST(signing_key_published)
{
	unsigned char k[32];
	char hex[65];
	fr_sigv4_signing_key("wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", "20120215", "us-east-1",
	                     "iam", k);
	for (int i = 0; i < 32; i++)
		snprintf(hex + 2 * i, 3, "%02x", k[i]);
	ck_assert_str_eq(hex, "f4780e2d9f65fa895f9c67b32ce1baf0b0d8a43505a000a1a9e090d414db404d");
}
END_TEST

START_TEST(secret_never_in_output)
{
	/* nothing the signer hands back (headers, canonical request, errors) holds the secret */
	fr_sigv4_hdr h[] = { { "Host", "127.0.0.1:9000" } };
	fr_sigv4_req r = { .method = "GET", .path = "/b/k", .headers = h, .nheaders = 1,
		.payload_hash = FR_SIGV4_EMPTY_SHA256, .add_content_sha256 = 1 };
	fr_sigv4_creds c = { "AKID", "SuperSecretValue123", "tok" };
	fr_sigv4_out o;
	fr_err err = { 0 };
	ck_assert_int_eq(fr_sigv4_sign(&r, &c, "us-east-1", "s3", 0, &o, &err), 0);
	ck_assert_ptr_null(strstr((char *)o.canonical.data, "SuperSecret"));
	ck_assert_ptr_null(strstr((char *)o.authorization.data, "SuperSecret"));
	for (int i = 0; i < o.nadd; i++)
		ck_assert_ptr_null(strstr((char *)o.add[i].data, "SuperSecret"));
	fr_sigv4_out_free(&o);
	fr_sigv4_creds bad = { NULL, "SuperSecretValue123", NULL };
	ck_assert_int_eq(fr_sigv4_sign(&r, &bad, "us-east-1", "s3", 0, &o, &err), FR_EINVAL);
	ck_assert_ptr_null(strstr(err.msg, "SuperSecret"));
	fr_sigv4_out_free(&o);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("sigv4");
	TCase *tc = tcase_create("vectors");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, aws_v4_suite);
	tcase_add_test(tc, s3_cases);
	tcase_add_test(tc, s3_published_signatures);
	tcase_add_test(tc, smithy_double_url_encode);
	tcase_add_test(tc, smithy_double_encode_path);
	tcase_add_test(tc, signing_key_published);
	tcase_add_test(tc, secret_never_in_output);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int nf = srunner_ntests_failed(sr);
	srunner_free(sr);
	return nf ? EXIT_FAILURE : EXIT_SUCCESS;
}
