#!/bin/sh
# sandbox.sh — scenes and checkpoints as untrusted input (issue 10, findings
# 4-7 and 9): a hostile scene is refused line by line, what a person types is
# not boxed, load opens no other file, text data is a regular file of bounded
# size, long paths are errors, and killed saves leave nothing for long.
. "$(dirname "$0")/lib"
W=$TMP/w   # $TMP/out and $TMP/err are lib's
mkdir -p "$W" && cd "$W" || exit 1
mkdir -p scene out elsewhere
ln -s "$W/elsewhere" out/link
echo "a note that is not a checkpoint" > out/notes.txt
printf 'the quick brown fox jumps over the lazy dog. %.0s' $(seq 1 20) > scene/corpus.txt
cat > scene/hostile.bl <<EOF2
$TINY
$TASK
train steps=1
export csv loss file=../escape.csv
export csv loss file=$W/elsewhere/abs.csv
export csv loss file=link/through-symlink.csv
export torch $W/elsewhere/pkg
save ../escape.safetensors
save ~/home-escape.safetensors
save notes.txt
data text=/etc/passwd
data text=/dev/zero
data text=../../../../../../etc/passwd
load link/x.safetensors
export csv loss file=fine.csv
save fine.safetensors
data text=corpus.txt
EOF2

# The proof: every escape refused on its own line, the rest of the scene runs with -k.
cd out
bl -k ../scene/hostile.bl
cd ..
expect "a hostile scene fails" 1 "../scene/hostile.bl:4:22: export ../escape.csv: a scene writes only inside its output folder"
for line in 5 6 7 8 9 11 12 13 14; do
    check "line $line is refused on its own line" sh -c "printf '%s\n' \"\$1\" | grep -q '^../scene/hostile.bl:$line:'" sh "$err"
done
expect "symlinks are followed" 1 "this is $W/elsewhere/through-symlink.csv"
expect "overwriting a file that is no checkpoint needs force" 1 "hostile.bl:10:6: save notes.txt: it exists and is not a blocklab checkpoint; force=on replaces it"
expect "/etc/passwd is not the scene's to read" 1 "hostile.bl:11:11: data text=/etc/passwd: a scene reads only from its folder"
expect "/dev/zero neither" 1 "hostile.bl:12:11: data text=/dev/zero: a scene reads only"
check "each refusal is one line" test "$(printf "%s\n" "$err" | wc -l)" -eq 11
expect "-k runs what is allowed" 1 "saved run A to fine.safetensors"
expect "data next to the scene is fine" 1 "data: text $W/scene/corpus.txt"
check "nothing escaped" test -z "$(ls elsewhere)"
check "no escape next to out" test ! -e escape.csv -a ! -e escape.safetensors -a ! -e "$HOME/home-escape.safetensors"
check "the note is untouched" grep -q "not a checkpoint" out/notes.txt
check "allowed writes landed in out" test -f out/fine.csv -a -f out/fine.safetensors

# The person running the scene widens the box; --out moves it.
printf '%s\n' "$TINY" "$TASK" "train steps=1" "export csv loss file=$W/elsewhere/allowed.csv" > scene/writer.bl
bl scene/writer.bl --allow-write "$W/elsewhere"
expect "--allow-write PATH" 0 "export: wrote $W/elsewhere/allowed.csv"
bl --out out scene/writer.bl
expect "--out DIR is the box" 1 "output folder $W/out,"
printf '%s\n' "$TINY" "$TASK" "train steps=1" "export csv loss file=rel.csv" > scene/rel.bl
bl --out out scene/rel.bl
expect "--out DIR receives relative writes" 0 "export: wrote $W/out/rel.csv"
bl --trust scene/hostile.bl
expect "--trust lifts the box" 1 "export: wrote ../escape.csv"
rm -f ../escape.csv "$W/elsewhere/abs.csv"

# What a person types is not boxed (-c, stdin).
bl -c "$TINY; $TASK; train steps=1; export csv loss file=$W/elsewhere/typed.csv"
expect "-c is unrestricted" 0 "export: wrote $W/elsewhere/typed.csv"
echo "data text=$W/scene/corpus.txt" | "$BLOCKLAB" >"$W/o" 2>&1
check "stdin is unrestricted" grep -q "data: text $W/scene/corpus.txt" "$W/o"
bl -c "$TINY; save out/notes.txt force=on"
expect "force=on replaces a file that is no checkpoint" 0 "saved run A to out/notes.txt"
bl -c "$TINY; save out/notes.txt"
expect "a checkpoint is replaced without force" 0 "saved run A to out/notes.txt"
bl -c "$TINY; save out"
expect "save refuses a folder" 1 "save out: it exists and is not a file"

