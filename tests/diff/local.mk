# tests/diff: randomized differential tests against a reference evaluator, and (tests/oracle)
# the oracle suite. All are Node.js scripts driven by executable shell entries.
TESTS += tests/diff/ref_oracle.sh tests/oracle/oracle.sh tests/diff/diff.sh
EXTRA_DIST += tests/diff/ref_oracle.sh tests/diff/diff.sh tests/oracle/oracle.sh \
	tests/diff/json.js tests/diff/ref.js tests/diff/compare.js tests/diff/ref_oracle.js \
	tests/diff/duck.js tests/diff/gen.js tests/diff/difftest.js tests/diff/fake_frocket.js \
	tests/diff/README.md tests/oracle/run.js tests/oracle/resplit.js tests/data/oracle
