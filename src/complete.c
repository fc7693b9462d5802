/* complete.c — completion candidates from the tables (see complete.h).
 * Word splitting here is deliberately simple (spaces and ';'); the parser,
 * not this, decides what a line means. */
#include "complete.h"
#include "chart_metrics.h"

#include <stdlib.h>
#include <string.h>

#include "verbs.h"

static void add(Completion *c, const char *prefix, const char *s)
{
    if (strncmp(s, prefix, strlen(prefix))) return;
    for (int i = 0; i < c->n; i++)
        if (!strcmp(c->items[i], s)) return;
    if (c->n == c->cap) {
        c->cap = c->cap ? 2 * c->cap : 16;
        c->items = xrealloc(c->items, (size_t)c->cap * sizeof *c->items);
    }
    c->items[c->n++] = xstrdup(s);
}

static void add_all(Completion *c, const char *prefix, const char *const *names)
{
    for (int i = 0; names && names[i]; i++) add(c, prefix, names[i]);
}

static void add_keys(Completion *c, const char *prefix, const Verb *v)
{
    if (v->arch_scope != ARCH_KEYS_NONE)
        for (const ArchKey *k = arch_keys; k->name; k++)
            if (k->block == (v->arch_scope == ARCH_KEYS_BLOCK)) add(c, prefix, k->name);
    if (v->keys)
        for (const VerbKey *k = v->keys; k->name; k++) add(c, prefix, k->name);
}

static const char *const onoff[] = {"on", "off", NULL};

static void add_values(Completion *c, const char *prefix, const Verb *v, const char *key)
{
    const VerbKey *vk = verb_key_find(v, key);
    if (vk) {
        if (vk->type == VK_ENUM) add_all(c, prefix, vk->values);
        else if (vk->type == VK_FILE) c->files = 1;
        else if (vk->type == VK_AUTOINT) add(c, prefix, "auto");
        return;
    }
    if (v->arch_scope == ARCH_KEYS_NONE) return;
    for (const ArchKey *k = arch_keys; k->name; k++) {
        if (k->block != (v->arch_scope == ARCH_KEYS_BLOCK) || strcmp(k->name, key)) continue;
        if (k->type == KEY_BOOL) add_all(c, prefix, onoff);
        else if (k->values) add_all(c, prefix, k->values);
    }
}

void complete_line(const Workspace *ws, const char *line, int start, Completion *out)
{
    memset(out, 0, sizeof *out);
    out->append = ' ';
    const char *prefix = line + start;
    /* The current command starts after the last ';' before the word. */
    int cs = start;
    while (cs > 0 && line[cs - 1] != ';' && line[cs - 1] != '\n') cs--;
    char words[8][64];
    int nw = 0;
    for (int i = cs; i < start;) {
        while (i < start && (line[i] == ' ' || line[i] == '\t')) i++;
        int j = i;
        while (j < start && line[j] != ' ' && line[j] != '\t') j++;
        if (j > i && nw < 8) {
            int len = j - i < 63 ? j - i : 63;
            memcpy(words[nw], line + i, (size_t)len);
            words[nw++][len] = 0;
        }
        i = j;
    }
    /* The word being completed may be "key=" + prefix: words[nw] was cut at '=' by readline. */
    if (start > 0 && line[start - 1] == '=') {
        int k = start - 1, b = k;
        while (b > cs && line[b - 1] != ' ' && line[b - 1] != '\t') b--;
        char key[64];
        int len = k - b < 63 ? k - b : 63;
        memcpy(key, line + b, (size_t)len);
        key[len] = 0;
        if (len > 0 && key[len - 1] == '~') key[len - 1] = 0;
        /* words[] then holds "key=" as its last entry: the verb is words[0]. */
        const Verb *v = nw > 0 ? verb_find(words[0]) : NULL;
        if (v) add_values(out, prefix, v, key);
        return;
    }
    if (nw == 0) {
        for (const Verb *v = verb_table; v->name; v++) add(out, prefix, v->name);
        return;
    }
    const Verb *v = verb_find(words[0]);
    if (!v) return;
    int noun = v->nouns && nw >= 2;
    if (v->nouns && nw == 1) {
        add_all(out, prefix, v->nouns);
        if (!v->noun_optional) return;
    }
    int positional = nw - 1 - noun;   /* words typed after the noun */
    if (v->word != WORD_NONE && positional < v->word_max) {
        switch (v->word) {
        case WORD_VERB:
            for (const Verb *w = verb_table; w->name; w++) add(out, prefix, w->name);
            return;
        case WORD_FILE: out->files = 1; return;
        case WORD_RUN:
            if (noun && strcmp(words[1], "list"))
                for (int i = 0; i < ws->n; i++) add(out, prefix, ws->runs[i]->name);
            return;
        case WORD_RANGE: add(out, prefix, "all"); return;
        case WORD_CHOICE: add_all(out, prefix, v->word_values); break;
        case WORD_SERIES: {
            if (noun && !strcmp(words[1], "torch")) { out->files = 1; return; }
            for (const ChartDef *d = chart_defs; d->name; d++) add(out, prefix, d->name);
            Metrics *mt = &ws->runs[ws->cur]->metrics;
            metrics_lock(mt);
            for (int i = 0; i < mt->n; i++) add(out, prefix, mt->s[i]->name);
            metrics_unlock(mt);
            if (out->n) return;
            break;
        }
        default: break;
        }
    }
    int before = out->n;
    add_keys(out, prefix, v);
    if (out->n > before && before == 0) out->append = '=';
}

void complete_free(Completion *c)
{
    for (int i = 0; i < c->n; i++) free(c->items[i]);
    free(c->items);
    memset(c, 0, sizeof *c);
}
