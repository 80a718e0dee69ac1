#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# Installs the Debian packages mcsec builds and tests with, only those missing.
set -eu

packages="build-essential cmake pkg-config libssl-dev libgmp-dev libwolfssl-dev valgrind python3
 libxml2-dev libxmlsec1-dev libsqlite3-dev sqlite3 libmicrohttpd-dev libcjose-dev libjansson-dev
 libcurl4-openssl-dev nginx-light openssl curl tshark wrk clang libclang-rt-14-dev clang-format
 libsofia-sip-ua-dev sip-tester"

missing=""
for p in $packages; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
        missing="$missing $p"
    fi
done
[ -z "$missing" ] && exit 0

echo "mcsec: installing Debian packages:$missing"
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
# shellcheck disable=SC2086
$sudo apt-get install -y -qq --no-install-recommends $missing
