# src/tools: data tools behind `frocket gen` and `frocket repartition`.
libfrocket_a_SOURCES += src/tools/args.c src/tools/progress.c src/tools/gen.c
noinst_HEADERS += src/tools/args.h src/tools/progress.h src/tools/partition.h src/tools/gen.h

TESTS += tests/writer/gen_determinism.sh tests/writer/gen_distribution.sh
EXTRA_DIST += tests/writer/gen_determinism.sh tests/writer/gen_distribution.sh \
	tests/writer/gen_check.js
