/* safetensors.c — F32 safetensors: validating reader, atomic writer.
 * Not a mapper or a lazy loader: a file is read whole, checked, then trusted. */
#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L   /* newlocale, fsync, mkdtemp: also without -D */
#endif
#include "safetensors.h"

#include "json.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

typedef struct StEntry {
    const char *name;                  /* into the header tree */
    int         ndim;
    int64_t     shape[ST_MAX_DIMS];
    uint64_t    begin, end;            /* byte offsets in the data region */
    const float *data;                 /* into StFile.data */
} StEntry;

struct StFile {
    char        *label;                /* path, or the label given to st_open_mem */
    JsonValue   *header;               /* owns every name and metadata string */
    StEntry     *t;                    /* header order */
    int          n;
    int         *by_name;              /* indices into t, sorted by name for st_get */
    const char **meta_keys, **meta_vals;
    int          n_meta;
    float       *data;                 /* the whole data region, decoded */
};

/* ---- small helpers ---------------------------------------------------------- */

/* Printable, shortened copy of an untrusted name for a message (see json.c's twin):
 * control bytes become '?', so a hostile name cannot drive the terminal. */
static const char *clip(const char *s, char out[72])
{
    size_t o = 0;
    for (; s[o] && o < 64; o++) {
        unsigned char c = (unsigned char)s[o];
        out[o] = (c < 0x20 || c == 0x7F) ? '?' : (char)c;
    }
    if (s[o]) {
        /* Cut before the character that did not fit, never inside it. */
        while (o > 0 && ((unsigned char)s[o] & 0xC0) == 0x80) o--;
        memcpy(out + o, "...", 4);
    } else
        out[o] = '\0';
    return out;
}

static void fmt_shape(const int64_t *shape, int ndim, char *buf, size_t cap)
{
    size_t o = 0;
    o += (size_t)snprintf(buf, cap, "[");
    for (int i = 0; i < ndim && o < cap; i++)
        o += (size_t)snprintf(buf + o, cap - o, "%s%lld", i ? ", " : "", (long long)shape[i]);
    if (o < cap) snprintf(buf + o, cap - o, "]");
}

static uint64_t get_le64(const unsigned char *b)
{
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--) v = (v << 8) | b[i];
    return v;
}

static void put_le64(unsigned char *b, uint64_t v)
{
    for (int i = 0; i < 8; i++) b[i] = (unsigned char)(v >> (8 * i));
}

/* ---- header validation ------------------------------------------------------ */

/* Reads a JSON integer in [0, 2^53] (json.h's is_int range); -1 if it is not one. */
static int64_t nonneg_int(const JsonValue *v)
{
    if (!v || v->type != JSON_NUMBER || !v->is_int || v->integer < 0) return -1;
    return v->integer;
}

/* The type with its article, for "is a number" / "is an object". */
static const char *a_type(JsonType t)
{
    switch (t) {
    case JSON_ARRAY: return "an array";
    case JSON_OBJECT: return "an object";
    case JSON_NULL: return "null";
    case JSON_BOOL: return "a boolean";
    case JSON_NUMBER: return "a number";
    case JSON_STRING: return "a string";
    }
    return "?";
}

/* Describes a value that should have been an integer in [0, 2^53]. */
static const char *describe(const JsonValue *v, char buf[64])
{
    if (v->type != JSON_NUMBER) return a_type(v->type);
    double x = v->number;
    if (v->is_int || x != floor(x)) snprintf(buf, 64, "%.17g", x);
    else if (fabs(x) > 9007199254740992.0) snprintf(buf, 64, "%.17g (too large)", x);
    else snprintf(buf, 64, "%.17g written with a fraction or exponent", x);
    return buf;
}

