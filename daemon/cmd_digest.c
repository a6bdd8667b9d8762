#include "pledged/cmd.h"
int cmd_digest(int argc, char **argv, const char *config_path) { (void)argc; (void)argv; (void)config_path; return 70; }
