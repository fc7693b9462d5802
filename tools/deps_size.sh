#!/bin/sh
# deps_size.sh — what each set of tools/deps.sh installs on a bare Debian, and how big.
#
# How it measures (the README's figures come from here): a dpkg status file is
# made that holds only a bare system — the Priority: required packages and apt,
# with what they depend on, as apt resolves them from this machine's lists —
# then `apt-get --simulate install --no-install-recommends SET` runs against it,
# and the Size (download) and Installed-Size fields of every package it would
# install are added up from `apt-cache dumpavail`. Nothing is installed; root is
# not needed; the answer depends only on the apt lists (run apt-get update first).
set -eu
cd "$(dirname "$0")/.."
tmp=$(mktemp -d "${TMPDIR:-/tmp}/deps_size.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
apt-cache dumpavail >"$tmp/avail"

# simulate STATUS PACKAGES...: "name version" of every package apt would install.
simulate() {
    status=$1; shift
    apt-get --simulate -o Dir::State::status="$status" -o Dir::State::extended_states="$tmp/ext" \
        -o APT::Install-Recommends=0 install "$@" 2>/dev/null |
        awk '/^Inst / { v = $3; if (v ~ /^\[/) v = $4; sub(/^\(/, "", v); print $2, v }' | sort
}

# status NAME-VERSION-FILE: a dpkg status file with those packages installed.
status() {
    awk 'NR == FNR { want[$0] = 1; next }
         BEGIN { RS = ""; FS = "\n" }
         { p = ""; v = ""
           for (i = 1; i <= NF; i++) {
               if ($i ~ /^Package: /) p = substr($i, 10)
               if ($i ~ /^Version: /) v = substr($i, 10)
           }
           if ((p " " v) in want && !seen[p]++) print $0 "\nStatus: install ok installed\n" }' \
        RS='\n' "$1" RS='' "$tmp/avail"
}

# sizes NAME-VERSION-FILE: "N packages, D MB download, I MB installed".
sizes() {
    awk 'NR == FNR { want[$0] = 1; n++; next }
         BEGIN { RS = ""; FS = "\n" }
         { p = ""; v = ""; s = 0; is = 0
           for (i = 1; i <= NF; i++) {
               if ($i ~ /^Package: /) p = substr($i, 10)
               if ($i ~ /^Version: /) v = substr($i, 10)
               if ($i ~ /^Size: /) s = substr($i, 7)
               if ($i ~ /^Installed-Size: /) is = substr($i, 17)
           }
           if ((p " " v) in want && !seen[p]++) { dl += s; inst += is * 1024 } }
         END { printf "%d packages, %.0f MB download, %.0f MB installed\n", n, dl / 1e6, inst / 1e6 }' \
        RS='\n' "$1" RS='' "$tmp/avail"
}

: >"$tmp/empty"
required=$(awk 'BEGIN { RS = ""; FS = "\n" } /\nPriority: required/ { print substr($1, 10) }' "$tmp/avail" | sort -u)
# shellcheck disable=SC2086
simulate "$tmp/empty" $required apt usr-is-merged >"$tmp/bare"
status "$tmp/bare" >"$tmp/bare.status"
echo "bare system: $(wc -l <"$tmp/bare") packages (Priority: required, apt, usr-is-merged, their dependencies)"

run=$(sh tools/deps.sh --list run)
test=$(sh tools/deps.sh --list test)
# shellcheck disable=SC2086
simulate "$tmp/bare.status" $run >"$tmp/run"
# shellcheck disable=SC2086
simulate "$tmp/bare.status" $run $test >"$tmp/all"
comm -13 "$tmp/run" "$tmp/all" >"$tmp/test"
simulate "$tmp/bare.status" build-essential >"$tmp/cc"
comm -13 "$tmp/cc" "$tmp/run" >"$tmp/run-cc"
echo "run set  (make, make run, make install):     $(sizes "$tmp/run")"
echo "  of which beyond build-essential:            $(sizes "$tmp/run-cc")"
echo "test set (make check, make bench, CI), more: $(sizes "$tmp/test")"
echo "both:                                         $(sizes "$tmp/all")"
