#!/bin/sh
# install.sh — `make install PREFIX=DIR` into a temporary folder (as an ordinary
# user when the suite runs as root), then the installed blocklab, run from
# another folder, lists its scenes, plays one by name and has its man page;
# the tree still works after it moves; `make uninstall` removes it all.
. "$(dirname "$0")/lib"
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
chmod 755 "$TMP"
P="$TMP/prefix"
mkdir -p "$P" "$TMP/elsewhere"

# No root needed: the install writes only under PREFIX.
as_user=""
if [ "$(id -u)" = 0 ] && command -v setpriv >/dev/null 2>&1; then
    chown nobody "$P" "$TMP/elsewhere"
    as_user="setpriv --reuid=nobody --regid=nogroup --clear-groups"
    make -C "$ROOT" -s blocklab >"$TMP/make.log" 2>&1   # build as root: only the install is the user's
fi
if $as_user make -C "$ROOT" -s install PREFIX="$P" >"$TMP/make.log" 2>&1; then ok; else
    bad "make install PREFIX=$P${as_user:+ (as nobody)}"; cat "$TMP/make.log"
fi
check "bin/blocklab installed" test -x "$P/bin/blocklab"
check "the scenes installed" test -f "$P/share/blocklab/scenes/tour.bl"
check "the man page installed" cmp -s "$ROOT/man/blocklab.1" "$P/share/man/man1/blocklab.1"

cd "$TMP/elsewhere" || exit 1
BLOCKLAB="$P/bin/blocklab"
real=$(cd "$P" && pwd -P)
bl --scenes
expect "--scenes lists the installed folder" 0 "scenes in $real/share/blocklab/scenes"
expect "--scenes lists the tour" 0 "  tour "
expect "--scenes says what a scene shows" 0 "rank-collapse       why skipless attention"
cols=$(printf '%s\n' "$out" | awk 'NR > 1 { match($0, /^  [^ ]+ +/); print RLENGTH }' | sort -u | wc -l)
check "--scenes aligns every summary in one column" test "$cols" -eq 1
bl rank-collapse
expect "a scene plays by name from anywhere" 0 "rank: mean token cosine"
printf 'model new depth=1 width=16 heads=2 ctx=8\n' >tour
bl tour
expect "a file in the current folder comes before a scene" 0 "model: 1 block, width 16"
bl nosuch
expect "an unknown scene is refused" 2 "cannot read 'nosuch': no such file or scene (blocklab --scenes lists the scenes)" stderr
bl ./rank-collapse
expect "a path is never looked up as a scene" 2 "cannot read './rank-collapse'" stderr

if command -v man >/dev/null 2>&1; then
    page=$(env -u MANPATH PATH="$P/bin:/usr/bin:/bin" man -w blocklab 2>&1)
    same "man blocklab finds the page through PATH" "$page" "$P/share/man/man1/blocklab.1"
    check "man -l renders the installed page" sh -c "man -l '$P/share/man/man1/blocklab.1' 2>/dev/null | grep -q -- --scenes"
else
    echo "note: man not installed; man -w not checked"
fi

# The tree moves (a copied prefix): the data is still found beside the executable.
mv "$P" "$TMP/moved"
BLOCKLAB="$TMP/moved/bin/blocklab"
bl --scenes
expect "a moved tree finds its scenes" 0 "scenes in $(cd "$TMP/moved" && pwd -P)/share/blocklab/scenes"
mv "$TMP/moved" "$P"

if $as_user make -C "$ROOT" -s uninstall PREFIX="$P" >"$TMP/make.log" 2>&1; then ok; else
    bad "make uninstall"; cat "$TMP/make.log"
fi
check "uninstall removes the binary" test ! -e "$P/bin/blocklab"
check "uninstall removes the data" test ! -e "$P/share/blocklab"
check "uninstall removes the man page" test ! -e "$P/share/man/man1/blocklab.1"
summary
