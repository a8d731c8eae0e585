/* AWS credentials and region for S3 (aws.md §6, interfaces.md §3.4).  Order: the FROCKET_
 * overrides handed over in fr_storage_s3_opts, then the standard chain: environment, web
 * identity (STS AssumeRoleWithWebIdentity), the shared credentials and config files with
 * profiles, container credentials, IMDSv2.  Temporary credentials are cached and refreshed
 * five minutes before they expire.
 *
 * This file is the one place below the invoker that reads the environment: the AWS_*
 * variables of the standard chain belong to AWS's contract, not to frocket's settings, and
 * interfaces.md §3.4 has S3 fall back to them.  No FROCKET_* variable is read here. */
#include <ctype.h>
#include <errno.h>
#include <jansson.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "storage/dl.h"
#include "core/clock.h"
#include "storage/s3_internal.h"
#include "storage/sigv4.h"

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t rmu = PTHREAD_MUTEX_INITIALIZER;   /* region: taken inside mu */
static fr_aws_creds cached;
static int have_cached;
static char region_buf[64];
static int have_region;

/* A variable of the environment handed over in the settings (fr_storage_s3_opts.env);
 * empty counts as unset. */
static const char *env(const char *name)
{
	size_t n = strlen(name);
	for (char *const *e = fr_s3_opts()->env; e && *e; e++)
		if (!strncmp(*e, name, n) && (*e)[n] == '=')
			return (*e)[n + 1] ? *e + n + 1 : NULL;
	return NULL;
}

static char *xstrdup(const char *s)
{
	return s ? strdup(s) : NULL;
}

void fr_aws_creds_free(fr_aws_creds *c)
{
	if (c->secret)
		OPENSSL_cleanse(c->secret, strlen(c->secret));
	if (c->token)
		OPENSSL_cleanse(c->token, strlen(c->token));
	free(c->access_key_id);
	free(c->secret);
	free(c->token);
	memset(c, 0, sizeof *c);
}

static int set_creds(fr_aws_creds *c, const char *id, const char *secret, const char *token,
                     double expires, const char *source)
{
	c->access_key_id = xstrdup(id);
	c->secret = xstrdup(secret);
	c->token = token && *token ? xstrdup(token) : NULL;
	c->expires = expires;
	c->source = source;
	if (!c->access_key_id || !c->secret || (token && *token && !c->token)) {
		fr_aws_creds_free(c);
		return FR_ENOMEM;
	}
	return 0;
}

/* ISO 8601 UTC ("2026-11-24T07:32:24Z", fractions allowed) to epoch seconds; 0 if bad. */
static double parse_iso(const char *s)
{
	struct tm tm = { 0 };
	if (!s || !strptime(s, "%Y-%m-%dT%H:%M:%S", &tm))
		return 0;
	return (double)timegm(&tm);
}

/* ---- shared files (INI) ---- */

static char *trim(char *s)
{
	while (isspace((unsigned char)*s))
		s++;
	char *e = s + strlen(s);
	while (e > s && isspace((unsigned char)e[-1]))
		*--e = 0;
	return s;
}

/* Looks key up in section `section` of an INI file; value copied into out (n bytes).
 * 1 found, 0 not (or no file). */
static int ini_get(const char *path, const char *section, const char *key, char *out,
                   size_t n)
{
	FILE *f = path ? fopen(path, "r") : NULL;
	if (!f)
		return 0;
	char line[8192];
	int in = 0, found = 0;
	while (!found && fgets(line, sizeof line, f)) {
		char *s = trim(line);
		if (*s == '#' || *s == ';' || !*s)
			continue;
		if (*s == '[') {
			char *e = strchr(s, ']');
			if (e) {
				*e = 0;
				in = !strcmp(trim(s + 1), section);
			}
			continue;
		}
		char *eq = strchr(s, '=');
		if (!in || !eq)
			continue;
		*eq = 0;
		if (!strcmp(trim(s), key)) {
			snprintf(out, n, "%s", trim(eq + 1));
			found = 1;
		}
	}
	OPENSSL_cleanse(line, sizeof line);
	fclose(f);
	return found;
}

