# src/cli: the `frocket` command.
bin_PROGRAMS += frocket
frocket_SOURCES = src/cli/main.c src/cli/cmd_inspect.c src/cli/cmd_gen.c \
	src/cli/cmd_repartition.c src/cli/cmd_query.c \
	src/cli/cmd_dataset.c src/cli/common.c
noinst_HEADERS += src/cli/cli.h
