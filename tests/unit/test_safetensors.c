/* test_safetensors.c — the JSON module and F32 safetensors checkpoints: round trips,
 * the exact on-disk layout, and that corrupt or hostile input fails cleanly.
 * Run with -v to print every expected error message (to review their wording). */
#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L   /* newlocale, fsync, mkdtemp: also without -D */
#endif
#include "json.h"
#include "safetensors.h"
#include "testlib.h"

#include <dirent.h>
#include <signal.h>
#include <locale.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

static int  verbose;
static char tmpdir[64];

/* ---- helpers ---------------------------------------------------------------- */

static char *path_in(const char *name)
{
    static char buf[4][512];
    static int  k;
    k = (k + 1) % 4;
    snprintf(buf[k], sizeof buf[k], "%s/%s", tmpdir, name);
    return buf[k];
}

static unsigned char *slurp(const char *path, size_t *len)
{
    FILE *fp = fopen(path, "rb");
    if (!fp) return NULL;
    fseek(fp, 0, SEEK_END);
    long n = ftell(fp);
    fseek(fp, 0, SEEK_SET);
    unsigned char *b = malloc((size_t)n + 1);
    *len = fread(b, 1, (size_t)n, fp);
    fclose(fp);
    return b;
}

static void spit(const char *path, const void *b, size_t n)
{
    FILE *fp = fopen(path, "wb");
    if (n) fwrite(b, 1, n, fp);
    fclose(fp);
}

static uint32_t bits(float x)
{
    uint32_t u;
    memcpy(&u, &x, 4);
    return u;
}

static float from_bits(uint32_t u)
{
    float x;
    memcpy(&x, &u, 4);
    return x;
}

/* Temp files left in tmpdir (names containing ".tmp."). */
static int count_temp_files(void)
{
    DIR *d = opendir(tmpdir);
    int  n = 0;
    for (struct dirent *de; d && (de = readdir(d));)
        if (strstr(de->d_name, ".tmp.")) n++;
    if (d) closedir(d);
    return n;
}

/* A safetensors image: le64(strlen(hdr)) | hdr | data_len bytes of a pattern. */
static unsigned char *image(const char *hdr, size_t data_len, size_t *len)
{
    size_t n = strlen(hdr);
    *len = 8 + n + data_len;
    unsigned char *b = malloc(*len);
    for (int i = 0; i < 8; i++) b[i] = (unsigned char)((uint64_t)n >> (8 * i));
    memcpy(b + 8, hdr, n);
    for (size_t i = 0; i < data_len; i++) b[8 + n + i] = (unsigned char)(i * 7 + 1);
    return b;
}

/* The image must be refused with a message that starts with the label and contains
 * want. */
static void expect_bad_image(const unsigned char *b, size_t len, const char *want, int line)
{
    StFile *f = (StFile *)1;
    BlError e = { "" };
    int     rc = st_open_mem(b, len, "bad.st", &f, &e);
    CHECK(rc == -1 && f == NULL, "line %d: expected failure (\"%s\")", line, want);
    CHECK(strncmp(e.msg, "bad.st: ", 8) == 0 && strstr(e.msg, want),
          "line %d: message \"%s\" should contain \"%s\"", line, e.msg, want);
    if (verbose) printf("    %s\n", e.msg);
    if (rc == 0) st_close(f);
}

static void expect_bad(const char *hdr, size_t data_len, const char *want, int line)
{
    size_t         len;
    unsigned char *b = image(hdr, data_len, &len);
    expect_bad_image(b, len, want, line);
    free(b);
}
#define BAD(hdr, data_len, want) expect_bad((hdr), (data_len), (want), __LINE__)

static StFile *open_good(const char *hdr, size_t data_len, unsigned char **img)
{
    size_t  len;
    StFile *f = NULL;
    BlError e = { "" };
    *img = image(hdr, data_len, &len);
    int rc = st_open_mem(*img, len, "good.st", &f, &e);
    CHECK(rc == 0 && f, "valid image refused: %s", e.msg);
    return f;
}

/* ---- JSON ------------------------------------------------------------------- */

static void test_json_values(void)
{
    const char *doc = " {\"a\":1,\"b\":[true,false,null],\"c\":\"x\\\"y\",\"d\":-0,\"e\":1.5,\"f\":1e3,"
                      "\"g\":9007199254740992,\"h\":9007199254740993,\"i\":-12,\"j\":{},\"k\":[],"
                      "\"l\":-9007199254740992, \"m\" : 2.5E-3 }\n";
    JsonValue *v;
    BlError    e;
    CHECK(json_parse(doc, strlen(doc), &v, &e) == 0, "parse: %s", e.msg);
    if (!v) return;
    CHECK(v->type == JSON_OBJECT && v->count == 13, "root object with 13 members");
    const char *order[] = { "a", "b", "c", "d", "e", "f", "g", "h", "i", "j", "k", "l", "m" };
    for (int i = 0; i < 13; i++) CHECK(strcmp(v->members[i].key, order[i]) == 0, "key order at %d", i);
    const JsonValue *a = json_get(v, "a");
    CHECK(a && a->type == JSON_NUMBER && a->is_int && a->integer == 1 && a->number == 1.0, "a = 1");
    const JsonValue *b = json_get(v, "b");
    CHECK(json_count(b) == 3 && json_at(b, 0)->type == JSON_BOOL && json_at(b, 0)->boolean == 1 &&
              json_at(b, 1)->boolean == 0 && json_at(b, 2)->type == JSON_NULL && json_at(b, 3) == NULL,
          "b = [true, false, null]");
    CHECK(json_string(json_get(v, "c")) && strcmp(json_string(json_get(v, "c")), "x\"y") == 0, "c = x\"y");
    const JsonValue *d = json_get(v, "d");
    CHECK(d->is_int && d->integer == 0 && signbit(d->number), "-0 is an integer with a negative zero double");
    CHECK(!json_get(v, "e")->is_int && json_get(v, "e")->number == 1.5, "1.5 not an integer");
    CHECK(!json_get(v, "f")->is_int && json_get(v, "f")->number == 1000.0, "1e3 is a number, not an int literal");
    CHECK(json_get(v, "g")->is_int && json_get(v, "g")->integer == 9007199254740992LL, "2^53 is an exact int");
    CHECK(!json_get(v, "h")->is_int && json_get(v, "h")->number == 9007199254740992.0, "2^53+1 is not exact");
    CHECK(json_get(v, "i")->is_int && json_get(v, "i")->integer == -12, "-12");
    CHECK(json_get(v, "l")->is_int && json_get(v, "l")->integer == -9007199254740992LL, "-2^53");
    CHECK(json_get(v, "m")->number == 2.5e-3, "2.5E-3");
    CHECK(json_get(v, "j")->type == JSON_OBJECT && json_count(json_get(v, "j")) == 0, "empty object");
    CHECK(json_get(v, "k")->type == JSON_ARRAY && json_count(json_get(v, "k")) == 0, "empty array");
    CHECK(json_get(v, "zz") == NULL && json_get(NULL, "a") == NULL && json_get(b, "a") == NULL, "misses are NULL");
    CHECK(json_string(a) == NULL && json_count(a) == 0 && json_at(v, 0) == NULL, "wrong-type accessors");
    json_free(v);
    json_free(NULL);

    /* Scalars at the top level are documents too. */
    CHECK(json_parse("\"s\"", 3, &v, &e) == 0 && v->type == JSON_STRING, "top-level string");
    json_free(v);
    CHECK(json_parse("42", 2, &v, &e) == 0 && v->integer == 42, "top-level number, no NUL needed");
    json_free(v);
    CHECK(json_parse("4299", 2, &v, &e) == 0 && v->integer == 42, "len bounds the text");
    json_free(v);
}

