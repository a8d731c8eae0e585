/* `frocket gen`: placeholder until its module lands (owned by the module's developer). */
#include "cli/cli.h"
#include <stdio.h>

int fr_cmd_gen(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	fprintf(stderr, "frocket gen: not built yet\n");
	return 1;
}