static int parse_entry(const char *label, const char *name, const JsonValue *v, uint64_t data_size,
                       StEntry *t, BlError *e)
{
    char nm[72], b1[64], b2[64];
    clip(name, nm);
    if (v->type != JSON_OBJECT)
        return bl_fail(e, "%s: tensor '%s' is %s, expected {\"dtype\", \"shape\", \"data_offsets\"}", label, nm,
                       a_type(v->type));

    const JsonValue *dt = json_get(v, "dtype");
    if (!dt) return bl_fail(e, "%s: tensor '%s' has no \"dtype\"", label, nm);
    if (dt->type != JSON_STRING)
        return bl_fail(e, "%s: tensor '%s' dtype is %s, expected a string", label, nm, a_type(dt->type));
    if (strlen(dt->string) != dt->length)
        return bl_fail(e, "%s: tensor '%s' dtype contains a NUL character", label, nm);
    if (strcmp(dt->string, "F32") != 0) {
        char dn[72];
        return bl_fail(e, "%s: tensor '%s' has dtype %s; only F32 is supported", label, nm, clip(dt->string, dn));
    }

    const JsonValue *sh = json_get(v, "shape");
    if (!sh) return bl_fail(e, "%s: tensor '%s' has no \"shape\"", label, nm);
    if (sh->type != JSON_ARRAY)
        return bl_fail(e, "%s: tensor '%s' shape is %s, expected an array", label, nm, a_type(sh->type));
    if (sh->count > ST_MAX_DIMS)
        return bl_fail(e, "%s: tensor '%s' has %zu dimensions, at most %d are supported", label, nm, sh->count,
                       ST_MAX_DIMS);
    t->ndim = (int)sh->count;
    int has_zero = 0;
    for (int i = 0; i < t->ndim; i++) {
        int64_t d = nonneg_int(&sh->items[i]);
        if (d < 0)
            return bl_fail(e, "%s: tensor '%s' shape[%d] is %s, expected an integer >= 0", label, nm, i,
                           describe(&sh->items[i], b1));
        t->shape[i] = d;
        if (d == 0) has_zero = 1;
    }
    /* numel * 4 must fit in 64 bits; a zero dimension makes any product harmless. */
    uint64_t numel = 1;
    if (has_zero)
        numel = 0;
    else
        for (int i = 0; i < t->ndim; i++) {
            uint64_t d = (uint64_t)t->shape[i];
            if (numel > (UINT64_MAX / 4) / d) {
                char sb[160];
                fmt_shape(t->shape, t->ndim, sb, sizeof sb);
                return bl_fail(e, "%s: tensor '%s' shape %s has too many elements", label, nm, sb);
            }
            numel *= d;
        }
    const uint64_t bytes = numel * 4;

    const JsonValue *off = json_get(v, "data_offsets");
    if (!off) return bl_fail(e, "%s: tensor '%s' has no \"data_offsets\"", label, nm);
    if (off->type != JSON_ARRAY || off->count != 2)
        return bl_fail(e, "%s: tensor '%s' data_offsets must be an array [begin, end]", label, nm);
    int64_t b = nonneg_int(&off->items[0]), en = nonneg_int(&off->items[1]);
    if (b < 0 || en < 0)
        return bl_fail(e, "%s: tensor '%s' data_offsets [%s, %s] must be integers >= 0", label, nm,
                       describe(&off->items[0], b1), describe(&off->items[1], b2));
    if (b > en)
        return bl_fail(e, "%s: tensor '%s' data_offsets [%lld, %lld] end before they begin", label, nm,
                       (long long)b, (long long)en);
    if ((uint64_t)en > data_size)
        return bl_fail(e, "%s: tensor '%s' data_offsets [%lld, %lld] exceed data size %llu", label, nm,
                       (long long)b, (long long)en, (unsigned long long)data_size);
    if ((uint64_t)(en - b) != bytes) {
        char sb[160];
        fmt_shape(t->shape, t->ndim, sb, sizeof sb);
        return bl_fail(e, "%s: tensor '%s' has shape %s (%llu bytes) but data_offsets [%lld, %lld] span %lld bytes",
                       label, nm, sb, (unsigned long long)bytes, (long long)b, (long long)en, (long long)(en - b));
    }
    t->name = name;
    t->begin = (uint64_t)b;
    t->end = (uint64_t)en;
    return 0;
}

