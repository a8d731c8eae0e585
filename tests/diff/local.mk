# tests/diff: randomized differential tests against a reference evaluator.
