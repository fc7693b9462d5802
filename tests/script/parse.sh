#!/bin/sh
# parse.sh — the command language: separators, comments, quotes, key~=value,
# and every syntax error with its line, column and what was expected.
. "$(dirname "$0")/lib"

# Separators and comments.
bl -c 'set seed=3; set'
expect "; separates" 0 "seed=3"
bl -c 'set seed=4
set'
expect "newline separates" 0 "seed=4"
bl -c 'set seed=5 # a comment; set seed=6'
expect "# comments to end of line" 0 "seed=5"
check "# comment hides the rest" sh -c "! grep -q seed=6 '$TMP/out'"
bl -c '   ;; ; # only blanks and comments'
expect "empty commands" 0 ""
same "empty commands print nothing" "$out" ""
bl -c 'help "train"'
expect "quoted word" 0 "usage: train"
bl -c "$TINY; data task=copy symbols=4 length=3; sample prompt=\"012\""
expect "quoted value" 0 "012|"
bl -c 'set seed="7"; set'
expect "quoted value as number" 0 "seed=7"
bl -c "$TINY; block 0 beta.ff~=0.5; arch spec"
expect "key~=value is trainable" 0 "beta.ff~=0.5"

# Errors: where, and what was expected.
bl -c 'model new width = 64'
expect "spaces around =" 1 "-c:1:17: expected key=value after 'width', got '=' (no spaces around '=')" stderr
bl -c 'model new width= 64'
expect "value missing" 1 "-c:1:17: expected a value after 'width='" stderr
bl -c 'model new width=64"x"'
expect "quote inside a word" 1 "-c:1:19: unexpected '\"' after 'width=64'" stderr
bl -c 'sample prompt="abc'
expect "unterminated string" 1 "-c:1:15: unterminated string: expected a closing '\"'" stderr
bl -c 'help "train"x'
expect "text after a closing quote" 1 "-c:1:13: expected a space or ';' after the closing quote" stderr
bl -c '=3'
expect "key without verb" 1 "-c:1:1: expected a verb (help lists them), got '='" stderr
bl -c 'width=3'
expect "key=value where the verb goes" 1 "-c:1:1: expected a verb before 'width='" stderr
bl -c '"help"'
expect "quoted verb" 1 "-c:1:1: expected a verb (help lists them), got a quoted string" stderr
bl -c 'model new wi-dth=3'
expect "bad key characters" 1 "-c:1:11: 'wi-dth=' is not a key" stderr
bl -c 'set seed=1
set
  model new  depth=2 depth=3'
expect "line and column on line 3" 1 "-c:3:22: key 'depth' is given twice" stderr
same "an error on line 3 runs lines 1 and 2 not at all" "$out" ""
bl -c 'help é; model new wïdth = 3'
expect "columns count characters, not bytes" 1 "-c:1:25: expected key=value after 'wïdth'" stderr
bl -c 'tran steps=1'
expect "unknown verb, suggestion" 1 "-c:1:1: unknown verb 'tran': did you mean 'train'?" stderr
bl -c 'frobnicate'
expect "unknown verb" 1 "-c:1:1: unknown verb 'frobnicate' (help lists the verbs)" stderr
bl -c 'model'
expect "missing noun" 1 "'model' needs one of: new" stderr
bl -c 'model old'
expect "unknown noun" 1 "-c:1:7: expected new after 'model', got 'old'" stderr
bl -c 'run'
expect "missing noun, several" 1 "'run' needs one of: new,use,list" stderr
bl -c 'train 100'
expect "unexpected word" 1 "-c:1:7: unexpected '100': train takes key=value arguments only" stderr
bl -c 'data fortune'
expect "unexpected word, noun hint" 1 "unexpected 'fortune': data takes fortunes or key=value arguments" stderr
bl -c 'save'
expect "missing FILE" 1 "'save' needs FILE" stderr
bl -c 'save a b'
expect "extra word" 1 "-c:1:8: unexpected 'b' after FILE" stderr
bl -c 'quit now'
expect "quit takes nothing" 1 "unexpected 'now'" stderr
bl -c 'train speed=3'
expect "unknown key lists keys" 1 "-c:1:7: unknown key 'speed' for train (keys: steps lr batch" stderr
bl -c 'arch depth=3'
expect "verb without keys" 1 "'arch' takes no keys" stderr
bl -c 'train lr~=3'
expect "~= on a non-gain" 1 "lr~=3: only block gains take ~=" stderr
bl -c 'model new depth~=3'
expect "~= on a model key" 1 "depth~=3: only block gains can be made trainable" stderr

# Thousands of words and keys on one line: parsed (the arrays grow by doubling),
# and refused where the first bad one stands.
long=$(awk 'BEGIN{printf "train"; for (i = 0; i < 4000; i++) printf " k%d=1", i}')
bl -c "$long"
expect "4000 keys on a line: the first unknown one is named" 1 "-c:1:7: unknown key 'k0' for train" stderr
long=$(awk 'BEGIN{printf "save"; for (i = 0; i < 4000; i++) printf " w%d", i}')
bl -c "$long"
expect "4000 words on a line: the first extra one is named" 1 "-c:1:9: unexpected 'w1' after FILE" stderr

summary
