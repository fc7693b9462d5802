/* tui_log.c — a ring of log lines under a mutex. Writers are verbs on the
 * worker thread and the UI itself; only complete lines become visible. */
#include "tui_log.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"

void tui_log_init(TuiLog *g)
{
    memset(g, 0, sizeof *g);
    pthread_mutex_init(&g->mu, NULL);
    g->note = -1;
    g->line = xcalloc(TUI_LOG_MAX, sizeof *g->line);
    g->kind = xcalloc(TUI_LOG_MAX, 1);
}

void tui_log_free(TuiLog *g)
{
    if (!g->line) return;
    for (int i = 0; i < TUI_LOG_MAX; i++) free(g->line[i]);
    free(g->line);
    free(g->kind);
    free(g->part);
    pthread_mutex_destroy(&g->mu);
    memset(g, 0, sizeof *g);
}

static int starts(const char *s, const char *p) { return strncmp(s, p, strlen(p)) == 0; }

/* Under the lock: the unfinished line becomes line number `total`. */
static void commit(TuiLog *g)
{
    char *s = xmalloc(g->plen + 1);
    memcpy(s, g->part, g->plen);
    s[g->plen] = 0;
    int kind = g->pkind;
    if (kind == TUI_LOG_OUT && (starts(s, "\u00bb ") || starts(s, "note: "))) kind = TUI_LOG_NOTE;
    long slot = g->total % TUI_LOG_MAX;
    free(g->line[slot]);
    g->line[slot] = s;
    g->kind[slot] = (unsigned char)kind;
    if (kind == TUI_LOG_NOTE) g->note = g->total;
    g->total++;
    g->plen = 0;
    g->version++;
}

static void push(TuiLog *g, char c)
{
    if (g->plen + 1 >= g->pcap) {
        g->pcap = g->pcap ? 2 * g->pcap : 256;
        g->part = xrealloc(g->part, g->pcap);
    }
    g->part[g->plen++] = c;
}

void tui_log_write(TuiLog *g, TuiLogKind kind, const char *s, size_t n)
{
    pthread_mutex_lock(&g->mu);
    if (g->plen == 0) g->pkind = kind;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '\n') {
            commit(g);
            g->pkind = kind;
        } else if (c == '\t') {
            push(g, ' ');
        } else if (c == 0x1b) {
            /* A CSI sequence (colour from a verb that thought it had a terminal): skip it. */
            if (i + 1 < n && s[i + 1] == '[') {
                i += 2;
                while (i < n && !(s[i] >= 0x40 && s[i] <= 0x7e)) i++;
            }
        } else if (c >= 0x20 && c != 0x7f) {
            push(g, (char)c);
        }
    }
    pthread_mutex_unlock(&g->mu);
}

void tui_log_printf(TuiLog *g, TuiLogKind kind, const char *fmt, ...)
{
    char buf[2048];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    if (n < 0) return;
    if ((size_t)n >= sizeof buf) n = (int)sizeof buf - 1;
    tui_log_write(g, kind, buf, (size_t)n);
}

unsigned long tui_log_version(TuiLog *g)
{
    pthread_mutex_lock(&g->mu);
    unsigned long v = g->version;
    pthread_mutex_unlock(&g->mu);
    return v;
}

long tui_log_count(TuiLog *g)
{
    pthread_mutex_lock(&g->mu);
    long n = g->total;
    pthread_mutex_unlock(&g->mu);
    return n;
}

char *tui_log_last_note(TuiLog *g, long *back)
{
    char *s = NULL;
    pthread_mutex_lock(&g->mu);
    if (g->note >= 0 && g->total - g->note <= TUI_LOG_MAX) {
        s = xstrdup(g->line[g->note % TUI_LOG_MAX]);
        if (back) *back = g->total - 1 - g->note;
    }
    pthread_mutex_unlock(&g->mu);
    return s;
}

int tui_log_tail(TuiLog *g, int back, int n, char **out, unsigned char *kinds, long *total)
{
    pthread_mutex_lock(&g->mu);
    long held = g->total < TUI_LOG_MAX ? g->total : TUI_LOG_MAX;
    long first_held = g->total - held;
    long end = g->total - (back > 0 ? back : 0);   /* one past the newest line wanted */
    if (end < first_held) end = first_held;
    long begin = end - n;
    if (begin < first_held) begin = first_held;
    int k = 0;
    for (long i = begin; i < end; i++, k++) {
        out[k] = xstrdup(g->line[i % TUI_LOG_MAX]);
        kinds[k] = g->kind[i % TUI_LOG_MAX];
    }
    if (total) *total = held;
    pthread_mutex_unlock(&g->mu);
    return k;
}
