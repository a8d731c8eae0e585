/* frocket-server: the HTTP API.  Thin: settings, the invoker, the server, then wait for
 * SIGTERM/SIGINT and stop gracefully (exit 0). */
#include "config.h"

#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "invoker/runtime.h"
#include "server/server.h"

static void report_env(const char *msg, void *ctx)
{
	(void)ctx;
	fprintf(stderr, "frocket-server: %s\n", msg);
}

static void usage(FILE *f)
{
	fprintf(f,
	        "usage: frocket-server [--bind ADDRESS] [--port PORT]\n"
	        "\n"
	        "Serves the Funnel Rocket HTTP API (see frocket-server(1)).\n"
	        "  --bind ADDRESS  IPv4 or IPv6 address to listen on (FROCKET_APISERVER_BIND,\n"
	        "                  default 127.0.0.1)\n"
	        "  --port PORT     TCP port; 0 picks a free one (FROCKET_APISERVER_PORT or\n"
	        "                  APISERVER_PORT, default 5000)\n"
	        "Prints \"listening on ADDRESS:PORT\" on stderr once ready; SIGTERM or SIGINT\n"
	        "stops it after the requests in flight end.\n");
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "bind", required_argument, NULL, 'b' },
		{ "port", required_argument, NULL, 'p' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	const char *bind = NULL, *port = NULL;
	int c;
	while ((c = getopt_long(argc, argv, "b:p:h", opts, NULL)) != -1) {
		switch (c) {
		case 'b': bind = optarg; break;
		case 'p': port = optarg; break;
		case 'h': usage(stdout); return 0;
		case 'V': printf("frocket-server %s\n", PACKAGE_VERSION); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (optind != argc) {
		fprintf(stderr, "frocket-server: unexpected argument '%s'\n", argv[optind]);
		usage(stderr);
		return 2;
	}
	/* Every thread started from here on inherits the mask; main takes the signals with
	 * sigwait.  SIGPIPE: a vanished client is an error return, never a signal. */
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);

	/* every FROCKET_* setting checked (each bad one named), logging to FROCKET_LOG_FILE */
	fr_err err = { 0 };
	fr_invoker_opts io;
	fr_srv_opts so;
	if (fr_runtime_init(1, report_env, NULL, &err) || fr_invoker_opts_load(&io, &err) ||
	    fr_srv_opts_load(&so, &err)) {
		if (err.msg[0])
			fprintf(stderr, "frocket-server: %s\n", err.msg);
		return 2;
	}
	if (bind) {
		if (strlen(bind) >= sizeof so.bind) {
			fprintf(stderr, "frocket-server: --bind %s: too long\n", bind);
			return 2;
		}
		snprintf(so.bind, sizeof so.bind, "%s", bind);
	}
	if (port) {
		char *end;
		long p = strtol(port, &end, 10);
		if (*end || end == port || p < 0 || p > 65535) {
			fprintf(stderr, "frocket-server: --port %s: must be 0..65535\n", port);
			return 2;
		}
		so.port = (int)p;
	}
	fr_invoker *inv;
	if (fr_invoker_new(&io, &inv, &err)) {
		fprintf(stderr, "frocket-server: %s\n", err.msg);
		fr_srv_opts_free(&so);
		return 1;
	}
	fr_srv *s;
	if (fr_srv_start(&so, inv, &s, &err)) {
		fprintf(stderr, "frocket-server: %s\n", err.msg);
		fr_invoker_free(inv);
		fr_srv_opts_free(&so);
		return 1;
	}
	int v6 = strchr(so.bind, ':') != NULL;
	fprintf(stderr, "listening on %s%s%s:%d\n", v6 ? "[" : "", so.bind, v6 ? "]" : "",
	        fr_srv_port(s));
	fflush(stderr);
	FR_INFO("server", "frocket-server %s listening on %s port %d (%d workers)",
	        PACKAGE_VERSION, so.bind, fr_srv_port(s), so.workers);
	int sig = 0;
	while (sigwait(&set, &sig))
		;
	/* in-flight requests may run as long as a job may (§1.1: 1.1 x the run timeout) */
	double grace = 1.1 * io.run_timeout + 1;
	FR_INFO("server", "%s: stopping (waiting up to %.0f s for requests in flight)",
	        sig == SIGTERM ? "SIGTERM" : "SIGINT", grace);
	fr_srv_stop(s, grace);
	fr_invoker_free(inv);
	fr_srv_opts_free(&so);
	FR_INFO("server", "stopped");
	return 0;
}
