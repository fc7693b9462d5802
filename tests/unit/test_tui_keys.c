/* test_tui_keys.c — the dashboard's key table is the one truth about keys:
 * every binding is listed in the man page's DASHBOARD section (and every key
 * listed there is bound), no key is bound twice, and each row can act. */
#include "testlib.h"
#include "tui_int.h"

#ifndef MAN_PAGE
#define MAN_PAGE "man/blocklab.1"
#endif

/* A .B / .BR line's arguments as the reader sees them: quotes gone, the
 * arguments joined, "\-" as "-". */
static void troff_item(const char *line, char *out, size_t cap)
{
    size_t k = 0;
    const char *s = strchr(line, ' ');
    if (!s) { out[0] = 0; return; }
    int quoted = 0;
    for (s++; *s && *s != '\n' && k + 1 < cap; s++) {
        if (*s == '"') { quoted = !quoted; continue; }
        if (*s == ' ' && !quoted) continue;
        if (s[0] == '\\' && s[1] == '-') { out[k++] = '-'; s++; continue; }
        out[k++] = *s;
    }
    out[k] = 0;
}

static char items[64][64];
static int nitems;

static void read_man_items(void)
{
    FILE *f = fopen(MAN_PAGE, "r");
    CHECK(f != NULL, "cannot open %s (run from the repository root)", MAN_PAGE);
    if (!f) return;
    char line[512];
    int in = 0, after_tp = 0;
    while (fgets(line, sizeof line, f)) {
        if (!strncmp(line, ".SH", 3)) in = !strncmp(line, ".SH DASHBOARD", 13);
        if (!in) continue;
        if (after_tp && (!strncmp(line, ".B ", 3) || !strncmp(line, ".BR ", 4)) && nitems < 64)
            troff_item(line, items[nitems++], sizeof items[0]);
        after_tp = !strncmp(line, ".TP", 3);
    }
    fclose(f);
}

static void test_man_lists_every_key(void)
{
    read_man_items();
    CHECK(nitems >= 10, "the DASHBOARD section lists only %d keys", nitems);
    for (const TuiKey *k = tui_keys; k->keys; k++) {
        int found = 0;
        for (int i = 0; i < nitems; i++) found |= !strcmp(items[i], k->keys);
        CHECK(found, "key '%s' (%s) is not an item of the man page's DASHBOARD section", k->keys, k->does);
    }
    for (int i = 0; i < nitems; i++) {
        int found = 0;
        for (const TuiKey *k = tui_keys; k->keys; k++) found |= !strcmp(items[i], k->keys);
        CHECK(found, "the man page lists key '%s', which the key table does not bind", items[i]);
    }
}

static void test_keys_unique_and_complete(void)
{
    int n = 0;
    for (const TuiKey *a = tui_keys; a->keys; a++, n++) {
        CHECK(a->act != NULL, "key '%s' has no action", a->keys);
        CHECK(a->does && a->does[0] && strlen(a->does) < 20, "key '%s': help text missing or too long for two columns at 80 wide", a->keys);
        CHECK(a->code[0] != 0, "key '%s' binds no key code", a->keys);
        for (int i = 0; i < TUI_KEY_CODES && a->code[i]; i++)
            CHECK(tui_key_find(a->code[i]) == a, "key code %d of '%s' is bound twice", a->code[i], a->keys);
    }
    CHECK(n >= 10, "only %d bindings", n);
}

int main(void)
{
    RUN(test_man_lists_every_key);
    RUN(test_keys_unique_and_complete);
    return TEST_SUMMARY();
}
