#!/bin/sh
# deps.sh — install the Debian packages blocklab needs to build and test, if missing.
# As root it runs apt-get; otherwise it prints the exact command and fails.
BUILD="build-essential pkg-config libopenblas-dev libncurses-dev libreadline-dev libpng-dev"
TEST="python3-torch python3-numpy tmux fortunes libxml2-utils groff-base"
missing=""
for p in $BUILD $TEST; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
[ -z "$missing" ] && exit 0
echo "deps: missing:$missing"
if [ "$(id -u)" = 0 ]; then
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -q && apt-get install -y -q --no-install-recommends $missing
else
    echo "deps: run as root:  sudo apt-get install -y$missing" >&2
    exit 1
fi
