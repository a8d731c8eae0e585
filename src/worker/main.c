/* `frocket-worker`: serves the Redis work queue of FROCKET_INVOKER=work_queue.  Thin: reads
 * its settings (the invoker layer's loaders, so worker and invoker agree on the Redis
 * settings), starts the task loops and turns SIGTERM/SIGINT into "finish the task in hand and
 * exit 0". */
#include "config.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/config.h"
#include "core/log.h"
#include "invoker/invoker.h"
#include "invoker/runtime.h"
#include "worker/worker.h"

static volatile sig_atomic_t stop;

static void report_env(const char *msg, void *ctx)
{
	(void)ctx;
	fprintf(stderr, "frocket-worker: %s\n", msg);
}

static void usage(FILE *f)
{
	fprintf(f, "usage: frocket-worker [--threads N]\n\n"
	        "Takes query and registration tasks from the Redis work queue and runs them.\n"
	        "Settings come from FROCKET_* variables (FROCKET_REDIS_HOST, FROCKET_REDIS_PORT,\n"
	        "FROCKET_DATASTORE_REDIS_*, FROCKET_REDIS_PASSWORD, FROCKET_WORKER_REJECT_AGE, ...);\n"
	        "see frocket-worker(1).\n\n"
	        "  --threads N   task loops in this process (default 1)\n"
	        "  --version     print the version\n");
}

typedef struct waiter {
	sigset_t set;
} waiter;

/* Waits for SIGTERM/SIGINT (blocked in every thread) and asks the loops to stop. */
static void *sig_main(void *arg)
{
	waiter *w = arg;
	int sig = 0;
	while (!stop) {
		if (sigwait(&w->set, &sig) == 0 && (sig == SIGTERM || sig == SIGINT)) {
			fr_log(FR_LOG_INFO, "worker", "%s: finishing the tasks in hand, then exiting",
			       sig == SIGTERM ? "SIGTERM" : "SIGINT");
			stop = 1;
		}
	}
	return NULL;
}

int main(int argc, char **argv)
{
	int threads = 1;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
			usage(stdout);
			return 0;
		} else if (!strcmp(argv[i], "--version")) {
			printf("frocket-worker %s\n", PACKAGE_VERSION);
			return 0;
		} else if (!strcmp(argv[i], "--threads") && i + 1 < argc) {
			char *end;
			errno = 0;
			long v = strtol(argv[++i], &end, 10);
			if (errno || end == argv[i] || *end || v < 1 || v > 1024) {
				fprintf(stderr, "frocket-worker: --threads %s: must be 1..1024\n", argv[i]);
				return 2;
			}
			threads = (int)v;
		} else {
			fprintf(stderr, "frocket-worker: unexpected argument '%s'\n", argv[i]);
			usage(stderr);
			return 2;
		}
	}
	/* every FROCKET_* setting checked up front (each bad one named), logging (to
	 * FROCKET_LOG_FILE when set), the SIMD kernels, the allocator's policy */
	fr_err err = { 0 };
	if (fr_runtime_init(1, report_env, NULL, &err)) {
		if (err.msg[0])
			fprintf(stderr, "frocket-worker: %s\n", err.msg);
		return 2;
	}
	fr_worker_opts o;
	memset(&o, 0, sizeof o);
	int64_t preflight_ms = 200;
	o.threads = threads;
	if (fr_invoker_redis_opts_load("datastore", &o.redis, &err) ||
	    fr_invoker_redis_opts_load("blobstore", &o.blob_redis, &err) ||
	    fr_config_double("worker.reject.age", 60, &o.reject_age, &err) ||
	    fr_config_double("worker.idle.release.seconds", 10, &o.idle_release, &err) ||
	    fr_config_int("part.selection.preflight.ms", 200, &preflight_ms, &err)) {
		fprintf(stderr, "frocket-worker: %s\n", err.msg);
		return 2;
	}
	o.preflight = (double)preflight_ms / 1000.0;
	char host[64] = "host";
	gethostname(host, sizeof host - 1);
	host[sizeof host - 1] = 0;
	snprintf(o.id, sizeof o.id, "%s:%d", host, (int)getpid());

	waiter w;
	sigemptyset(&w.set);
	sigaddset(&w.set, SIGTERM);
	sigaddset(&w.set, SIGINT);
	pthread_sigmask(SIG_BLOCK, &w.set, NULL);
	signal(SIGPIPE, SIG_IGN);
	pthread_t sth;
	if (pthread_create(&sth, NULL, sig_main, &w)) {
		fprintf(stderr, "frocket-worker: cannot start the signal thread\n");
		return 1;
	}
	pthread_detach(sth);
	fr_log(FR_LOG_INFO, "worker", "frocket-worker %s: %d task loop%s on redis %s:%d/%d, "
	       "queue %squeues:default", PACKAGE_VERSION, threads, threads == 1 ? "" : "s",
	       o.redis.host, o.redis.port, o.redis.db, o.redis.prefix);
	int rc = fr_worker_run(&o, &stop, &err);
	if (rc) {
		fprintf(stderr, "frocket-worker: %s\n", err.msg);
		return 1;
	}
	fr_log(FR_LOG_INFO, "worker", "stopped");
	return 0;
}
