/*
 * cmd: the pledgectl subcommands, one function each.
 *
 * Each takes the subcommand's own argument vector (argv[0] is the command
 * name), the path of the configuration file, and returns a sysexits.h exit
 * code for the main to pass to exit().  They print their own results and
 * errors; none of them calls exit().
 */
#ifndef PLEDGED_CMD_H
#define PLEDGED_CMD_H

struct cmd {
	const char *name;
	int (*run)(int argc, char **argv, const char *config_path);
	const char *usage; /* one line, without the program name */
	const char *summary;
};

/* The table of subcommands, terminated by an entry with a NULL name. */
extern const struct cmd cmd_table[];

#endif
