/* The API's documents and inputs: the API flavour of stored JSON (schemas), the compact form,
 * registration bodies, URL decoding and the original's boolean parameters.  JSON input is
 * parsed with jansson (which refuses invalid UTF-8 and NUL characters); output goes through
 * fr_jw so numbers print exactly as in the invoker's documents. */
#include "server/server.h"

#include <ctype.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "core/arena.h"
#include "core/jw.h"

/* Deep enough for any schema we store; deeper input is refused rather than recursed. */
#define MAX_DEPTH 24

static int cmp_str(const void *a, const void *b)
{
	/* UTF-8 byte order is code-point order: the original's sort_keys */
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static int emit(fr_jw *w, json_t *v, int clean, int depth)
{
	if (depth > MAX_DEPTH)
		return FR_ELIMIT;
	switch (json_typeof(v)) {
	case JSON_OBJECT: {
		size_t n = json_object_size(v), k = 0;
		const char **keys = malloc(sizeof *keys * (n ? n : 1));
		if (!keys)
			return FR_ENOMEM;
		const char *key;
		json_t *val;
		json_object_foreach(v, key, val) {
			/* objects only: emptiness is judged before the member's own cleaning */
			if (clean && (json_is_null(val) ||
			              (json_is_object(val) && json_object_size(val) == 0)))
				continue;
			keys[k++] = key;
		}
		qsort(keys, k, sizeof *keys, cmp_str);
		fr_jw_open(w, '{');
		int rc = 0;
		for (size_t i = 0; i < k && !rc; i++) {
			fr_jw_key(w, keys[i]);
			rc = emit(w, json_object_get(v, keys[i]), clean, depth + 1);
		}
		fr_jw_close(w, '}');
		free(keys);
		return rc;
	}
	case JSON_ARRAY: {
		fr_jw_open(w, '[');
		int rc = 0;
		for (size_t i = 0; i < json_array_size(v) && !rc; i++)
			rc = emit(w, json_array_get(v, i), 0, depth + 1);   /* arrays are not cleaned */
		fr_jw_close(w, ']');
		return rc;
	}
	case JSON_STRING:
		fr_jw_strn(w, json_string_value(v), json_string_length(v));
		return 0;
	case JSON_INTEGER:
		fr_jw_int(w, (int64_t)json_integer_value(v));
		return 0;
	case JSON_REAL:
		fr_jw_double(w, json_real_value(v));
		return 0;
	case JSON_TRUE:
	case JSON_FALSE:
		fr_jw_bool(w, json_is_true(v));
		return 0;
	case JSON_NULL:
		fr_jw_null(w);
		return 0;
	}
	return FR_EINVAL;
}

int fr_srv_api_json(const char *json, size_t len, int pretty, fr_buf *out, fr_err *err)
{
	json_error_t je;
	json_t *root = json_loadb(json, len, JSON_DECODE_ANY, &je);
	if (!root)
		return fr_err_set(err, FR_EINVAL, "stored document: %s (line %d column %d)", je.text,
		                  je.line, je.column);
	fr_jw w;
	fr_jw_init(&w, out, pretty);
	int rc = emit(&w, root, 1, 0);
	json_decref(root);
	if (rc == FR_ELIMIT)
		return fr_err_set(err, FR_ELIMIT, "stored document nests deeper than %d", MAX_DEPTH);
	if (rc || fr_jw_status(&w))
		return fr_err_set(err, FR_ENOMEM, "out of memory");
	if (!pretty)
		fr_srv_json_compact(out);
	return 0;
}

void fr_srv_json_compact(fr_buf *b)
{
	size_t o = 0;
	int in_str = 0, esc = 0;
	for (size_t i = 0; i < b->len; i++) {
		char c = (char)b->data[i];
		if (in_str) {
			if (esc)
				esc = 0;
			else if (c == '\\')
				esc = 1;
			else if (c == '"')
				in_str = 0;
		} else if (c == '"') {
			in_str = 1;
		} else if (c == ' ' || c == '\n' || c == '\t' || c == '\r') {
			continue;
		}
		b->data[o++] = (uint8_t)c;
	}
	b->len = o;
}

/* ---- registration bodies ---- */

/* Python-ish text of a value for "<value> is not a str" (compact JSON, cut short). */
static void value_text(json_t *v, char *out, size_t n)
{
	char *s = json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT);
	if (json_is_true(v))
		snprintf(out, n, "True");
	else if (json_is_false(v))
		snprintf(out, n, "False");
	else if (json_is_null(v))
		snprintf(out, n, "None");
	else if (json_is_string(v))
		snprintf(out, n, "'%.200s'", json_string_value(v));
	else
		snprintf(out, n, "%.200s", s ? s : "?");
	free(s);
}

typedef struct field {
	const char *camel, *snake;
	int kind;                  /* 0 string, 1 bool, 2 validation mode */
	json_t *v;
} field;