static const char *profile_name(void)
{
	const char *p = env("AWS_PROFILE");
	if (!p)
		p = env("AWS_DEFAULT_PROFILE");
	return p ? p : "default";
}

static void file_paths(char *cred, char *conf, size_t n)
{
	const char *home = env("HOME");
	const char *c = env("AWS_SHARED_CREDENTIALS_FILE");
	const char *g = env("AWS_CONFIG_FILE");
	if (c)
		snprintf(cred, n, "%s", c);
	else
		snprintf(cred, n, "%s/.aws/credentials", home ? home : "");
	if (g)
		snprintf(conf, n, "%s", g);
	else
		snprintf(conf, n, "%s/.aws/config", home ? home : "");
}

/* A key of the active profile: the credentials file wins over the config file. */
static int profile_get(const char *key, char *out, size_t n)
{
	char cred[4096], conf[4096], sect[512];
	file_paths(cred, conf, sizeof cred);
	const char *p = profile_name();
	if (ini_get(cred, p, key, out, n))
		return 1;
	if (!strcmp(p, "default"))
		snprintf(sect, sizeof sect, "default");
	else
		snprintf(sect, sizeof sect, "profile %s", p);
	return ini_get(conf, sect, key, out, n);
}

/* ---- small HTTP client for the credential endpoints ---- */

static size_t collect(char *p, size_t sz, size_t nm, void *ud)
{
	fr_buf *b = ud;
	size_t n = sz * nm;
	if (b->len + n > (1u << 20) || fr_buf_append(b, p, n))
		return 0;   /* an answer over 1 MiB is not a credential document */
	return n;
}

int fr_s3_http_simple(const char *method, const char *url, const char *const *headers,
                      const char *body, double timeout, long *status, fr_buf *out, fr_err *err)
{
	if (fr_dl_load(err))
		return err->code;
	CURL *c = curl_easy_init();
	struct curl_slist *h = NULL;
	if (!c)
		return fr_err_set(err, FR_ENOMEM, "out of memory");
	for (int i = 0; headers && headers[i]; i++)
		h = curl_slist_append(h, headers[i]);
	h = curl_slist_append(h, "Expect:");
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
	if (body) {
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
	} else if (!strcmp(method, "PUT")) {
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, "");
	}
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, (long)(timeout * 1000));
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, (long)(timeout * 1000));
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, collect);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, out);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
	CURLcode rc = curl_easy_perform(c);
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, status);
	curl_slist_free_all(h);
	curl_easy_cleanup(c);
	if (rc == CURLE_OK && fr_buf_putc(out, 0) == 0) {
		out->len--;
		return 0;
	}
	/* the URL never carries a secret (tokens travel in headers or bodies) */
	return fr_err_set(err, FR_EREMOTE, "%s: %s", url, curl_easy_strerror(rc));
}

/* {"AccessKeyId","SecretAccessKey","Token","Expiration"} (container and IMDS answers). */
static int from_json(const char *text, const char *source, fr_aws_creds *out, fr_err *err)
{
	json_error_t je;
	json_t *j = json_loads(text, 0, &je);
	const char *id = json_string_value(json_object_get(j, "AccessKeyId"));
	const char *sec = json_string_value(json_object_get(j, "SecretAccessKey"));
	const char *tok = json_string_value(json_object_get(j, "Token"));
	const char *exp = json_string_value(json_object_get(j, "Expiration"));
	int rc;
	if (!id || !sec)
		rc = fr_err_set(err, FR_EREMOTE, "%s: the answer has no AccessKeyId/SecretAccessKey",
		                source);
	else if ((rc = set_creds(out, id, sec, tok, parse_iso(exp), source)))
		fr_err_set(err, rc, "out of memory");
	json_decref(j);
	return rc;
}

/* ---- the chain links: 1 found, 0 not configured, <0 error ---- */

