/* data.c — training tokens: copy/reverse/sort examples drawn from a hash of
 * (seed, split, batch, row), and char-level text from a file or the fortunes corpus. */
#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L /* opendir, lstat */
#endif
#include "data.h"
#include "strbuf.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

enum {
    MIN_SYMBOLS = DATA_SYMBOLS_MIN, MAX_SYMBOLS = DATA_SYMBOLS_MAX,
    MIN_LENGTH = DATA_LENGTH_MIN, MAX_LENGTH = DATA_LENGTH_MAX,
    MAX_TEXT_VOCAB = 255,     /* ids are stored as unsigned char */
    SPLIT_RETRIES = 512,      /* 0.9^512 ~ 1e-23: only an empty side ever exhausts it */
    VAL_BUCKETS = 10,         /* one input in ten is held out */
    TEXT_MIN_CTX = 2,
};

#define UNICODE_LIMIT 0x110000u
#define SEP_CHAR '|'
#define PAD_CHAR '.'
#define FORTUNES_DEFAULT_DIR "/usr/share/games/fortunes"
#define FORTUNES_DIR_ENV "BLOCKLAB_FORTUNES_DIR"

/* 64 printable ASCII symbols; base64's order, so ids read as digits first. */
static const char TASK_SYMBOLS[MAX_SYMBOLS + 1] =
    "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ+/";

static const char *const KIND_NAMES[] = {"copy", "reverse", "sort", "text", "fortunes"};

/* ---- small helpers ---------------------------------------------------- */

/* Raw file bytes live in a StrBuf (strbuf.h): appends grow it; read it as bytes. */
static const unsigned char *bytes_of(const StrBuf *b) { return (const unsigned char *)b->data; }

