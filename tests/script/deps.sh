#!/bin/sh
# deps.sh — the two package sets of tools/deps.sh: running needs none of
# testing's packages, every package exists in the apt lists, and each make
# target and CI ask for the right set.
. "$(dirname "$0")/lib"
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
run=$(sh "$ROOT/tools/deps.sh" --list run)
test=$(sh "$ROOT/tools/deps.sh" --list test)
for p in compiler: build-essential pkg-config libopenblas-openmp-dev libncurses-dev libreadline-dev libpng-dev; do
    case $p in *:) continue ;; esac
    if printf '%s\n' "$run" | grep -qx "$p"; then ok; else bad "the run set lacks $p"; fi
done
for p in python3-torch python3-numpy tmux libxml2-utils groff-base clang; do
    if printf '%s\n' "$test" | grep -qx "$p"; then ok; else bad "the test set lacks $p"; fi
    if printf '%s\n' "$run" | grep -qx "$p"; then bad "the run set holds $p, a test package"; else ok; fi
done
both=$(printf '%s\n' "$run" "$test" | sort | uniq -d)
same "no package in both sets" "$both" ""

# One apt-cache call (each loads the whole cache): every name must come back.
if command -v apt-cache >/dev/null 2>&1 && [ -n "$(ls /var/lib/apt/lists/*Packages* 2>/dev/null)" ]; then
    found=$(apt-cache show --no-all-versions $run $test 2>/dev/null | sed -n 's/^Package: //p')
    for p in $run $test; do
        if printf '%s\n' "$found" | grep -qx "$p"; then ok; else bad "package $p is not in the apt lists"; fi
    done
else
    echo "note: no apt lists here; package names not checked"
fi

# Which set each command installs (make -n prints the deps line without running it).
wants() {  # wants TARGET SET: make TARGET runs deps.sh SET and not the other set
    other=test; [ "$2" = test ] && other=run
    plan=$(make -C "$ROOT" -n "$1" PREFIX="$TMP/p" 2>&1)
    if printf '%s\n' "$plan" | grep -q "sh tools/deps.sh $2\$"; then ok; else bad "make $1 does not install the $2 set"; fi
    if [ "$2" = run ] && printf '%s\n' "$plan" | grep -q "sh tools/deps.sh $other\$"; then bad "make $1 installs the test set"; else ok; fi
}
wants all run
wants run run
wants install run
wants check test
wants bench test
check "CI installs the test set" grep -q "tools/deps.sh test" "$ROOT/.ci/run"

# export torch needs no Python at all (the run set has none): it only writes
# files, and says how to run them.
env PATH=/nonexistent PYTHONPATH=/nonexistent "$BLOCKLAB" -c "$TINY; $TASK; train steps=1; export torch $TMP/pkg2" \
    >"$TMP/out" 2>"$TMP/err"
rc=$?; out=$(cat "$TMP/out"); err=$(cat "$TMP/err")
expect "export torch without python" 0 "holds checkpoint.st, blocklab_model.py, train_ddp.py, README.md"
expect "export torch names what to install" 0 "apt-get install python3-torch python3-numpy"
expect "export torch says how to run it" 0 "one process:  python3 $TMP/pkg2/train_ddp.py $TMP/pkg2/checkpoint.st --steps 1000"
check "export torch wrote the package" test -f "$TMP/pkg2/train_ddp.py" -a -f "$TMP/pkg2/README.md"
bl -c "$TINY; export torch $TMP/pkg2"
expect "export torch into a full folder names force=on" 1 "or give force=on to overwrite it" stderr
summary
