# tests/: end-to-end and corpus tests beyond the per-module unit tests.