static int link_env(fr_aws_creds *out, fr_err *err)
{
	const char *id = env("AWS_ACCESS_KEY_ID"), *sec = env("AWS_SECRET_ACCESS_KEY");
	if (!id && !sec)
		return 0;
	if (!id || !sec)
		return fr_err_set(err, FR_EINVAL, "partial AWS credentials in the environment: "
		                  "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY must both be set");
	const char *tok = env("AWS_SESSION_TOKEN");
	if (!tok)
		tok = env("AWS_SECURITY_TOKEN");
	if (set_creds(out, id, sec, tok, 0, "environment"))
		return fr_err_set(err, FR_ENOMEM, "out of memory");
	return 1;
}

static int link_web_identity(fr_aws_creds *out, fr_err *err)
{
	char tokfile[4096], role[2048], sess[256];
	const char *tf = env("AWS_WEB_IDENTITY_TOKEN_FILE"), *ra = env("AWS_ROLE_ARN");
	if (tf)
		snprintf(tokfile, sizeof tokfile, "%s", tf);
	else if (!profile_get("web_identity_token_file", tokfile, sizeof tokfile))
		return 0;
	if (ra)
		snprintf(role, sizeof role, "%s", ra);
	else if (!profile_get("role_arn", role, sizeof role))
		return 0;
	const char *sn = env("AWS_ROLE_SESSION_NAME");
	snprintf(sess, sizeof sess, "%s", sn ? sn : "frocket");
	/* read the token at each refresh: the platform rotates the file */
	FILE *f = fopen(tokfile, "r");
	if (!f)
		return fr_err_set(err, FR_EIO, "web identity token file %s: %s", tokfile,
		                  strerror(errno));
	fr_buf tok = FR_BUF_INIT, form = FR_BUF_INIT, ans = FR_BUF_INIT, v = FR_BUF_INIT;
	char chunk[4096];
	size_t r;
	while ((r = fread(chunk, 1, sizeof chunk, f)) > 0 && tok.len < (1u << 20))
		fr_buf_append(&tok, chunk, r);
	fclose(f);
	while (tok.len && isspace(tok.data[tok.len - 1]))
		tok.len--;
	int rc = fr_buf_printf(&form, "Action=AssumeRoleWithWebIdentity&Version=2011-06-15"
	                       "&RoleArn=");
	rc = rc ? rc : fr_sigv4_uri_encode(&form, role, strlen(role), 0);
	rc = rc ? rc : fr_buf_printf(&form, "&RoleSessionName=");
	rc = rc ? rc : fr_sigv4_uri_encode(&form, sess, strlen(sess), 0);
	rc = rc ? rc : fr_buf_printf(&form, "&WebIdentityToken=");
	rc = rc ? rc : fr_sigv4_uri_encode(&form, tok.data ? (char *)tok.data : "", tok.len, 0);
	rc = rc ? rc : fr_buf_putc(&form, 0);
	if (rc) {
		rc = fr_err_set(err, FR_ENOMEM, "out of memory");
		goto out;
	}
	char url[512];
	const char *ep = env("AWS_ENDPOINT_URL_STS");
	if (ep)
		snprintf(url, sizeof url, "%s", ep);
	else
		snprintf(url, sizeof url, "https://sts.%s.amazonaws.com/", fr_s3_region());
	const char *hdr[] = { "Content-Type: application/x-www-form-urlencoded",
		"Accept: application/xml", NULL };
	long status = 0;
	/* AssumeRoleWithWebIdentity is not SigV4-signed: the token is the proof */
	if ((rc = fr_s3_http_simple("POST", url, hdr, (char *)form.data, 10, &status, &ans, err)))
		goto out;
	if (status != 200) {
		int has = fr_s3_xml_text((char *)ans.data, ans.len, "Code", &v, NULL) == 1;
		rc = fr_err_set(err, FR_EREMOTE, "STS AssumeRoleWithWebIdentity for %s: HTTP %ld%s%s",
		                role, status, has ? " " : "", has ? (char *)v.data : "");
		goto out;
	}
	fr_buf id = FR_BUF_INIT, sec = FR_BUF_INIT, st = FR_BUF_INIT, ex = FR_BUF_INIT;
	const char *a = (char *)ans.data;
	if (fr_s3_xml_text(a, ans.len, "AccessKeyId", &id, NULL) == 1 &&
	    fr_s3_xml_text(a, ans.len, "SecretAccessKey", &sec, NULL) == 1 &&
	    fr_s3_xml_text(a, ans.len, "SessionToken", &st, NULL) == 1) {
		fr_s3_xml_text(a, ans.len, "Expiration", &ex, NULL);
		rc = set_creds(out, (char *)id.data, (char *)sec.data, (char *)st.data,
		               ex.data ? parse_iso((char *)ex.data) : 0, "web identity");
		if (rc)
			fr_err_set(err, rc, "out of memory");
		else
			rc = 1;
	} else {
		rc = fr_err_set(err, FR_EREMOTE, "STS AssumeRoleWithWebIdentity for %s: no "
		                "credentials in the answer", role);
	}
	if (sec.data)
		OPENSSL_cleanse(sec.data, sec.len);
	fr_buf_free(&id);
	fr_buf_free(&sec);
	fr_buf_free(&st);
	fr_buf_free(&ex);
out:
	if (ans.data)
		OPENSSL_cleanse(ans.data, ans.len);
	if (tok.data)
		OPENSSL_cleanse(tok.data, tok.len);
	if (form.data)
		OPENSSL_cleanse(form.data, form.len);
	fr_buf_free(&tok);
	fr_buf_free(&form);
	fr_buf_free(&ans);
	fr_buf_free(&v);
	return rc;
}

