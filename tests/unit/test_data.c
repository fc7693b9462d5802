/* test_data.c — the data module's promises: task layouts and answers, batches
 * as pure functions of (seed, split, index), held-out splits, text and fortunes loading. */
#include "data.h"
#include "testlib.h"

#include <errno.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

/* ---- helpers ---------------------------------------------------------- */

static char tmp_root[256];
static char created[64][512]; /* removed in reverse order at the end */
static int n_created;

static const char *tmp_path(const char *name)
{
    static char buf[4][512];
    static int next;
    char *p = buf[next++ % 4];
    snprintf(p, 512, "%s/%s", tmp_root, name);
    return p;
}

static void remember(const char *path)
{
    if (n_created < 64) snprintf(created[n_created++], 512, "%s", path);
}

static const char *write_file(const char *name, const void *bytes, size_t n)
{
    const char *path = tmp_path(name);
    FILE *f = fopen(path, "wb");
    if (!f) { fprintf(stderr, "cannot write %s: %s\n", path, strerror(errno)); exit(2); }
    fwrite(bytes, 1, n, f);
    fclose(f);
    remember(path);
    return path;
}

static const char *write_str(const char *name, const char *text)
{
    return write_file(name, text, strlen(text));
}

static const char *make_dir(const char *name)
{
    const char *path = tmp_path(name);
    mkdir(path, 0700);
    remember(path);
    return path;
}

static void remove_created(void)
{
    for (int i = n_created - 1; i >= 0; i--)
        if (unlink(created[i]) != 0) rmdir(created[i]);
    rmdir(tmp_root);
}

static DataSpec task_spec(DataKind kind, int symbols, int length, int per_position)
{
    DataSpec s;
    data_spec_default(&s);
    s.kind = kind;
    s.symbols = symbols;
    s.length = length;
    s.per_position = per_position;
    return s;
}

static DataSpec text_spec(const char *path, double val_frac)
{
    DataSpec s;
    data_spec_default(&s);
    s.kind = DATA_TEXT;
    snprintf(s.path, sizeof s.path, "%s", path);
    s.val_frac = val_frac;
    return s;
}

typedef struct Batch {
    int B, T;
    int *tok, *tgt;
    float *mask;
} Batch;

static Batch batch_new(int B, int T)
{
    Batch b = {B, T, malloc(sizeof(int) * (size_t)(B * T)), malloc(sizeof(int) * (size_t)(B * T)),
               malloc(sizeof(float) * (size_t)(B * T))};
    return b;
}

static void batch_free(Batch *b) { free(b->tok); free(b->tgt); free(b->mask); }

static void draw(DataSource *d, int split, uint64_t index, Batch *b)
{
    data_batch(d, split, index, b->B, b->T, b->tok, b->tgt, b->mask);
}

static int batches_equal(const Batch *a, const Batch *b, int rows)
{
    size_t n = (size_t)rows * (size_t)a->T;
    return memcmp(a->tok, b->tok, n * sizeof(int)) == 0 &&
           memcmp(a->tgt, b->tgt, n * sizeof(int)) == 0 &&
           memcmp(a->mask, b->mask, n * sizeof(float)) == 0;
}

/* The whole corpus back as text, through the public decoder. */
static char *corpus_text(const DataSource *d)
{
    size_t cap = d->n_ids * 4 + 1;
    char *s = calloc(cap, 1);
    size_t len = 0;
    for (size_t i = 0; i < d->n_ids; i++) {
        data_decode_text(d, d->ids[i], s + len, cap - len);
        len += strlen(s + len);
    }
    return s;
}

/* ---- tasks ------------------------------------------------------------ */

static void test_defaults_and_kind_names(void)
{
    DataSpec s;
    data_spec_default(&s);
    CHECK(s.kind == DATA_REVERSE && s.symbols == 10 && s.length == 8, "task defaults");
    CHECK(s.val_frac == 0.1 && s.seed == 1 && s.per_position == 0, "other defaults");
    const char *names[] = {"copy", "reverse", "sort", "text", "fortunes"};
    for (int k = 0; k < 5; k++) {
        DataKind back;
        CHECK(strcmp(data_kind_name((DataKind)k), names[k]) == 0, "name of kind %d", k);
        CHECK(data_kind_parse(names[k], &back) == 0 && back == (DataKind)k, "parse %s", names[k]);
    }
    DataKind k;
    CHECK(data_kind_parse("shuffle", &k) == -1, "unknown kind rejected");
}

