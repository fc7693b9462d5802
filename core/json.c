/* json.c — strict recursive-descent JSON parser into a tree, and the buffer writer.
 * Deliberately small: no streaming, no extensions, no in-place editing of trees. */
#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L   /* newlocale, fsync, mkdtemp: also without -D */
#endif
#include "json.h"

#include <locale.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- shared helpers --------------------------------------------------------- */

/* Length of the well-formed UTF-8 sequence at s (n bytes available), or 0 if it is
 * malformed. Follows Unicode Table 3-7, which rules out overlongs, surrogates
 * (ED A0..BF) and code points above U+10FFFF in one place. */
static size_t utf8_len(const unsigned char *s, size_t n)
{
    unsigned c = s[0];
    size_t len;
    unsigned lo = 0x80, hi = 0xBF;
    if (c < 0x80) return 1;
    if (c >= 0xC2 && c <= 0xDF) len = 2;
    else if (c >= 0xE0 && c <= 0xEF) {
        len = 3;
        if (c == 0xE0) lo = 0xA0;
        if (c == 0xED) hi = 0x9F;
    } else if (c >= 0xF0 && c <= 0xF4) {
        len = 4;
        if (c == 0xF0) lo = 0x90;
        if (c == 0xF4) hi = 0x8F;
    } else
        return 0;
    if (n < len || s[1] < lo || s[1] > hi) return 0;
    for (size_t i = 2; i < len; i++)
        if ((s[i] & 0xC0) != 0x80) return 0;
    return len;
}

int json_utf8_valid(const char *s, size_t n)
{
    const unsigned char *u = (const unsigned char *)s;
    size_t i = 0;
    while (i < n) {
        size_t k = utf8_len(u + i, n - i);
        if (!k) return 0;
        i += k;
    }
    return 1;
}