static int parse_meta(StFile *f, const JsonValue *v, BlError *e)
{
    char kb[72];
    if (v->type == JSON_NULL) return 0;   /* the reference treats null as absent */
    if (v->type != JSON_OBJECT)
        return bl_fail(e, "%s: __metadata__ is %s, expected an object of strings", f->label, a_type(v->type));
    f->meta_keys = xcalloc(v->count ? v->count : 1, sizeof *f->meta_keys);
    f->meta_vals = xcalloc(v->count ? v->count : 1, sizeof *f->meta_vals);
    for (size_t i = 0; i < v->count; i++) {
        const JsonMember *m = &v->members[i];
        if (strlen(m->key) != m->key_len)
            return bl_fail(e, "%s: a __metadata__ key contains a NUL character", f->label);
        if (m->value.type != JSON_STRING)
            return bl_fail(e, "%s: __metadata__ value for '%s' is %s, expected a string", f->label,
                           clip(m->key, kb), a_type(m->value.type));
        if (strlen(m->value.string) != m->value.length)
            return bl_fail(e, "%s: __metadata__ value for '%s' contains a NUL character", f->label, clip(m->key, kb));
        f->meta_keys[f->n_meta] = m->key;
        f->meta_vals[f->n_meta] = m->value.string;
        f->n_meta++;
    }
    return 0;
}

/* qsort has no context argument: the comparators see StEntry pointers. */
static int cmp_by_offset(const void *a, const void *b)
{
    const StEntry *x = *(const StEntry *const *)a, *y = *(const StEntry *const *)b;
    if (x->begin != y->begin) return x->begin < y->begin ? -1 : 1;
    if (x->end != y->end) return x->end < y->end ? -1 : 1;
    return 0;
}

static int cmp_by_name(const void *a, const void *b)
{
    const StEntry *x = *(const StEntry *const *)a, *y = *(const StEntry *const *)b;
    return strcmp(x->name, y->name);
}

/* The tensors must tile [0, data_size) exactly, as the reference requires: an
 * overlap would alias two parameters, a hole or a tail would be bytes nobody owns. */
static int check_tiling(const StFile *f, uint64_t data_size, BlError *e)
{
    const StEntry **order = xmalloc((size_t)(f->n ? f->n : 1) * sizeof *order);
    for (int i = 0; i < f->n; i++) order[i] = &f->t[i];
    qsort(order, (size_t)f->n, sizeof *order, cmp_by_offset);
    uint64_t       at = 0;
    const StEntry *prev = NULL;
    char           n1[72], n2[72];
    int            rc = 0;
    for (int i = 0; i < f->n && rc == 0; i++) {
        const StEntry *t = order[i];
        if (t->begin < at)
            rc = bl_fail(e, "%s: tensor '%s' data_offsets [%llu, %llu] overlap tensor '%s' [%llu, %llu]", f->label,
                         clip(t->name, n1), (unsigned long long)t->begin, (unsigned long long)t->end,
                         clip(prev->name, n2), (unsigned long long)prev->begin, (unsigned long long)prev->end);
        else if (t->begin > at)
            rc = bl_fail(e, "%s: data bytes [%llu, %llu) belong to no tensor (a hole before tensor '%s')", f->label,
                         (unsigned long long)at, (unsigned long long)t->begin, clip(t->name, n1));
        at = t->end;
        prev = t;
    }
    if (rc == 0 && at != data_size)
        rc = bl_fail(e, "%s: data bytes [%llu, %llu) after the last tensor belong to no tensor", f->label,
                     (unsigned long long)at, (unsigned long long)data_size);
    free(order);
    return rc;
}

