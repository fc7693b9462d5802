#!/bin/sh
# frontends.sh — -c, script files, stdin, --help/--version, options and exit
# codes 0/1/2/130; batch output is plain text and errors say SOURCE:LINE:COL.
. "$(dirname "$0")/lib"

bl --help
expect "--help" 0 "usage: blocklab"
expect "--help lists verbs" 0 "commands: model block arch"
bl -h
expect "-h" 0 "usage: blocklab"
bl --version
expect "--version" 0 "blocklab 0."
bl -V
expect "-V" 0 "blocklab 0."
bl --frobnicate
expect "unknown option" 2 "unknown option '--frobnicate'" stderr
bl -c
expect "-c without commands" 2 "-c needs COMMANDS" stderr
bl "$TMP/missing.bl"
expect "missing script" 2 "cannot read '$TMP/missing.bl'" stderr
printf 'help\0junk' >"$TMP/binary.bl"
bl "$TMP/binary.bl"
expect "binary script" 2 "looks binary" stderr

bl -c 'help'
expect "-c runs" 0 "verbs (help VERB"
bl -c 'set seed=3' -c 'set'
expect "-c twice, in order, one workspace" 0 "seed=3"
printf 'set seed=4\n# comment\n\nset\n' >"$TMP/ok.bl"
bl "$TMP/ok.bl"
expect "script file" 0 "seed=4"
out=$(printf 'set seed=5\nset\n' | "$BLOCKLAB" 2>&1)
rc=$?
expect "stdin" 0 "seed=5"
out=$(printf 'set seed=6\n' | "$BLOCKLAB" - 2>&1)
rc=$?
expect "stdin as -" 0 "seed=6"
bl -c "set seed=7" "$TMP/ok.bl"
expect "-c then file" 0 "seed=4"

# A command that fails: exit 1, "SOURCE:LINE:COL: what" on stderr, later commands not run.
printf 'set seed=8\nset\nblock 0 attn=off\nset seed=9\n' >"$TMP/fail.bl"
bl "$TMP/fail.bl"
expect "runtime failure exit 1" 1 "$TMP/fail.bl:3:1: no model yet" stderr
check "commands before the failure ran" grep -q "seed=8" "$TMP/out"
check "commands after the failure did not run" sh -c "! grep -q seed=9 '$TMP/out'"
# A parse or check error anywhere: nothing runs at all.
printf 'set seed=10\nset\nmodel new width = 64\n' >"$TMP/parse.bl"
bl "$TMP/parse.bl"
expect "parse error exit 1" 1 "$TMP/parse.bl:3:17: expected key=value after 'width'" stderr
same "parse error runs nothing" "$out" ""
printf 'set seed=11\ntrian steps=3\n' >"$TMP/typo.bl"
bl "$TMP/typo.bl"
expect "unknown verb on line 2 stops line 1 too" 1 "typo.bl:2:1: unknown verb 'trian': did you mean 'train'?" stderr
same "check error runs nothing" "$out" ""
out=$(printf 'set\nnope\n' | "$BLOCKLAB" 2>&1)
rc=$?
expect "stdin error names stdin" 1 "stdin:2:1: unknown verb 'nope'"
bl -c 'set seed=12; quit; set seed=13'
expect "quit stops with success" 0 "seed=12"
check "nothing after quit" sh -c "! grep -q seed=13 '$TMP/out'"

# -k: report a failed command and go on; the exit status is still 1.
bl -k -c 'set seed=20; block 0 attn=off; set seed=21; nope=' -c 'set seed=22' -c 'set'
expect "-k: parse error of one source" 1 "-c:1:45: expected a verb before 'nope='" stderr
check "-k: a source with a parse error runs nothing" sh -c "! grep -q seed=20 '$TMP/out'"
check "-k: the next source runs" grep -q "seed=22" "$TMP/out"
bl -k -c 'set seed=20; block 0 attn=off; set seed=21'
expect "-k: runtime failure reported" 1 "-c:1:14: no model yet" stderr
check "-k: commands after a failure run" grep -q "seed=21" "$TMP/out"

# Batch output carries no escape codes, even with colour allowed.
bl -c "$TINY; $TASK; train steps=2; arch; params; help train"
expect "batch run" 0 "done: 2 steps"
check "no escape codes in batch output" sh -c "! grep -q \"\$(printf '\\033')\" '$TMP/out'"

# Ctrl-C (SIGINT) in batch mode stops training after a step, keeps the run, exits 130.
"$BLOCKLAB" -c "$TINY; $TASK; train steps=100000000 batch=2 log_every=50000000; set seed=99" >"$TMP/int.out" 2>"$TMP/int.err" &
pid=$!
i=0
while [ $i -lt 50 ] && ! grep -q "logging" "$TMP/int.out" 2>/dev/null; do sleep 0.1; i=$((i + 1)); done
sleep 0.3
kill -INT $pid
wait $pid
rc=$?
out=$(cat "$TMP/int.out")
err=$(cat "$TMP/int.err")
expect "SIGINT exit 130" 130 "interrupted at step"
expect "SIGINT says where" 130 "-c:1: interrupted" stderr
check "SIGINT: later commands not run" sh -c "! grep -q seed=99 '$TMP/int.out'"
check "SIGINT: summary printed" grep -q "^done: " "$TMP/int.out"

summary
