/* Fuzz target for frocket-server's request handling that does not need a socket: routing of
 * any path and method (decoding, name checks), the boolean parameters, registration bodies
 * and the API flavour of stored documents.  Input: a method byte, then the path up to the
 * first NUL, then the body.  Invariants: decoded names are valid names; a body that parses
 * yields the four required fields; the API flavour of a document that parses parses again,
 * and its pretty form is its compact form plus whitespace. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/arena.h"
#include "datastore/catalog.h"
#include "server/server.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const methods[] = { "GET", "HEAD", "POST", "PUT", "DELETE", "OPTIONS",
	"PATCH", "FOO" };

static void route(const char *path, const char *method)
{
	fr_srv_route rt;
	fr_err err = { 0 };
	if (fr_srv_route_match(path, method, &rt, &err))
		return;   /* out of memory */
	if (rt.name) {
		fr_err e2 = { 0 };
		if (rt.bad_name || fr_catalog_check_name(rt.name, &e2) ||
		    strlen(rt.name) > strlen(path))
			abort();   /* only valid names come out, never longer than their encoding */
	}
	if (rt.id == FR_RT_NONE && (rt.name || rt.bad_name))
		abort();
	if (rt.id != FR_RT_NONE && rt.id != FR_RT_METRICS && !rt.allow)
		abort();
	fr_srv_route_free(&rt);
	char *out = malloc(strlen(path) + 1);
	if (out && !fr_srv_url_decode(path, 1, out, &err) && strlen(out) > strlen(path))
		abort();
	free(out);
	(void)fr_srv_bool_param(path);
}

static void body(const char *b, size_t n)
{
	fr_arena *a = fr_arena_new(0);
	if (!a)
		return;
	fr_register_args args;
	fr_err err = { 0 };
	if (!fr_srv_parse_register(b, n, a, &args, &err) &&
	    (!args.name || !args.basepath || !args.group_col || !args.ts_col))
		abort();
	fr_arena_free(a);
	fr_buf flat = FR_BUF_INIT, pretty = FR_BUF_INIT, again = FR_BUF_INIT;
	int r0 = fr_srv_api_json(b, n, 0, &flat, &err);
	int r1 = fr_srv_api_json(b, n, 1, &pretty, &err);
	if (!r0 != !r1)
		abort();   /* the layout never decides whether a document is accepted */
	if (!r0) {
		fr_srv_json_compact(&pretty);
		if (pretty.len != flat.len || (flat.len && memcmp(pretty.data, flat.data, flat.len)))
			abort();   /* the pretty form is the compact one plus whitespace */
		if (fr_srv_api_json((const char *)flat.data, flat.len, 0, &again, &err))
			abort();   /* what we write parses */
	}
	fr_buf_free(&flat);
	fr_buf_free(&pretty);
	fr_buf_free(&again);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	const char *method = methods[data[0] % (sizeof methods / sizeof methods[0])];
	const uint8_t *p = data + 1, *nul = memchr(p, 0, size - 1);
	size_t plen = nul ? (size_t)(nul - p) : size - 1;
	char *path = malloc(plen + 1);
	if (!path)
		return 0;
	memcpy(path, p, plen);
	path[plen] = 0;
	route(path, method);
	free(path);
	if (nul)
		body((const char *)nul + 1, size - 1 - plen - 1);
	return 0;
}