# Finding 5: data text= reads regular files only, and at most max_mb.
mkfifo fifo
bl -k -c "data text=/dev/zero; data text=fifo; data text=scene; data text=scene/corpus.txt max_mb=1"
expect "a device is refused" 1 "text file '/dev/zero' is a device: expected a regular file"
expect "a FIFO is refused (without waiting for a writer)" 1 "text file 'fifo' is a FIFO"
expect "a folder is refused" 1 "text file 'scene' is a directory"
expect "a regular file under the cap reads" 1 "data: text scene/corpus.txt"
head -c 1100000 /dev/zero | tr '\0' 'a' > big.txt
bl -c "data text=big.txt max_mb=1"
expect "a file past the cap is refused" 1 "text file 'big.txt' is 1.1 MB: data reads at most 1 MB (max_mb=N raises the cap)"

# Finding 4: load opened whatever file the checkpoint named as data (and export
# torch then copied it). Now it opens nothing and says how to reattach.
cp scene/corpus.txt secret.txt
bl -c "model new depth=1 width=16 heads=2 ctx=16; data text=secret.txt; train steps=2 total=4; save t.safetensors"
bl -c "load t.safetensors; data"
expect "load names the data and how to reattach it" 0 "load opens no other file: \`data text=secret.txt\` reattaches it"
expect "and opens none" 0 "no data yet"
bl -c "load t.safetensors; export torch pkg"
check "export torch copies no file the checkpoint named" test ! -e pkg/tokens.bin
a=$("$BLOCKLAB" -c "model new depth=1 width=16 heads=2 ctx=16; data text=secret.txt; train steps=4 log_every=1" | awk '/^step/ {print $2, $4}' | tail -n 2)
b=$("$BLOCKLAB" -c "load t.safetensors; data text=secret.txt; train steps=2 log_every=1" | awk '/^step/ {print $2, $4}')
same "reattached text resumes exactly" "$a" "$b"
bl -c "load t.safetensors; data task=copy"
expect "other data drops the waiting moments, saying so" 0 "not the checkpoint's data: its optimizer moments are dropped"

# Finding 7: paths were cut at 1024 bytes ("x.safete") and reported as saved.
deep=$(printf 'd%.0s' $(seq 1 200))
long="$deep/$deep/$deep/$deep/$deep/$deep"
mkdir -p "$long"
bl -c "$TINY; save $long/x.safetensors"
expect "a 1200-byte path is saved whole" 0 "to $long/x.safetensors"
check "under its full name" test -f "$long/x.safetensors"
bl -c "$TINY; save $long/$long/$long/$long/x.safetensors"
expect "a path past PATH_MAX is an error" 1 "save: the path is"
bl -c "data text=$long/x.txt"
expect "data text= past its buffer is an error, not a cut" 1 "data text=: the path is"

# Finding 9: kill -9 during save left FILE.tmp.<pid> behind for ever.
sh -c 'exit 0' & wait $!; dead=$!
echo junk > "a.safetensors.tmp.$dead"
echo live > "a.safetensors.tmp.$$"
bl -c "$TINY; save a.safetensors"
check "a dead writer's temporary file is removed by the next save" test ! -e "a.safetensors.tmp.$dead"
check "a live process's is kept" test -e "a.safetensors.tmp.$$"
rm -f "a.safetensors.tmp.$$"

# Finding 11: export torch on a full disk left an empty package folder. A file
# size limit stands in for the full disk (SIGXFSZ ignored: writes fail with EFBIG).
(trap '' XFSZ; ulimit -f 40; "$BLOCKLAB" -c "$TINY; $TASK; train steps=1; export torch full-pkg") >"$W/o" 2>&1
check "a failed export reports it" grep -q "full-pkg/checkpoint.st: cannot write" "$W/o"
check "and leaves no package folder" test ! -e full-pkg
check "nor temporary files" test -z "$(ls | grep '\.tmp\.')"

summary
