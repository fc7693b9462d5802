/* json.h — strict JSON (RFC 8259) parsed into a small tree, and a growing-buffer
 * writer. Used for safetensors headers and for the architecture/training state kept in
 * checkpoint metadata. It is not a streaming parser, does not accept JSON5 niceties
 * (comments, trailing commas, NaN), and is not tuned for huge documents (the limits
 * below bound what a hostile one can cost).
 *
 * Reading:
 *   JsonValue *root;
 *   if (json_parse(text, len, &root, &err) < 0) ...err.msg...
 *   const JsonValue *w = json_get(root, "width");
 *   if (!w || w->type != JSON_NUMBER || !w->is_int) ...
 *   json_free(root);
 *
 * Writing (commas are inserted for you; the caller keeps keys and values paired):
 *   JsonBuf b = {0};
 *   json_begin_object(&b);
 *   json_key(&b, "width"); json_put_int(&b, 64);
 *   json_key(&b, "name");  json_put_string(&b, "pre-ln \"small\"");
 *   json_end_object(&b);
 *   ... b.data is a NUL-terminated string of b.len bytes ...
 *   json_buf_free(&b);
 *
 * Why our own and not jansson / json-c / cJSON (issue 10, decided on the
 * fuzz record): every JSON byte blocklab reads is untrusted (a checkpoint's
 * header and metadata). This parser bounds what a hostile document costs
 * (JSON_MAX_VALUES, JSON_MAX_DEPTH: ~100 MB and 64 levels whatever the input),
 * refuses duplicate keys, NUL in strings, NaN and out-of-range numbers, and
 * keeps integers exact to 2^64 for data_offsets. Of the Debian libraries only
 * jansson comes close (JSON_REJECT_DUPLICATES, ordered objects), but it has no
 * cap on the values of a 100 MB header (tens of millions of nodes, gigabytes),
 * json-c keeps the last of duplicate keys, and cJSON parses numbers to double
 * only (offsets past 2^53 lose their exactness). A library would also add a
 * -dev package to the run set and leave our writer (a third of this file) in
 * place. It is fuzzed with the two targets that read it: tests/fuzz/
 * fuzz_safetensors.c and fuzz_ckpt_meta.c. Revisit if jansson gains a node cap.
 */
#ifndef BL_JSON_H
#define BL_JSON_H

#include <stddef.h>
#include <stdint.h>

#include "common.h"
#include "strbuf.h"

/* Limits applied by json_parse. Nesting bounds the recursion (stack safety); the
 * value count bounds the tree's memory (about 48 bytes a value, so ~100 MB at most)
 * whatever the input says. A document over either limit is an error, not a crash. */
#define JSON_MAX_DEPTH  64
#define JSON_MAX_VALUES ((size_t)1 << 21)

typedef enum JsonType {
    JSON_NULL,
    JSON_BOOL,
    JSON_NUMBER,
    JSON_STRING,
    JSON_ARRAY,
    JSON_OBJECT
} JsonType;

typedef struct JsonValue  JsonValue;
typedef struct JsonMember JsonMember;

/* A parsed value. Read the member that matches `type`; the others are unspecified. */
struct JsonValue {
    JsonType type;
    union {
        int boolean;                     /* JSON_BOOL: 0 or 1 */
        struct {                         /* JSON_NUMBER */
            double  number;              /* the value, correctly rounded */
            int64_t integer;             /* == number when is_int */
            int     is_int;              /* written as an integer literal (no '.', no
                                            exponent) with |value| <= 2^53, so `integer`
                                            is exact: "3" yes, "3.0" and "3e0" no */
        };
        struct {                         /* JSON_STRING: UTF-8, NUL-terminated; length */
            char  *string;               /* excludes the NUL. May contain NUL bytes if */
            size_t length;               /* the text had \u0000: compare length too. */
        };
        struct {                         /* JSON_ARRAY / JSON_OBJECT */
            size_t count;
            union {
                JsonValue  *items;       /* JSON_ARRAY: count values, in order */
                JsonMember *members;     /* JSON_OBJECT: count members, in text order */
            };
        };
    };
};

