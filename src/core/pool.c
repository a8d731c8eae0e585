/* Thread pool: workers sleep on a condition variable between jobs and take task indexes from a
 * shared counter, so uneven parts balance themselves. */
#include "core/pool.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/config.h"

struct fr_pool {
	pthread_mutex_t mu;
	pthread_cond_t work;       /* a job was posted or the pool stops */
	pthread_cond_t done;       /* the last task of a job finished */
	pthread_t *threads;
	int nthreads;
	int stop;
	/* current job */
	uint64_t gen;              /* incremented per job, so workers see each job once */
	fr_pool_fn fn;
	void *arg;
	int n, next, finished;
};

static void *worker(void *vp)
{
	fr_pool *p = vp;
	uint64_t seen = 0;
	pthread_mutex_lock(&p->mu);
	for (;;) {
		while (!p->stop && (p->gen == seen || p->next >= p->n))
			pthread_cond_wait(&p->work, &p->mu);
		if (p->stop)
			break;
		seen = p->gen;
		while (p->next < p->n) {
			int i = p->next++;
			fr_pool_fn fn = p->fn;
			void *arg = p->arg;
			pthread_mutex_unlock(&p->mu);
			fn(arg, i);
			pthread_mutex_lock(&p->mu);
			if (++p->finished == p->n)
				pthread_cond_broadcast(&p->done);
		}
	}
	pthread_mutex_unlock(&p->mu);
	return NULL;
}

int fr_pool_new(int nthreads, fr_pool **out, fr_err *err)
{
	*out = NULL;
	if (nthreads < 1 || nthreads > 4096)
		return fr_err_set(err, FR_EINVAL, "thread pool: %d threads (must be 1..4096)",
		                  nthreads);
	fr_pool *p = calloc(1, sizeof *p);
	if (!p || !(p->threads = calloc((size_t)nthreads, sizeof(pthread_t)))) {
		free(p);
		return fr_err_set(err, FR_ENOMEM, "thread pool: out of memory");
	}
	pthread_mutex_init(&p->mu, NULL);
	pthread_cond_init(&p->work, NULL);
	pthread_cond_init(&p->done, NULL);
	for (int i = 0; i < nthreads; i++) {
		int rc = pthread_create(&p->threads[i], NULL, worker, p);
		if (rc) {
			fr_pool_free(p);
			return fr_err_set(err, FR_EIO, "thread pool: cannot start thread %d: %s", i,
			                  strerror(rc));
		}
		p->nthreads = i + 1;
	}
	*out = p;
	return 0;
}

void fr_pool_free(fr_pool *p)
{
	if (!p)
		return;
	pthread_mutex_lock(&p->mu);
	p->stop = 1;
	pthread_cond_broadcast(&p->work);
	pthread_mutex_unlock(&p->mu);
	for (int i = 0; i < p->nthreads; i++)
		pthread_join(p->threads[i], NULL);
	pthread_cond_destroy(&p->work);
	pthread_cond_destroy(&p->done);
	pthread_mutex_destroy(&p->mu);
	free(p->threads);
	free(p);
}

int fr_pool_threads(const fr_pool *p)
{
	return p->nthreads;
}

void fr_pool_run(fr_pool *p, int n, fr_pool_fn fn, void *arg)
{
	if (n <= 0)
		return;
	pthread_mutex_lock(&p->mu);
	p->fn = fn;
	p->arg = arg;
	p->n = n;
	p->next = 0;
	p->finished = 0;
	p->gen++;
	pthread_cond_broadcast(&p->work);
	while (p->finished < p->n)
		pthread_cond_wait(&p->done, &p->mu);
	p->n = 0;
	pthread_mutex_unlock(&p->mu);
}

int fr_pool_default_threads(fr_err *err)
{
	long cores = sysconf(_SC_NPROCESSORS_ONLN);
	int64_t n;
	if (cores < 1)
		cores = 1;
	if (cores > 4096)
		cores = 4096;
	/* range-checked (1..4096) by core/config */
	if (fr_config_int("local.threads", cores, &n, err))
		return -1;
	return (int)n;
}