static void test_json_strings(void)
{
    const char *doc = "[\"\\u00e9\", \"\\ud83d\\ude00\", \"a\\u0000b\", \"\\/\\b\\f\\n\\r\\t\\\\\", "
                      "\"\xc3\xa9\xe4\xb8\xad\xf0\x9f\x98\x80\", \"\\u20AC\", \"\\uFFFF\", \"\x7f\"]";
    JsonValue *v;
    BlError    e;
    CHECK(json_parse(doc, strlen(doc), &v, &e) == 0, "parse: %s", e.msg);
    if (!v) return;
    CHECK(strcmp(json_at(v, 0)->string, "\xc3\xa9") == 0, "\\u00e9 -> e-acute in UTF-8");
    CHECK(strcmp(json_at(v, 1)->string, "\xf0\x9f\x98\x80") == 0, "surrogate pair -> 4-byte UTF-8");
    CHECK(json_at(v, 2)->length == 3 && memcmp(json_at(v, 2)->string, "a\0b", 4) == 0, "\\u0000 kept, length 3");
    CHECK(strcmp(json_at(v, 3)->string, "/\b\f\n\r\t\\") == 0, "simple escapes");
    CHECK(strcmp(json_at(v, 4)->string, "\xc3\xa9\xe4\xb8\xad\xf0\x9f\x98\x80") == 0, "raw UTF-8 passes");
    CHECK(strcmp(json_at(v, 5)->string, "\xe2\x82\xac") == 0, "\\u20AC upper-case hex");
    CHECK(strcmp(json_at(v, 6)->string, "\xef\xbf\xbf") == 0, "\\uFFFF");
    CHECK(strcmp(json_at(v, 7)->string, "\x7f") == 0, "DEL needs no escape");
    json_free(v);

    CHECK(json_utf8_valid("\xc3\xa9", 2) && !json_utf8_valid("\xc3", 1) && !json_utf8_valid("\xc0\xaf", 2) &&
              !json_utf8_valid("\xed\xa0\x80", 3) && !json_utf8_valid("\xf4\x90\x80\x80", 4) &&
              json_utf8_valid("\xf4\x8f\xbf\xbf", 4) && !json_utf8_valid("\xe0\x80\x80", 3) &&
              !json_utf8_valid("\xff", 1),
          "json_utf8_valid follows Table 3-7");
}

static void test_json_errors(void)
{
    static const char *bad[] = {
        "", "   ", "{", "[", "[1,]", "{\"a\":1,}", "{a:1}", "01", "-01", "1.", ".5", "-", "1e", "1e+", "+1",
        "tru", "nul", "True", "\"abc", "\"\\x\"", "\"\\u12\"", "\"\\u12G4\"", "\"\\ud800\"", "\"\\udc00\"",
        "\"\\ud800\\u0041\"", "\"\\ud800x\"", "\"a\tb\"", "\"a\nb\"", "\"\xc0\xaf\"", "\"\xed\xa0\x80\"",
        "\"\xf4\x90\x80\x80\"", "\"\xc3\"", "\"\x80\"", "[1] 2", "{} {}", "{\"a\":1,\"a\":2}", "1e999", "-1e999",
        "NaN", "Infinity", "[1 2]", "{\"a\" 1}", "{\"a\":}", "\xef\xbb\xbf{}", "[\"a\",,]", "{\"a\":1 \"b\":2}",
        "\"\\", "\"\\u", "\"\\ud83d\\u", "{\"a\":[1,{\"b\":tru}]}", "//c\n{}", "[1,]", "0x10", "[-]",
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        JsonValue *v = (JsonValue *)1;
        BlError    e = { "" };
        int        rc = json_parse(bad[i], strlen(bad[i]), &v, &e);
        CHECK(rc == -1 && v == NULL && strncmp(e.msg, "line ", 5) == 0 && strstr(e.msg, " col "),
              "bad JSON #%zu should fail with a position, got rc %d \"%s\"", i, rc, e.msg);
        if (verbose) printf("    %-24.24s -> %s\n", bad[i], e.msg);
        if (rc == 0) json_free(v);
    }
    /* The position points at the culprit: line 2, column 8 is the x. */
    JsonValue *v;
    BlError    e;
    CHECK(json_parse("{\n  \"a\": x}", 11, &v, &e) == -1 && strncmp(e.msg, "line 2 col 8:", 13) == 0,
          "position: %s", e.msg);
    CHECK(json_parse(NULL, 0, &v, &e) == -1 && v == NULL, "NULL text is an empty document");
    /* A message never echoes control characters from the input. */
    const char *esc = "{\"\\u001b[31m\":1,\"\\u001b[31m\":2}";
    CHECK(json_parse(esc, strlen(esc), &v, &e) == -1 && strstr(e.msg, "duplicate") && !strchr(e.msg, 0x1b),
          "duplicate key message is sanitised: %s", e.msg);
}

