#!/bin/sh
# deps.sh [run|test] — install the Debian packages blocklab needs, if missing.
#   run    building and running: make, make run, make install (the default)
#   test   the run set and, on top, what testing needs: make check, make bench, CI
# deps.sh --list run|test prints a set, one package a line (tools/deps_size.sh
# measures them, tests/script/deps.sh checks them).
# As root it runs apt-get; otherwise it prints the exact command and fails.

# Compiler, pkg-config, the three libraries and readline (OpenBLAS: its OpenMP
# build, whose threads our own OpenMP loops share, core/par.h); fortunes is the
# built-in corpus of `data fortunes` (2 small packages, no dependencies).
RUN="build-essential pkg-config libopenblas-openmp-dev libncurses-dev libreadline-dev libpng-dev fortunes"
# PyTorch parity and the benchmark's reference (python3-torch alone pulls in
# ~300 packages: OpenCV, Qt, GDAL, ...), the dashboard tests (tmux), SVG and
# man page checks (xmllint, groff), the libFuzzer targets (clang).
TEST="python3-torch python3-numpy tmux libxml2-utils groff-base clang"

case ${1:-run} in
--list)
    case ${2:-} in
    run)  echo $RUN | tr ' ' '\n' ;;
    test) echo $TEST | tr ' ' '\n' ;;
    *) echo "usage: deps.sh --list run|test" >&2; exit 2 ;;
    esac
    exit 0 ;;
run)  want=$RUN ;;
test) want="$RUN $TEST" ;;
*) echo "usage: deps.sh [run|test] | deps.sh --list run|test" >&2; exit 2 ;;
esac

if ! command -v dpkg-query >/dev/null 2>&1; then
    echo "deps: not a Debian system; install the equivalents of: $want" >&2
    exit 0
fi
missing=""
for p in $want; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
[ -z "$missing" ] && exit 0
echo "deps: missing:$missing"
if [ "$(id -u)" = 0 ]; then
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -q && apt-get install -y -q --no-install-recommends $missing
else
    echo "deps: run as root:  sudo apt-get install -y --no-install-recommends$missing" >&2
    exit 1
fi
