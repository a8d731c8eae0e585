/* `frocket query`: placeholder until its module lands (owned by the module's developer). */
#include "cli/cli.h"
#include <stdio.h>

int fr_cmd_query(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	fprintf(stderr, "frocket query: not built yet\n");
	return 1;
}
