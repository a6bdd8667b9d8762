/*
 * cmd: the table of pledgectl subcommands.  Each subcommand lives in its
 * own daemon/cmd_<name>.c; adding one is a line here and a file there.
 */
#include <stddef.h>

#include "pledged/cmd.h"

const struct cmd cmd_table[] = {
    {"keygen", cmd_keygen, "keygen [--out FILE]",
	"make a signing key pair (PASERK)"},
    {"issue", cmd_issue, "issue --phase N --to ADDR [--expires 30d]",
	"sign, record and print one token"},
    {"send", cmd_send,
	"send --phase N (--to ADDR | --all-pledged) [--outbox DIR] [--resend]",
	"email confirmation requests (or write them to a directory)"},
    {NULL, NULL, NULL, NULL},
};
