#!/bin/sh
# What building pledged (and its Debian package) needs, on Debian 12:
# compiler, CMake, the libraries' headers, dpkg-dev for dpkg-shlibdeps.
# Installs no server and removes nothing (contrib/deps-common.sh).
set -eu
cd "$(dirname "$0")/.."
. contrib/deps-common.sh

deps_install build-essential cmake pkg-config dpkg-dev \
    libetpan-dev libsodium-dev libsqlite3-dev libgnutls28-dev libjansson-dev
