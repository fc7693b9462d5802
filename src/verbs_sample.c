/* verbs_sample.c — generation with the current model: a forward pass with a
 * non-recording tape over the context window, then temperature / top-k
 * sampling with our own Rng, seeded so the same seed gives the same sample. */
#include "verbs.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct Sampler {
    Model  *model;
    Tape    tape;
    Rng     rng;
    float   temperature;
    int     top_k;
    int     vocab;      /* only ids the data knows are drawn */
    float  *probs;      /* (vocab) scratch */
} Sampler;

/* Picks an id from one row of logits. */
static int pick(Sampler *s, const float *row)
{
    int V = s->vocab, best = 0;
    for (int j = 1; j < V; j++)
        if (row[j] > row[best]) best = j;
    if (s->temperature <= 0) return best;
    float cut = -INFINITY;
    if (s->top_k > 0 && s->top_k < V) {
        /* The k-th largest logit: a copy partially selection-sorted (V <= 256). */
        for (int j = 0; j < V; j++) s->probs[j] = row[j];
        for (int i = 0; i < s->top_k; i++) {
            int m = i;
            for (int j = i + 1; j < V; j++)
                if (s->probs[j] > s->probs[m]) m = j;
            float t = s->probs[i];
            s->probs[i] = s->probs[m];
            s->probs[m] = t;
        }
        cut = s->probs[s->top_k - 1];
    }
    double sum = 0;
    for (int j = 0; j < V; j++) {
        s->probs[j] = row[j] >= cut ? expf((row[j] - row[best]) / s->temperature) : 0.0f;
        sum += s->probs[j];
    }
    double u = rng_uniform(&s->rng) * sum, acc = 0;
    for (int j = 0; j < V; j++) {
        acc += s->probs[j];
        if (u < acc && s->probs[j] > 0) return j;
    }
    return best;
}

/* Logits (T, V) of tokens[0..T-1] as one row, nothing recorded; valid until the next call. */
static const float *forward(Sampler *s, const int *tokens, int T)
{
    tape_reset(&s->tape);
    s->tape.recording = 0;
    Tensor *logits = model_forward(s->model, &s->tape, tokens, 1, T, NULL, NULL, NULL);
    return logits->data;
}

static int sample_task(VerbCtx *vc, Run *r, Sampler *s, int count, const CmdArg *prompt, BlError *e)
{
    const DataSource *d = &r->data;
    int n = d->spec.length, V = r->model.arch->vocab, L = d->min_ctx, right = 0, shown = 0;
    int *tok = xmalloc((size_t)(2 * n + 2) * sizeof *tok), *tgt = xmalloc((size_t)(2 * n + 2) * sizeof *tgt);
    int *x = xmalloc((size_t)(n + 1) * sizeof *x), *y = xmalloc((size_t)n * sizeof *y), *got = xmalloc((size_t)n * sizeof *got);
    float *mask = xmalloc((size_t)(2 * n + 2) * sizeof *mask);
    int rc = 0;
    if (prompt) {
        int k = data_encode(d, prompt->value, x, n + 1, e);
        if (k > 0 && x[k - 1] == d->sep) k--;   /* "3141|" reads as "3141" */
        if (k >= 0) {
            for (int i = 0; i < k && !rc; i++)
                if (x[i] >= d->spec.symbols) rc = bl_fail(e, "prompt=%s: a task input holds symbols only, no '|' or '.' inside", prompt->value);
            if (!rc && k != n) rc = bl_fail(e, "prompt=%s has %d symbol%s; this task's inputs have length %d", prompt->value, k, k == 1 ? "" : "s", n);
        } else {
            rc = -1;
        }
        if (rc) vc->err_col = prompt->vcol;
        count = 1;
    }
    for (int ex = 0; ex < count && !rc; ex++) {
        if (vc->stop && *vc->stop) {
            vc->interrupted = 1;
            break;
        }
        if (!prompt) {
            data_batch(&r->data, 1, (uint64_t)ex, 1, L, tok, tgt, mask);
            memcpy(x, tok, (size_t)n * sizeof *x);
        }
        data_task_answer(&d->spec, x, y);
        if (d->spec.per_position) {
            const float *logits = forward(s, x, n);
            for (int i = 0; i < n; i++) got[i] = pick(s, logits + (size_t)i * V);
        } else {
            memcpy(tok, x, (size_t)n * sizeof *x);
            tok[n] = d->sep;
            for (int i = 0; i < n; i++) {
                const float *logits = forward(s, tok, n + 1 + i);
                got[i] = tok[n + 1 + i] = pick(s, logits + (size_t)(n + i) * V);
            }
        }
        char line[4096] = "";
        for (int i = 0; i < n; i++) data_decode(d, x[i], line, sizeof line);
        strncat(line, d->spec.per_position ? " -> " : "|", sizeof line - strlen(line) - 1);
        int ok = 1;
        for (int i = 0; i < n; i++) {
            data_decode(d, got[i], line, sizeof line);
            ok &= got[i] == y[i];
        }
        if (ok) {
            out_printf(vc->out, "%s  right\n", line);
        } else {
            char want[2048] = "";
            for (int i = 0; i < n; i++) data_decode(d, y[i], want, sizeof want);
            out_printf(vc->out, "%s  wrong (expected %s)\n", line, want);
        }
        right += ok;
        shown++;
    }
    if (!rc && shown > 1) out_printf(vc->out, "%d of %d right\n", right, shown);
    free(tok);
    free(tgt);
    free(x);
    free(y);
    free(got);
    free(mask);
    return rc;
}