static void test_task_vocab(void)
{
    BlError e;
    DataSource d;
    DataSpec s = task_spec(DATA_REVERSE, 10, 8, 0);
    CHECK(data_open(&d, &s, &e) == 0, "open: %s", e.msg);
    CHECK(d.vocab == 12 && d.sep == 10 && d.pad == 11, "vocab %d sep %d pad %d", d.vocab, d.sep, d.pad);
    CHECK(strcmp(d.vocab_str[0], "0") == 0 && strcmp(d.vocab_str[9], "9") == 0, "digits");
    CHECK(strcmp(d.vocab_str[d.sep], "|") == 0 && strcmp(d.vocab_str[d.pad], ".") == 0,
          "sep '%s' pad '%s'", d.vocab_str[d.sep], d.vocab_str[d.pad]);
    CHECK(d.min_ctx == 16 && d.ids == NULL, "decoder min_ctx %d", d.min_ctx);
    data_close(&d);

    s = task_spec(DATA_SORT, 64, 5, 1);
    CHECK(data_open(&d, &s, &e) == 0, "open 64 symbols: %s", e.msg);
    CHECK(d.min_ctx == 5, "encoder min_ctx %d", d.min_ctx);
    CHECK(strcmp(d.vocab_str[10], "a") == 0 && strcmp(d.vocab_str[36], "A") == 0 &&
          strcmp(d.vocab_str[63], "/") == 0, "letters then +/");
    int distinct = 1;
    for (int i = 0; i < d.vocab; i++)
        for (int j = 0; j < i; j++) distinct &= strcmp(d.vocab_str[i], d.vocab_str[j]) != 0;
    CHECK(distinct, "every id prints differently");
    data_close(&d);
    data_close(&d); /* closing twice is safe */
}

static void test_task_bad_sizes(void)
{
    struct { int symbols, length; const char *word; } bad[] = {
        {1, 8, "symbols=1"}, {65, 8, "symbols=65"}, {10, 0, "length=0"}, {10, 513, "length=513"},
    };
    for (int i = 0; i < 4; i++) {
        BlError e = {{0}};
        DataSource d;
        DataSpec s = task_spec(DATA_COPY, bad[i].symbols, bad[i].length, 0);
        CHECK(data_open(&d, &s, &e) == -1, "%s accepted", bad[i].word);
        CHECK(strstr(e.msg, bad[i].word) != NULL, "message names %s: %s", bad[i].word, e.msg);
        CHECK(d.vocab == 0 && d.ids == NULL, "zeroed on failure");
    }
}

/* y as the task defines it from x. */
static int answer_is_right(DataKind kind, int S, const int *x, const int *y, int n)
{
    int ok = 1;
    if (kind == DATA_COPY) for (int i = 0; i < n; i++) ok &= y[i] == x[i];
    if (kind == DATA_REVERSE) for (int i = 0; i < n; i++) ok &= y[i] == x[n - 1 - i];
    if (kind == DATA_SORT) {
        int cx[64] = {0}, cy[64] = {0};
        for (int i = 0; i < n; i++) { cx[x[i]]++; cy[y[i]]++; }
        for (int i = 1; i < n; i++) ok &= y[i - 1] <= y[i];
        for (int s = 0; s < S; s++) ok &= cx[s] == cy[s];
    }
    return ok;
}

