# bench/: benchmark programs (built with `make bench`, never run by make check).