/* Fills f from the header text; data_size is the length of the region after it. */
static int parse_header(StFile *f, const char *hdr, size_t hlen, uint64_t data_size, BlError *e)
{
    BlError je;
    if (json_parse(hdr, hlen, &f->header, &je) < 0)
        return bl_fail(e, "%s: header is not valid JSON: %s", f->label, je.msg);
    const JsonValue *root = f->header;
    if (root->type != JSON_OBJECT)
        return bl_fail(e, "%s: header is %s, expected an object", f->label, a_type(root->type));

    f->t = xcalloc(root->count ? root->count : 1, sizeof *f->t);   /* count <= JSON_MAX_VALUES */
    for (size_t i = 0; i < root->count; i++) {
        const JsonMember *m = &root->members[i];
        if (strcmp(m->key, "__metadata__") == 0) {
            if (parse_meta(f, &m->value, e) < 0) return -1;
            continue;
        }
        if (strlen(m->key) != m->key_len)
            return bl_fail(e, "%s: a tensor name contains a NUL character", f->label);
        if (parse_entry(f->label, m->key, &m->value, data_size, &f->t[f->n], e) < 0) return -1;
        f->n++;
    }
    if (check_tiling(f, data_size, e) < 0) return -1;

    const StEntry **order = xmalloc((size_t)(f->n ? f->n : 1) * sizeof *order);
    for (int i = 0; i < f->n; i++) order[i] = &f->t[i];
    qsort(order, (size_t)f->n, sizeof *order, cmp_by_name);
    f->by_name = xmalloc((size_t)(f->n ? f->n : 1) * sizeof *f->by_name);
    for (int i = 0; i < f->n; i++) f->by_name[i] = (int)(order[i] - f->t);
    free(order);
    return 0;
}

/* The first checks on the 8-byte prefix, shared by the file and memory readers. */
static int check_header_len(const char *label, uint64_t n, uint64_t size, BlError *e)
{
    if (n == 0) return bl_fail(e, "%s: header length is 0; not a safetensors file", label);
    if (n > ST_MAX_HEADER_SIZE)
        return bl_fail(e, "%s: header length %llu exceeds the %u-byte limit; not a safetensors file?", label,
                       (unsigned long long)n, ST_MAX_HEADER_SIZE);
    if (n > size - 8)
        return bl_fail(e, "%s: header length %llu exceeds the %llu bytes after the length prefix (truncated file?)",
                       label, (unsigned long long)n, (unsigned long long)(size - 8));
    return 0;
}

/* Decodes the little-endian data region in place: raw holds data_size bytes from
 * malloc (so float-aligned) and every tensor starts at a multiple of 4 because the
 * tiling is exact and every size is 4 * numel. Afterwards raw holds floats. */