static int link_files(fr_aws_creds *out, fr_err *err)
{
	char id[256], sec[256], tok[4096];
	int hid = profile_get("aws_access_key_id", id, sizeof id);
	int hsec = profile_get("aws_secret_access_key", sec, sizeof sec);
	int rc = 0;
	if (!hid && !hsec)
		return 0;
	if (!hid || !hsec) {
		rc = fr_err_set(err, FR_EINVAL, "partial credentials in profile '%s' of the shared "
		                "AWS files", profile_name());
	} else {
		int htok = profile_get("aws_session_token", tok, sizeof tok);
		rc = set_creds(out, id, sec, htok ? tok : NULL, 0, "shared credentials file");
		rc = rc ? fr_err_set(err, rc, "out of memory") : 1;
	}
	OPENSSL_cleanse(sec, sizeof sec);
	OPENSSL_cleanse(tok, sizeof tok);
	return rc;
}

/* FULL_URI must be https or name a host the container agent can be (aws.md §6). */
static int full_uri_allowed(const char *url)
{
	if (!strncmp(url, "https://", 8))
		return 1;
	static const char *const ok[] = { "http://127.0.0.1", "http://localhost",
		"http://169.254.170.2", "http://169.254.170.23", "http://[fd00:ec2::23]",
		"http://[::1]", NULL };
	for (int i = 0; ok[i]; i++) {
		size_t l = strlen(ok[i]);
		if (!strncmp(url, ok[i], l) && (url[l] == ':' || url[l] == '/' || !url[l]))
			return 1;
	}
	return 0;
}

static int link_container(fr_aws_creds *out, fr_err *err)
{
	const char *rel = env("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI");
	const char *full = env("AWS_CONTAINER_CREDENTIALS_FULL_URI");
	char url[4096];
	if (rel)
		snprintf(url, sizeof url, "http://169.254.170.2%s", rel);
	else if (full) {
		if (!full_uri_allowed(full))
			return fr_err_set(err, FR_EINVAL, "AWS_CONTAINER_CREDENTIALS_FULL_URI must be "
			                  "https or a loopback/container-agent address: %s", full);
		snprintf(url, sizeof url, "%s", full);
	} else
		return 0;
	char auth[8192] = "";
	const char *tf = env("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE");
	const char *tv = env("AWS_CONTAINER_AUTHORIZATION_TOKEN");
	if (tf) {
		FILE *f = fopen(tf, "r");
		if (!f)
			return fr_err_set(err, FR_EIO, "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE %s: %s",
			                  tf, strerror(errno));
		char t[8000];
		size_t r = fread(t, 1, sizeof t - 1, f);
		fclose(f);
		t[r] = 0;
		snprintf(auth, sizeof auth, "Authorization: %s", trim(t));
		OPENSSL_cleanse(t, sizeof t);
	} else if (tv) {
		snprintf(auth, sizeof auth, "Authorization: %s", tv);
	}
	const char *hdr[] = { auth[0] ? auth : NULL, NULL };
	fr_buf ans = FR_BUF_INIT;
	long status = 0;
	int rc = fr_s3_http_simple("GET", url, hdr, NULL, 5, &status, &ans, err);
	OPENSSL_cleanse(auth, sizeof auth);
	if (!rc && status != 200)
		rc = fr_err_set(err, FR_EREMOTE, "container credentials %s: HTTP %ld", url, status);
	if (!rc)
		rc = from_json((char *)ans.data, "container credentials", out, err) ? err->code : 1;
	if (ans.data)
		OPENSSL_cleanse(ans.data, ans.len);
	fr_buf_free(&ans);
	return rc;
}