/* splitmix64's finalizer: a bijection that spreads every input bit. */
static uint64_t mix64(uint64_t z)
{
    z += 0x9e3779b97f4a7c15ULL;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

/* Each row gets its own stream, so a batch is the same whatever was drawn
 * before it and whatever the batch size: resuming only needs `position`. */
static void seed_row_rng(Rng *r, uint64_t seed, int split, uint64_t batch, int row)
{
    uint64_t h = mix64(seed ^ 0x626c6f636b6c6162ULL); /* "blocklab" */
    h = mix64(h ^ (uint64_t)(split ? 1 : 0));
    h = mix64(h ^ batch);
    h = mix64(h ^ (uint64_t)row);
    rng_seed(r, h);
}

/* rng_below stops at 2^32; corpora may not. */
static uint64_t rng_below64(Rng *r, uint64_t n)
{
    if (n <= UINT32_MAX) return rng_below(r, (uint32_t)n);
    uint64_t limit = UINT64_MAX - UINT64_MAX % n; /* reject the uneven tail */
    uint64_t x;
    do x = rng_u64(r); while (x >= limit);
    return x % n;
}

/* ---- UTF-8 ------------------------------------------------------------ */

/* Length of the well-formed UTF-8 character at s (n bytes left) with its code
 * point in *cp, or 0 for anything else: stray continuation, overlong form,
 * surrogate, beyond U+10FFFF, truncated. */
static int utf8_decode(const unsigned char *s, size_t n, uint32_t *cp)
{
    unsigned char b = s[0];
    if (b < 0x80) { *cp = b; return 1; }
    int len;
    uint32_t c, min;
    if (b >= 0xC2 && b <= 0xDF)      { len = 2; c = b & 0x1Fu; min = 0x80; }
    else if (b >= 0xE0 && b <= 0xEF) { len = 3; c = b & 0x0Fu; min = 0x800; }
    else if (b >= 0xF0 && b <= 0xF4) { len = 4; c = b & 0x07u; min = 0x10000; }
    else return 0;
    if (n < (size_t)len) return 0;
    for (int i = 1; i < len; i++) {
        if ((s[i] & 0xC0) != 0x80) return 0;
        c = (c << 6) | (s[i] & 0x3Fu);
    }
    if (c < min || c >= UNICODE_LIMIT || (c >= 0xD800 && c <= 0xDFFF)) return 0;
    *cp = c;
    return len;
}

/* Writes cp as UTF-8 plus a NUL into out (5 bytes); returns the byte count. */
static int utf8_encode(uint32_t cp, char *out)
{
    int n;
    if (cp < 0x80)         { out[0] = (char)cp; n = 1; }
    else if (cp < 0x800)   { out[0] = (char)(0xC0 | (cp >> 6)); n = 2; }
    else if (cp < 0x10000) { out[0] = (char)(0xE0 | (cp >> 12)); n = 3; }
    else                   { out[0] = (char)(0xF0 | (cp >> 18)); n = 4; }
    for (int i = 1; i < n; i++)
        out[i] = (char)(0x80 | ((cp >> (6 * (n - 1 - i))) & 0x3F));
    out[n] = '\0';
    return n;
}

/* Characters that would print as nothing (or move the cursor) get an escape,
 * so vocab listings and attention-map labels always show something. */
static int is_invisible(uint32_t cp)
{
    return cp < 0x20 || cp == 0x7F || (cp >= 0x80 && cp <= 0xA0) || cp == 0xAD ||
           (cp >= 0x200B && cp <= 0x200F) || cp == 0x2028 || cp == 0x2029 || cp == 0xFEFF;
}

static void printable_form(uint32_t cp, char out[8])
{
    if (cp == '\n')            strcpy(out, "\\n");
    else if (cp == '\t')       strcpy(out, "\\t");
    else if (cp == '\r')       strcpy(out, "\\r");
    else if (cp < 0x80 && is_invisible(cp)) snprintf(out, 8, "\\x%02X", (unsigned)cp);
    else if (is_invisible(cp)) snprintf(out, 8, "\\u%04X", (unsigned)(cp & 0xFFFF));
    else                       utf8_encode(cp, out);
}

/* ---- files ------------------------------------------------------------ */

/* The kind of a file that is not a plain file, for refusals. */
static const char *file_kind(mode_t m)
{
    return S_ISDIR(m) ? "a directory" : S_ISCHR(m) || S_ISBLK(m) ? "a device" : S_ISFIFO(m) ? "a FIFO"
         : S_ISSOCK(m) ? "a socket" : "not a regular file";
}

/* Reads a whole regular file of at most cap bytes into out; what names it in
 * messages. Devices (/dev/zero never ends), FIFOs (opening one would wait for a
 * writer: O_NONBLOCK) and directories are refused before a byte is read. */
static int read_whole_file(const char *path, const char *what, int64_t cap, StrBuf *out, BlError *e)
{
    int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0) return bl_fail(e, "cannot open %s '%s': %s", what, path, strerror(errno));
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        close(fd);
        return bl_fail(e, "%s '%s' is %s: expected a regular file", what, path, file_kind(st.st_mode));
    }
    if (st.st_size > cap) {
        close(fd);
        return bl_fail(e, "%s '%s' is %.1f MB: data reads at most %.0f MB (max_mb=N raises the cap)", what, path,
                       (double)st.st_size / 1e6, (double)cap / 1e6);
    }
    int flags = fcntl(fd, F_GETFL);
    if (flags >= 0) fcntl(fd, F_SETFL, flags & ~O_NONBLOCK);
    FILE *f = fdopen(fd, "rb");
    if (!f) {
        close(fd);
        return bl_fail(e, "cannot open %s '%s': %s", what, path, strerror(errno));
    }
    unsigned char chunk[65536];
    size_t got;
    while ((got = fread(chunk, 1, sizeof chunk, f)) > 0) {
        if ((int64_t)(out->len + got) > cap) {   /* it grew while we read */
            fclose(f);
            sb_free(out);
            return bl_fail(e, "%s '%s' grew past %.0f MB while being read (max_mb=N raises the cap)", what, path, (double)cap / 1e6);
        }
        sb_append(out, (const char *)chunk, got);
    }
    int failed = ferror(f), err = errno;
    fclose(f);
    if (failed) {
        sb_free(out);
        return bl_fail(e, "cannot read %s '%s': %s", what, path, strerror(err));
    }
    return 0;
}

/* Text files must be UTF-8 through and through: a NUL or a bad byte almost
 * always means the wrong file was named, and a char model of it is noise. */
