/* data.h — where training tokens come from: synthetic tasks (copy, reverse,
 * sort), any text file (char-level), or Debian's fortunes corpus.
 * Every batch is a pure function of (seed, split, batch index), drawn with our
 * own Rng, so runs are reproducible and a checkpoint only needs `position`.
 *
 * Task layout (decoder mode):   x1 .. xn SEP y1 .. yn   (then PAD to ctx)
 *   tokens[t]  = seq[t], targets[t] = seq[t+1], mask[t] = 1 only where
 *   targets[t] is an answer symbol y_i (answer-only loss).
 * Task layout (encoder mode, per_position=1):  tokens = x1..xn, targets = y1..yn,
 *   mask = 1 on every answer position (token labelling; used with causal=off).
 * Text: tokens = chars[o .. o+T-1], targets = chars[o+1 .. o+T], mask = 1.
 *
 * Task symbols print as 0-9, a-z, A-Z, '+', '/' (in id order); SEP is id
 * `symbols` and prints as '|', PAD is id `symbols+1` and prints as '.', so an
 * example reads "3141|1413". Row r of batch k is drawn from its own Rng seeded
 * by a hash of (seed, split, k, r): it depends on neither B nor earlier batches.
 * Task split: an example is held out iff a fixed hash of its input x1..xn is
 * 0 mod 10 (the same inputs for every seed and task); draws are repeated until
 * they land on the wanted side. When the input space is so small that a side is
 * empty (e.g. 2 symbols, length 1) the retries stop after 512 and the last draw
 * is used, so train and validation may then overlap.
 * Text ids follow the sorted order of the characters (Unicode code points).
 * Fortunes: the plain files under $BLOCKLAB_FORTUNES_DIR or else
 * /usr/share/games/fortunes, by name, entries joined by a blank line. Stray
 * bytes there are dropped rather than fatal: invalid UTF-8, NUL and control
 * characters other than newline and tab; an overstrike "x BS y" keeps y. */
#ifndef BL_DATA_H
#define BL_DATA_H

#include "common.h"
#include "rng.h"

typedef enum { DATA_COPY, DATA_REVERSE, DATA_SORT, DATA_TEXT, DATA_FORTUNES } DataKind;

/* Ranges of a spec's numbers, shared by `data`'s keys and a checkpoint's check. */
#define DATA_SYMBOLS_MIN 2
#define DATA_SYMBOLS_MAX 64
#define DATA_LENGTH_MIN  1
#define DATA_LENGTH_MAX  512
#define DATA_VAL_MIN     0.001
#define DATA_VAL_MAX     0.9
#define DATA_TEXT_MB     256     /* text: the largest file read, in MB, unless max_mb says more */
#define DATA_TEXT_MB_MAX 65536

typedef struct DataSpec {
    DataKind kind;
    int      symbols;      /* tasks: alphabet size (2..64), default 10 */
    int      length;       /* tasks: n, symbols per example (1..512), default 8 */
    int      min_length;   /* tasks: 0 (every example has n = length) or 1..length: each row
                              draws n uniformly in min_length..length first (variable lengths,
                              padded with PAD as any short example) */
    int      per_position; /* tasks: encoder-style labelling (see above) */
    char     path[1024];   /* DATA_TEXT: file to read */
    double   val_frac;     /* text: share held out for validation, default 0.1 */
    uint64_t seed;         /* batch stream seed */
    int      max_mb;       /* text: refuse files larger than this many MB (0: DATA_TEXT_MB) */
} DataSpec;

/* The largest text file spec reads, in bytes. */
static inline int64_t data_text_cap(const DataSpec *s)
{
    return (int64_t)(s->max_mb > 0 ? s->max_mb : DATA_TEXT_MB) * 1000000;
}

/* Fills spec with the defaults (reverse, 10 symbols, length 8, val 0.1, seed 1). */
void data_spec_default(DataSpec *spec);

typedef struct DataSource {
    DataSpec spec;
    int      vocab;         /* number of token ids used */
    char     vocab_str[256][8]; /* printable form of each id: the UTF-8 character, or an
                                   escape "\\n", "\\t", "\\r", "\\xHH", "\\uHHHH" for
                                   control and invisible characters */
    uint32_t codepoint[256];    /* the Unicode character each id stands for */
    int      sep, pad;      /* task special ids (-1 for text) */
    int      min_ctx;       /* shortest context that holds one example (tasks: 2n, encoder n; text 2) */
    /* text only: the whole corpus as ids, and where validation starts */
    unsigned char *ids;     /* owned; NULL for tasks */
    size_t   n_ids, val_start;
    uint64_t position;      /* training batches drawn so far (saved in checkpoints) */
} DataSource;

/* Opens a source: reads and tokenizes a text file or fortunes, or sets up a task.
 * Errors (file missing, empty, binary — a NUL byte or invalid UTF-8 —, more than
 * 255 distinct symbols, fortunes not installed, bad task sizes) return -1 with
 * a message naming the path/value and what was expected. d is zeroed on failure. */
int  data_open(DataSource *d, const DataSpec *spec, BlError *e);
void data_close(DataSource *d);   /* frees ids; safe on a zeroed or closed source */

/* Writes one batch of B rows of T positions (T >= min_ctx):
 * tokens[B*T], targets[B*T] (ids; -1 never used: padded positions get pad and mask 0),
 * mask[B*T] (1.0 where the loss counts, else 0.0).
 * split 0 = train: batch number d->position, then d->position++.
 * split 1 = validation: batch number `index` of the held-out stream (no state change).
 * Task validation examples are held out: no validation example is ever a
 * training example (split by a hash of the example). */
/* The task's answer y (spec->length symbols) to input x: the one oracle that
 * batches and `sample`'s right/wrong verdicts both use. Tasks only. */
void data_task_answer(const DataSpec *spec, const int *x, int *y);

void data_batch(DataSource *d, int split, uint64_t index, int B, int T,
                int *tokens, int *targets, float *mask);
/* Any T >= 1 is safe for data_batch: a task example that does not fit is cut
 * at T; a text window longer than its split is cut at the split's end and the
 * rest of the row is id 0 with mask 0 (text has no PAD). data_check_ctx says
 * beforehand whether T fits: -1 with a message when T < min_ctx or when a text
 * split is shorter than T+1 characters. data_open already guarantees min_ctx. */
int  data_check_ctx(const DataSource *d, int T, BlError *e);

/* Char-level codec for sample/prompt text. encode returns the count written
 * (at most max) or -1 with a message naming the first unknown character.
 * text is raw UTF-8 (no escapes are interpreted); for tasks '|' is SEP, '.' PAD.
 * The whole text is checked even when only its first max ids are written. */
int  data_encode(const DataSource *d, const char *text, int *out, int max, BlError *e);
/* Appends the printable form of id to buf (NUL-terminated, at most cap bytes). */
void data_decode(const DataSource *d, int id, char *buf, size_t cap);
/* Same, for sampled text: newline and tab as themselves, the rest as data_decode.
 * Both append nothing if the piece does not fit whole; an unknown id gives "<?>". */
void data_decode_text(const DataSource *d, int id, char *buf, size_t cap);

/* The name of a kind ("copy", "reverse", "sort", "text", "fortunes") and back. */
const char *data_kind_name(DataKind k);
int         data_kind_parse(const char *s, DataKind *k);

#endif