static const char *imds_base(void)
{
	const char *e = env("AWS_EC2_METADATA_SERVICE_ENDPOINT");
	return e ? e : "http://169.254.169.254";
}

static int imds_disabled(void)
{
	const char *d = env("AWS_EC2_METADATA_DISABLED");
	return d && !strcasecmp(d, "true");
}

/* IMDSv2 GET of path (falls back to v1 when the token PUT is refused with 403/404/405). */
static int imds_get(const char *path, fr_buf *out, fr_err *err)
{
	char url[1024], tokh[256] = "";
	const char *base = imds_base();
	size_t bl = strlen(base);
	while (bl && base[bl - 1] == '/')
		bl--;
	snprintf(url, sizeof url, "%.*s/latest/api/token", (int)bl, base);
	const char *th[] = { "X-aws-ec2-metadata-token-ttl-seconds: 21600", NULL };
	fr_buf tok = FR_BUF_INIT;
	long status = 0;
	int rc = 0;
	/* short timeouts and one retry: off EC2 this must cost little */
	for (int i = 0; i < 2; i++) {
		fr_buf_reset(&tok);
		if (!(rc = fr_s3_http_simple("PUT", url, th, NULL, 1, &status, &tok, err)))
			break;
	}
	if (rc) {
		fr_buf_free(&tok);
		return rc;
	}
	if (status == 200)
		snprintf(tokh, sizeof tokh, "X-aws-ec2-metadata-token: %s", (char *)tok.data);
	else if (status != 403 && status != 404 && status != 405) {
		fr_buf_free(&tok);
		return fr_err_set(err, FR_EREMOTE, "IMDS token: HTTP %ld", status);
	}
	fr_buf_free(&tok);
	snprintf(url, sizeof url, "%.*s%s", (int)bl, base, path);
	const char *gh[] = { tokh[0] ? tokh : NULL, NULL };
	rc = fr_s3_http_simple("GET", url, gh, NULL, 2, &status, out, err);
	OPENSSL_cleanse(tokh, sizeof tokh);
	if (!rc && status != 200)
		rc = fr_err_set(err, FR_EREMOTE, "IMDS %s: HTTP %ld", path, status);
	return rc;
}

static int link_imds(fr_aws_creds *out, fr_err *err)
{
	if (imds_disabled())
		return 0;
	fr_buf role = FR_BUF_INIT, ans = FR_BUF_INIT;
	int rc = imds_get("/latest/meta-data/iam/security-credentials/", &role, err);
	if (!rc) {
		char *nl = strchr((char *)role.data, '\n');
		if (nl)
			*nl = 0;
		char path[1024];
		snprintf(path, sizeof path, "/latest/meta-data/iam/security-credentials/%s",
		         trim((char *)role.data));
		rc = imds_get(path, &ans, err);
	}
	if (!rc)
		rc = from_json((char *)ans.data, "instance metadata", out, err) ? err->code : 1;
	if (ans.data)
		OPENSSL_cleanse(ans.data, ans.len);
	fr_buf_free(&role);
	fr_buf_free(&ans);
	return rc;
}

