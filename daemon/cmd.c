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
	"send --phase N (--to ADDR | --all-pledged [--confirmed-only])"
	" [--outbox DIR] [--resend] [--dry-run [--preview-dir DIR]]",
	"email confirmation requests (or write them to a directory)"},
    {"import", cmd_import, "import FILE.csv [--dry-run] [--by WHO]",
	"bring in pledgers from a CSV file (all or nothing)"},
    {"add", cmd_add, "add ADDR [--name N] [--note TEXT] [--by WHO]",
	"record a pledge that came another way"},
    {"link", cmd_link, "link ADDR OTHER [--by WHO]",
	"a second address for an artist (counts once)"},
    {"unlink", cmd_unlink, "unlink OTHER [--by WHO]",
	"make a linked address an artist of its own again"},
    {"exclude", cmd_exclude, "exclude ADDR [--note TEXT] [--by WHO]",
	"take a test or spam pledge out of the counts"},
    {"include", cmd_include, "include ADDR [--by WHO]",
	"put an excluded artist back into the counts"},
    {"fix-address", cmd_fix_address, "fix-address OLD NEW [--by WHO]",
	"correct an artist's address"},
    {"stats", cmd_stats, "stats [--json]", "the campaign's counts"},
    {"list", cmd_list, "list [--phase N] [--state S] [--json]",
	"artists and where they stand"},
    {"show", cmd_show, "show [--json] ADDR | show --message ID",
	"everything recorded about one artist, or one message"},
    {"export", cmd_export,
	"export --what artists|messages|requests --format csv|json",
	"write a table as CSV or JSON lines"},
    {"review", cmd_review,
	"review [--approve ID | --decline ID | --reject ID] [--by WHO]"
	" [--json]",
	"messages held for review, and deciding them"},
    {"report", cmd_report, "report --html FILE [--public]",
	"write a self-contained HTML report"},
    {"forget", cmd_forget, "forget ADDR",
	"erase an artist's personal data, keep the counts"},
    {"status", cmd_status, "status [--json]",
	"is the feed alive: last read, failures, last error"},
    {"digest", cmd_digest, "digest [--dry-run]",
	"send (or print) the organizers' digest"},
    {"verify", cmd_verify, "verify [--at TIME] [--json] TOKEN|-",
	"check a token as pledged would; print its claims"},
    {NULL, NULL, NULL, NULL},
};