int fr_srv_parse_register(const char *body, size_t len, fr_arena *a, fr_register_args *out,
                          fr_err *err)
{
	memset(out, 0, sizeof *out);
	out->validation = FR_VALIDATE_SAMPLE;
	out->validate_uniques = 1;
	json_error_t je;
	json_t *root = json_loadb(body, len, 0, &je);
	if (!root) {
		/* jansson counts columns from 1, like Python's "line 1 column 1 (char 0)" */
		return fr_err_set(err, FR_EINVAL, "Invalid JSON body: %s: line %d column %d (char %d)",
		                  je.text, je.line, je.column, je.position);
	}
	if (!json_is_object(root)) {
		json_decref(root);
		return fr_err_set(err, FR_EINVAL, "the body must be a JSON object");
	}
	field f[] = {
		{ "name", "name", 0, NULL },
		{ "basepath", "basepath", 0, NULL },
		{ "groupIdColumn", "group_id_column", 0, NULL },
		{ "timestampColumn", "timestamp_column", 0, NULL },
		{ "pattern", "pattern", 0, NULL },
		{ "validationMode", "validation_mode", 2, NULL },
		{ "validateUniques", "validate_uniques", 1, NULL },
	};
	const size_t nf = sizeof f / sizeof f[0];
	const char *key;
	json_t *val;
	/* jansson iterates in insertion order: the later spelling wins */
	json_object_foreach(root, key, val) {
		for (size_t i = 0; i < nf; i++)
			if (!strcmp(key, f[i].camel) || !strcmp(key, f[i].snake))
				f[i].v = val;
	}
	int rc = 0;
	char txt[256];
	for (size_t i = 0; i < nf && !rc; i++) {
		json_t *v = f[i].v;
		if (!v || json_is_null(v)) {
			if (i < 4)   /* the four required fields; null counts as missing */
				rc = fr_err_set(err, FR_EINVAL, "'%s' missing or invalid in body", f[i].snake);
			continue;
		}
		if (f[i].kind == 1) {
			if (!json_is_boolean(v)) {
				value_text(v, txt, sizeof txt);
				rc = fr_err_set(err, FR_EINVAL, "%s is not a bool", txt);
			} else {
				out->validate_uniques = json_is_true(v);
			}
			continue;
		}
		if (!json_is_string(v)) {
			value_text(v, txt, sizeof txt);
			rc = fr_err_set(err, FR_EINVAL, "%s is not a str", txt);
			continue;
		}
		const char *s = json_string_value(v);
		if (f[i].kind == 2) {
			/* exact and case-sensitive, as the original's enum lookup */
			if (!strcmp(s, "SINGLE"))
				out->validation = FR_VALIDATE_SINGLE;
			else if (!strcmp(s, "FIRST_LAST"))
				out->validation = FR_VALIDATE_FIRST_LAST;
			else if (!strcmp(s, "SAMPLE"))
				out->validation = FR_VALIDATE_SAMPLE;
			else
				rc = fr_err_set(err, FR_EINVAL, "'%.200s' is not a valid DatasetValidationMode",
				                s);
			continue;
		}
		char *copy = fr_arena_strdup(a, s);
		if (!copy) {
			rc = fr_err_set(err, FR_ENOMEM, "out of memory");
			continue;
		}
		switch (i) {
		case 0: out->name = copy; break;
		case 1: out->basepath = copy; break;
		case 2: out->group_col = copy; break;
		case 3: out->ts_col = copy; break;
		default: out->pattern = copy; break;
		}
	}
	json_decref(root);
	return rc;
}

/* ---- URLs ---- */

static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c |= 0x20;
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

int fr_srv_url_decode(const char *in, int plus_space, char *out, fr_err *err)
{
	size_t o = 0;
	for (size_t i = 0; in[i]; i++) {
		char c = in[i];
		if (c == '%') {
			int h = in[i + 1] ? hexval((unsigned char)in[i + 1]) : -1;
			int l = h >= 0 && in[i + 2] ? hexval((unsigned char)in[i + 2]) : -1;
			if (h < 0 || l < 0)
				return fr_err_set(err, FR_EINVAL, "malformed percent-encoding in the URL");
			c = (char)(h * 16 + l);
			if (!c)
				return fr_err_set(err, FR_EINVAL, "the URL contains an encoded NUL (%%00)");
			i += 2;
		} else if (c == '+' && plus_space) {
			c = ' ';
		}
		out[o++] = c;
	}
	out[o] = 0;
	return 0;
}

int fr_srv_bool_param(const char *raw)
{
	if (!raw)
		return 0;
	size_t n = strlen(raw);
	char *s = malloc(n + 1);
	fr_err err;
	if (!s || fr_srv_url_decode(raw, 1, s, &err)) {
		free(s);
		return 0;
	}
	/* Python's str.strip(): ASCII whitespace is what clients send */
	char *p = s, *e = s + strlen(s);
	while (p < e && isspace((unsigned char)*p))
		p++;
	while (e > p && isspace((unsigned char)e[-1]))
		e--;
	int t = e - p == 4 && !strncasecmp(p, "true", 4);
	free(s);
	return t;
}