static void test_json_limits(void)
{
    char       doc[300];
    JsonValue *v;
    BlError    e;
    for (int depth = 63; depth <= 66; depth++) {
        int k = 0;
        for (int i = 0; i < depth; i++) doc[k++] = '[';
        for (int i = 0; i < depth; i++) doc[k++] = ']';
        int rc = json_parse(doc, (size_t)k, &v, &e);
        if (depth <= JSON_MAX_DEPTH) CHECK(rc == 0, "depth %d accepted: %s", depth, e.msg);
        else CHECK(rc == -1 && strstr(e.msg, "nesting"), "depth %d refused: %s", depth, rc ? e.msg : "accepted");
        if (rc == 0) json_free(v);
    }
    /* Deep hostile input fails fast instead of exhausting the stack. */
    size_t n = 1000000;
    char  *deep = malloc(n);
    memset(deep, '[', n);
    CHECK(json_parse(deep, n, &v, &e) == -1 && strstr(e.msg, "nesting"), "a million '[': %s", e.msg);
    memset(deep, '{', n);
    CHECK(json_parse(deep, n, &v, &e) == -1, "a million '{'");
    free(deep);

    /* Too many values: bounded memory whatever the input says. */
    n = 2 * JSON_MAX_VALUES + 8;
    char *wide = malloc(n + 2);
    wide[0] = '[';
    size_t k = 1;
    while (k + 2 < n) {
        wide[k++] = '0';
        wide[k++] = ',';
    }
    wide[k++] = '0';
    wide[k++] = ']';
    CHECK(json_parse(wide, k, &v, &e) == -1 && strstr(e.msg, "values"), "value limit: %s", e.msg);
    free(wide);

    /* Duplicate detection in large objects takes the sorted path. */
    JsonBuf b = { 0 };
    json_begin_object(&b);
    for (int i = 0; i < 1000; i++) {
        char key[16];
        snprintf(key, sizeof key, "k%d", i);
        json_key(&b, key);
        json_put_int(&b, i);
    }
    json_end_object(&b);
    CHECK(json_parse(b.data, b.len, &v, &e) == 0 && json_count(v) == 1000 && json_get(v, "k999")->integer == 999,
          "1000 distinct keys: %s", e.msg);
    json_free(v);
    b.len--;   /* drop '}' and add a repeat */
    json_key(&b, "k500");
    json_put_int(&b, 1);
    json_end_object(&b);
    CHECK(json_parse(b.data, b.len, &v, &e) == -1 && strstr(e.msg, "duplicate key \"k500\""), "dup: %s", e.msg);
    json_buf_free(&b);
}

static void test_json_writer(void)
{
    JsonBuf b = { 0 };
    json_begin_object(&b);
    json_key(&b, "name");
    json_put_string(&b, "pre-ln \"small\"\n\x01\xc3\xa9");
    json_key(&b, "depth");
    json_put_int(&b, -9007199254740992LL);
    json_key(&b, "lr");
    json_put_number(&b, 0.1);
    json_key(&b, "list");
    json_begin_array(&b);
    json_put_number(&b, 1.0 / 3.0);
    json_put_number(&b, 5e-324);
    json_put_number(&b, -1.7976931348623157e308);
    json_put_number(&b, NAN);
    json_put_bool(&b, 1);
    json_put_bool(&b, 0);
    json_put_null(&b);
    json_begin_array(&b);
    json_end_array(&b);
    json_begin_object(&b);
    json_end_object(&b);
    json_end_array(&b);
    json_end_object(&b);
    CHECK(strstr(b.data, "\"lr\":0.1,") != NULL, "shortest form for 0.1: %s", b.data);
    CHECK(strstr(b.data, "\\n\\u0001") != NULL, "control characters escaped: %s", b.data);
    CHECK(strstr(b.data, "null,true,false,null,[],{}]") != NULL, "NaN as null, commas right: %s", b.data);
    CHECK(strlen(b.data) == b.len, "len matches the NUL-terminated text");

    JsonValue *v;
    BlError    e;
    CHECK(json_parse(b.data, b.len, &v, &e) == 0, "writer output parses: %s (%s)", e.msg, b.data);
    if (v) {
        CHECK(strcmp(json_string(json_get(v, "name")), "pre-ln \"small\"\n\x01\xc3\xa9") == 0, "string round trip");
        CHECK(json_get(v, "depth")->integer == -9007199254740992LL, "int round trip");
        const JsonValue *l = json_get(v, "list");
        CHECK(json_at(l, 0)->number == 1.0 / 3.0, "1/3 round trips exactly");
        CHECK(json_at(l, 1)->number == 5e-324, "smallest subnormal round trips");
        CHECK(json_at(l, 2)->number == -1.7976931348623157e308, "-DBL_MAX round trips");
        /* Dump and re-parse: a fixed point. */
        JsonBuf b2 = { 0 }, b3 = { 0 };
        json_put_value(&b2, v);
        JsonValue *v2;
        CHECK(json_parse(b2.data, b2.len, &v2, &e) == 0, "dump parses: %s", e.msg);
        if (v2) {
            json_put_value(&b3, v2);
            CHECK(b2.len == b3.len && strcmp(b2.data, b3.data) == 0, "dump is a fixed point");
            json_free(v2);
        }
        json_buf_free(&b2);
        json_buf_free(&b3);
        json_free(v);
    }
    json_buf_free(&b);
    CHECK(b.data == NULL && b.len == 0, "json_buf_free resets");

    /* An embedded NUL from \u0000 survives a dump. */
    CHECK(json_parse("\"a\\u0000b\"", 10, &v, &e) == 0, "NUL string");
    json_put_value(&b, v);
    CHECK(strcmp(b.data, "\"a\\u0000b\"") == 0, "NUL re-escaped: %s", b.data);
    json_free(v);
    json_buf_free(&b);
}

static void test_json_escape(void)
{
    char   out[64];
    size_t n = json_escape("a\"b\\c\n\x1f\xc3\xa9", out, sizeof out);
    CHECK(strcmp(out, "a\\\"b\\\\c\\n\\u001f\xc3\xa9") == 0 && n == strlen(out), "escape: %s", out);
    /* snprintf contract: full length returned, output cut between escapes. */
    n = json_escape("ab\"cd", out, 4);
    CHECK(n == 6 && strcmp(out, "ab") == 0, "truncation never splits an escape: '%s' %zu", out, n);
    n = json_escape("ab\"cd", NULL, 0);
    CHECK(n == 6, "cap 0 only measures");
    n = json_escape("x\xff\xc3y", out, sizeof out);
    CHECK(strcmp(out, "x\xef\xbf\xbd\xef\xbf\xbdy") == 0 && n == 8, "invalid UTF-8 -> U+FFFD");
    CHECK(json_utf8_valid(out, strlen(out)), "escaped output is valid UTF-8");
}

/* Under a locale with a decimal comma, numbers still read and write with '.'. */
static void test_json_locale(void)
{
    const char *names[] = { "de_DE.UTF-8", "de_DE.utf8", "fr_FR.UTF-8", "fr_FR.utf8", "de_DE" };
    const char *got = NULL;
    for (size_t i = 0; i < 5 && !got; i++) got = setlocale(LC_NUMERIC, names[i]);
    if (!got) {
        printf("    (no decimal-comma locale installed; locale independence not exercised)\n");
        return;
    }
    JsonValue *v;
    BlError    e;
    CHECK(json_parse("[2.5]", 5, &v, &e) == 0 && json_at(v, 0)->number == 2.5, "2.5 under %s", got);
    json_free(v);
    JsonBuf b = { 0 };
    json_put_number(&b, 0.5);
    CHECK(strcmp(b.data, "0.5") == 0, "0.5 written as %s under %s", b.data, got);
    json_buf_free(&b);
    setlocale(LC_NUMERIC, "C");
}

