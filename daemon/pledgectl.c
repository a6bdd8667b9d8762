/*
 * pledgectl: the organizers' tool.  Parses the global options, then hands
 * the rest of the command line to one subcommand from cmd_table.  Only this
 * main and pledged.c call exit().
 */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include "pledged/cmd.h"
#include "pledged/log.h"

#define DEFAULT_CONFIG PLEDGED_SYSCONFDIR "/pledged/pledged.conf"

static void
usage(FILE *fp)
{
	fprintf(fp,
	    "usage: pledgectl [--config FILE] COMMAND [ARGS...]\n"
	    "       pledgectl --help | --version\n\n"
	    "Options:\n"
	    "  -c, --config FILE  configuration file (default %s)\n"
	    "  -h, --help         this help\n"
	    "  -V, --version      print the version\n\n"
	    "Commands:\n",
	    DEFAULT_CONFIG);
	for (const struct cmd *c = cmd_table; c->name != NULL; c++)
		fprintf(fp, "  %-12s %s\n", c->name, c->summary);
	fprintf(fp, "\n'pledgectl COMMAND --help' describes one command.\n");
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"config", required_argument, NULL, 'c'},
	    {"help", no_argument, NULL, 'h'},
	    {"version", no_argument, NULL, 'V'},
	    {NULL, 0, NULL, 0},
	};
	const char *config = DEFAULT_CONFIG;
	int ch;

	log_init("pledgectl", LOG_TO_STDERR, false);
	/* A closed pipe (pledgectl export | head) or a server that hangs up
	 * mid-send is an error return, not a silent death. */
	signal(SIGPIPE, SIG_IGN);
	/* '+': stop at the subcommand, whose options are its own. */
	while ((ch = getopt_long(argc, argv, "+c:hV", opts, NULL)) != -1) {
		switch (ch) {
		case 'c':
			config = optarg;
			break;
		case 'h':
			usage(stdout);
			exit(EX_OK);
		case 'V':
			printf("pledgectl %s\n", PLEDGED_VERSION);
			exit(EX_OK);
		default:
			usage(stderr);
			exit(EX_USAGE);
		}
	}
	argc -= optind;
	argv += optind;
	if (argc < 1) {
		usage(stderr);
		exit(EX_USAGE);
	}
	for (const struct cmd *c = cmd_table; c->name != NULL; c++) {
		if (strcmp(c->name, argv[0]) == 0) {
			optind = 0; /* glibc: reinitialise for the subcommand */
			exit(c->run(argc, argv, config));
		}
	}
	fprintf(stderr, "pledgectl: unknown command '%s'\n", argv[0]);
	usage(stderr);
	exit(EX_USAGE);
}
