/* metrics.c — growable series of records behind one mutex. */
#include "metrics.h"
#include "common.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void metrics_init(Metrics *m)
{
    memset(m, 0, sizeof *m);
    pthread_mutex_init(&m->mu, NULL);
}

static void series_free(Series *s)
{
    if (!s) return;
    if (s->labels)
        for (int i = 0; i < s->len; i++) free(s->labels[i]);
    free(s->labels);
    free(s->steps);
    free(s->values);
    free(s);
}

void metrics_clear(Metrics *m) { metrics_clear_keep(m, NULL); }

void metrics_clear_keep(Metrics *m, const char *keep)
{
    int k = 0;
    for (int i = 0; i < m->n; i++) {
        if (keep && !strncmp(m->s[i]->name, keep, strlen(keep))) m->s[k++] = m->s[i];
        else series_free(m->s[i]);
    }
    m->n = k;
}

void metrics_remove(Metrics *m, const char *name)
{
    for (int i = 0; i < m->n; i++)
        if (!strcmp(m->s[i]->name, name)) {
            series_free(m->s[i]);
            memmove(&m->s[i], &m->s[i + 1], sizeof m->s[0] * (size_t)(m->n - i - 1));
            m->n--;
            return;
        }
}

void metrics_free(Metrics *m)
{
    metrics_clear(m);
    free(m->s);
    pthread_mutex_destroy(&m->mu);
    memset(m, 0, sizeof *m);
}

void metrics_lock(Metrics *m) { pthread_mutex_lock(&m->mu); }
void metrics_unlock(Metrics *m) { pthread_mutex_unlock(&m->mu); }

Series *metrics_find(Metrics *m, const char *name)
{
    for (int i = 0; i < m->n; i++)
        if (strcmp(m->s[i]->name, name) == 0) return m->s[i];
    return NULL;
}

Series *metrics_series(Metrics *m, const char *name, int rows, int cols, const char *xlabel)
{
    Series *s = metrics_find(m, name);
    if (s && s->rows == rows && s->cols == cols) return s;
    if (s) {   /* shape changed: start over in the same slot */
        for (int i = 0; i < m->n; i++)
            if (m->s[i] == s) {
                series_free(s);
                m->s[i] = s = xcalloc(1, sizeof *s);
                break;
            }
    } else {
        if (m->n == m->cap) {
            m->cap = m->cap ? 2 * m->cap : 16;
            m->s = xrealloc(m->s, (size_t)m->cap * sizeof *m->s);
        }
        s = m->s[m->n++] = xcalloc(1, sizeof *s);
    }
    snprintf(s->name, sizeof s->name, "%s", name);
    snprintf(s->xlabel, sizeof s->xlabel, "%s", xlabel ? xlabel : "");
    s->rows = rows;
    s->cols = cols;
    s->len = rows * cols;
    return s;
}

int series_limit(const Series *s)
{
    size_t per = (size_t)s->len * sizeof(float) + sizeof(long);
    size_t by_bytes = SERIES_MAX_BYTES / per;
    int lim = by_bytes < SERIES_MAX_RECORDS ? (int)by_bytes : SERIES_MAX_RECORDS;
    return lim < 64 ? 64 : lim & ~3;
}

/* Keeps every other record of the older half (always the first), and the newer half whole. */
static void series_thin(Series *s)
{
    int half = s->n / 2, k = 0;
    size_t len = (size_t)s->len;
    for (int i = 0; i < s->n; i++) {
        if (i < half && i % 2) continue;
        if (k != i) {
            s->steps[k] = s->steps[i];
            memmove(s->values + (size_t)k * len, s->values + (size_t)i * len, len * sizeof(float));
        }
        k++;
    }
    s->n = k;
}

void series_append(Series *s, long step, const float *values)
{
    if (s->keep_last && s->n == 1) {
        s->steps[0] = step;
        memcpy(s->values, values, (size_t)s->len * sizeof(float));
        return;
    }
    if (s->n >= series_limit(s)) series_thin(s);
    if (s->n == s->cap) {
        s->cap = s->cap ? 2 * s->cap : 64;
        if (s->cap > series_limit(s)) s->cap = series_limit(s);
        s->steps = xrealloc(s->steps, (size_t)s->cap * sizeof *s->steps);
        s->values = xrealloc(s->values, (size_t)s->cap * (size_t)s->len * sizeof(float));
    }
    s->steps[s->n] = step;
    memcpy(s->values + (size_t)s->n * s->len, values, (size_t)s->len * sizeof(float));
    s->n++;
}

void series_set_labels(Series *s, const char *const *labels, int n)
{
    if (!s->labels) s->labels = xcalloc((size_t)s->len, sizeof *s->labels);
    for (int i = 0; i < n && i < s->len; i++) {
        free(s->labels[i]);
        s->labels[i] = xstrdup(labels[i] ? labels[i] : "");
    }
}

const float *series_last(const Series *s) { return s->n ? s->values + (size_t)(s->n - 1) * s->len : NULL; }