/* ---- safetensors: round trip and layout --------------------------------------- */

static float mat[12], cube[6], big[3000];

static int write_sample(const char *path, BlError *e)
{
    static float scalar = 3.25f, vec[6];
    vec[0] = from_bits(0x7fc00123u);   /* NaN with a payload */
    vec[1] = from_bits(0x80000000u);   /* -0 */
    vec[2] = from_bits(0x7f800000u);   /* +inf */
    vec[3] = from_bits(0xff800000u);   /* -inf */
    vec[4] = from_bits(0x00000001u);   /* smallest subnormal */
    vec[5] = 1.0f;
    for (int i = 0; i < 12; i++) mat[i] = 0.5f * (float)i - 2.0f;
    for (int i = 0; i < 6; i++) cube[i] = (float)i / 7.0f;
    StTensor ts[] = {
        { "scalar", 0, { 0 }, &scalar },
        { "vec", 1, { 6 }, vec },
        { "blocks.0.attn.w_q", 2, { 3, 4 }, mat },
        { "cube \xe2\x82\xac", 3, { 2, 1, 3 }, cube },
        { "empty", 2, { 0, 3 }, NULL },
    };
    const char *keys[] = { "arch", "note", "empty" };
    const char *vals[] = { "{\"depth\": 4, \"name\": \"pre-ln\"}",
                           "quote \" backslash \\ newline\n tab\t ctl\x01 \xc3\xa9\xf0\x9f\x98\x80\xe4\xb8\xad", "" };
    return st_write(path, ts, 5, keys, vals, 3, e);
}

static void test_roundtrip(void)
{
    const char *path = path_in("sample.st");
    BlError     e;
    CHECK(write_sample(path, &e) == 0, "write: %s", e.msg);
    StFile *f = NULL;
    CHECK(st_open(path, &f, &e) == 0 && f, "open: %s", e.msg);
    if (!f) return;
    CHECK(st_count(f) == 5, "5 tensors, got %d", st_count(f));
    const char *names[] = { "scalar", "vec", "blocks.0.attn.w_q", "cube \xe2\x82\xac", "empty" };
    for (int i = 0; i < 5; i++) CHECK(st_name(f, i) && strcmp(st_name(f, i), names[i]) == 0, "name %d", i);
    CHECK(st_name(f, 5) == NULL && st_name(f, -1) == NULL, "st_name out of range");

    int          nd;
    int64_t      sh[ST_MAX_DIMS];
    const float *d;
    CHECK(st_get(f, "scalar", &nd, sh, &d, &e) == 0 && nd == 0 && d[0] == 3.25f && sh[0] == 0, "scalar");
    CHECK(st_get(f, "vec", &nd, sh, &d, &e) == 0 && nd == 1 && sh[0] == 6, "vec shape");
    const uint32_t want[6] = { 0x7fc00123u, 0x80000000u, 0x7f800000u, 0xff800000u, 0x00000001u, 0x3f800000u };
    for (int i = 0; i < 6; i++) CHECK(bits(d[i]) == want[i], "vec[%d] bits %08x", i, (unsigned)bits(d[i]));
    CHECK(st_get(f, "blocks.0.attn.w_q", &nd, sh, &d, &e) == 0 && nd == 2 && sh[0] == 3 && sh[1] == 4 &&
              sh[2] == 0 && memcmp(d, mat, sizeof mat) == 0,
          "matrix bit-exact");
    CHECK(((uintptr_t)d % _Alignof(float)) == 0, "data pointer aligned");
    CHECK(st_get(f, "cube \xe2\x82\xac", &nd, sh, &d, &e) == 0 && nd == 3 && sh[2] == 3 &&
              memcmp(d, cube, sizeof cube) == 0,
          "3-D tensor with a UTF-8 name");
    CHECK(st_get(f, "empty", &nd, sh, NULL, &e) == 0 && nd == 2 && sh[0] == 0 && sh[1] == 3, "zero-size tensor");
    CHECK(st_get(f, "scalar", NULL, NULL, NULL, &e) == 0, "all outputs optional");
    CHECK(st_get(f, "nope", &nd, sh, &d, &e) == -1 && strstr(e.msg, "tensor 'nope' not in checkpoint") &&
              strncmp(e.msg, path, strlen(path)) == 0,
          "missing tensor: %s", e.msg);

    float   dst[12] = { 0 };
    int64_t want_shape[2] = { 3, 4 }, wrong_shape[2] = { 4, 3 };
    CHECK(st_load(f, "blocks.0.attn.w_q", 2, want_shape, dst, &e) == 0 && memcmp(dst, mat, sizeof mat) == 0,
          "st_load copies");
    memset(dst, 0, sizeof dst);
    CHECK(st_load(f, "blocks.0.attn.w_q", 2, wrong_shape, dst, &e) == -1 &&
              strstr(e.msg, "has shape [3, 4], expected [4, 3]") && dst[1] == 0.0f,
          "st_load shape check: %s", e.msg);
    CHECK(st_load(f, "vec", 2, want_shape, dst, &e) == -1 && strstr(e.msg, "[6], expected [3, 4]"), "ndim check");

    CHECK(st_meta_count(f) == 3 && strcmp(st_meta_key(f, 0), "arch") == 0 && strcmp(st_meta_key(f, 2), "empty") == 0 &&
              st_meta_key(f, 3) == NULL,
          "metadata keys in order");
    CHECK(strcmp(st_meta(f, "arch"), "{\"depth\": 4, \"name\": \"pre-ln\"}") == 0, "JSON text in metadata");
    CHECK(strcmp(st_meta(f, "note"),
                 "quote \" backslash \\ newline\n tab\t ctl\x01 \xc3\xa9\xf0\x9f\x98\x80\xe4\xb8\xad") == 0,
          "escapes and UTF-8 in metadata");
    CHECK(strcmp(st_meta(f, "empty"), "") == 0 && st_meta(f, "absent") == NULL && st_meta(f, NULL) == NULL,
          "empty and absent metadata");
    st_close(f);
    st_close(NULL);

    /* Metadata is optional; so are tensors. */
    CHECK(st_write(path_in("none.st"), NULL, 0, NULL, NULL, 0, &e) == 0, "empty checkpoint: %s", e.msg);
    CHECK(st_open(path_in("none.st"), &f, &e) == 0 && st_count(f) == 0 && st_meta_count(f) == 0, "opens empty");
    st_close(f);
}