static int sample_text(VerbCtx *vc, Run *r, Sampler *s, int count, const CmdArg *prompt, BlError *e)
{
    const DataSource *d = &r->data;
    int ctx = r->model.arch->ctx, V = r->model.arch->vocab;
    size_t cap = (prompt ? strlen(prompt->value) : 0) + (size_t)count + 2;
    int *ids = xmalloc(cap * sizeof *ids), n = 0;
    if (prompt && prompt->value[0]) {
        n = data_encode(d, prompt->value, ids, (int)cap, e);
        if (n < 0) {
            vc->err_col = prompt->vcol;
            free(ids);
            return -1;
        }
        out_puts(vc->out, prompt->value);
    } else {
        /* No prompt: start after a newline, as a fresh line of the corpus. */
        int nl = -1;
        for (int i = 0; i < d->vocab; i++)
            if (d->codepoint[i] == '\n') nl = i;
        ids[n++] = nl >= 0 ? nl : 0;
    }
    for (int k = 0; k < count; k++) {
        if (vc->stop && *vc->stop) {
            vc->interrupted = 1;
            break;
        }
        int T = n < ctx ? n : ctx;
        const float *logits = forward(s, ids + n - T, T);
        int id = pick(s, logits + (size_t)(T - 1) * V);
        ids[n++] = id;
        char piece[16] = "";
        data_decode_text(d, id, piece, sizeof piece);
        out_puts(vc->out, piece);
    }
    out_puts(vc->out, "\n");
    free(ids);
    return 0;
}

int verb_sample(VerbCtx *vc, const Cmd *c, int noun, BlError *e)
{
    Run *r = ws_current(vc->ws);
    if (!r->has_model) return bl_fail(e, "no model yet: start one with `model new` (see `help model`)");
    if (!r->has_data) return bl_fail(e, "sample needs data to read and write symbols: `data task=reverse`, `data text=FILE` or `data fortunes`");
    int task = r->data.spec.kind != DATA_TEXT && r->data.spec.kind != DATA_FORTUNES;
    if (r->data.vocab > r->model.arch->vocab)
        return bl_fail(e, "the data has %d symbols but the model's vocab is %d", r->data.vocab, r->model.arch->vocab);
    if (!task && !r->model.arch->causal) return bl_fail(e, "text sampling needs a causal model (causal=on)");
    if (task && r->data.min_ctx > r->model.arch->ctx)
        return bl_fail(e, "this task needs ctx >= %d but the model has ctx=%d", r->data.min_ctx, r->model.arch->ctx);
    const Verb *verb = verb_find("sample");
    int count = task ? 5 : 200, top_k = 0;
    float temperature = task ? 0.0f : 1.0f;
    uint64_t seed = r->seed;
    const CmdArg *prompt = NULL;
    for (int i = 0; i < c->n_args; i++) {
        const CmdArg *g = &c->args[i];
        double v;
        int ch;
        if (verb_key_parse(verb_key_find(verb, g->key), g->value, &v, &ch, e)) return vc->err_col = g->vcol, -1;
        if (!strcmp(g->key, "n")) count = (int)v;
        else if (!strcmp(g->key, "temperature")) temperature = (float)v;
        else if (!strcmp(g->key, "top_k")) top_k = (int)v;
        else if (!strcmp(g->key, "seed")) seed = strtoull(g->value, NULL, 10);
        else if (!strcmp(g->key, "prompt")) prompt = g;
    }
    Sampler s = {0};
    s.model = &r->model;
    tape_init(&s.tape, 0);
    rng_seed(&s.rng, seed);
    s.temperature = temperature;
    s.top_k = top_k;
    s.vocab = r->data.vocab;
    s.probs = xmalloc((size_t)s.vocab * sizeof *s.probs);
    int rc = task ? sample_task(vc, r, &s, count, prompt, e) : sample_text(vc, r, &s, count, prompt, e);
    tape_free(&s.tape);
    free(s.probs);
    return rc;
}
