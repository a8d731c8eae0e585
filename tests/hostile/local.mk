# tests/hostile: end-to-end scripts that attack the built binaries the way a hostile but
# realistic user would (issue 13): one script per class of failure, each sourcing lib.sh.
EXTRA_DIST += tests/hostile/lib.sh
TESTS += tests/hostile/cli.sh
EXTRA_DIST += tests/hostile/cli.sh
TESTS += tests/hostile/tools.sh
EXTRA_DIST += tests/hostile/tools.sh
TESTS += tests/hostile/query.sh
EXTRA_DIST += tests/hostile/query.sh
