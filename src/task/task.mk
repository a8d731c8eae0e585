# src/task: the task runner (the one code path every executor calls).
libfrocket_a_SOURCES += src/task/run.c
noinst_HEADERS += src/task/task.h
