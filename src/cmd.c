/* cmd.c — tokenizer and parser of the command language (grammar in cmd.h).
 * One pass over the text with line/column tracking; no verb knowledge here. */
#include "cmd.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"

typedef struct Lexer {
    const char *s;
    size_t      i;
    int         line, col;
    CmdError   *err;
} Lexer;

static int at_end_of_word(char c) { return c == 0 || c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == ';'; }

static void advance(Lexer *lx)
{
    unsigned char c = (unsigned char)lx->s[lx->i];
    if (!c) return;
    lx->i++;
    if (c == '\n') {
        lx->line++;
        lx->col = 1;
    } else if ((c & 0xC0) != 0x80) {
        lx->col++;   /* count characters, not UTF-8 continuation bytes */
    }
    /* a continuation byte belongs to the character already counted */
    while ((((unsigned char)lx->s[lx->i]) & 0xC0) == 0x80) lx->i++;
}

static int fail(Lexer *lx, int line, int col, const char *fmt, const char *a, const char *b)
{
    lx->err->line = line;
    lx->err->col = col;
    snprintf(lx->err->msg, sizeof lx->err->msg, fmt, a ? a : "", b ? b : "");
    return -1;
}

/* Appends bytes to a growing string. */
typedef struct Str {
    char  *p;
    size_t n, cap;
} Str;

static void str_add(Str *s, const char *p, size_t n)
{
    if (s->n + n + 1 > s->cap) {
        s->cap = (s->n + n + 1) * 2;
        s->p = xrealloc(s->p, s->cap);
    }
    memcpy(s->p + s->n, p, n);
    s->n += n;
    s->p[s->n] = 0;
}

static char *str_take(Str *s)
{
    if (!s->p) str_add(s, "", 0);
    char *p = s->p;
    memset(s, 0, sizeof *s);
    return p;
}

/* Reads "..." starting at the opening quote into out. */
static int read_quoted(Lexer *lx, Str *out)
{
    int line = lx->line, col = lx->col;
    advance(lx);
    for (;;) {
        char c = lx->s[lx->i];
        if (c == 0 || c == '\n')
            return fail(lx, line, col, "unterminated string: expected a closing '\"' on the same line", NULL, NULL);
        if (c == '"') {
            advance(lx);
            break;
        }
        if (c == '\\' && (lx->s[lx->i + 1] == '"' || lx->s[lx->i + 1] == '\\')) {
            str_add(out, lx->s + lx->i + 1, 1);
            advance(lx);
            advance(lx);
            continue;
        }
        size_t start = lx->i;
        advance(lx);
        str_add(out, lx->s + start, lx->i - start);
    }
    if (!at_end_of_word(lx->s[lx->i])) {
        char got[8] = {lx->s[lx->i], 0};
        return fail(lx, lx->line, lx->col, "expected a space or ';' after the closing quote, got '%s'", got, NULL);
    }
    return 0;
}

static int valid_key(const char *k, size_t n)
{
    if (n == 0) return 0;
    for (size_t i = 0; i < n; i++) {
        char c = k[i];
        int ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || (i > 0 && ((c >= '0' && c <= '9') || c == '.'));
        if (!ok) return 0;
    }
    return 1;
}

static void push_cmd(CmdList *l)
{
    if (l->n == l->cap) {
        l->cap = l->cap ? 2 * l->cap : 8;
        l->cmds = xrealloc(l->cmds, (size_t)l->cap * sizeof *l->cmds);
    }
    memset(&l->cmds[l->n++], 0, sizeof(Cmd));
}

/* Arrays grow by doubling: a line of thousands of words stays linear (growing
 * by one copied the array each time, which the fuzzer found: 100 ms for a
 * 14 kB line under ASan). */
static void push_word(Cmd *c, char *text, int line, int col)
{
    if (c->n_words == c->cap_words) {
        c->cap_words = c->cap_words ? 2 * c->cap_words : 4;
        c->words = xrealloc(c->words, (size_t)c->cap_words * sizeof *c->words);
    }
    c->words[c->n_words++] = (CmdWord){text, line, col};
}

static void push_arg(Cmd *c, CmdArg a)
{
    if (c->n_args == c->cap_args) {
        c->cap_args = c->cap_args ? 2 * c->cap_args : 4;
        c->args = xrealloc(c->args, (size_t)c->cap_args * sizeof *c->args);
    }
    c->args[c->n_args++] = a;
}