static void test_task_decoder_layout(void)
{
    DataKind kinds[] = {DATA_COPY, DATA_REVERSE, DATA_SORT};
    for (int k = 0; k < 3; k++) {
        int S = 7, n = 6, T = 2 * n + 4;
        BlError e;
        DataSource d;
        DataSpec s = task_spec(kinds[k], S, n, 0);
        CHECK(data_open(&d, &s, &e) == 0, "open: %s", e.msg);
        Batch b = batch_new(64, T);
        int bad_layout = 0, bad_answer = 0, bad_mask = 0, bad_shift = 0, bad_pad = 0;
        for (int split = 0; split < 2; split++) {
            draw(&d, split, 3, &b);
            for (int r = 0; r < b.B; r++) {
                const int *tok = b.tok + r * T, *tgt = b.tgt + r * T;
                const float *m = b.mask + r * T;
                int x[16], y[16], ones = 0;
                for (int i = 0; i < n; i++) {
                    x[i] = tok[i];
                    bad_layout += x[i] < 0 || x[i] >= S;
                }
                bad_layout += tok[n] != d.sep;
                for (int t = 0; t < T; t++) {
                    int answer = t >= n && t < 2 * n;
                    ones += m[t] == 1.0f;
                    bad_mask += m[t] != (answer ? 1.0f : 0.0f);
                    if (answer) y[t - n] = tgt[t];
                    if (t + 1 <= 2 * n) bad_shift += tgt[t] != tok[t + 1];
                    if (t > 2 * n) bad_pad += tok[t] != d.pad;
                    if (t >= 2 * n) bad_pad += tgt[t] != d.pad;
                }
                bad_mask += ones != n;
                bad_answer += !answer_is_right(kinds[k], S, x, y, n);
            }
        }
        const char *name = data_kind_name(kinds[k]);
        CHECK(!bad_layout, "%s: x1..xn SEP layout broken in %d places", name, bad_layout);
        CHECK(!bad_mask, "%s: mask not exactly the n answer positions (%d)", name, bad_mask);
        CHECK(!bad_shift, "%s: targets are not tokens shifted by one (%d)", name, bad_shift);
        CHECK(!bad_pad, "%s: tail not PAD (%d)", name, bad_pad);
        CHECK(!bad_answer, "%s: %d rows with a wrong answer", name, bad_answer);
        batch_free(&b);
        data_close(&d);
    }
}

static void test_task_encoder_layout(void)
{
    DataKind kinds[] = {DATA_COPY, DATA_REVERSE, DATA_SORT};
    for (int k = 0; k < 3; k++) {
        int S = 12, n = 9, T = 11;
        BlError e;
        DataSource d;
        DataSpec s = task_spec(kinds[k], S, n, 1);
        CHECK(data_open(&d, &s, &e) == 0, "open: %s", e.msg);
        Batch b = batch_new(32, T);
        draw(&d, 0, 0, &b);
        int bad = 0;
        for (int r = 0; r < b.B; r++) {
            const int *tok = b.tok + r * T, *tgt = b.tgt + r * T;
            const float *m = b.mask + r * T;
            for (int t = 0; t < T; t++) {
                if (t < n) bad += m[t] != 1.0f || tok[t] >= S || tgt[t] >= S;
                else bad += m[t] != 0.0f || tok[t] != d.pad || tgt[t] != d.pad;
            }
            bad += !answer_is_right(kinds[k], S, tok, tgt, n);
        }
        CHECK(!bad, "%s encoder rows wrong in %d places", data_kind_name(kinds[k]), bad);
        batch_free(&b);
        data_close(&d);
    }
}

static void test_batches_are_pure_functions(void)
{
    BlError e;
    DataSource a, c;
    DataSpec s = task_spec(DATA_SORT, 10, 8, 0);
    CHECK(data_open(&a, &s, &e) == 0 && data_open(&c, &s, &e) == 0, "open: %s", e.msg);
    Batch x = batch_new(16, 20), y = batch_new(16, 20), z = batch_new(16, 20);

    draw(&a, 1, 5, &x);
    draw(&c, 1, 5, &y);
    CHECK(batches_equal(&x, &y, 16), "same validation index, same batch");
    draw(&c, 1, 6, &y);
    CHECK(!batches_equal(&x, &y, 16), "next validation index differs");
    CHECK(a.position == 0 && c.position == 0, "validation leaves position alone");

    /* Resume: batch k depends only on k, not on the batches drawn before. */
    for (int i = 0; i < 3; i++) draw(&a, 0, 0, &x);
    CHECK(a.position == 3, "position counts training batches: %llu", (unsigned long long)a.position);
    c.position = 2;
    draw(&c, 0, 0, &y);
    CHECK(batches_equal(&x, &y, 16), "batch 2 after a jump equals batch 2 after drawing");
    draw(&c, 0, 0, &z);
    CHECK(!batches_equal(&y, &z, 16), "consecutive training batches differ");

    /* The validation stream is not the training stream. */
    c.position = 2;
    draw(&c, 0, 0, &y);
    draw(&c, 1, 2, &z);
    CHECK(!batches_equal(&y, &z, 16), "train batch 2 differs from validation batch 2");

    /* Rows do not depend on B: a smaller batch is a prefix. */
    Batch small = batch_new(4, 20);
    c.position = 7;
    draw(&c, 0, 0, &y);
    c.position = 7;
    draw(&c, 0, 0, &small);
    CHECK(batches_equal(&small, &y, 4), "B=4 rows equal the first rows of B=16");

    /* Another seed, another stream. */
    data_close(&c);
    s.seed = 2;
    CHECK(data_open(&c, &s, &e) == 0, "open: %s", e.msg);
    a.position = 0;
    draw(&a, 0, 0, &x);
    draw(&c, 0, 0, &y);
    CHECK(!batches_equal(&x, &y, 16), "seed 2 differs from seed 1");

    batch_free(&x); batch_free(&y); batch_free(&z); batch_free(&small);
    data_close(&a);
    data_close(&c);
}

