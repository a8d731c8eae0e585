/* Routing (interfaces.md §1.2): the raw request path and method to a route, its allowed
 * methods and its percent-decoded, checked dataset name.  Pure, so the fuzz target can
 * drive it with any bytes. */
#include "server/server.h"

#include <stdlib.h>
#include <string.h>

#include "datastore/catalog.h"

static const struct {
	const char *action;
	fr_srv_route_id id;
	const char *allow;
} actions[] = {
	{ "schema", FR_RT_SCHEMA, "GET, HEAD" },
	{ "parts", FR_RT_PARTS, "GET, HEAD" },
	{ "query", FR_RT_QUERY, "POST" },
	{ "empty-query", FR_RT_EMPTY, "GET" },   /* a job: HEAD would run it for nothing */
	{ "unregister", FR_RT_UNREGISTER, "POST" },
};

static int allowed(const char *allow, const char *method)
{
	/* allow is a ", "-separated list of tokens */
	size_t n = strlen(method);
	for (const char *p = allow; p && *p; ) {
		if (!strncmp(p, method, n) && (p[n] == 0 || p[n] == ','))
			return 1;
		p = strchr(p, ',');
		if (p)
			p += 2;
	}
	return 0;
}

int fr_srv_route_match(const char *url, const char *method, fr_srv_route *out, fr_err *err)
{
	memset(out, 0, sizeof *out);
	if (!strcmp(url, "/health")) {
		out->id = FR_RT_HEALTH;
		out->allow = "GET, HEAD";
	} else if (!strcmp(url, "/metrics") || !strncmp(url, "/metrics/", 9)) {
		out->id = FR_RT_METRICS;   /* any method, as the original's mounted exporter */
		out->allow = NULL;
	} else if (!strcmp(url, "/datasets")) {
		out->id = FR_RT_LIST;
		out->allow = "GET, HEAD";
	} else if (!strcmp(url, "/datasets/register")) {
		out->id = FR_RT_REGISTER;
		out->allow = "POST";
	} else if (!strncmp(url, "/datasets/", 10)) {
		const char *seg = url + 10, *slash = strchr(seg, '/');
		/* exactly /datasets/<name>/<action>: a decoded %2F never splits the name */
		if (!slash || slash == seg || strchr(slash + 1, '/'))
			return 0;
		for (size_t i = 0; i < sizeof actions / sizeof actions[0]; i++)
			if (!strcmp(slash + 1, actions[i].action)) {
				out->id = actions[i].id;
				out->allow = actions[i].allow;
			}
		if (out->id == FR_RT_NONE)
			return 0;
		size_t n = (size_t)(slash - seg);
		char *raw = malloc(n + 1);
		out->name = malloc(n + 1);
		if (!raw || !out->name) {
			free(raw);
			fr_srv_route_free(out);
			return fr_err_set(err, FR_ENOMEM, "out of memory");
		}
		memcpy(raw, seg, n);
		raw[n] = 0;
		int rc = fr_srv_url_decode(raw, 0, out->name, err);
		if (!rc)
			rc = fr_catalog_check_name(out->name, err);
		free(raw);
		if (rc) {
			free(out->name);
			out->name = NULL;
			out->bad_name = 1;
			if (rc == FR_ENOMEM)
				return rc;
		}
	} else {
		return 0;
	}
	out->method_ok = !out->allow || allowed(out->allow, method);
	return 0;
}

void fr_srv_route_free(fr_srv_route *r)
{
	free(r->name);
	r->name = NULL;
}
