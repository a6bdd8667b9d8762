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
    {"verify", cmd_verify, "verify [--at TIME] TOKEN|-",
	"check a token as pledged would; print its claims"},
    {NULL, NULL, NULL, NULL},
};