/* Input x1..xn of a decoder-mode row as one number in base S. */
static long input_code(const int *tok, int n, int S)
{
    long code = 0;
    for (int i = 0; i < n; i++) code = code * S + tok[i];
    return code;
}

static void check_split_disjoint(int S, int n)
{
    long space = 1;
    for (int i = 0; i < n; i++) space *= S;
    unsigned char *side = calloc((size_t)space, 1); /* bit 1 train, bit 2 validation */
    BlError e;
    DataSource d;
    DataSpec s = task_spec(DATA_REVERSE, S, n, 0);
    CHECK(data_open(&d, &s, &e) == 0, "open: %s", e.msg);
    Batch b = batch_new(32, 2 * n);
    for (int i = 0; i < 150; i++) {
        draw(&d, 0, 0, &b);
        for (int r = 0; r < b.B; r++) side[input_code(b.tok + r * b.T, n, S)] |= 1;
    }
    for (uint64_t i = 0; i < 60; i++) {
        draw(&d, 1, i, &b);
        for (int r = 0; r < b.B; r++) side[input_code(b.tok + r * b.T, n, S)] |= 2;
    }
    long train = 0, val = 0, both = 0;
    for (long c = 0; c < space; c++) {
        train += (side[c] & 1) != 0;
        val += (side[c] & 2) != 0;
        both += side[c] == 3;
    }
    CHECK(both == 0, "S=%d n=%d: %ld inputs in both train and validation", S, n, both);
    CHECK(train > 0 && val > 0, "S=%d n=%d: both sides drawn (%ld, %ld)", S, n, train, val);
    if (space <= 1000) /* every input seen: about one in ten is held out */
        CHECK(val * 20 > train && val * 4 < train, "S=%d n=%d: held out %ld of %ld",
              S, n, val, train + val);
    batch_free(&b);
    data_close(&d);
    free(side);
}

static void test_train_and_validation_disjoint(void)
{
    check_split_disjoint(3, 5);  /* 243 inputs, 4800 train + 1920 val draws: all seen */
    check_split_disjoint(10, 4); /* 10000 inputs, partly seen */
    check_split_disjoint(2, 9);
}

static void test_task_short_ctx(void)
{
    BlError e = {{0}};
    DataSource d;
    DataSpec s = task_spec(DATA_REVERSE, 10, 8, 0);
    CHECK(data_open(&d, &s, &e) == 0, "open: %s", e.msg);
    CHECK(data_check_ctx(&d, 15, &e) == -1 && strstr(e.msg, "16"), "ctx 15 < 2n: %s", e.msg);
    CHECK(data_check_ctx(&d, 16, &e) == 0, "ctx 16 fits");
    /* Too short still writes only B*T values (ASan watches) and masks sanely. */
    Batch b = batch_new(8, 11);
    draw(&d, 0, 0, &b);
    int ones = 0;
    for (int i = 0; i < 8 * 11; i++) ones += b.mask[i] == 1.0f;
    CHECK(ones == 8 * 3, "cut rows keep answers at t=8..10 only: %d", ones);
    batch_free(&b);
    data_close(&d);

    /* An alphabet too small to split still terminates and stays in range. */
    s = task_spec(DATA_COPY, 2, 1, 0);
    CHECK(data_open(&d, &s, &e) == 0, "open tiny: %s", e.msg);
    b = batch_new(4, 2);
    draw(&d, 1, 0, &b);
    int bad = 0;
    for (int i = 0; i < 8; i++) bad += b.tok[i] < 0 || b.tok[i] >= d.vocab;
    CHECK(!bad, "tiny task ids in range");
    batch_free(&b);
    data_close(&d);
}

/* ---- codec ------------------------------------------------------------ */

