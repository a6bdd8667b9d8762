/*
 * pledged: reads the campaign mailbox and keeps the ledger.  This main owns
 * the options, the lock, signals and the loop; the work is in the modules.
 */
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include "pledged/config.h"
#include "pledged/log.h"

#define DEFAULT_CONFIG PLEDGED_SYSCONFDIR "/pledged/pledged.conf"

/*
 * --check-config: the file, then the files it names.  Every pledged command
 * needs [store] and [tokens]; [imap] only the polling ones (not ingest), so
 * it is checked only where present -- and then whole, since a half-written
 * section is a mistake whoever runs it.  Likewise [smtp] needs 'from'.
 */
static int
check_config(const char *path)
{
	struct config *cfg = NULL;
	enum config_status rc;
	unsigned need = CONFIG_NEED_STORE | CONFIG_NEED_TOKENS;

	if ((rc = config_load(path, &cfg)) != CONFIG_OK)
		goto out;
	if (cfg->imap.present)
		need |= CONFIG_NEED_IMAP;
	if (cfg->smtp.present)
		need |= CONFIG_NEED_SMTP_FROM;
	if ((rc = config_require(cfg, need)) != CONFIG_OK)
		goto out;
	if ((rc = config_check_files(cfg)) != CONFIG_OK)
		goto out;
	printf("%s: ok\n", path);
out:
	config_free(cfg);
	return config_exit_code(rc);
}

static void
usage(FILE *fp)
{
	fprintf(fp,
	    "usage: pledged [--config FILE] [--once] [--dry-run] [--verbose]\n"
	    "       pledged [--config FILE] [--dry-run] ingest [FILE...]\n"
	    "       pledged [--config FILE] --check-config\n"
	    "       pledged --help | --version\n\n"
	    "Options:\n"
	    "  -c, --config FILE  configuration file (default %s)\n"
	    "  -1, --once         one pass over new mail, then exit\n"
	    "  -n, --dry-run      decide and print; change neither store nor "
	    "server\n"
	    "  -C, --check-config validate the configuration and its files\n"
	    "  -v, --verbose      log debugging detail\n"
	    "  -h, --help         this help\n"
	    "  -V, --version      print the version\n",
	    DEFAULT_CONFIG);
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"config", required_argument, NULL, 'c'},
	    {"once", no_argument, NULL, '1'},
	    {"dry-run", no_argument, NULL, 'n'},
	    {"check-config", no_argument, NULL, 'C'},
	    {"verbose", no_argument, NULL, 'v'},
	    {"help", no_argument, NULL, 'h'},
	    {"version", no_argument, NULL, 'V'},
	    {NULL, 0, NULL, 0},
	};
	const char *config_path = DEFAULT_CONFIG;
	bool check = false;
	int ch;

	log_init("pledged", LOG_TO_STDERR, false);
	while ((ch = getopt_long(argc, argv, "+c:1nCvhV", opts, NULL)) != -1) {
		switch (ch) {
		case 'c':
			config_path = optarg;
			break;
		case 'C':
			check = true;
			break;
		case '1':
		case 'n':
		case 'v':
			break;
		case 'h':
			usage(stdout);
			exit(EX_OK);
		case 'V':
			printf("pledged %s\n", PLEDGED_VERSION);
			exit(EX_OK);
		default:
			usage(stderr);
			exit(EX_USAGE);
		}
	}
	if (check) {
		if (optind != argc) {
			usage(stderr);
			exit(EX_USAGE);
		}
		exit(check_config(config_path));
	}
	fprintf(stderr, "pledged: not implemented yet\n");
	exit(EX_SOFTWARE);
}