static int resolve(fr_aws_creds *out, fr_err *err)
{
	const fr_storage_s3_opts *o = fr_s3_opts();
	const char *id = o->access_key_id && *o->access_key_id ? o->access_key_id : NULL;
	const char *sec = o->secret_access_key && *o->secret_access_key ? o->secret_access_key
	                                                                : NULL;
	if (id && sec)
		return set_creds(out, id, sec, NULL, 0, "FROCKET settings") ?
		       fr_err_set(err, FR_ENOMEM, "out of memory") : 0;
	if (id || sec)
		return fr_err_set(err, FR_EINVAL, "partial S3 credentials: FROCKET_[S3_]AWS_"
		                  "ACCESS_KEY_ID and FROCKET_[S3_]AWS_SECRET_ACCESS_KEY must both be "
		                  "set");
	int (*links[])(fr_aws_creds *, fr_err *) = { link_env, link_web_identity, link_files,
		link_container, link_imds };
	for (size_t i = 0; i < sizeof links / sizeof *links; i++) {
		int rc = links[i](out, err);
		if (rc < 0)
			return rc;
		if (rc > 0)
			return 0;
	}
	fr_err imds = *err;
	return fr_err_set(err, FR_EINVAL, "no AWS credentials found (tried FROCKET_[S3_]AWS_*, "
	                  "AWS_ACCESS_KEY_ID, web identity, shared files of profile '%s', container "
	                  "credentials, instance metadata%s%s)", profile_name(),
	                  imds.code ? ": " : "", imds.code ? imds.msg : "");
}

int fr_s3_creds_get(fr_aws_creds *out, fr_err *err)
{
	memset(out, 0, sizeof *out);
	pthread_mutex_lock(&mu);
	int rc = 0;
	if (!have_cached || (cached.expires > 0 && fr_wall_s() > cached.expires - 300)) {
		fr_aws_creds fresh = { 0 };
		if ((rc = resolve(&fresh, err))) {
			pthread_mutex_unlock(&mu);
			return rc;
		}
		fr_aws_creds_free(&cached);
		cached = fresh;
		have_cached = 1;
	}
	if (set_creds(out, cached.access_key_id, cached.secret, cached.token, cached.expires,
	              cached.source))
		rc = fr_err_set(err, FR_ENOMEM, "out of memory");
	pthread_mutex_unlock(&mu);
	return rc;
}

void fr_s3_creds_invalidate(void)
{
	pthread_mutex_lock(&mu);
	if (have_cached && cached.expires > 0) {
		fr_aws_creds_free(&cached);
		have_cached = 0;
	}
	pthread_mutex_unlock(&mu);
}

void fr_s3_creds_reset(void)
{
	pthread_mutex_lock(&mu);
	fr_aws_creds_free(&cached);
	have_cached = 0;
	pthread_mutex_unlock(&mu);
	pthread_mutex_lock(&rmu);
	have_region = 0;
	pthread_mutex_unlock(&rmu);
}

const char *fr_s3_region(void)
{
	pthread_mutex_lock(&rmu);
	if (!have_region) {
		const fr_storage_s3_opts *o = fr_s3_opts();
		const char *r = o->region && *o->region ? o->region : env("AWS_REGION");
		char prof[64];
		if (!r)
			r = env("AWS_DEFAULT_REGION");
		if (!r && profile_get("region", prof, sizeof prof))
			r = prof;
		fr_buf b = FR_BUF_INIT;
		fr_err e = { 0 };
		/* S3-compatible stores behind a custom endpoint expect us-east-1: probing the
		 * instance metadata would only cost a timeout there */
		if (!r && !(o->endpoint_url && *o->endpoint_url) && !imds_disabled() &&
		    !imds_get("/latest/meta-data/placement/region", &b, &e) && b.len)
			r = trim((char *)b.data);
		snprintf(region_buf, sizeof region_buf, "%s", r && *r ? r : "us-east-1");
		fr_buf_free(&b);
		have_region = 1;
	}
	pthread_mutex_unlock(&rmu);
	return region_buf;
}