static void test_task_codec(void)
{
    BlError e = {{0}};
    DataSource d;
    DataSpec s = task_spec(DATA_REVERSE, 16, 4, 0);
    CHECK(data_open(&d, &s, &e) == 0, "open: %s", e.msg);
    int ids[16];
    CHECK(data_encode(&d, "3f0a|a0f3.", ids, 16, &e) == 10, "encode: %s", e.msg);
    CHECK(ids[0] == 3 && ids[1] == 15 && ids[4] == d.sep && ids[9] == d.pad, "ids");
    char buf[32] = "";
    for (int i = 0; i < 10; i++) data_decode(&d, ids[i], buf, sizeof buf);
    CHECK(strcmp(buf, "3f0a|a0f3.") == 0, "round trip: %s", buf);
    CHECK(data_encode(&d, "3f0a|", ids, 2, &e) == 2, "encode stops at max");
    CHECK(data_encode(&d, "12g", ids, 16, &e) == -1 && strstr(e.msg, "'g'") &&
          strstr(e.msg, "position 2"), "unknown symbol named: %s", e.msg);
    CHECK(data_encode(&d, "1\xff", ids, 1, &e) == -1, "invalid UTF-8 rejected even past max");

    char small[4] = "ab";
    data_decode(&d, 3, small, sizeof small);
    CHECK(strcmp(small, "ab3") == 0, "decode appends: %s", small);
    data_decode(&d, 4, small, sizeof small);
    CHECK(strcmp(small, "ab3") == 0, "nothing appended when full: %s", small);
    char unk[8] = "";
    data_decode(&d, 99, unk, sizeof unk);
    CHECK(strcmp(unk, "<?>") == 0, "unknown id: %s", unk);
    data_close(&d);
}

/* ---- text ------------------------------------------------------------- */

static void test_text_vocab_and_round_trip(void)
{
    const char text[] = "ba\tc\nhéllo wörld € 😀\nba\tc\n\\n";
    const char *path = write_file("utf8.txt", text, sizeof text - 1);
    BlError e = {{0}};
    DataSource d;
    DataSpec s = text_spec(path, 0.2);
    CHECK(data_open(&d, &s, &e) == 0, "open: %s", e.msg);
    CHECK(d.sep == -1 && d.pad == -1 && d.min_ctx == 2, "text specials");
    int sorted = 1;
    for (int i = 1; i < d.vocab; i++) sorted &= d.codepoint[i - 1] < d.codepoint[i];
    CHECK(sorted, "ids in code point order");
    CHECK(d.vocab == 18, "distinct characters: %d", d.vocab);
    CHECK(strcmp(d.vocab_str[0], "\\t") == 0 && strcmp(d.vocab_str[1], "\\n") == 0,
          "escapes: '%s' '%s'", d.vocab_str[0], d.vocab_str[1]);
    CHECK(strcmp(d.vocab_str[d.vocab - 1], "😀") == 0, "last is the emoji: %s", d.vocab_str[d.vocab - 1]);
    CHECK(d.n_ids == 28, "one id per character: %zu", d.n_ids);
    CHECK(d.val_start == d.n_ids - 6, "last 20%% held out: val_start %zu", d.val_start);
    char *back = corpus_text(&d);
    CHECK(strcmp(back, text) == 0, "decode_text round trip: [%s]", back);
    free(back);

    int ids[64];
    int n = data_encode(&d, "wörld €", ids, 64, &e);
    CHECK(n == 7, "encode counts characters: %d (%s)", n, e.msg);
    char buf[64] = "";
    for (int i = 0; i < n; i++) data_decode(&d, ids[i], buf, sizeof buf);
    CHECK(strcmp(buf, "wörld €") == 0, "encode/decode: %s", buf);
    CHECK(data_encode(&d, "héllo!", ids, 64, &e) == -1 && strstr(e.msg, "'!'"),
          "unknown char: %s", e.msg);
    data_close(&d);

    /* A byte-order mark is not a character of the text. */
    const char bom[] = "\xEF\xBB\xBF" "abcabcabcabc";
    s = text_spec(write_file("bom.txt", bom, sizeof bom - 1), 0.25);
    CHECK(data_open(&d, &s, &e) == 0 && d.vocab == 3 && d.n_ids == 12, "BOM skipped: %s", e.msg);
    data_close(&d);
}