static int check_utf8_text(const char *path, const unsigned char *s, size_t n, BlError *e)
{
    uint32_t cp;
    for (size_t i = 0; i < n;) {
        if (s[i] == 0)
            return bl_fail(e, "text file '%s' looks binary: NUL byte at offset %zu "
                              "(expected UTF-8 text)", path, i);
        int len = utf8_decode(s + i, n - i, &cp);
        if (!len)
            return bl_fail(e, "text file '%s' is not UTF-8: invalid byte 0x%02X at offset %zu",
                           path, s[i], i);
        i += (size_t)len;
    }
    return 0;
}

/* ---- char-level vocabulary -------------------------------------------- */

static int id_of_codepoint(const DataSource *d, uint32_t cp)
{
    for (int id = 0; id < d->vocab; id++)
        if (d->codepoint[id] == cp) return id;
    return -1;
}

/* Turns well-formed UTF-8 into d->ids, one id per character, ids in code
 * point order; `what` names the corpus in messages. One byte per code point
 * (1.1 MB, briefly) first marks the characters seen, then maps them to ids. */
static int tokenize_chars(DataSource *d, const unsigned char *s, size_t n, const char *what,
                          BlError *e)
{
    unsigned char *table = xcalloc(UNICODE_LIMIT, 1);
    size_t chars = 0;
    int distinct = 0;
    uint32_t cp;
    for (size_t i = 0; i < n; chars++) {
        i += (size_t)utf8_decode(s + i, n - i, &cp);
        if (!table[cp]) { table[cp] = 1; distinct++; }
    }
    if (distinct > MAX_TEXT_VOCAB) {
        free(table);
        return bl_fail(e, "%s has %d distinct characters; a char-level vocabulary holds "
                          "at most %d", what, distinct, MAX_TEXT_VOCAB);
    }
    d->vocab = 0;
    for (cp = 0; cp < UNICODE_LIMIT; cp++) {
        if (!table[cp]) continue;
        int id = d->vocab++;
        table[cp] = (unsigned char)id;
        d->codepoint[id] = cp;
        printable_form(cp, d->vocab_str[id]);
    }
    d->ids = xmalloc(chars);
    d->n_ids = chars;
    size_t k = 0;
    for (size_t i = 0; i < n; k++) {
        i += (size_t)utf8_decode(s + i, n - i, &cp);
        d->ids[k] = table[cp];
    }
    free(table);
    return 0;
}

/* Holds out the last val_frac of the corpus and insists that both parts can
 * give at least one window of the shortest context. */
static int split_corpus(DataSource *d, const char *what, BlError *e)
{
    size_t n_val = (size_t)((double)d->n_ids * d->spec.val_frac + 0.5);
    if (n_val > d->n_ids) n_val = d->n_ids;
    d->val_start = d->n_ids - n_val;
    size_t need = TEXT_MIN_CTX + 1;
    if (d->val_start < need || n_val < need)
        return bl_fail(e, "%s is too short: its %zu characters leave %zu for training and "
                          "%zu for validation; each part needs at least %zu",
                       what, d->n_ids, d->val_start, n_val, need);
    return 0;
}

static int open_text_file(DataSource *d, BlError *e)
{
    const char *path = d->spec.path;
    if (!path[0]) return bl_fail(e, "text data needs a file: the path is empty");
    StrBuf raw = {0};
    if (read_whole_file(path, "text file", data_text_cap(&d->spec), &raw, e)) return -1;
    size_t skip = 0;
    if (raw.len >= 3 && memcmp(raw.data, "\xEF\xBB\xBF", 3) == 0) skip = 3; /* BOM is not text */
    int rc = 0;
    char what[1100];
    snprintf(what, sizeof what, "text file '%s'", path);
    if (raw.len == skip) rc = bl_fail(e, "text file '%s' is empty (expected UTF-8 text)", path);
    else if (check_utf8_text(path, bytes_of(&raw) + skip, raw.len - skip, e)) rc = -1;
    else if (tokenize_chars(d, bytes_of(&raw) + skip, raw.len - skip, what, e)) rc = -1;
    else rc = split_corpus(d, what, e);
    sb_free(&raw);
    return rc;
}

/* ---- fortunes --------------------------------------------------------- */

