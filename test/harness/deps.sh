#!/usr/bin/env bash
# Installs the Debian packages the build, the demo and the tests need.
# As root it installs what is missing; as anyone else it says what to install.
set -euo pipefail

packages=(postgresql-15 postgresql-server-dev-15 postgresql-15-pgtap
          libtap-parser-sourcehandler-pgtap-perl libipc-run-perl
          libcurl4-openssl-dev make gcc rsync clang libclang-rt-14-dev
          python3 python3-aiosmtpd python3-psycopg2 curl pgbouncer valgrind sqlsmith)

missing=()
for package in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q 'install ok installed' \
        || missing+=("$package")
done
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
    echo "missing Debian packages: ${missing[*]}" >&2
    echo "install them as root (apt-get install ${missing[*]}) or run make as root" >&2
    exit 1
fi
echo "installing Debian packages: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -q >/dev/null
apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null