static void expect_text_error(const char *path, double val, const char *want1, const char *want2)
{
    BlError e = {{0}};
    DataSource d;
    DataSpec s = text_spec(path, val);
    int rc = data_open(&d, &s, &e);
    CHECK(rc == -1, "%s accepted", path);
    CHECK(strstr(e.msg, want1) && (!want2 || strstr(e.msg, want2)), "message for %s: %s", path, e.msg);
    CHECK(d.ids == NULL && d.vocab == 0, "zeroed on failure");
}

static void test_text_errors(void)
{
    const char *missing = tmp_path("no-such-file.txt");
    expect_text_error(missing, 0.1, missing, strerror(ENOENT));
    expect_text_error("", 0.1, "path is empty", NULL);
    expect_text_error(write_file("empty.txt", "", 0), 0.1, "empty", NULL);
    expect_text_error(write_file("nul.bin", "abc\0def", 7), 0.1, "NUL byte at offset 3", NULL);
    expect_text_error(write_str("latin1.txt", "caf\xe9 au lait"), 0.1, "not UTF-8", "offset 3");
    expect_text_error(write_file("overlong.txt", "ab\xc0\xafzz", 6), 0.1, "not UTF-8", NULL);
    expect_text_error(write_str("short.txt", "abcd"), 0.1, "too short", NULL);
    expect_text_error(tmp_root, 0.1, "is a directory: expected a regular file", NULL);
    const char *ok = write_str("ok.txt", "abcabcabcabc");
    expect_text_error(ok, 0.0, "expected 0 < val < 1", NULL);
    expect_text_error(ok, 1.0, "expected 0 < val < 1", NULL);

    /* 300 distinct characters: U+0100..U+022B, two bytes each. */
    char many[600];
    for (int i = 0; i < 300; i++) {
        unsigned cp = 0x100u + (unsigned)i;
        many[2 * i] = (char)(0xC0 | (cp >> 6));
        many[2 * i + 1] = (char)(0x80 | (cp & 0x3F));
    }
    expect_text_error(write_file("many.txt", many, sizeof many), 0.1, "300 distinct", "255");
    /* 255 distinct still fits. */
    char fits[510 + 6];
    memcpy(fits, many, 510);
    memcpy(fits + 510, many, 6);
    BlError e = {{0}};
    DataSource d;
    DataSpec s = text_spec(write_file("fits.txt", fits, sizeof fits), 0.1);
    CHECK(data_open(&d, &s, &e) == 0 && d.vocab == 255, "255 distinct fit: %s", e.msg);
    data_close(&d);
}

/* 70 lowercase then 30 uppercase letters: with val 0.3 a window's letter case
 * says which part it came from, and windows nearly as long as each part hit
 * every offset, the last legal one included. */