static void decode_data(StFile *f, unsigned char *raw, uint64_t data_size)
{
    float *fl = (float *)(void *)raw;
    for (uint64_t i = 0; i < data_size / 4; i++) {
        const unsigned char *p = raw + 4 * i;
        uint32_t u = (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
        float    x;
        memcpy(&x, &u, 4);
        fl[i] = x;
    }
    f->data = fl;
    for (int i = 0; i < f->n; i++) f->t[i].data = fl + f->t[i].begin / 4;
}

static StFile *new_file(const char *label)
{
    StFile *f = xcalloc(1, sizeof *f);
    f->label = xstrdup(label ? label : "(memory)");
    return f;
}

int st_open_mem(const void *bytes, size_t len, const char *label, StFile **out, BlError *e)
{
    *out = NULL;
    const unsigned char *b = bytes;
    if (!label) label = "(memory)";
    if (len < 8)
        return bl_fail(e, "%s: too short for a safetensors file (%zu bytes, need at least 8)", label, len);
    uint64_t n = get_le64(b);
    if (check_header_len(label, n, len, e) < 0) return -1;
    const uint64_t data_size = (uint64_t)len - 8 - n;
    StFile *f = new_file(label);
    if (parse_header(f, (const char *)b + 8, (size_t)n, data_size, e) < 0) {
        st_close(f);
        return -1;
    }
    unsigned char *raw = xmalloc((size_t)data_size);
    memcpy(raw, b + 8 + n, (size_t)data_size);
    decode_data(f, raw, data_size);
    *out = f;
    return 0;
}

/* fread of exactly n bytes, or -1 with a message saying why not. */
static int read_exact(FILE *fp, void *buf, size_t n, const char *path, BlError *e)
{
    if (n == 0 || fread(buf, 1, n, fp) == n) return 0;
    if (ferror(fp)) return bl_fail(e, "%s: read error: %s", path, strerror(errno));
    return bl_fail(e, "%s: file ended early (was it changed while being read?)", path);
}

int st_open(const char *path, StFile **out, BlError *e)
{
    *out = NULL;
    FILE *fp = fopen(path, "rb");
    if (!fp) return bl_fail(e, "%s: cannot open: %s", path, strerror(errno));
    StFile        *f = NULL;
    char          *hdr = NULL;
    unsigned char *raw = NULL;
    unsigned char  len8[8];
    struct stat    sb;
    int            rc = -1;

    if (fstat(fileno(fp), &sb) != 0) {
        bl_fail(e, "%s: cannot stat: %s", path, strerror(errno));
        goto done;
    }
    if (!S_ISREG(sb.st_mode)) {
        bl_fail(e, "%s: not a regular file", path);
        goto done;
    }
    const uint64_t size = (uint64_t)sb.st_size;
    if (size < 8) {
        bl_fail(e, "%s: too short for a safetensors file (%llu bytes, need at least 8)", path,
                (unsigned long long)size);
        goto done;
    }
    if (size > SIZE_MAX) {
        bl_fail(e, "%s: file too large for this machine", path);
        goto done;
    }
    if (read_exact(fp, len8, 8, path, e) < 0) goto done;
    const uint64_t n = get_le64(len8);
    if (check_header_len(path, n, size, e) < 0) goto done;
    const uint64_t data_size = size - 8 - n;

    hdr = xmalloc((size_t)n);
    if (read_exact(fp, hdr, (size_t)n, path, e) < 0) goto done;
    f = new_file(path);
    if (parse_header(f, hdr, (size_t)n, data_size, e) < 0) goto done;

    /* Only now, with a header that accounts for every byte, is the data allocated. */
    raw = xmalloc((size_t)data_size);
    if (read_exact(fp, raw, (size_t)data_size, path, e) < 0) goto done;
    decode_data(f, raw, data_size);
    raw = NULL;
    rc = 0;
done:
    fclose(fp);
    free(hdr);
    free(raw);
    if (rc < 0) {
        st_close(f);
        return -1;
    }
    *out = f;
    return 0;
}

void st_close(StFile *f)
{
    if (!f) return;
    free(f->label);
    json_free(f->header);
    free(f->t);
    free(f->by_name);
    free(f->meta_keys);
    free(f->meta_vals);
    free(f->data);
    free(f);
}

int st_count(const StFile *f) { return f ? f->n : 0; }

const char *st_name(const StFile *f, int i)
{
    return (f && i >= 0 && i < f->n) ? f->t[i].name : NULL;
}

static const StEntry *find(const StFile *f, const char *name)
{
    if (!f || !name) return NULL;
    int lo = 0, hi = f->n - 1;
    while (lo <= hi) {
        int mid = lo + (hi - lo) / 2;
        const StEntry *t = &f->t[f->by_name[mid]];
        int c = strcmp(name, t->name);
        if (c == 0) return t;
        if (c < 0) hi = mid - 1;
        else lo = mid + 1;
    }
    return NULL;
}

int st_get(const StFile *f, const char *name, int *ndim, int64_t shape[ST_MAX_DIMS], const float **data,
           BlError *e)
{
    char nm[72];
    const StEntry *t = find(f, name);
    if (!t) return bl_fail(e, "%s: tensor '%s' not in checkpoint", f ? f->label : "(no file)", clip(name ? name : "", nm));
    if (ndim) *ndim = t->ndim;
    if (shape)
        for (int i = 0; i < ST_MAX_DIMS; i++) shape[i] = i < t->ndim ? t->shape[i] : 0;
    if (data) *data = t->data;
    return 0;
}

int st_load(const StFile *f, const char *name, int ndim, const int64_t *shape, float *dst, BlError *e)
{
    char nm[72];
    const StEntry *t = find(f, name);
    if (!t) return bl_fail(e, "%s: tensor '%s' not in checkpoint", f ? f->label : "(no file)", clip(name ? name : "", nm));
    int same = t->ndim == ndim;
    for (int i = 0; same && i < ndim; i++) same = t->shape[i] == shape[i];
    if (!same) {
        char have[160], want[160];
        fmt_shape(t->shape, t->ndim, have, sizeof have);
        fmt_shape(shape, ndim, want, sizeof want);
        return bl_fail(e, "%s: tensor '%s' has shape %s, expected %s", f->label, clip(name, nm), have, want);
    }
    if (t->end > t->begin) memcpy(dst, t->data, (size_t)(t->end - t->begin));
    return 0;
}

const char *st_meta(const StFile *f, const char *key)
{
    if (!f || !key) return NULL;
    for (int i = 0; i < f->n_meta; i++)
        if (strcmp(f->meta_keys[i], key) == 0) return f->meta_vals[i];
    return NULL;
}

int st_meta_count(const StFile *f) { return f ? f->n_meta : 0; }

const char *st_meta_key(const StFile *f, int i)
{
    return (f && i >= 0 && i < f->n_meta) ? f->meta_keys[i] : NULL;
}

/* ---- writer ----------------------------------------------------------------- */

static int cmp_str_ptr(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* The first string that occurs twice in s[0..n), or NULL. */
static const char *find_dup(const char *const *s, int n)
{
    if (n < 2) return NULL;
    const char **v = xmalloc((size_t)n * sizeof *v);
    memcpy(v, s, (size_t)n * sizeof *v);
    qsort(v, (size_t)n, sizeof *v, cmp_str_ptr);
    const char *dup = NULL;
    for (int i = 1; i < n && !dup; i++)
        if (strcmp(v[i - 1], v[i]) == 0) dup = v[i];
    free(v);
    return dup;
}

/* Everything that could make the file unreadable is refused before any byte is
 * written, so a failed st_write never leaves a half-made checkpoint behind. */
static int check_inputs(const char *path, const StTensor *ts, int n, const char *const *mk,
                        const char *const *mv, int n_meta, BlError *e)
{
    char nm[72];
    if (n < 0 || (n > 0 && !ts)) return bl_fail(e, "%s: invalid tensor list (n = %d)", path, n);
    if (n_meta < 0 || (n_meta > 0 && (!mk || !mv)))
        return bl_fail(e, "%s: invalid metadata list (n_meta = %d)", path, n_meta);
    uint64_t sum = 0;
    const char **names = xmalloc((size_t)(n ? n : 1) * sizeof *names);
    int rc = 0;
    for (int i = 0; i < n && rc == 0; i++) {
        const StTensor *t = &ts[i];
        names[i] = t->name;
        if (!t->name) {
            rc = bl_fail(e, "%s: tensor #%d has no name", path, i);
            break;
        }
        clip(t->name, nm);
        if (!json_utf8_valid(t->name, strlen(t->name)))
            rc = bl_fail(e, "%s: tensor name '%s' is not valid UTF-8", path, nm);
        else if (strcmp(t->name, "__metadata__") == 0)
            rc = bl_fail(e, "%s: '__metadata__' is reserved and cannot name a tensor", path);
        else if (t->ndim < 0 || t->ndim > ST_MAX_DIMS)
            rc = bl_fail(e, "%s: tensor '%s' has ndim %d, expected 0..%d", path, nm, t->ndim, ST_MAX_DIMS);
        if (rc) break;
        uint64_t numel = 1;
        int      zero = 0;
        for (int d = 0; d < t->ndim && rc == 0; d++) {
            if (t->shape[d] < 0) rc = bl_fail(e, "%s: tensor '%s' has negative dimension %lld", path, nm,
                                              (long long)t->shape[d]);
            else if (t->shape[d] == 0) zero = 1;
        }
        if (rc) break;
        if (zero) numel = 0;
        else
            for (int d = 0; d < t->ndim; d++) {
                uint64_t dim = (uint64_t)t->shape[d];
                if (numel > ((uint64_t)1 << 51) / dim) {   /* bytes must stay <= 2^53 (JSON integers) */
                    rc = bl_fail(e, "%s: tensor '%s' is too large", path, nm);
                    break;
                }
                numel *= dim;
            }
        if (rc) break;
        if (numel > 0 && !t->data) rc = bl_fail(e, "%s: tensor '%s' has no data", path, nm);
        sum += numel * 4;
        if (rc == 0 && sum > ((uint64_t)1 << 53)) rc = bl_fail(e, "%s: checkpoint data would exceed 2^53 bytes", path);
    }
    if (rc == 0) {
        const char *dup = find_dup(names, n);
        if (dup) rc = bl_fail(e, "%s: tensor name '%s' appears twice", path, clip(dup, nm));
    }
    free(names);
    if (rc) return rc;
    for (int i = 0; i < n_meta; i++) {
        if (!mk[i] || !mv[i]) return bl_fail(e, "%s: metadata pair #%d has a NULL key or value", path, i);
        if (!json_utf8_valid(mk[i], strlen(mk[i])) || !json_utf8_valid(mv[i], strlen(mv[i])))
            return bl_fail(e, "%s: metadata '%s' is not valid UTF-8", path, clip(mk[i], nm));
    }
    const char *dup = find_dup(mk, n_meta);
    if (dup) return bl_fail(e, "%s: metadata key '%s' appears twice", path, clip(dup, nm));
    return 0;
}

static void build_header(JsonBuf *b, const StTensor *ts, int n, const char *const *mk, const char *const *mv,
                         int n_meta)
{
    json_begin_object(b);
    if (n_meta > 0) {
        json_key(b, "__metadata__");
        json_begin_object(b);
        for (int i = 0; i < n_meta; i++) {
            json_key(b, mk[i]);
            json_put_string(b, mv[i]);
        }
        json_end_object(b);
    }
    int64_t off = 0;
    for (int i = 0; i < n; i++) {
        const StTensor *t = &ts[i];
        int64_t numel = 1;
        json_key(b, t->name);
        json_begin_object(b);
        json_key(b, "dtype");
        json_put_string(b, "F32");
        json_key(b, "shape");
        json_begin_array(b);
        for (int d = 0; d < t->ndim; d++) {
            json_put_int(b, t->shape[d]);
            numel *= t->shape[d];
        }
        json_end_array(b);
        json_key(b, "data_offsets");
        json_begin_array(b);
        json_put_int(b, off);
        json_put_int(b, off + 4 * numel);
        json_end_array(b);
        json_end_object(b);
        off += 4 * numel;
    }
    json_end_object(b);
    /* Spaces (valid JSON whitespace) so the data region starts 8-byte aligned. */
    while (b->len % 8) json_append(b, " ", 1);
}

/* Little-endian float encoding through a staging buffer: correct on any host. */
static int write_floats(FILE *fp, const float *x, uint64_t count)
{
    unsigned char buf[1 << 16];
    size_t        k = 0;
    for (uint64_t i = 0; i < count; i++) {
        uint32_t u;
        memcpy(&u, &x[i], 4);
        buf[k++] = (unsigned char)u;
        buf[k++] = (unsigned char)(u >> 8);
        buf[k++] = (unsigned char)(u >> 16);
        buf[k++] = (unsigned char)(u >> 24);
        if (k == sizeof buf) {
            if (fwrite(buf, 1, k, fp) != k) return -1;
            k = 0;
        }
    }
    return (k && fwrite(buf, 1, k, fp) != k) ? -1 : 0;
}

static int write_body(FILE *fp, const unsigned char len8[8], const JsonBuf *hb, const StTensor *ts, int n)
{
    if (fwrite(len8, 1, 8, fp) != 8 || fwrite(hb->data, 1, hb->len, fp) != hb->len) return -1;
    for (int i = 0; i < n; i++) {
        uint64_t numel = 1;
        for (int d = 0; d < ts[i].ndim; d++) numel *= (uint64_t)ts[i].shape[d];
        if (write_floats(fp, ts[i].data, numel) < 0) return -1;
    }
    return 0;
}

/* Makes the rename itself durable; a failure here loses nothing already written,
 * so it is not reported. */
static void sync_parent_dir(const char *path)
{
    const char *slash = strrchr(path, '/');
    char       *dir = slash ? xstrdup(path) : xstrdup(".");
    if (slash) dir[slash == path ? 1 : slash - path] = '\0';
    int fd = open(dir, O_RDONLY);
    if (fd >= 0) {
        fsync(fd);
        close(fd);
    }
    free(dir);
}

/* The pid in "NAME.tmp.<pid>", or 0 when name is not such a temporary file. */
static long tmp_pid(const char *name)
{
    const char *t = NULL;
    for (const char *p = strstr(name, ".tmp."); p; p = strstr(p + 1, ".tmp.")) t = p;
    if (!t || t == name || !t[5]) return 0;
    char *end;
    long pid = strtol(t + 5, &end, 10);
    return *end || pid <= 0 || t[5] == '+' || t[5] == '-' ? 0 : pid;
}

int st_sweep_stale(const char *path)
{
    const char *slash = strrchr(path, '/');
    char *dir = slash ? xstrdup(path) : xstrdup(".");
    if (slash) dir[slash == path ? 1 : slash - path] = '\0';
    int removed = 0;
    DIR *d = opendir(dir);
    for (struct dirent *de; d && (de = readdir(d));) {
        long pid = tmp_pid(de->d_name);
        if (!pid || pid == (long)getpid()) continue;
        if (kill((pid_t)pid, 0) == 0 || errno != ESRCH) continue;   /* alive, or not ours to judge */
        size_t len = strlen(dir) + strlen(de->d_name) + 2;
        char *full = xmalloc(len);
        snprintf(full, len, "%s/%s", dir, de->d_name);
        struct stat st;
        /* Only plain files of ours: a symlink or someone else's file stays. */
        if (lstat(full, &st) == 0 && S_ISREG(st.st_mode) && st.st_uid == getuid() && unlink(full) == 0) removed++;
        free(full);
    }
    if (d) closedir(d);
    free(dir);
    return removed;
}

int st_write(const char *path, const StTensor *ts, int n, const char *const *meta_keys,
             const char *const *meta_vals, int n_meta, BlError *e)
{
    if (!path || !*path) return bl_fail(e, "st_write: empty path");
    if (check_inputs(path, ts, n, meta_keys, meta_vals, n_meta, e) < 0) return -1;

    JsonBuf hb = {0};
    build_header(&hb, ts, n, meta_keys, meta_vals, n_meta);
    unsigned char len8[8];
    put_le64(len8, hb.len);

    st_sweep_stale(path);   /* what a killed save (kill -9) left in this folder */
    size_t tlen = strlen(path) + 32;
    char  *tmp = xmalloc(tlen);
    snprintf(tmp, tlen, "%s.tmp.%ld", path, (long)getpid());

    /* O_EXCL: never write through a stale file or a planted symlink at tmp (and if
     * tmp exists, it is not ours to delete). */
    int         fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
    FILE       *fp = NULL;
    const char *failed = NULL;   /* the step that failed, for the message */
    int         err = 0, rc = -1;
    if (fd < 0) {
        failed = "create";
        err = errno;
    } else if (!(fp = fdopen(fd, "wb"))) {
        failed = "open";
        err = errno;
        close(fd);
    } else {
        if (write_body(fp, len8, &hb, ts, n) < 0 || fflush(fp) != 0) failed = "write";
        else if (fsync(fileno(fp)) != 0) failed = "sync";
        if (failed) err = errno;
        if (fclose(fp) != 0 && !failed) {   /* NFS and friends report late errors here */
            failed = "close";
            err = errno;
        }
    }
    if (failed) {
        if (fd >= 0) unlink(tmp);
        bl_fail(e, "%s: cannot %s temporary file %s: %s", path, failed, tmp, strerror(err));
    } else if (rename(tmp, path) != 0) {
        err = errno;
        unlink(tmp);
        bl_fail(e, "%s: cannot rename %s over it: %s", path, tmp, strerror(err));
    } else {
        sync_parent_dir(path);
        rc = 0;
    }
    free(tmp);
    json_buf_free(&hb);
    return rc;
}