static size_t utf8_encode(uint32_t cp, char *out)
{
    if (cp < 0x80) {
        out[0] = (char)cp;
        return 1;
    }
    if (cp < 0x800) {
        out[0] = (char)(0xC0 | (cp >> 6));
        out[1] = (char)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        out[0] = (char)(0xE0 | (cp >> 12));
        out[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        out[2] = (char)(0x80 | (cp & 0x3F));
        return 3;
    }
    out[0] = (char)(0xF0 | (cp >> 18));
    out[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
    out[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
    out[3] = (char)(0x80 | (cp & 0x3F));
    return 4;
}

/* A printable, shortened copy of untrusted text for an error message: control bytes
 * become '?' (a hostile key must not drive the terminal), long text is cut at a
 * UTF-8 boundary and marked with "...". */
static void clip(const char *s, size_t n, char *out, size_t cap)
{
    const size_t keep = cap > 4 ? cap - 4 : 0;
    size_t o = 0, i = 0;
    while (i < n) {
        size_t k = utf8_len((const unsigned char *)s + i, n - i);
        if (k == 0) k = 1;
        if (o + k > keep) break;
        for (size_t j = 0; j < k; j++) {
            unsigned char c = (unsigned char)s[i + j];
            out[o++] = (k == 1 && (c < 0x20 || c >= 0x7F)) ? '?' : (char)c;
        }
        i += k;
    }
    if (i < n && o + 3 < cap) {
        memcpy(out + o, "...", 3);
        o += 3;
    }
    out[o] = '\0';
}

/* ---- parser ----------------------------------------------------------------- */

typedef struct Parser {
    const unsigned char *s;
    size_t               n, pos;
    size_t               values;     /* counted against JSON_MAX_VALUES */
    BlError             *e;
    locale_t             cloc;       /* "C" locale for strtod, made on first use */
    int                  cloc_tried;
} Parser;

static int perr(Parser *p, size_t at, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;

static int perr(Parser *p, size_t at, const char *fmt, ...)
{
    char what[400];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    size_t line = 1, col = 1;
    for (size_t i = 0; i < at && i < p->n; i++) {
        if (p->s[i] == '\n') {
            line++;
            col = 1;
        } else
            col++;
    }
    return bl_fail(p->e, "line %zu col %zu: %s", line, col, what);
}

/* What sits at pos, for "found X" in messages. */
static const char *found(const Parser *p, size_t pos, char buf[16])
{
    if (pos >= p->n) return "end of input";
    unsigned c = p->s[pos];
    if (c > 0x20 && c < 0x7F) snprintf(buf, 16, "'%c'", (char)c);
    else snprintf(buf, 16, "byte 0x%02X", c);
    return buf;
}

static void skip_ws(Parser *p)
{
    while (p->pos < p->n) {
        unsigned char c = p->s[p->pos];
        if (c != ' ' && c != '\t' && c != '\n' && c != '\r') break;
        p->pos++;
    }
}

static void free_value(JsonValue *v)
{
    switch (v->type) {
    case JSON_STRING:
        free(v->string);
        break;
    case JSON_ARRAY:
        for (size_t i = 0; i < v->count; i++) free_value(&v->items[i]);
        free(v->items);
        break;
    case JSON_OBJECT:
        for (size_t i = 0; i < v->count; i++) {
            free(v->members[i].key);
            free_value(&v->members[i].value);
        }
        free(v->members);
        break;
    default:
        break;
    }
    v->type = JSON_NULL;
}

static int hexval(unsigned char c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

/* Four hex digits at s[i..i+4) within [.., end); -1 if absent or malformed. */
static long hex4(const unsigned char *s, size_t i, size_t end)
{
    if (end < 4 || i > end - 4) return -1;
    long v = 0;
    for (int k = 0; k < 4; k++) {
        int h = hexval(s[i + k]);
        if (h < 0) return -1;
        v = v * 16 + h;
    }
    return v;
}

/* Parses the string starting at the opening quote at p->pos. On success *out is a
 * new NUL-terminated buffer of *len bytes. Escapes only shrink text, so the raw
 * length bounds the decoded one and a single allocation suffices. */
static int parse_string(Parser *p, char **out, size_t *len)
{
    const unsigned char *s = p->s;
    const size_t start = p->pos;
    size_t end = start + 1;
    while (end < p->n && s[end] != '"') end += (s[end] == '\\') ? 2 : 1;
    if (end >= p->n) return perr(p, start, "unterminated string");

    char  *buf = xmalloc(end - start);
    size_t o = 0, i = start + 1;
    while (i < end) {
        unsigned char c = s[i];
        if (c < 0x20) {
            perr(p, i, "raw control character 0x%02X in string (must be escaped)", c);
            goto fail;
        }
        if (c >= 0x80) {
            size_t k = utf8_len(s + i, end - i);
            if (!k) {
                perr(p, i, "invalid UTF-8 byte 0x%02X in string", c);
                goto fail;
            }
            memcpy(buf + o, s + i, k);
            o += k;
            i += k;
            continue;
        }
        if (c != '\\') {
            buf[o++] = (char)c;
            i++;
            continue;
        }
        unsigned char x = s[i + 1];   /* i + 1 < end: the scan above skipped pairs */
        const char *simple = strchr("\"\\/bfnrt", x);
        if (x != 0 && simple) {
            static const char dec[] = "\"\\/\b\f\n\r\t";
            buf[o++] = dec[simple - "\"\\/bfnrt"];
            i += 2;
            continue;
        }
        if (x != 'u') {
            char fb[16];
            perr(p, i, "invalid escape '\\' followed by %s", found(p, i + 1, fb));
            goto fail;
        }
        long cp = hex4(s, i + 2, end);
        if (cp < 0) {
            perr(p, i, "\\u must be followed by 4 hex digits");
            goto fail;
        }
        size_t used = 6;
        if (cp >= 0xDC00 && cp <= 0xDFFF) {
            perr(p, i, "lone low surrogate \\u%04lX", (unsigned long)cp);
            goto fail;
        }
        if (cp >= 0xD800 && cp <= 0xDBFF) {
            long lo = (i + 7 < end && s[i + 6] == '\\' && s[i + 7] == 'u') ? hex4(s, i + 8, end) : -1;
            if (lo < 0xDC00 || lo > 0xDFFF) {
                perr(p, i, "high surrogate \\u%04lX not followed by a low surrogate", (unsigned long)cp);
                goto fail;
            }
            cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
            used = 12;
        }
        o += utf8_encode((uint32_t)cp, buf + o);
        i += used;
    }
    buf[o] = '\0';
    *out = buf;
    *len = o;
    p->pos = end + 1;
    return 0;
fail:
    free(buf);
    return -1;
}

static double strtod_c(Parser *p, const char *tok, size_t len)
{
    char  small[64];
    char *buf = len < sizeof small ? small : xmalloc(len + 1);
    memcpy(buf, tok, len);
    buf[len] = '\0';
    /* strtod honours LC_NUMERIC, and a TUI that calls setlocale(LC_ALL, "") may get
     * a decimal comma: parse under a private "C" locale for this thread. */
    if (!p->cloc_tried) {
        p->cloc_tried = 1;
        p->cloc = newlocale(LC_NUMERIC_MASK, "C", (locale_t)0);
    }
    locale_t old = p->cloc ? uselocale(p->cloc) : (locale_t)0;
    double d = strtod(buf, NULL);
    if (p->cloc) uselocale(old);
    if (buf != small) free(buf);
    return d;
}

static int is_digit(unsigned char c) { return c >= '0' && c <= '9'; }

static int parse_number(Parser *p, JsonValue *v)
{
    const unsigned char *s = p->s;
    const size_t start = p->pos;
    const uint64_t limit = (uint64_t)1 << 53;
    uint64_t mag = 0;
    int neg = 0, integral = 1, big = 0;
    char fb[16];

    if (s[p->pos] == '-') {
        neg = 1;
        p->pos++;
    }
    if (p->pos >= p->n || !is_digit(s[p->pos]))
        return perr(p, p->pos, "expected a digit in number, found %s", found(p, p->pos, fb));
    if (s[p->pos] == '0') {
        p->pos++;
        if (p->pos < p->n && is_digit(s[p->pos])) return perr(p, start, "number with a leading zero");
    } else {
        while (p->pos < p->n && is_digit(s[p->pos])) {
            if (!big) {
                mag = mag * 10 + (uint64_t)(s[p->pos] - '0');   /* < 2^57: cannot wrap */
                if (mag > limit) big = 1;
            }
            p->pos++;
        }
    }
    if (p->pos < p->n && s[p->pos] == '.') {
        integral = 0;
        p->pos++;
        if (p->pos >= p->n || !is_digit(s[p->pos]))
            return perr(p, p->pos, "expected a digit after '.', found %s", found(p, p->pos, fb));
        while (p->pos < p->n && is_digit(s[p->pos])) p->pos++;
    }
    if (p->pos < p->n && (s[p->pos] == 'e' || s[p->pos] == 'E')) {
        integral = 0;
        p->pos++;
        if (p->pos < p->n && (s[p->pos] == '+' || s[p->pos] == '-')) p->pos++;
        if (p->pos >= p->n || !is_digit(s[p->pos]))
            return perr(p, p->pos, "expected a digit in exponent, found %s", found(p, p->pos, fb));
        while (p->pos < p->n && is_digit(s[p->pos])) p->pos++;
    }

    v->type = JSON_NUMBER;
    if (integral && !big) {
        v->is_int = 1;
        v->integer = neg ? -(int64_t)mag : (int64_t)mag;
        v->number = neg ? -(double)mag : (double)mag;   /* keeps -0 negative */
        return 0;
    }
    v->is_int = 0;
    v->integer = 0;
    v->number = strtod_c(p, (const char *)s + start, p->pos - start);
    if (isinf(v->number)) {
        v->type = JSON_NULL;
        return perr(p, start, "number out of range for a double");
    }
    return 0;
}

static int parse_literal(Parser *p, JsonValue *v, const char *word, JsonType t, int b)
{
    size_t k = strlen(word);
    if (p->n - p->pos < k || memcmp(p->s + p->pos, word, k) != 0) {
        char fb[16];
        return perr(p, p->pos, "unexpected %s, expected a value", found(p, p->pos, fb));
    }
    p->pos += k;
    v->type = t;
    if (t == JSON_BOOL) v->boolean = b;
    return 0;
}

static int parse_value(Parser *p, JsonValue *v, int depth);

static void *grow(void *ptr, size_t *cap, size_t elem)
{
    *cap = *cap ? *cap * 2 : 4;
    return xrealloc(ptr, *cap * elem);
}

static int parse_array(Parser *p, JsonValue *v, int depth)
{
    char fb[16];
    if (depth > JSON_MAX_DEPTH) return perr(p, p->pos, "nesting deeper than %d levels", JSON_MAX_DEPTH);
    p->pos++;   /* '[' */
    JsonValue *items = NULL;
    size_t count = 0, cap = 0;
    skip_ws(p);
    if (p->pos < p->n && p->s[p->pos] == ']') {
        p->pos++;
    } else {
        for (;;) {
            if (count == cap) items = grow(items, &cap, sizeof *items);
            if (parse_value(p, &items[count], depth) < 0) goto fail;
            count++;
            skip_ws(p);
            if (p->pos < p->n && p->s[p->pos] == ']') {
                p->pos++;
                break;
            }
            if (p->pos >= p->n || p->s[p->pos] != ',') {
                perr(p, p->pos, "expected ',' or ']' in array, found %s", found(p, p->pos, fb));
                goto fail;
            }
            p->pos++;
        }
    }
    if (count == 0) {
        free(items);
        items = NULL;
    } else if (cap > count)
        items = xrealloc(items, count * sizeof *items);   /* trees live long: give back slack */
    v->type = JSON_ARRAY;
    v->count = count;
    v->items = items;
    return 0;
fail:
    for (size_t i = 0; i < count; i++) free_value(&items[i]);
    free(items);
    return -1;
}

static int cmp_member_key(const void *a, const void *b)
{
    const JsonMember *x = *(const JsonMember *const *)a;
    const JsonMember *y = *(const JsonMember *const *)b;
    size_t m = x->key_len < y->key_len ? x->key_len : y->key_len;
    int c = memcmp(x->key, y->key, m);
    if (c) return c;
    return (x->key_len > y->key_len) - (x->key_len < y->key_len);
}

/* A member whose key repeats an earlier one, or NULL. Small objects (the common
 * case) are checked pairwise; large ones by sorting, so a hostile object with a
 * million keys costs n log n rather than n^2. */
static const JsonMember *find_duplicate(const JsonMember *m, size_t n)
{
    if (n <= 16) {
        for (size_t i = 1; i < n; i++)
            for (size_t j = 0; j < i; j++)
                if (m[i].key_len == m[j].key_len && memcmp(m[i].key, m[j].key, m[i].key_len) == 0)
                    return &m[i];
        return NULL;
    }
    const JsonMember **sorted = xmalloc(n * sizeof *sorted);
    for (size_t i = 0; i < n; i++) sorted[i] = &m[i];
    qsort(sorted, n, sizeof *sorted, cmp_member_key);
    const JsonMember *dup = NULL;
    for (size_t i = 1; i < n && !dup; i++)
        if (cmp_member_key(&sorted[i - 1], &sorted[i]) == 0) dup = sorted[i];
    free(sorted);
    return dup;
}

static int parse_object(Parser *p, JsonValue *v, int depth)
{
    char fb[16];
    if (depth > JSON_MAX_DEPTH) return perr(p, p->pos, "nesting deeper than %d levels", JSON_MAX_DEPTH);
    const size_t start = p->pos;
    p->pos++;   /* '{' */
    JsonMember *members = NULL;
    size_t count = 0, cap = 0;
    skip_ws(p);
    if (p->pos < p->n && p->s[p->pos] == '}') {
        p->pos++;
    } else {
        for (;;) {
            skip_ws(p);
            if (p->pos >= p->n || p->s[p->pos] != '"') {
                perr(p, p->pos, "expected a string key in object, found %s", found(p, p->pos, fb));
                goto fail;
            }
            if (count == cap) members = grow(members, &cap, sizeof *members);
            JsonMember *m = &members[count];
            if (parse_string(p, &m->key, &m->key_len) < 0) goto fail;
            skip_ws(p);
            if (p->pos >= p->n || p->s[p->pos] != ':') {
                perr(p, p->pos, "expected ':' after object key, found %s", found(p, p->pos, fb));
                free(m->key);
                goto fail;
            }
            p->pos++;
            if (parse_value(p, &m->value, depth) < 0) {
                free(m->key);
                goto fail;
            }
            count++;
            skip_ws(p);
            if (p->pos < p->n && p->s[p->pos] == '}') {
                p->pos++;
                break;
            }
            if (p->pos >= p->n || p->s[p->pos] != ',') {
                perr(p, p->pos, "expected ',' or '}' in object, found %s", found(p, p->pos, fb));
                goto fail;
            }
            p->pos++;
        }
    }
    const JsonMember *dup = find_duplicate(members, count);
    if (dup) {
        char kb[80];
        clip(dup->key, dup->key_len, kb, sizeof kb);
        perr(p, start, "object has duplicate key \"%s\"", kb);
        goto fail;
    }
    if (count == 0) {
        free(members);
        members = NULL;
    } else if (cap > count)
        members = xrealloc(members, count * sizeof *members);
    v->type = JSON_OBJECT;
    v->count = count;
    v->members = members;
    return 0;
fail:
    for (size_t i = 0; i < count; i++) {
        free(members[i].key);
        free_value(&members[i].value);
    }
    free(members);
    return -1;
}

/* On failure nothing stays allocated and v is JSON_NULL, so callers only free
 * what they completed. */
static int parse_value(Parser *p, JsonValue *v, int depth)
{
    char fb[16];
    v->type = JSON_NULL;
    skip_ws(p);
    if (p->pos >= p->n) return perr(p, p->pos, "unexpected end of input, expected a value");
    if (++p->values > JSON_MAX_VALUES)
        return perr(p, p->pos, "more than %zu values in one document", (size_t)JSON_MAX_VALUES);
    switch (p->s[p->pos]) {
    case '{':
        return parse_object(p, v, depth + 1);
    case '[':
        return parse_array(p, v, depth + 1);
    case '"':
        if (parse_string(p, &v->string, &v->length) < 0) return -1;
        v->type = JSON_STRING;
        return 0;
    case 't':
        return parse_literal(p, v, "true", JSON_BOOL, 1);
    case 'f':
        return parse_literal(p, v, "false", JSON_BOOL, 0);
    case 'n':
        return parse_literal(p, v, "null", JSON_NULL, 0);
    default:
        if (p->s[p->pos] == '-' || is_digit(p->s[p->pos])) return parse_number(p, v);
        return perr(p, p->pos, "unexpected %s, expected a value", found(p, p->pos, fb));
    }
}

int json_parse(const char *text, size_t len, JsonValue **out, BlError *e)
{
    *out = NULL;
    Parser p = { (const unsigned char *)(text ? text : ""), text ? len : 0, 0, 0, e, (locale_t)0, 0 };
    JsonValue *root = xmalloc(sizeof *root);
    int rc = parse_value(&p, root, 0);
    if (rc == 0) {
        skip_ws(&p);
        if (p.pos < p.n) {
            char fb[16];
            rc = perr(&p, p.pos, "unexpected %s after the JSON value", found(&p, p.pos, fb));
            free_value(root);
        }
    }
    if (p.cloc) freelocale(p.cloc);
    if (rc < 0) {
        free(root);
        return -1;
    }
    *out = root;
    return 0;
}

void json_free(JsonValue *root)
{
    if (!root) return;
    free_value(root);
    free(root);
}

const JsonValue *json_get(const JsonValue *obj, const char *key)
{
    if (!obj || obj->type != JSON_OBJECT || !key) return NULL;
    size_t k = strlen(key);
    for (size_t i = 0; i < obj->count; i++)
        if (obj->members[i].key_len == k && memcmp(obj->members[i].key, key, k) == 0)
            return &obj->members[i].value;
    return NULL;
}

const JsonValue *json_at(const JsonValue *arr, size_t i)
{
    if (!arr || arr->type != JSON_ARRAY || i >= arr->count) return NULL;
    return &arr->items[i];
}

size_t json_count(const JsonValue *v)
{
    if (!v || (v->type != JSON_ARRAY && v->type != JSON_OBJECT)) return 0;
    return v->count;
}

const char *json_string(const JsonValue *v)
{
    return (v && v->type == JSON_STRING) ? v->string : NULL;
}

const char *json_type_name(JsonType t)
{
    switch (t) {
    case JSON_NULL: return "null";
    case JSON_BOOL: return "boolean";
    case JSON_NUMBER: return "number";
    case JSON_STRING: return "string";
    case JSON_ARRAY: return "array";
    case JSON_OBJECT: return "object";
    }
    return "?";
}

/* ---- writer ----------------------------------------------------------------- */

/* The escaped form of the character at s (n bytes left) into out (<= 6 bytes);
 * returns its length and sets *used to the input bytes consumed. */
static size_t escape_one(const unsigned char *s, size_t n, char out[8], size_t *used)
{
    unsigned char c = s[0];
    *used = 1;
    switch (c) {
    case '"': memcpy(out, "\\\"", 2); return 2;
    case '\\': memcpy(out, "\\\\", 2); return 2;
    case '\b': memcpy(out, "\\b", 2); return 2;
    case '\f': memcpy(out, "\\f", 2); return 2;
    case '\n': memcpy(out, "\\n", 2); return 2;
    case '\r': memcpy(out, "\\r", 2); return 2;
    case '\t': memcpy(out, "\\t", 2); return 2;
    default: break;
    }
    if (c < 0x20) {
        static const char hex[] = "0123456789abcdef";
        memcpy(out, "\\u00", 4);
        out[4] = hex[c >> 4];
        out[5] = hex[c & 15];
        return 6;
    }
    size_t k = utf8_len(s, n);
    if (!k) {
        memcpy(out, "\xEF\xBF\xBD", 3);   /* U+FFFD for a byte that is not UTF-8 */
        return 3;
    }
    memcpy(out, s, k);
    *used = k;
    return k;
}

size_t json_escape(const char *in, char *out, size_t cap)
{
    const unsigned char *s = (const unsigned char *)in;
    size_t n = strlen(in), i = 0, total = 0, written = 0;
    int full = 0;
    while (i < n) {
        char   piece[8];
        size_t used, k = escape_one(s + i, n - i, piece, &used);
        if (!full && written + k < cap) {
            memcpy(out + written, piece, k);
            written += k;
        } else
            full = 1;
        total += k;
        i += used;
    }
    if (cap) out[written] = '\0';
    return total;
}

void json_buf_free(JsonBuf *b) { sb_free(b); }

void json_append(JsonBuf *b, const char *s, size_t n) { sb_append(b, s, n); }

/* A ',' is due exactly when the buffer ends in a finished value. */
static void sep(JsonBuf *b)
{
    if (!b->len) return;
    char c = b->data[b->len - 1];
    if (c != '[' && c != '{' && c != ':' && c != ',') json_append(b, ",", 1);
}

void json_begin_object(JsonBuf *b) { sep(b); json_append(b, "{", 1); }
void json_end_object(JsonBuf *b) { json_append(b, "}", 1); }
void json_begin_array(JsonBuf *b) { sep(b); json_append(b, "[", 1); }
void json_end_array(JsonBuf *b) { json_append(b, "]", 1); }

static void put_escaped(JsonBuf *b, const char *s, size_t n)
{
    const unsigned char *u = (const unsigned char *)s;
    json_append(b, "\"", 1);
    for (size_t i = 0; i < n;) {
        char   piece[8];
        size_t used, k = escape_one(u + i, n - i, piece, &used);
        json_append(b, piece, k);
        i += used;
    }
    json_append(b, "\"", 1);
}

void json_key(JsonBuf *b, const char *key)
{
    sep(b);
    put_escaped(b, key, strlen(key));
    json_append(b, ":", 1);
}

void json_put_string(JsonBuf *b, const char *s)
{
    sep(b);
    put_escaped(b, s, strlen(s));
}

void json_put_int(JsonBuf *b, int64_t v)
{
    char buf[32];
    int  k = snprintf(buf, sizeof buf, "%lld", (long long)v);
    sep(b);
    json_append(b, buf, (size_t)k);
}

void json_put_number(JsonBuf *b, double v)
{
    if (!isfinite(v)) {
        json_put_null(b);
        return;
    }
    char     buf[40];
    int      k = 0;
    /* Same locale concern as strtod_c: "%g" would write a decimal comma. */
    locale_t c = newlocale(LC_NUMERIC_MASK, "C", (locale_t)0);
    locale_t old = c ? uselocale(c) : (locale_t)0;
    for (int prec = 15; prec <= 17; prec++) {
        k = snprintf(buf, sizeof buf, "%.*g", prec, v);
        if (strtod(buf, NULL) == v) break;
    }
    if (c) {
        uselocale(old);
        freelocale(c);
    }
    sep(b);
    json_append(b, buf, (size_t)k);
}

void json_put_bool(JsonBuf *b, int v)
{
    sep(b);
    json_append(b, v ? "true" : "false", v ? 4 : 5);
}

void json_put_null(JsonBuf *b)
{
    sep(b);
    json_append(b, "null", 4);
}

void json_put_value(JsonBuf *b, const JsonValue *v)
{
    switch (v->type) {
    case JSON_NULL: json_put_null(b); break;
    case JSON_BOOL: json_put_bool(b, v->boolean); break;
    case JSON_NUMBER:
        if (v->is_int) json_put_int(b, v->integer);
        else json_put_number(b, v->number);
        break;
    case JSON_STRING:
        sep(b);
        put_escaped(b, v->string, v->length);
        break;
    case JSON_ARRAY:
        json_begin_array(b);
        for (size_t i = 0; i < v->count; i++) json_put_value(b, &v->items[i]);
        json_end_array(b);
        break;
    case JSON_OBJECT:
        json_begin_object(b);
        for (size_t i = 0; i < v->count; i++) {
            sep(b);
            put_escaped(b, v->members[i].key, v->members[i].key_len);
            json_append(b, ":", 1);
            json_put_value(b, &v->members[i].value);
        }
        json_end_object(b);
        break;
    }
}