static void test_layout(void)
{
    /* Byte for byte what the reference writer produces for {"a": [1, -2]}. */
    const float a[2] = { 1.0f, -2.0f };
    StTensor    t = { "a", 1, { 2 }, a };
    BlError     e;
    const char *path = path_in("golden.st");
    CHECK(st_write(path, &t, 1, NULL, NULL, 0, &e) == 0, "write: %s", e.msg);
    const char    *hdr = "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}";
    size_t         hl = strlen(hdr), padded = (hl + 7) / 8 * 8, len = 0;
    unsigned char *b = slurp(path, &len);
    CHECK(b && len == 8 + padded + 8, "file size %zu", len);
    if (b && len == 8 + padded + 8) {
        CHECK(b[0] == padded && b[1] == 0 && b[2] == 0 && b[7] == 0, "u64 little-endian header length");
        CHECK(memcmp(b + 8, hdr, hl) == 0, "compact header JSON");
        int spaces = 1;
        for (size_t i = hl; i < padded; i++) spaces &= b[8 + i] == ' ';
        CHECK(spaces && padded % 8 == 0, "padded with spaces to a multiple of 8");
        const unsigned char data[8] = { 0x00, 0x00, 0x80, 0x3f, 0x00, 0x00, 0x00, 0xc0 };
        CHECK(memcmp(b + 8 + padded, data, 8) == 0, "little-endian float data");
    }
    free(b);

    /* The bigger sample: walk its header like a foreign reader would. */
    BlError e2;
    CHECK(write_sample(path_in("sample.st"), &e2) == 0, "write sample");
    b = slurp(path_in("sample.st"), &len);
    if (!b) return;
    uint64_t n = 0;
    for (int i = 7; i >= 0; i--) n = n << 8 | b[i];
    CHECK(n % 8 == 0 && 8 + n <= len, "header length %llu", (unsigned long long)n);
    JsonValue *h;
    CHECK(json_parse((const char *)b + 8, (size_t)n, &h, &e) == 0, "header is JSON: %s", e.msg);
    if (h) {
        CHECK(b[8] == '{' && strcmp(h->members[0].key, "__metadata__") == 0, "metadata first");
        uint64_t at = 0;
        for (size_t i = 1; i < h->count; i++) {
            const JsonValue *v = &h->members[i].value;
            CHECK(strcmp(json_string(json_get(v, "dtype")), "F32") == 0, "dtype F32");
            const JsonValue *o = json_get(v, "data_offsets");
            CHECK(json_at(o, 0)->integer == (int64_t)at, "tensors are contiguous");
            at = (uint64_t)json_at(o, 1)->integer;
        }
        CHECK(8 + n + at == len, "data region ends the file");
        json_free(h);
    }
    free(b);
}

/* Files from other writers: unpadded (so data unaligned in the file), spaced out,
 * fields reordered, unknown fields, metadata last, tensors out of offset order. */
static void test_foreign_files(void)
{
    unsigned char *img;
    const char *hdr = "{ \"b\" : {\"data_offsets\":[8,12],\"shape\":[1],\"dtype\":\"F32\",\"x-extra\":[1,{}]},\n"
                      "  \"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
                      "\"__metadata__\":{\"format\":\"pt\"}}";
    CHECK(strlen(hdr) % 4 != 0, "this header leaves the data unaligned in the file");
    StFile *f = open_good(hdr, 12, &img);
    if (f) {
        const float *d;
        BlError      e;
        CHECK(st_get(f, "a", NULL, NULL, &d, &e) == 0 && ((uintptr_t)d % _Alignof(float)) == 0, "aligned copy");
        const unsigned char *raw = img + 8 + strlen(hdr);
        uint32_t u = (uint32_t)raw[4] | (uint32_t)raw[5] << 8 | (uint32_t)raw[6] << 16 | (uint32_t)raw[7] << 24;
        CHECK(bits(d[1]) == u, "decoded from little-endian");
        CHECK(st_get(f, "b", NULL, NULL, &d, &e) == 0, "b found");
        CHECK(strcmp(st_name(f, 0), "b") == 0 && strcmp(st_meta(f, "format"), "pt") == 0, "header order, meta");
        st_close(f);
    }
    free(img);

    f = open_good("{\"__metadata__\":null}", 0, &img);
    CHECK(f && st_count(f) == 0 && st_meta_count(f) == 0, "null metadata is no metadata");
    st_close(f);
    free(img);
    f = open_good("{}", 0, &img);
    CHECK(f && st_count(f) == 0, "empty header");
    st_close(f);
    free(img);
    /* Zero-size tensors may sit at the same offset as their neighbours' edges. */
    f = open_good("{\"z\":{\"dtype\":\"F32\",\"shape\":[0],\"data_offsets\":[4,4]},"
                  "\"a\":{\"dtype\":\"F32\",\"shape\":[],\"data_offsets\":[0,4]},"
                  "\"y\":{\"dtype\":\"F32\",\"shape\":[3,0],\"data_offsets\":[0,0]}}",
                  4, &img);
    CHECK(f && st_count(f) == 3, "zero-size tensors tile too");
    st_close(f);
    free(img);
}

static void test_many_tensors(void)
{
    enum { N = 3000 };
    StTensor *ts = calloc(N, sizeof *ts);
    char (*names)[24] = malloc(N * sizeof *names);
    for (int i = 0; i < 3000; i++) big[i] = (float)i * 0.25f;
    for (int i = 0; i < N; i++) {
        snprintf(names[i], sizeof names[i], "blocks.%d.w", (i * 7919) % N);   /* not sorted */
        ts[i].name = names[i];
        ts[i].ndim = 1;
        ts[i].shape[0] = i % 5;
        ts[i].data = big + i % 7;
    }
    BlError e;
    StFile *f = NULL;
    CHECK(st_write(path_in("many.st"), ts, N, NULL, NULL, 0, &e) == 0, "write 3000: %s", e.msg);
    CHECK(st_open(path_in("many.st"), &f, &e) == 0 && st_count(f) == N, "open 3000: %s", e.msg);
    int bad = 0;
    for (int i = 0; f && i < N; i++) {
        int          nd;
        int64_t      sh[ST_MAX_DIMS];
        const float *d;
        if (st_get(f, names[i], &nd, sh, &d, &e) != 0 || nd != 1 || sh[0] != i % 5 ||
            (sh[0] && memcmp(d, big + i % 7, (size_t)sh[0] * 4) != 0))
            bad++;
    }
    CHECK(bad == 0, "%d of 3000 lookups wrong", bad);
    st_close(f);
    free(ts);
    free(names);
}

/* ---- safetensors: hostile input ------------------------------------------------ */

