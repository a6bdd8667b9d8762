#!/bin/sh
# Everything: what building, running and testing pledged need (the test
# command's set-up, contrib/run-tests.sh).  A test host only: see
# contrib/deps-test.sh.  To build or install on a production machine use
# contrib/deps-build.sh and contrib/deps-run.sh, which install no server.
set -eu
cd "$(dirname "$0")/.."
sh contrib/deps-build.sh
sh contrib/deps-run.sh
sh contrib/deps-test.sh