/* One token starting at a non-blank character that is not ';', '#' or newline. */
static int read_token(Lexer *lx, CmdList *l, int *in_cmd, const char *prev_word)
{
    int line = lx->line, col = lx->col;
    Str text = {0};
    if (lx->s[lx->i] == '"') {
        if (read_quoted(lx, &text)) return free(text.p), -1;
        if (!*in_cmd) {
            free(text.p);
            return fail(lx, line, col, "expected a verb (help lists them), got a quoted string", NULL, NULL);
        }
        push_word(&l->cmds[l->n - 1], str_take(&text), line, col);
        return 0;
    }
    size_t start = lx->i, eq = 0;
    int has_eq = 0, vcol = 0;
    while (!at_end_of_word(lx->s[lx->i])) {
        char c = lx->s[lx->i];
        if (c == '=' && !has_eq) {
            has_eq = 1;
            eq = lx->i;
            advance(lx);
            vcol = lx->col;
            if (lx->s[lx->i] == '"') break;
            continue;
        }
        if (c == '"') {
            char tok[64];
            snprintf(tok, sizeof tok, "%.*s", (int)(lx->i - start), lx->s + start);
            return fail(lx, lx->line, lx->col,
                        "unexpected '\"' after '%s': quotes go around a whole word or a whole value (key=\"a b\")",
                        tok, NULL);
        }
        advance(lx);
    }
    if (!has_eq) {
        str_add(&text, lx->s + start, lx->i - start);
        if (!*in_cmd) {
            push_cmd(l);
            l->cmds[l->n - 1].verb = (CmdWord){str_take(&text), line, col};
            *in_cmd = 1;
        } else {
            push_word(&l->cmds[l->n - 1], str_take(&text), line, col);
        }
        return 0;
    }
    size_t klen = eq - start;
    int trainable = klen > 0 && lx->s[eq - 1] == '~';
    if (trainable) klen--;
    if (!valid_key(lx->s + start, klen)) {
        char tok[64];
        snprintf(tok, sizeof tok, "%.*s", (int)(eq - start + 1), lx->s + start);
        if (klen == 0 && prev_word)
            return fail(lx, line, col, "expected key=value after '%s', got '%s' (no spaces around '=')", prev_word, tok);
        if (klen == 0 && !*in_cmd) return fail(lx, line, col, "expected a verb (help lists them), got '%s'", tok, NULL);
        if (klen == 0) return fail(lx, line, col, "expected key=value, got '%s' with no key before it", tok, NULL);
        return fail(lx, line, col, "'%s' is not a key: keys are letters, digits, '_' and '.' (key=value)", tok, NULL);
    }
    if (!*in_cmd) {
        char tok[64];
        snprintf(tok, sizeof tok, "%.*s", (int)klen, lx->s + start);
        return fail(lx, line, col, "expected a verb before '%s=' (help lists the verbs)", tok, NULL);
    }
    CmdArg a = {0};
    Str key = {0};
    str_add(&key, lx->s + start, klen);
    a.key = str_take(&key);
    a.trainable = trainable;
    a.line = line;
    a.col = col;
    a.vcol = vcol;
    if (lx->s[lx->i] == '"') {
        if (read_quoted(lx, &text)) {
            free(a.key);
            free(text.p);
            return -1;
        }
    } else {
        size_t vstart = eq + 1;
        if (lx->i == vstart) {
            char k[80];
            snprintf(k, sizeof k, "%s%s", a.key, trainable ? "~" : "");
            free(a.key);
            return fail(lx, line, vcol, "expected a value after '%s=' (no spaces around '=')", k, NULL);
        }
        str_add(&text, lx->s + vstart, lx->i - vstart);
    }
    a.value = str_take(&text);
    push_arg(&l->cmds[l->n - 1], a);
    return 0;
}

int cmd_parse(const char *text, int first_line, CmdList *out, CmdError *err)
{
    Lexer lx = {text ? text : "", 0, first_line, 1, err};
    int in_cmd = 0;
    char prev[64] = "";
    memset(out, 0, sizeof *out);
    for (;;) {
        char c = lx.s[lx.i];
        if (c == 0) break;
        if (c == ' ' || c == '\t' || c == '\r') {
            advance(&lx);
            continue;
        }
        if (c == '\n' || c == ';') {
            in_cmd = 0;
            prev[0] = 0;
            advance(&lx);
            continue;
        }
        if (c == '#') {
            while (lx.s[lx.i] && lx.s[lx.i] != '\n') advance(&lx);
            continue;
        }
        size_t start = lx.i;
        if (read_token(&lx, out, &in_cmd, prev[0] ? prev : NULL)) {
            cmd_list_free(out);
            return -1;
        }
        /* Remember a bare word, for "expected key=value after 'width'". */
        size_t n = lx.i - start;
        if (memchr(lx.s + start, '=', n) || lx.s[start] == '"') prev[0] = 0;
        else snprintf(prev, sizeof prev, "%.*s", (int)n, lx.s + start);
    }
    return 0;
}

void cmd_list_free(CmdList *l)
{
    for (int i = 0; i < l->n; i++) {
        Cmd *c = &l->cmds[i];
        free(c->verb.text);
        for (int k = 0; k < c->n_words; k++) free(c->words[k].text);
        for (int k = 0; k < c->n_args; k++) {
            free(c->args[k].key);
            free(c->args[k].value);
        }
        free(c->words);
        free(c->args);
    }
    free(l->cmds);
    memset(l, 0, sizeof *l);
}

const CmdArg *cmd_arg(const Cmd *c, const char *key)
{
    const CmdArg *found = NULL;
    for (int i = 0; i < c->n_args; i++)
        if (strcmp(c->args[i].key, key) == 0) found = &c->args[i];
    return found;
}
