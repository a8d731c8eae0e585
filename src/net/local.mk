# src/net: network clients of the distributed mode (Redis over hiredis).
libfrocket_a_SOURCES += src/net/redis.c src/net/workq.c
noinst_HEADERS += src/net/redis.h src/net/workq.h