static void test_text_windows_stay_in_their_split(void)
{
    char text[100];
    unsigned lcg = 12345; /* aperiodic enough that every window occurs once */
    for (int i = 0; i < 100; i++) {
        lcg = lcg * 1103515245u + 12345u;
        text[i] = (char)((i < 70 ? 'a' : 'A') + (lcg >> 16) % 10);
    }
    BlError e = {{0}};
    DataSource d;
    DataSpec s = text_spec(write_file("cases.txt", text, sizeof text), 0.3);
    CHECK(data_open(&d, &s, &e) == 0, "open: %s", e.msg);
    CHECK(d.val_start == 70, "val_start %zu", d.val_start);
    /* ids 0..9 are 'A'..'J', 10..19 are 'a'..'j' */
    CHECK(d.vocab == 20 && d.codepoint[0] == 'A' && d.codepoint[10] == 'a', "vocab");

    Batch tb = batch_new(32, 64), vb = batch_new(32, 25);
    int bad_train = 0, bad_val = 0, bad_shift = 0, bad_mask = 0;
    int first_train[100] = {0}, first_val[100] = {0};
    for (int i = 0; i < 20; i++) {
        draw(&d, 0, 0, &tb);
        for (int k = 0; k < tb.B * tb.T; k++) {
            bad_train += tb.tok[k] < 10 || tb.tgt[k] < 10;
            bad_mask += tb.mask[k] != 1.0f;
            if ((k + 1) % tb.T) bad_shift += tb.tgt[k] != tb.tok[k + 1];
        }
        draw(&d, 1, (uint64_t)i, &vb);
        for (int k = 0; k < vb.B * vb.T; k++) {
            bad_val += vb.tok[k] >= 10 || vb.tgt[k] >= 10;
            bad_mask += vb.mask[k] != 1.0f;
            if ((k + 1) % vb.T) bad_shift += vb.tgt[k] != vb.tok[k + 1];
        }
        /* Which offsets were used: find each row's window in the corpus. */
        for (int r = 0; r < 32; r++)
            for (size_t o = 0; o < d.n_ids; o++) {
                int same_t = o + 64 <= d.n_ids, same_v = o + 25 <= d.n_ids;
                for (int t = 0; t < 64 && same_t; t++) same_t = d.ids[o + (size_t)t] == tb.tok[r * 64 + t];
                for (int t = 0; t < 25 && same_v; t++) same_v = d.ids[o + (size_t)t] == vb.tok[r * 25 + t];
                if (same_t) first_train[o] = 1;
                if (same_v) first_val[o] = 1;
            }
    }
    CHECK(!bad_train, "training windows reach validation text %d times", bad_train);
    CHECK(!bad_val, "validation windows reach training text %d times", bad_val);
    CHECK(!bad_shift && !bad_mask, "targets shift tokens (%d), mask all ones (%d)", bad_shift, bad_mask);
    int used_train = 0, used_val = 0;
    for (int o = 0; o < 100; o++) used_train += first_train[o];
    for (int o = 0; o < 100; o++) used_val += first_val[o];
    CHECK(used_train == 6 && first_train[0] && first_train[5], "train offsets 0..5 used: %d", used_train);
    CHECK(used_val == 5 && first_val[70] && first_val[74], "validation offsets 70..74 used: %d", used_val);
    batch_free(&tb);
    batch_free(&vb);

    /* The same windows for the same seed and index. */
    DataSource d2;
    CHECK(data_open(&d2, &s, &e) == 0, "reopen: %s", e.msg);
    Batch x = batch_new(8, 16), y = batch_new(8, 16);
    draw(&d, 1, 9, &x);
    draw(&d2, 1, 9, &y);
    CHECK(batches_equal(&x, &y, 8), "text validation batch reproducible");
    d.position = 4;
    draw(&d, 0, 0, &x);
    d2.position = 4;
    draw(&d2, 0, 0, &y);
    CHECK(batches_equal(&x, &y, 8), "text training batch 4 reproducible");
    draw(&d2, 0, 0, &y);
    CHECK(!batches_equal(&x, &y, 8), "text training batch 5 differs");
    batch_free(&x);
    batch_free(&y);
    data_close(&d2);

    /* Context limits: validation holds 30 characters, so T=29 is the most. */
    CHECK(data_check_ctx(&d, 29, &e) == 0, "T=29 fits: %s", e.msg);
    CHECK(data_check_ctx(&d, 30, &e) == -1 && strstr(e.msg, "validation"), "T=30: %s", e.msg);
    CHECK(data_check_ctx(&d, 1, &e) == -1, "T=1 below min_ctx");
    /* Past the limit a batch is cut at the part's end, never read out of bounds. */
    Batch big = batch_new(3, 150);
    int parts[2] = {70, 30};
    for (int split = 0; split < 2; split++) {
        draw(&d, split, 0, &big);
        int ones = 0, bad_tail = 0;
        for (int k = 0; k < 3 * 150; k++) {
            ones += big.mask[k] == 1.0f;
            if (k % 150 >= parts[split]) bad_tail += big.tok[k] != 0 || big.mask[k] != 0.0f;
        }
        CHECK(ones == 3 * (parts[split] - 1) && !bad_tail, "split %d cut at its end: %d ones, %d bad",
              split, ones, bad_tail);
    }
    batch_free(&big);
    data_close(&d);
}

/* ---- fortunes --------------------------------------------------------- */