static const char *fortunes_dir(void)
{
    const char *dir = getenv(FORTUNES_DIR_ENV);
    return dir && dir[0] ? dir : FORTUNES_DEFAULT_DIR;
}

static int ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), k = strlen(suffix);
    return n >= k && strcmp(s + n - k, suffix) == 0;
}

static int name_cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The plain fortune files of dir, sorted by name so the corpus never depends
 * on readdir order: no index (*.dat), no links (*.u8), no subdirectories (off/). */
static int list_fortune_files(const char *dir, char ***names_out, size_t *count_out, BlError *e)
{
    DIR *dp = opendir(dir);
    if (!dp) {
        if (errno == ENOENT || errno == ENOTDIR)
            return bl_fail(e, "fortunes corpus not found in %s (install Debian's `fortunes` "
                              "package)", dir);
        return bl_fail(e, "cannot open fortunes directory %s: %s", dir, strerror(errno));
    }
    char **names = NULL;
    size_t count = 0, cap = 0;
    char path[4096];
    struct dirent *ent;
    while ((ent = readdir(dp)) != NULL) {
        const char *name = ent->d_name;
        if (name[0] == '.' || ends_with(name, ".dat") || ends_with(name, ".u8")) continue;
        struct stat st;
        snprintf(path, sizeof path, "%s/%s", dir, name);
        if (lstat(path, &st) != 0 || !S_ISREG(st.st_mode)) continue;
        if (count == cap) {
            cap = cap ? 2 * cap : 64;
            names = xrealloc(names, cap * sizeof *names);
        }
        names[count++] = xstrdup(name);
    }
    closedir(dp);
    if (count > 1) qsort(names, count, sizeof *names, name_cmp);
    *names_out = names;
    *count_out = count;
    return 0;
}

/* Drops the last character of out unless it ends a line: the backspace half
 * of an old-style overstrike ("_ BS a" underlines a, "a BS a" bolds it). */
static void drop_last_char(StrBuf *out)
{
    if (out->len == 0 || out->data[out->len - 1] == '\n') return;
    do out->len--; while (out->len > 0 && ((unsigned char)out->data[out->len] & 0xC0) == 0x80);
}

static int is_control(uint32_t cp)
{
    return cp < 0x20 || cp == 0x7F || (cp >= 0x80 && cp <= 0x9F);
}

/* Fortunes are decades old: a few stray bytes must not cost the corpus, so
 * invalid UTF-8 and control characters (bells, NULs) are dropped here. */
static void clean_fortune_text(const unsigned char *s, size_t n, StrBuf *out)
{
    uint32_t cp;
    for (size_t i = 0; i < n;) {
        int len = utf8_decode(s + i, n - i, &cp);
        if (!len) { i++; continue; }
        if (cp == 0x08) drop_last_char(out);
        else if (cp == '\n' || cp == '\t' || !is_control(cp)) sb_append(out, (const char *)s + i, (size_t)len);
        i += (size_t)len;
    }
}

static int is_blank_line(const unsigned char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (s[i] != ' ' && s[i] != '\t') return 0;
    return 1;
}

/* Appends the %-separated entries of one cleaned file to corpus, each entry
 * without its leading and trailing blank lines, entries joined by one blank line. */
static void append_fortune_entries(StrBuf *corpus, const unsigned char *s, size_t n)
{
    int in_entry = 0;
    size_t entry_end = corpus->len; /* just after the entry's last non-blank line */
    for (size_t start = 0; start < n;) {
        const unsigned char *nl = memchr(s + start, '\n', n - start);
        size_t stop = nl ? (size_t)(nl - s) : n;
        const unsigned char *line = s + start;
        size_t len = stop - start;
        start = stop + 1;
        if (len == 1 && line[0] == '%') {
            corpus->len = in_entry ? entry_end : corpus->len;
            in_entry = 0;
            continue;
        }
        int blank = is_blank_line(line, len);
        if (!in_entry) {
            if (blank) continue;
            if (corpus->len > 0) sb_append(corpus, "\n", 1);
            in_entry = 1;
        }
        sb_append(corpus, (const char *)line, len);
        sb_append(corpus, "\n", 1);
        if (!blank) entry_end = corpus->len;
    }
    if (in_entry) corpus->len = entry_end;
}

