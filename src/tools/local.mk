# src/tools: data tools behind `frocket gen` and `frocket repartition`.
libfrocket_a_SOURCES += src/tools/args.c src/tools/outset.c src/tools/progress.c src/tools/gen.c \
	src/tools/repartition.c
noinst_HEADERS += src/tools/args.h src/tools/outset.h src/tools/progress.h src/tools/partition.h \
	src/tools/gen.h src/tools/repartition.h

TESTS += tests/writer/gen_determinism.sh tests/writer/gen_distribution.sh
EXTRA_DIST += tests/writer/gen_determinism.sh tests/writer/gen_distribution.sh \
	tests/writer/gen_check.js

check_PROGRAMS += tests/writer/maxrss
tests_writer_maxrss_SOURCES = tests/writer/maxrss.c
tests_writer_maxrss_LDADD =
TESTS += tests/writer/repartition.sh
EXTRA_DIST += tests/writer/repartition.sh tests/writer/repart_check.js \
	tests/data/oracle/README.md tests/data/oracle/data
