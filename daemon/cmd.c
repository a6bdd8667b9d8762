/*
 * cmd: the table of pledgectl subcommands.  Each subcommand lives in its
 * own daemon/cmd_<name>.c; adding one is a line here and a file there.
 */
#include <stddef.h>

#include "pledged/cmd.h"

const struct cmd cmd_table[] = {
    {NULL, NULL, NULL, NULL},
};