static int open_fortunes(DataSource *d, BlError *e)
{
    const char *dir = fortunes_dir();
    char **names = NULL;
    size_t count = 0;
    if (list_fortune_files(dir, &names, &count, e)) return -1;
    StrBuf corpus = {0}, raw = {0}, clean = {0};
    char path[4096];
    for (size_t i = 0; i < count; i++) {
        snprintf(path, sizeof path, "%s/%s", dir, names[i]);
        raw.len = clean.len = 0;
        if (read_whole_file(path, "fortune file", data_text_cap(&d->spec), &raw, NULL) == 0) { /* unreadable: skip */
            clean_fortune_text(bytes_of(&raw), raw.len, &clean);
            append_fortune_entries(&corpus, bytes_of(&clean), clean.len);
        }
        free(names[i]);
    }
    free(names);
    sb_free(&raw);
    sb_free(&clean);

    char what[4200];
    snprintf(what, sizeof what, "the fortunes corpus in %s", dir);
    int rc;
    if (corpus.len == 0)
        rc = bl_fail(e, "fortunes corpus not found in %s: no readable fortune files there "
                        "(install Debian's `fortunes` package)", dir);
    else if (tokenize_chars(d, bytes_of(&corpus), corpus.len, what, e)) rc = -1;
    else rc = split_corpus(d, what, e);
    sb_free(&corpus);
    return rc;
}

/* ---- tasks ------------------------------------------------------------ */

static int is_task(DataKind k) { return k == DATA_COPY || k == DATA_REVERSE || k == DATA_SORT; }

static int open_task(DataSource *d, BlError *e)
{
    const DataSpec *s = &d->spec;
    if (s->symbols < MIN_SYMBOLS || s->symbols > MAX_SYMBOLS)
        return bl_fail(e, "task symbols=%d is out of range: expected %d..%d",
                       s->symbols, MIN_SYMBOLS, MAX_SYMBOLS);
    if (s->length < MIN_LENGTH || s->length > MAX_LENGTH)
        return bl_fail(e, "task length=%d is out of range: expected %d..%d",
                       s->length, MIN_LENGTH, MAX_LENGTH);
    if (s->min_length < 0 || s->min_length > s->length)
        return bl_fail(e, "task minlen=%d is out of range: expected 1..length (%d), or 0 for fixed length",
                       s->min_length, s->length);
    d->vocab = s->symbols + 2;
    d->sep = s->symbols;
    d->pad = s->symbols + 1;
    for (int id = 0; id < s->symbols; id++) d->codepoint[id] = (unsigned char)TASK_SYMBOLS[id];
    d->codepoint[d->sep] = SEP_CHAR;
    d->codepoint[d->pad] = PAD_CHAR;
    for (int id = 0; id < d->vocab; id++) printable_form(d->codepoint[id], d->vocab_str[id]);
    d->min_ctx = s->per_position ? s->length : 2 * s->length;
    return 0;
}

/* Seed-free on purpose: every run, whatever its seed or task, holds out the
 * same inputs, so validation losses of A/B runs are measured on one set. */
static int input_is_held_out(const int *x, int n)
{
    uint64_t h = 0x243f6a8885a308d3ULL;
    for (int i = 0; i < n; i++) h = mix64(h ^ (uint64_t)x[i]);
    return h % VAL_BUCKETS == 0;
}

void data_task_answer(const DataSpec *spec, const int *x, int *y)
{
    int n = spec->length;
    if (spec->kind == DATA_COPY) {
        memcpy(y, x, (size_t)n * sizeof *x);
    } else if (spec->kind == DATA_REVERSE) {
        for (int i = 0; i < n; i++) y[i] = x[n - 1 - i];
    } else { /* sort: counting sort, the alphabet is at most 64 */
        int count[MAX_SYMBOLS] = {0};
        for (int i = 0; i < n; i++) count[x[i]]++;
        int k = 0;
        for (int s = 0; s < spec->symbols; s++)
            for (int c = 0; c < count[s]; c++) y[k++] = s;
    }
}

/* Draws inputs until they fall on the wanted side of the split (see data.h
 * for the rare alphabets where one side is empty). */
