/* The `frocket` command's subcommands.  Each returns the process exit status. */
#ifndef FR_CLI_H
#define FR_CLI_H

int fr_cmd_inspect(int argc, char **argv);
int fr_cmd_gen(int argc, char **argv);
int fr_cmd_repartition(int argc, char **argv);
int fr_cmd_query(int argc, char **argv);

#endif
