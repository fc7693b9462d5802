/* verbs_help.c — `help` and `help VERB`, generated from the verb table and
 * core's arch_keys, so help can never disagree with what the parser accepts; and `quit`. */
#include "verbs.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void verb_help_list(Out *o)
{
    out_puts(o, "verbs (help VERB shows its keys and examples):\n");
    for (const Verb *v = verb_table; v->name; v++) out_printf(o, "  %-8s %s\n", v->name, v->summary);
    out_puts(o, "A line holds commands separated by ';'. # starts a comment. Keys are key=value, no spaces.\n");
}

static void join(const char *const *values, char *buf, size_t cap)
{
    size_t k = 0;
    buf[0] = 0;
    for (int i = 0; values[i] && k < cap; i++) k += (size_t)snprintf(buf + k, cap - k, "%s%s", i ? "|" : "", values[i]);
}

/* "1..4096", "0.125..64", "on|off": what a key accepts, in one short word. */
static void arch_values(const ArchKey *k, char *buf, size_t cap)
{
    if (k->values) join(k->values, buf, cap);
    else if (k->type == KEY_GAIN) snprintf(buf, cap, "NUMBER");
    else if (k->type == KEY_U64) snprintf(buf, cap, "N");
    else snprintf(buf, cap, "%g..%g", k->min, k->max);
    size_t n = strlen(buf);
    if (k->number_too && n < cap) snprintf(buf + n, cap - n, "|RATIO");   /* mlp: on|off|RATIO */
}

static void verb_values(const VerbKey *k, char *buf, size_t cap)
{
    switch (k->type) {
    case VK_ENUM: join(k->values, buf, cap); break;
    case VK_FILE: snprintf(buf, cap, "FILE"); break;
    case VK_STR: snprintf(buf, cap, "TEXT"); break;
    case VK_U64: snprintf(buf, cap, "N"); break;
    case VK_AUTOINT: snprintf(buf, cap, "auto|%g..%g", k->min, k->max); break;
    default: snprintf(buf, cap, "%g..%g", k->min, k->max); break;
    }
}

static void key_line(Out *o, const char *name, const char *values, const char *help, const char *def)
{
    char left[96];
    snprintf(left, sizeof left, "%s=%s", name, values);
    if (strlen(left) > 26) out_printf(o, "  %s\n  %-26s %s", left, "", help);
    else out_printf(o, "  %-26s %s", left, help);
    if (def && def[0]) out_printf(o, " [%s]", def);
    out_puts(o, "\n");
}

static void arch_key_lines(Out *o, int scope)
{
    ArchSpec *a = xcalloc(1, sizeof *a);
    arch_default(a);
    for (const ArchKey *k = arch_keys; k->name; k++) {
        if (k->block != scope) continue;
        char values[128], def[48];
        arch_values(k, values, sizeof values);
        arch_key_value(a, k, scope ? 0 : -1, def, sizeof def);
        if (!strncmp(k->name, "skip.", 5)) snprintf(def, sizeof def, "on");
        if (k->type == KEY_GAIN) {
            char h[160];
            snprintf(h, sizeof h, "%s; ~= makes it trainable", k->help);
            key_line(o, k->name, values, h, def);
        } else {
            key_line(o, k->name, values, k->help, def);
        }
    }
    arch_free(a);
    free(a);
}

int verb_help_verb(Out *o, const char *name, BlError *e)
{
    const Verb *v = verb_find(name);
    if (!v) return bl_fail(e, "help: unknown verb '%s' (help lists the verbs)", name);
    out_printf(o, "usage: %s\n  %s\n\n%s\n", v->usage, v->summary, v->about);
    if (v->word == WORD_CHOICE && v->word_values) {
        out_printf(o, "\n%s is one or more of:", v->word_name);
        for (int i = 0; v->word_values[i]; i++) out_printf(o, " %s", v->word_values[i]);
        out_puts(o, "\n");
    }
    if (v->arch_scope != ARCH_KEYS_NONE || v->keys) out_puts(o, "\nkeys [default]:\n");
    if (v->arch_scope != ARCH_KEYS_NONE) arch_key_lines(o, v->arch_scope == ARCH_KEYS_BLOCK);
    if (v->keys)
        for (const VerbKey *k = v->keys; k->name; k++) {
            char values[128];
            verb_values(k, values, sizeof values);
            key_line(o, k->name, values, k->help, k->def);
        }
    if (v->arch_scope == ARCH_KEYS_BLOCK) {
        char presets[200];
        join(arch_preset_names, presets, sizeof presets);
        out_printf(o, "presets: %s\n", presets);
    }
    out_puts(o, "\nexamples:\n");
    const char *p = v->examples;
    while (*p) {
        const char *nl = strchr(p, '\n');
        size_t n = nl ? (size_t)(nl - p) : strlen(p);
        out_printf(o, "  %.*s\n", (int)n, p);
        p += n + (nl ? 1 : 0);
    }
    return 0;
}

int verb_helpcmd(VerbCtx *vc, const Cmd *c, int noun, BlError *e)
{
    const CmdWord *w = verb_word(c, noun, 0);
    if (!w) {
        verb_help_list(vc->out);
        return 0;
    }
    if (verb_help_verb(vc->out, w->text, e)) {
        vc->err_col = w->col;
        return -1;
    }
    return 0;
}

int verb_quit(VerbCtx *vc, const Cmd *c, int noun, BlError *e)
{
    vc->quit = 1;
    return 0;
}