static void test_truncation(void)
{
    BlError e;
    CHECK(write_sample(path_in("trunc-src.st"), &e) == 0, "write");
    size_t         len;
    unsigned char *b = slurp(path_in("trunc-src.st"), &len);
    if (!b) return;
    int         bad_rc = 0, bad_msg = 0;
    const char *p = path_in("trunc.st");
    for (size_t k = 0; k < len; k++) {
        spit(p, b, k);
        StFile *f = NULL;
        e.msg[0] = '\0';
        int rc = st_open(p, &f, &e);
        if (rc != -1 || f) {
            bad_rc++;
            st_close(f);
        }
        if (strncmp(e.msg, p, strlen(p)) != 0) bad_msg++;
        if (verbose && (k < 9 || k == 30 || k == len - 1)) printf("    %zu bytes: %s\n", k, e.msg);
    }
    CHECK(bad_rc == 0, "%d of %zu prefixes opened", bad_rc, len);
    CHECK(bad_msg == 0, "%d prefixes failed without a message naming the file", bad_msg);
    /* An extra byte is a tail nobody owns. */
    unsigned char *longer = malloc(len + 1);
    memcpy(longer, b, len);
    longer[len] = 0;
    expect_bad_image(longer, len + 1, "after the last tensor", __LINE__);
    free(longer);
    free(b);
}

static void test_header_length(void)
{
    unsigned char b[64] = { 0 };
    expect_bad_image(b, 0, "too short", __LINE__);
    expect_bad_image(b, 7, "too short", __LINE__);
    expect_bad_image(b, 8, "header length is 0", __LINE__);
    memset(b, 0xff, 8);
    expect_bad_image(b, 64, "exceeds the 100000000-byte limit", __LINE__);
    memset(b, 0, 8);
    b[0] = 0x01;
    b[3] = 0x06;   /* 100663297 */
    expect_bad_image(b, 64, "limit", __LINE__);
    memset(b, 0, 8);
    b[0] = 57;   /* one more than the 56 bytes that follow */
    expect_bad_image(b, 64, "exceeds the 56 bytes after the length prefix", __LINE__);
    b[0] = 56;
    memcpy(b + 8, "{}", 2);   /* followed by NULs */
    expect_bad_image(b, 64, "not valid JSON", __LINE__);

    BlError e;
    StFile *f = (StFile *)1;
    CHECK(st_open(path_in("does-not-exist.st"), &f, &e) == -1 && f == NULL && strstr(e.msg, "cannot open") &&
              strstr(e.msg, "No such file"),
          "missing file: %s", e.msg);
    CHECK(st_open(tmpdir, &f, &e) == -1 && strstr(e.msg, "not a regular file"), "directory: %s", e.msg);
}

static void test_bad_headers(void)
{
    const char *T = "{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}";
    char        h[512];
    BAD("[]", 0, "header is an array, expected an object");
    BAD("\"x\"", 0, "expected an object");
    BAD("{} x", 0, "not valid JSON");
    BAD("hello", 0, "not valid JSON");
    BAD("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},}", 8, "not valid JSON");
    BAD("{\"wte\":{\"dtype\":\"F16\",\"shape\":[2],\"data_offsets\":[0,4]}}", 4,
        "tensor 'wte' has dtype F16; only F32 is supported");
    BAD("{\"a\":{\"dtype\":\"BF16\",\"shape\":[2],\"data_offsets\":[0,4]}}", 4, "dtype BF16");
    BAD("{\"a\":{\"dtype\":\"F32\\u0000\",\"shape\":[2],\"data_offsets\":[0,8]}}", 8, "dtype contains a NUL character");
    BAD("{\"a\":{\"shape\":[2],\"data_offsets\":[0,8]}}", 8, "tensor 'a' has no \"dtype\"");
    BAD("{\"a\":{\"dtype\":32,\"shape\":[2],\"data_offsets\":[0,8]}}", 8, "dtype is a number, expected a string");
    BAD("{\"a\":{\"dtype\":\"F32\",\"data_offsets\":[0,8]}}", 8, "has no \"shape\"");
    BAD("{\"a\":{\"dtype\":\"F32\",\"shape\":2,\"data_offsets\":[0,8]}}", 8, "shape is a number, expected an array");
    BAD("{\"a\":{\"dtype\":\"F32\",\"shape\":[-2],\"data_offsets\":[0,8]}}", 8, "shape[0] is -2, expected an integer >= 0");
    BAD("{\"a\":{\"dtype\":\"F32\",\"shape\":[2.5],\"data_offsets\":[0,8]}}", 8, "shape[0] is 2.5");
    BAD("{\"a\":{\"dtype\":\"F32\",\"shape\":[2.0],\"data_offsets\":[0,8]}}", 8, "shape[0] is 2 written with a fraction or exponent");
    BAD("{\"a\":{\"dtype\":\"F32\",\"shape\":[1,\"2\"],\"data_offsets\":[0,8]}}", 8, "shape[1] is a string");
    BAD("{\"a\":{\"dtype\":\"F32\",\"shape\":[1e20],\"data_offsets\":[0,8]}}", 8, "shape[0] is 1e+20 (too large)");
    BAD("{\"a\":{\"dtype\":\"F32\",\"shape\":[18446744073709551617],\"data_offsets\":[0,8]}}", 8, "shape[0] is");
    BAD("{\"a\":{\"dtype\":\"F32\",\"shape\":[1,1,1,1,1,1,1,1,1],\"data_offsets\":[0,4]}}", 4,
        "has 9 dimensions, at most 8");
    BAD("{\"a\":{\"dtype\":\"F32\",\"shape\":[4294967296,4294967296],\"data_offsets\":[0,8]}}", 8,
        "shape [4294967296, 4294967296] has too many elements");
    BAD("{\"a\":{\"dtype\":\"F32\",\"shape\":[2]}}", 8, "has no \"data_offsets\"");
    BAD("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":8}}", 8, "data_offsets must be an array [begin, end]");
    BAD("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0]}}", 8, "must be an array [begin, end]");
    BAD("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8,8]}}", 8, "must be an array [begin, end]");
    BAD("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[-1,8]}}", 8, "[-1, 8] must be integers >= 0");
    BAD("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8.5]}}", 8, "must be integers >= 0");
    BAD("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,null]}}", 8, "[0, null] must be integers");
    BAD("{\"a\":{\"dtype\":\"F32\",\"shape\":[0],\"data_offsets\":[8,0]}}", 8, "[8, 0] end before they begin");
    BAD("{\"wte\":{\"dtype\":\"F32\",\"shape\":[100],\"data_offsets\":[0,400]}}", 200,
        "bad.st: tensor 'wte' data_offsets [0, 400] exceed data size 200");
    BAD("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,4]}}", 4,
        "tensor 'a' has shape [2] (8 bytes) but data_offsets [0, 4] span 4 bytes");
    BAD("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
        "\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,12]}}",
        12, "tensor 'b' data_offsets [4, 12] overlap tensor 'a' [0, 8]");
    BAD("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
        "\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}",
        8, "overlap");
    BAD("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},"
        "\"b\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[8,12]}}",
        12, "data bytes [4, 8) belong to no tensor (a hole before tensor 'b')");
    BAD("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}", 8, "[0, 4) belong to no tensor");
    BAD("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}", 8,
        "data bytes [4, 8) after the last tensor");
    BAD("{\"z\":{\"dtype\":\"F32\",\"shape\":[0],\"data_offsets\":[2,2]},"
        "\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}",
        4, "overlap");
    BAD("{}", 4, "[0, 4) after the last tensor");
    snprintf(h, sizeof h, "{\"a\":%s,\"a\":%s}", T, T);
    BAD(h, 8, "duplicate key \"a\"");
    BAD("{\"a\":5}", 0, "tensor 'a' is a number, expected {");
    BAD("{\"a\\u0000b\":{\"dtype\":\"F32\",\"shape\":[0],\"data_offsets\":[0,0]}}", 0, "NUL character");
    BAD("{\"__metadata__\":{\"k\":1}}", 0, "__metadata__ value for 'k' is a number, expected a string");
    BAD("{\"__metadata__\":{\"k\":{}}}", 0, "is an object, expected a string");
    BAD("{\"__metadata__\":[\"k\"]}", 0, "__metadata__ is an array, expected an object of strings");
    BAD("{\"__metadata__\":{\"k\":\"a\\u0000\"}}", 0, "contains a NUL character");
    BAD("{\"__metadata__\":{\"k\\u0000\":\"a\"}}", 0, "key contains a NUL character");
    BAD("{\"__metadata__\":{},\"__metadata__\":{}}", 0, "duplicate key");
    BAD("{\"a\xff\":{}}", 0, "invalid UTF-8");
    /* Names in messages are clipped and sanitised. */
    BAD("{\"\\u001b[2J\\u001b]0;pwned\\u0007\":{\"dtype\":\"F16\",\"shape\":[],\"data_offsets\":[0,2]}}", 2,
        "tensor '?[2J?]0;pwned?' has dtype F16");
    memset(h, 0, sizeof h);
    strcpy(h, "{\"");
    for (int i = 0; i < 200; i++) strcat(h, "\xc3\xa9");
    strcat(h, "\":{\"dtype\":\"I8\",\"shape\":[],\"data_offsets\":[0,1]}}");
    BAD(h, 1, "...' has dtype I8");
    /* 65 levels of nesting inside metadata. */
    strcpy(h, "{\"__metadata__\":{\"k\":");
    for (int i = 0; i < 64; i++) strcat(h, "[");
    for (int i = 0; i < 64; i++) strcat(h, "]");
    strcat(h, "}}");
    BAD(h, 0, "nesting deeper than 64");
}