static int task_draw(const DataSource *d, int split, Rng *r, int *x, int *y)
{
    int n = d->spec.length, lo = d->spec.min_length;
    /* Fixed-length streams draw nothing here, so they are unchanged by minlen's existence. */
    if (lo > 0 && lo < n) n = lo + (int)rng_below(r, (uint32_t)(n - lo + 1));
    for (int attempt = 0; attempt < SPLIT_RETRIES; attempt++) {
        for (int i = 0; i < n; i++) x[i] = (int)rng_below(r, (uint32_t)d->spec.symbols);
        if (input_is_held_out(x, n) == (split != 0)) break;
    }
    DataSpec this = d->spec;
    this.length = n;   /* this example's own length (minlen) */
    data_task_answer(&this, x, y);
    return n;
}

/* One row; positions the example does not reach are PAD with mask 0, and an
 * example longer than T is cut (data_check_ctx warns about that beforehand). */
static void task_fill_row(const DataSource *d, const int *x, const int *y, int n, int T,
                          int *tok, int *tgt, float *mask)
{
    for (int t = 0; t < T; t++) { tok[t] = tgt[t] = d->pad; mask[t] = 0.0f; }
    if (d->spec.per_position) {
        for (int t = 0; t < T && t < n; t++) { tok[t] = x[t]; tgt[t] = y[t]; mask[t] = 1.0f; }
        return;
    }
    /* seq = x1..xn SEP y1..yn; token t is seq[t], its target seq[t+1]. */
    int len = 2 * n + 1;
    for (int t = 0; t < T && t < len; t++) {
        tok[t] = t < n ? x[t] : t == n ? d->sep : y[t - n - 1];
        if (t + 1 < len) {
            int u = t + 1;
            tgt[t] = u < n ? x[u] : u == n ? d->sep : y[u - n - 1];
            mask[t] = u > n ? 1.0f : 0.0f;
        }
    }
}

/* ---- text rows -------------------------------------------------------- */

/* A random window of T+1 characters inside the split, so training targets
 * never reach into validation text. A split too short for T gives its whole
 * length and id 0 / mask 0 after it. */
static void text_fill_row(const DataSource *d, int split, Rng *r, int T,
                          int *tok, int *tgt, float *mask)
{
    size_t lo = split ? d->val_start : 0, hi = split ? d->n_ids : d->val_start;
    size_t span = hi - lo;
    size_t o = lo;
    if (span > (size_t)T) o += (size_t)rng_below64(r, span - (size_t)T);
    for (int t = 0; t < T; t++) {
        size_t i = o + (size_t)t;
        int whole = i + 1 < hi;
        tok[t] = i < hi ? d->ids[i] : 0;
        tgt[t] = whole ? d->ids[i + 1] : 0;
        mask[t] = whole ? 1.0f : 0.0f;
    }
}

/* ---- public ----------------------------------------------------------- */

void data_spec_default(DataSpec *spec)
{
    memset(spec, 0, sizeof *spec);
    spec->kind = DATA_REVERSE;
    spec->symbols = 10;
    spec->length = 8;
    spec->val_frac = 0.1;
    spec->seed = 1;
}

int data_open(DataSource *d, const DataSpec *spec, BlError *e)
{
    DataSpec copy = *spec; /* spec may live inside d */
    memset(d, 0, sizeof *d);
    d->spec = copy;
    d->sep = d->pad = -1;
    int rc;
    if (is_task(copy.kind)) {
        rc = open_task(d, e);
    } else if (copy.kind == DATA_TEXT || copy.kind == DATA_FORTUNES) {
        d->min_ctx = TEXT_MIN_CTX;
        if (!(copy.val_frac > 0.0 && copy.val_frac < 1.0))
            rc = bl_fail(e, "validation share %g is out of range: expected 0 < val < 1",
                         copy.val_frac);
        else
            rc = copy.kind == DATA_TEXT ? open_text_file(d, e) : open_fortunes(d, e);
    } else {
        rc = bl_fail(e, "unknown data kind %d: expected copy, reverse, sort, text or fortunes",
                     (int)copy.kind);
    }
    if (rc) data_close(d);
    return rc;
}

void data_close(DataSource *d)
{
    free(d->ids);
    memset(d, 0, sizeof *d);
}

