/*
 * privs: who pledged and pledgectl run as, and the modes of the files
 * they create.
 *
 * The store (the directory that holds the database) belongs to the user
 * the daemon runs as, `pledged` in the package.  A command started as root
 * with such a configuration becomes that user before it opens anything,
 * so that root never leaves a root-owned database, WAL, lock or state
 * file behind that the daemon's own runs could not open.  Organizers in
 * the store's group share it when the directory is setgid (mode 2770):
 * files are then created 0660, otherwise 0600, whatever the umask.
 */
#ifndef PLEDGED_PRIVS_H
#define PLEDGED_PRIVS_H

#include <stdbool.h>
#include <sys/types.h>

/*
 * When running as root and the directory holding 'database' belongs to
 * another user, become that user: supplementary groups, group and user
 * from its passwd entry (initgroups, setresgid, setresuid), then check
 * that root cannot be regained.  'prog' names the command in messages
 * ("pledged", "pledgectl").  Returns 0 (nothing to do, or done: logged at
 * debug level, or on standard error when 'tell'), or 77 (EX_NOPERM) after
 * saying why and naming the `runuser -u USER -- ...` form.
 */
int privs_become_store_owner(const char *database, const char *prog, bool tell);

/*
 * The mode for a file created in the directory that holds 'path': 0660
 * where that directory is setgid (the group model), else 0600.
 */
mode_t privs_file_mode(const char *path);

/*
 * A one-line hint when 'path' exists and belongs to someone other than
 * the running user (a file root created before): "PATH belongs to root,
 * not pledged: chown pledged: PATH".  Writes the hint into buf (size
 * 'len') and returns true; false when the owner is the running user or
 * the file cannot be examined.
 */
bool privs_foreign_owner(const char *path, char *buf, size_t len);

#endif
