# src/invoker: jobs (registration, query) over an executor; the local thread-pool executor.
libfrocket_a_SOURCES += src/invoker/invoker.c src/invoker/job.c src/invoker/local.c \
	src/invoker/query.c src/invoker/register.c src/invoker/stats.c
noinst_HEADERS += src/invoker/invoker.h src/invoker/internal.h