/* The overflow check must not refuse what is harmless: a zero dimension makes the
 * product 0 however large the other dimensions are. */
static void test_huge_dims_zero_numel(void)
{
    unsigned char *img;
    StFile *f = open_good("{\"a\":{\"dtype\":\"F32\",\"shape\":[9007199254740992,9007199254740992,0],"
                          "\"data_offsets\":[0,0]}}",
                          0, &img);
    int64_t sh[ST_MAX_DIMS];
    int     nd;
    BlError e;
    CHECK(f && st_get(f, "a", &nd, sh, NULL, &e) == 0 && nd == 3 && sh[0] == 9007199254740992LL && sh[2] == 0,
          "huge dims with a zero");
    st_close(f);
    free(img);
}

static uint32_t lcg(uint32_t *s)
{
    *s = *s * 1664525u + 1013904223u;
    return *s >> 8;
}

static void test_mutations(void)
{
    BlError e;
    CHECK(write_sample(path_in("mut-src.st"), &e) == 0, "write");
    size_t         len;
    unsigned char *orig = slurp(path_in("mut-src.st"), &len);
    if (!orig) return;
    size_t hl = 8 + (size_t)orig[0] + ((size_t)orig[1] << 8);
    unsigned char *b = malloc(len + 16);
    uint32_t       seed = 12345;
    int            opened = 0, refused = 0, silent = 0;
    const char    *p = path_in("mut.st");
    for (int iter = 0; iter < 3000; iter++) {
        memcpy(b, orig, len);
        size_t blen = len;
        int    flips = 1 + (int)(lcg(&seed) % 4);
        for (int k = 0; k < flips; k++) {
            /* Mostly the header, where the structure lives; sometimes anywhere. */
            size_t at = (lcg(&seed) % 4) ? lcg(&seed) % hl : lcg(&seed) % len;
            switch (lcg(&seed) % 4) {
            case 0: b[at] ^= (unsigned char)(1u << (lcg(&seed) % 8)); break;
            case 1: b[at] = (unsigned char)lcg(&seed); break;
            case 2: b[at] = (unsigned char)"{}[]\",:0123456789-.e \\u"[lcg(&seed) % 24]; break;
            default: b[at] = (unsigned char)(b[at] + 1); break;
            }
        }
        if (lcg(&seed) % 16 == 0) blen = lcg(&seed) % (len + 16);   /* truncate or extend */
        StFile *f = NULL;
        e.msg[0] = '\0';
        int rc = (iter % 10 == 0) ? (spit(p, b, blen), st_open(p, &f, &e)) : st_open_mem(b, blen, "mut", &f, &e);
        if (rc == 0) {
            opened++;
            /* Everything an opened file hands out must be readable. */
            double sum = 0;
            for (int i = 0; i < st_count(f); i++) {
                int          nd;
                int64_t      sh[ST_MAX_DIMS];
                const float *d;
                if (st_get(f, st_name(f, i), &nd, sh, &d, &e) != 0) {
                    silent++;
                    continue;
                }
                int64_t numel = 1;
                for (int j = 0; j < nd; j++) numel *= sh[j];
                for (int64_t j = 0; j < numel; j++) sum += (double)bits(d[j]);
            }
            for (int i = 0; i < st_meta_count(f); i++) sum += (double)strlen(st_meta(f, st_meta_key(f, i)));
            (void)sum;
            st_close(f);
        } else {
            refused++;
            if (f || e.msg[0] == '\0') silent++;
        }
    }
    printf("    3000 mutations: %d opened, %d refused\n", opened, refused);
    CHECK(opened + refused == 3000 && silent == 0, "%d mutations misbehaved", silent);
    CHECK(opened > 0 && refused > 0, "both outcomes exercised");
    free(b);
    free(orig);
}

/* ---- atomic writes ------------------------------------------------------------- */