static void test_fortunes_from_a_directory(void)
{
    char dir[512];
    snprintf(dir, sizeof dir, "%s", make_dir("fortunes"));
    write_str("fortunes/b", "second file\n%\n");
    write_str("fortunes/a", "\nfirst one\n  \n%\n%\ntwo\nlines\n\n%\n");
    write_file("fortunes/a.dat", "\0\1\2\3", 4);
    const char *link = tmp_path("fortunes/a.u8");
    CHECK(symlink("a", link) == 0, "symlink");
    remember(link);
    make_dir("fortunes/off");
    write_str("fortunes/off/x", "offensive\n%\n");
    const char c[] = "bell\a and _\bu_\bn_\bd_\be_\br, b\bbo\bol\bld, bad \xff\xfe byte\n%\nlast";
    write_file("fortunes/c", c, sizeof c - 1);

    setenv("BLOCKLAB_FORTUNES_DIR", dir, 1);
    BlError e = {{0}};
    DataSource d;
    DataSpec s;
    data_spec_default(&s);
    s.kind = DATA_FORTUNES;
    CHECK(data_open(&d, &s, &e) == 0, "open: %s", e.msg);
    char *text = corpus_text(&d);
    const char *want = "first one\n\ntwo\nlines\n\nsecond file\n\n"
                       "bell and under, bold, bad  byte\n\nlast\n";
    CHECK(strcmp(text, want) == 0, "corpus:\n[%s]\nwanted:\n[%s]", text, want);
    free(text);
    data_close(&d);

    /* Only index files: nothing to read. */
    make_dir("fortunes-empty");
    write_file("fortunes-empty/x.dat", "\0", 1);
    setenv("BLOCKLAB_FORTUNES_DIR", tmp_path("fortunes-empty"), 1);
    CHECK(data_open(&d, &s, &e) == -1 && strstr(e.msg, "no readable fortune files"), "%s", e.msg);

    setenv("BLOCKLAB_FORTUNES_DIR", tmp_path("nowhere"), 1);
    CHECK(data_open(&d, &s, &e) == -1, "missing dir accepted");
    CHECK(strstr(e.msg, "fortunes corpus not found in") && strstr(e.msg, "nowhere") &&
          strstr(e.msg, "install Debian's `fortunes` package"), "%s", e.msg);
    CHECK(d.ids == NULL, "zeroed on failure");
    unsetenv("BLOCKLAB_FORTUNES_DIR");
}

static void test_fortunes_installed(void)
{
    struct stat st;
    if (stat("/usr/share/games/fortunes", &st) != 0) {
        printf("     (no /usr/share/games/fortunes: skipped)\n");
        return;
    }
    unsetenv("BLOCKLAB_FORTUNES_DIR");
    BlError e = {{0}};
    DataSource d;
    DataSpec s;
    data_spec_default(&s);
    s.kind = DATA_FORTUNES;
    CHECK(data_open(&d, &s, &e) == 0, "open: %s", e.msg);
    CHECK(d.vocab > 60 && d.vocab <= 255, "vocab %d", d.vocab);
    CHECK(d.n_ids > 1000000, "corpus of %zu characters", d.n_ids);
    int controls = 0;
    for (int i = 0; i < d.vocab; i++) {
        uint32_t cp = d.codepoint[i];
        controls += (cp < 0x20 && cp != '\n' && cp != '\t') || (cp >= 0x7F && cp <= 0x9F);
    }
    CHECK(controls == 0, "%d control characters left in the vocabulary", controls);
    CHECK(data_check_ctx(&d, 256, &e) == 0, "ctx 256: %s", e.msg);
    int ids[8];
    CHECK(data_encode(&d, "Fortune", ids, 8, &e) == 7, "plain English encodes: %s", e.msg);
    Batch b = batch_new(4, 256);
    draw(&d, 0, 0, &b);
    draw(&d, 1, 0, &b);
    int bad = 0;
    for (int k = 0; k < 4 * 256; k++) bad += b.tok[k] >= d.vocab || b.mask[k] != 1.0f;
    CHECK(!bad, "fortune batches in range and unmasked");
    batch_free(&b);
    data_close(&d);
}

int main(void)
{
    const char *base = getenv("TMPDIR");
    snprintf(tmp_root, sizeof tmp_root, "%s/blocklab-test-data-XXXXXX", base && *base ? base : "/tmp");
    if (!mkdtemp(tmp_root)) { perror("mkdtemp"); return 2; }

    RUN(test_defaults_and_kind_names);
    RUN(test_task_vocab);
    RUN(test_task_bad_sizes);
    RUN(test_task_decoder_layout);
    RUN(test_task_encoder_layout);
    RUN(test_batches_are_pure_functions);
    RUN(test_train_and_validation_disjoint);
    RUN(test_task_short_ctx);
    RUN(test_task_codec);
    RUN(test_text_vocab_and_round_trip);
    RUN(test_text_errors);
    RUN(test_text_windows_stay_in_their_split);
    RUN(test_fortunes_from_a_directory);
    RUN(test_fortunes_installed);

    remove_created();
    return TEST_SUMMARY();
}
