#!/bin/sh
# help_man.sh — help is generated from the verb table, and the man page keeps
# up with it: every verb and every key that help lists must be in
# man/blocklab.1, which must render without warnings.
. "$(dirname "$0")/lib"
MAN="$(dirname "$0")/../../man/blocklab.1"

bl -c 'help'
expect "help lists verbs" 0 "verbs (help VERB shows its keys and examples):"
verbs=$(printf '%s\n' "$out" | awk '/^  [a-z]+ / {print $1}')
check "help lists at least 13 verbs" test "$(printf '%s\n' "$verbs" | wc -l)" -ge 13
for v in $verbs; do
    bl -c "help $v"
    expect "help $v" 0 "usage: $v"
    if grep -qE "^\.SS \"?$v( |\"|$)" "$MAN"; then ok; else bad "verb '$v' has no COMMANDS section in man/blocklab.1"; fi
    for k in $(printf '%s\n' "$out" | sed -n 's/^  \([a-z_.]*\)=.*/\1/p'); do
        if grep -qF -- "$k" "$MAN"; then ok; else bad "key '$k' of '$v' is missing from man/blocklab.1"; fi
    done
done
# Every series a run can record is explained in `help show`.
bl -c 'model new depth=2 width=32 preset=sas; data task=reverse; probe all every=5; train steps=5 log_every=5; probe updates lr=0.1; show'
series=$(printf '%s\n' "$out" | sed -n '/^series /,/^charts/p' | awk 'NR > 1 && !/^charts/ {print $1}' | sed 's/\.[0-9][0-9]*$/.L/' | sort -u)
check "show lists at least 15 series" test "$(printf '%s\n' "$series" | wc -l)" -ge 15
bl -c 'help show'
for s in $series; do
    if printf '%s\n' "$out" | grep -qE "(^|[ ,])$s([ ,]|$)"; then ok; else bad "series '$s' is not explained in help show"; fi
done
bl -c 'help train'
expect "help shows keys with defaults" 0 "steps=0..1e+09"
expect "help shows defaults" 0 "[100]"
expect "help shows examples" 0 "examples:"
bl -c 'help model'
expect "help model lists arch keys" 0 "norm=layer|rms|none"
bl -c 'help block'
expect "help block lists presets" 0 "presets: preln|postln|parallel|vskipinit|sas|sasp|deepnorm|postln-init"
bl -c 'help nothing'
expect "help of an unknown verb" 1 "-c:1:6: help: unknown verb 'nothing'" stderr
bl --help
for v in $verbs; do
    if printf '%s' "$out" | grep -q " $v"; then ok; else bad "--help does not name '$v'"; fi
done
for s in NAME SYNOPSIS DESCRIPTION COMMANDS EXAMPLES FILES ENVIRONMENT '"EXIT STATUS"'; do
    if grep -q "^\.SH $s" "$MAN"; then ok; else bad "man page has no $s section"; fi
done
for e in NO_COLOR XDG_STATE_HOME BLOCKLAB_FORTUNES_DIR OPENBLAS_NUM_THREADS; do
    if grep -q "$e" "$MAN"; then ok; else bad "man page does not mention $e"; fi
done
if command -v groff >/dev/null 2>&1; then
    warnings=$(groff -man -Tutf8 -ww "$MAN" 2>&1 >/dev/null)
    same "man page renders without warnings" "$warnings" ""
    # The man page names the prefix a note really prints.
    bl -c 'note "hello"'
    prefix=$(printf '%s' "$out" | cut -d' ' -f1)
    check "man page: notes are led by the prefix they print ($prefix)" sh -c \
        "groff -man -Tutf8 '$MAN' 2>/dev/null | sed 's/\x1b\\[[0-9;]*m//g; s/.\x08//g' | grep -q 'one line led by $prefix;'"
else
    echo "note: groff not installed; rendering not checked"
fi

summary
