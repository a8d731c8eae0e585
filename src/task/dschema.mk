# src/task (dataset schema): per-part schema collection, merge, JSON forms, group-id sets.
# Kept apart from src/task/local.mk so the task and schema pieces of issue 14 merge cleanly.
libfrocket_a_SOURCES += src/task/dschema.c
noinst_HEADERS += src/task/dschema.h

check_PROGRAMS += tests/unit/test_dschema
TESTS += tests/unit/test_dschema
tests_unit_test_dschema_SOURCES = tests/unit/test_dschema.c
tests_unit_test_dschema_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_dschema_LDADD = $(UNIT_LDADD)