int data_check_ctx(const DataSource *d, int T, BlError *e)
{
    const char *kind = data_kind_name(d->spec.kind);
    if (is_task(d->spec.kind)) {
        if (T < d->min_ctx)
            return bl_fail(e, "context %d is too short for %s with length %d: one example "
                              "needs %d positions (%s)", T, kind, d->spec.length, d->min_ctx,
                           d->spec.per_position ? "n" : "2n");
        return 0;
    }
    if (T < d->min_ctx)
        return bl_fail(e, "context %d is too short for %s data: expected at least %d",
                       T, kind, d->min_ctx);
    size_t need = (size_t)T + 1, n_val = d->n_ids - d->val_start;
    const char *part = d->val_start < need ? "training" : n_val < need ? "validation" : NULL;
    if (part)
        return bl_fail(e, "context %d is too long for this %s corpus: its %s part holds %zu "
                          "characters, a window needs %zu", T, kind, part,
                       d->val_start < need ? d->val_start : n_val, need);
    return 0;
}

void data_batch(DataSource *d, int split, uint64_t index, int B, int T,
                int *tokens, int *targets, float *mask)
{
    if (B <= 0 || T <= 0) return;
    uint64_t batch = split ? index : d->position++;
    int x[MAX_LENGTH], y[MAX_LENGTH];
    for (int row = 0; row < B; row++) {
        Rng r;
        seed_row_rng(&r, d->spec.seed, split, batch, row);
        size_t at = (size_t)row * (size_t)T;
        if (is_task(d->spec.kind)) {
            int n = task_draw(d, split, &r, x, y);
            task_fill_row(d, x, y, n, T, tokens + at, targets + at, mask + at);
        } else {
            text_fill_row(d, split, &r, T, tokens + at, targets + at, mask + at);
        }
    }
}

int data_encode(const DataSource *d, const char *text, int *out, int max, BlError *e)
{
    const unsigned char *s = (const unsigned char *)text;
    size_t n = strlen(text);
    int written = 0;
    uint32_t cp;
    for (size_t i = 0, pos = 0; i < n; pos++) {
        int len = utf8_decode(s + i, n - i, &cp);
        if (!len)
            return bl_fail(e, "text is not UTF-8: invalid byte 0x%02X at byte %zu", s[i], i);
        int id = id_of_codepoint(d, cp);
        if (id < 0) {
            char shown[8];
            printable_form(cp, shown);
            return bl_fail(e, "character '%s' (U+%04X) at position %zu is not in the %s "
                              "vocabulary of %d symbols", shown, (unsigned)cp, pos,
                           data_kind_name(d->spec.kind), d->vocab);
        }
        if (written < max) out[written++] = id;
        i += (size_t)len;
    }
    return written;
}

/* Appends piece only if it fits whole, so a character is never cut in two. */
static void append_piece(char *buf, size_t cap, const char *piece)
{
    if (!buf || cap == 0) return;
    size_t used = strnlen(buf, cap), n = strlen(piece);
    if (used + n + 1 > cap) return;
    memcpy(buf + used, piece, n + 1);
}

void data_decode(const DataSource *d, int id, char *buf, size_t cap)
{
    append_piece(buf, cap, id >= 0 && id < d->vocab ? d->vocab_str[id] : "<?>");
}

void data_decode_text(const DataSource *d, int id, char *buf, size_t cap)
{
    if (id >= 0 && id < d->vocab && (d->codepoint[id] == '\n' || d->codepoint[id] == '\t'))
        append_piece(buf, cap, d->codepoint[id] == '\n' ? "\n" : "\t");
    else
        data_decode(d, id, buf, cap);
}

const char *data_kind_name(DataKind k)
{
    return (unsigned)k < sizeof KIND_NAMES / sizeof KIND_NAMES[0] ? KIND_NAMES[k] : "?";
}

int data_kind_parse(const char *s, DataKind *k)
{
    for (size_t i = 0; i < sizeof KIND_NAMES / sizeof KIND_NAMES[0]; i++)
        if (strcmp(s, KIND_NAMES[i]) == 0) { *k = (DataKind)i; return 0; }
    return -1;
}