struct JsonMember {
    char     *key;                       /* UTF-8, NUL-terminated, key_len bytes */
    size_t    key_len;
    JsonValue value;
};

/* ---- reading ---------------------------------------------------------------- */

/* Parses exactly one JSON value from text[0..len) (no NUL needed; leading and
 * trailing whitespace allowed, anything else after the value is an error).
 * Strict: UTF-8 must be well-formed, \u escapes are decoded (surrogate pairs joined,
 * lone surrogates rejected), raw control characters in strings are rejected,
 * numbers outside double range are rejected, and an object may not repeat a key.
 * On success *out is a tree the caller frees with json_free. On failure returns -1,
 * *out is NULL and e says where: "line 1 col 57: expected ',' or '}' in object". */
int json_parse(const char *text, size_t len, JsonValue **out, BlError *e);

/* Frees a tree from json_parse, including all its strings. NULL-safe. */
void json_free(JsonValue *root);

/* Member `key` of an object, or NULL if v is NULL, not an object, or has no such key.
 * Linear in the member count. The pointer lives as long as the tree. */
const JsonValue *json_get(const JsonValue *obj, const char *key);

/* Element i of an array, or NULL if arr is NULL, not an array, or i is out of range. */
const JsonValue *json_at(const JsonValue *arr, size_t i);

/* Number of elements (array) or members (object); 0 for anything else or NULL. */
size_t json_count(const JsonValue *v);

/* The string of a JSON_STRING, or NULL for NULL or any other type. */
const char *json_string(const JsonValue *v);

/* "null", "boolean", "number", "string", "array", "object": for error messages. */
const char *json_type_name(JsonType t);

/* 1 if s[0..n) is well-formed UTF-8 (no overlongs, no surrogates, <= U+10FFFF). */
int json_utf8_valid(const char *s, size_t n);

/* ---- writing ---------------------------------------------------------------- */

/* Growing output buffer. Start from `JsonBuf b = {0};`. After any append, data is
 * NUL-terminated and len counts the bytes before the NUL. Owned by the caller:
 * json_buf_free releases it (or take b.data and free() it yourself). Appends never
 * fail (memory comes from xrealloc, which aborts on exhaustion). */
typedef StrBuf JsonBuf;   /* the writer appends to a plain StrBuf (strbuf.h) */

void json_buf_free(JsonBuf *b);

/* Appends n raw bytes with no separator or escaping (e.g. padding, pre-made JSON). */
void json_append(JsonBuf *b, const char *s, size_t n);

/* Structural writers. Each value writer (and json_key) first adds a ',' when the
 * buffer ends in a complete value, so a sequence of puts forms a valid list. */
void json_begin_object(JsonBuf *b);
void json_end_object(JsonBuf *b);
void json_begin_array(JsonBuf *b);
void json_end_array(JsonBuf *b);
void json_key(JsonBuf *b, const char *key);          /* "key": (escaped) */
void json_put_string(JsonBuf *b, const char *s);     /* "s" (escaped, see json_escape) */
void json_put_int(JsonBuf *b, int64_t v);
/* Shortest decimal that reads back to the same double, independent of the C locale.
 * JSON has no NaN or infinity: those are written as null. */
void json_put_number(JsonBuf *b, double v);
void json_put_bool(JsonBuf *b, int v);
void json_put_null(JsonBuf *b);
/* Writes a whole parsed tree (compact, members in order). */
void json_put_value(JsonBuf *b, const JsonValue *v);

/* Escapes the NUL-terminated string `in` for use between JSON double quotes (quotes
 * not added): " and \ and control characters are escaped (\n, \t, ... or \u00XX);
 * other UTF-8 passes through; bytes that are not well-formed UTF-8 become U+FFFD so
 * the output is always valid JSON. Like snprintf: writes at most cap bytes including
 * a NUL (never a partial escape), and returns the full escaped length without NUL,
 * so a result >= cap means the output was truncated. out may be NULL when cap is 0. */
size_t json_escape(const char *in, char *out, size_t cap);

#endif
