#!/bin/sh
# What the installed pledged needs at run time, on Debian 12, for an
# install from source (the .deb's Depends say the same to apt): the shared
# libraries, SASL mechanisms for IMAP/SMTP login, the CA store, adduser.
# Installs no server and removes nothing (contrib/deps-common.sh).
set -eu
cd "$(dirname "$0")/.."
. contrib/deps-common.sh

deps_install libetpan20 libsodium23 libsqlite3-0 libgnutls30 libjansson4 \
    libsasl2-modules ca-certificates adduser
