# src/task: one task (register or query one part) and its wire form.  run.c joins later.
libfrocket_a_SOURCES += src/task/wire.c
noinst_HEADERS += src/task/task.h

check_PROGRAMS += tests/unit/test_task_wire
TESTS += tests/unit/test_task_wire
tests_unit_test_task_wire_SOURCES = tests/unit/test_task_wire.c
tests_unit_test_task_wire_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_task_wire_LDADD = $(UNIT_LDADD)
include tests/fuzz/task.mk
