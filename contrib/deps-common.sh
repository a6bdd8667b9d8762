# Sourced by contrib/deps-*.sh: install Debian packages safely.
#
# deps_install PKG...  installs those not yet installed, with apt's own
# output shown, and never removes a package: apt-get is first asked what
# it would do (--simulate), and if that plan removes anything (a package
# that conflicts with one asked for: opensmtpd and the host's Postfix or
# Exim, say) nothing is installed and the script fails, naming them.
# --no-remove then guards the real run as well.  Runs apt-get as root,
# directly or through sudo.

deps_install() {
	_missing=
	for _p in "$@"; do
		dpkg-query -W -f='${Status}' "$_p" 2>/dev/null |
			grep -q 'ok installed' || _missing="$_missing $_p"
	done
	[ -z "$_missing" ] && return 0

	if [ "$(id -u)" -eq 0 ]; then _sudo=; else _sudo=sudo; fi
	echo "deps: installing$_missing" >&2
	export DEBIAN_FRONTEND=noninteractive
	$_sudo apt-get update
	# shellcheck disable=SC2086
	_removed=$($_sudo apt-get install --simulate --no-install-recommends \
	    $_missing | sed -n 's/^Remv \([^ ]*\).*/\1/p' | tr '\n' ' ')
	if [ -n "$_removed" ]; then
		echo "deps: refusing: installing$_missing would remove:" \
		    "$_removed" >&2
		echo "deps: nothing was installed or removed" >&2
		return 1
	fi
	# shellcheck disable=SC2086
	$_sudo apt-get install -y --no-remove --no-install-recommends $_missing
}
