#!/bin/sh
# What the tests need on top of contrib/deps-build.sh, on Debian 12: a
# test host only.  This installs mail servers (dovecot, and opensmtpd,
# which conflicts with every other MTA: on a machine running Postfix or
# Exim it refuses rather than remove them), so never run it on the
# campaign's mail server.
#
# cmocka: unit tests; clang: fuzz targets; dovecot, isync, opensmtpd: the
# private servers of the integration tests and benchmarks; man-db,
# groff-base, mandoc: the manual page test and its linter; systemd:
# systemd-analyze for the unit test; s-nail: a real mail client that
# answers requests in tests/integration; chromium: headless screenshots
# of the campaign page (live_page.sh); zsh: the zsh completion test; sqlite3, openssl: fixtures; iproute2:
# ss, with which contrib/testenv/dovecot.sh finds free ports; adduser:
# the package's postinst; lintian, devscripts (hardening-check),
# mmdebstrap: contrib/package-test.sh.
set -eu
cd "$(dirname "$0")/.."
. contrib/deps-common.sh

deps_install libcmocka-dev clang libsasl2-modules sqlite3 openssl \
    dovecot-imapd dovecot-lmtpd dovecot-submissiond isync opensmtpd \
    man-db groff-base mandoc systemd adduser iproute2 s-nail chromium zsh \
    lintian devscripts mmdebstrap