static void test_atomic_write(void)
{
    const float x[4] = { 1, 2, 3, 4 };
    StTensor    t = { "x", 1, { 4 }, x };
    BlError     e;
    char        missing[600];
    snprintf(missing, sizeof missing, "%s/no-such-dir/ckpt.st", tmpdir);
    CHECK(st_write(missing, &t, 1, NULL, NULL, 0, &e) == -1 && strstr(e.msg, missing) &&
              strstr(e.msg, "No such file or directory"),
          "missing directory: %s", e.msg);
    if (verbose) printf("    %s\n", e.msg);
    struct stat sb;
    CHECK(stat(path_in("no-such-dir"), &sb) != 0, "nothing created");

    /* A big checkpoint replaced by a small one leaves only the small one. */
    const char *p = path_in("replace.st");
    StTensor    bigt = { "big", 1, { 3000 }, big };
    CHECK(st_write(p, &bigt, 1, NULL, NULL, 0, &e) == 0, "write big: %s", e.msg);
    size_t         len0, len1;
    unsigned char *b0 = slurp(p, &len0);
    CHECK(st_write(p, &t, 1, NULL, NULL, 0, &e) == 0, "overwrite: %s", e.msg);
    unsigned char *b1 = slurp(p, &len1);
    StFile        *f = NULL;
    CHECK(st_open(p, &f, &e) == 0 && st_count(f) == 1 && strcmp(st_name(f, 0), "x") == 0, "new content: %s", e.msg);
    CHECK(len1 < len0 && stat(p, &sb) == 0 && (size_t)sb.st_size == len1, "old bytes gone (%zu < %zu)", len1, len0);
    st_close(f);

    /* Refused input changes nothing. */
    StTensor dup[2] = { t, t };
    CHECK(st_write(p, dup, 2, NULL, NULL, 0, &e) == -1 && strstr(e.msg, "'x' appears twice"), "dup: %s", e.msg);
    size_t         len2;
    unsigned char *b2 = slurp(p, &len2);
    CHECK(b2 && len2 == len1 && memcmp(b1, b2, len1) == 0, "refused write left the file alone");

    /* A failure at rename (the target is a directory) cleans up its temp file. */
    const char *dirp = path_in("a-directory.st");
    mkdir(dirp, 0755);
    CHECK(st_write(dirp, &t, 1, NULL, NULL, 0, &e) == -1 && strstr(e.msg, "rename"), "rename failure: %s", e.msg);
    if (verbose) printf("    %s\n", e.msg);
    rmdir(dirp);

    /* A failure while writing (here the file-size limit: EFBIG) keeps the old file. */
    struct rlimit old_lim, lim;
    getrlimit(RLIMIT_FSIZE, &old_lim);
    lim = old_lim;
    lim.rlim_cur = 4096;
    void (*old_sig)(int) = signal(SIGXFSZ, SIG_IGN);
    if (setrlimit(RLIMIT_FSIZE, &lim) == 0) {
        CHECK(st_write(p, &bigt, 1, NULL, NULL, 0, &e) == -1 && strstr(e.msg, "File too large"),
              "write failure: %s", e.msg);
        if (verbose) printf("    %s\n", e.msg);
        setrlimit(RLIMIT_FSIZE, &old_lim);
        size_t         len3;
        unsigned char *b3 = slurp(p, &len3);
        CHECK(b3 && len3 == len1 && memcmp(b1, b3, len1) == 0, "failed write left the old file intact");
        free(b3);
    }
    signal(SIGXFSZ, old_sig);
    CHECK(count_temp_files() == 0, "no temporary files left behind");
    free(b0);
    free(b1);
    free(b2);
}

static void test_write_validation(void)
{
    const float x[4] = { 1, 2, 3, 4 };
    const char *p = path_in("never.st");
    BlError     e;
    struct {
        StTensor    t;
        const char *want;
    } cases[] = {
        { { "__metadata__", 1, { 4 }, x }, "reserved" },
        { { "a", 9, { 1 }, x }, "ndim 9" },
        { { "a", -1, { 1 }, x }, "ndim -1" },
        { { "a", 2, { 2, -2 }, x }, "negative dimension -2" },
        { { "a", 1, { 4 }, NULL }, "tensor 'a' has no data" },
        { { NULL, 1, { 4 }, x }, "has no name" },
        { { "a\xff", 1, { 4 }, x }, "not valid UTF-8" },
        { { "a", 4, { 1 << 20, 1 << 20, 1 << 20, 1 << 20 }, x }, "too large" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        e.msg[0] = '\0';
        CHECK(st_write(p, &cases[i].t, 1, NULL, NULL, 0, &e) == -1 && strstr(e.msg, cases[i].want) &&
                  strncmp(e.msg, p, strlen(p)) == 0,
              "case %zu: \"%s\" should contain \"%s\"", i, e.msg, cases[i].want);
        if (verbose) printf("    %s\n", e.msg);
    }
    StTensor    ok = { "a", 1, { 4 }, x };
    const char *k2[] = { "k", "k" }, *v2[] = { "1", "2" }, *kn[] = { NULL }, *vb[] = { "\xc3" };
    CHECK(st_write(p, &ok, 1, k2, v2, 2, &e) == -1 && strstr(e.msg, "metadata key 'k' appears twice"), "%s", e.msg);
    CHECK(st_write(p, &ok, 1, kn, v2, 1, &e) == -1 && strstr(e.msg, "NULL key"), "%s", e.msg);
    CHECK(st_write(p, &ok, 1, k2, vb, 1, &e) == -1 && strstr(e.msg, "not valid UTF-8"), "%s", e.msg);
    CHECK(st_write(p, &ok, -1, NULL, NULL, 0, &e) == -1, "negative count");
    CHECK(st_write(p, NULL, 1, NULL, NULL, 0, &e) == -1, "NULL tensors");
    CHECK(st_write("", &ok, 1, NULL, NULL, 0, &e) == -1, "empty path");
    struct stat sb;
    CHECK(stat(p, &sb) != 0 && count_temp_files() == 0, "refused writes create nothing");
}

static void cleanup(void)
{
    DIR *d = opendir(tmpdir);
    for (struct dirent *de; d && (de = readdir(d));) {
        if (de->d_name[0] == '.') continue;
        char p[600];
        snprintf(p, sizeof p, "%s/%s", tmpdir, de->d_name);
        unlink(p);
    }
    if (d) closedir(d);
    rmdir(tmpdir);
}

int main(int argc, char **argv)
{
    verbose = argc > 1 && strcmp(argv[1], "-v") == 0;
    strcpy(tmpdir, "/tmp/bl_st_XXXXXX");
    if (!mkdtemp(tmpdir)) {
        perror("mkdtemp");
        return 1;
    }
    RUN(test_json_values);
    RUN(test_json_strings);
    RUN(test_json_errors);
    RUN(test_json_limits);
    RUN(test_json_writer);
    RUN(test_json_escape);
    RUN(test_json_locale);
    RUN(test_roundtrip);
    RUN(test_layout);
    RUN(test_foreign_files);
    RUN(test_many_tensors);
    RUN(test_truncation);
    RUN(test_header_length);
    RUN(test_bad_headers);
    RUN(test_huge_dims_zero_numel);
    RUN(test_mutations);
    RUN(test_atomic_write);
    RUN(test_write_validation);
    cleanup();
    return TEST_SUMMARY();
}
