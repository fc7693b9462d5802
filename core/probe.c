/* probe.c — the probes of spec/README.md "Probes": statistics computed inside
 * forward hooks (so nothing is kept per layer), gradient and parameter norms,
 * and DeepNet's ‖ΔF‖ (DN §D.5). Definitions are cited per probe. */
#include "probe.h"
#include "probe_mom.h"
#include "linalg.h"

#include <cblas.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PROBE_BATCH_INDEX 1000003u   /* a validation batch no evaluation reads first */

const char *const probe_names[] = {"rank", "updates", "grads", "lnin", "attn", "scalars", "router", "knockout", "modules", NULL};

int probe_parse(const char *name, unsigned *mask)
{
    if (!strcmp(name, "all")) { *mask = PROBE_ALL; return 0; }
    for (int i = 0; probe_names[i]; i++)
        if (!strcmp(name, probe_names[i])) { *mask = 1u << i; return 0; }
    return -1;
}

/* ---- setup ------------------------------------------------------------------ */

int prober_init(Prober *p, const Model *m, const DataSource *d, int B, BlError *e)
{
    memset(p, 0, sizeof *p);
    int T = m->arch->ctx;
    if (d && T < d->min_ctx) return bl_fail(e, "probe: the data needs ctx >= %d", d->min_ctx);
    p->B = B;
    p->T = T;
    p->C = m->arch->width;
    p->tokens = xmalloc((size_t)B * T * sizeof(int));
    p->targets = xmalloc((size_t)B * T * sizeof(int));
    p->mask = xmalloc((size_t)B * T * sizeof(float));
    p->labels = xcalloc((size_t)T, sizeof *p->labels);
    if (d) {
        data_batch((DataSource *)d, 1, PROBE_BATCH_INDEX, B, T, p->tokens, p->targets, p->mask);
        for (int t = 0; t < T; t++) data_decode(d, p->tokens[t], p->labels[t], sizeof p->labels[t]);
    } else {
        /* No data yet: a fixed pseudo-random batch over the model's vocab. */
        Rng r;
        rng_seed(&r, 0x9e3779b9u);
        for (int i = 0; i < B * T; i++) {
            p->tokens[i] = (int)rng_below(&r, (uint32_t)m->arch->vocab);
            p->targets[i] = (int)rng_below(&r, (uint32_t)m->arch->vocab);
            p->mask[i] = 1.0f;
        }
        for (int t = 0; t < T; t++) snprintf(p->labels[t], sizeof p->labels[t], "%d", p->tokens[t]);
    }
    tape_init(&p->tape, 1 << 20);
    p->tape.recording = 0;
    return 0;
}

void prober_reset(Prober *p)
{
    free(p->F0);
    free(p->Fprev);
    free(p->theta_prev);
    p->F0 = p->Fprev = p->theta_prev = NULL;
    p->has_F0 = 0;
}

static void bufs_free(ProbeBufs *b)
{
    free(b->cos); free(b->erank); free(b->rms); free(b->ln_attn); free(b->ln_mlp); free(b->entropy);
    free(b->patterns); free(b->mixed); free(b->has_pattern); free(b->F); free(b->gram); free(b->blk);
    free(b->vals); free(b->labels); free(b->names);
    memset(b, 0, sizeof *b);
}

void prober_free(Prober *p)
{
    prober_reset(p);
    bufs_free(&p->buf);
    free(p->tokens);
    free(p->targets);
    free(p->mask);
    free(p->labels);
    tape_free(&p->tape);
    memset(p, 0, sizeof *p);
}

/* ---- token statistics (rank probe) ---------------------------------------------------- */

/* Token statistics of one (B, T, C) activation, averaged over the B sequences:
 * mean off-diagonal cosine (i ≠ j, all pairs), effective rank exp(H(σ/Σσ)) of
 * each T×C matrix, mean token RMS (spec "Probes": rank). */
static void token_stats(const Tensor *x, int B, int T, double *scratch, double *cos_out, double *erank_out,
                        double *rms_out)
{
    int C = tensor_cols(x);
    double cs = 0, er = 0, rms = 0;
    /* scratch: Gram T·T, eigenvalues T, norms T, eigen work 2T, the sequence in double T·C */
    double *g = scratch, *ev = g + (size_t)T * T, *nrm = ev + T, *work = nrm + T, *Xd = work + 2 * T;
    for (int b = 0; b < B; b++) {
        const float *X = x->data + (size_t)b * T * C;
        for (size_t i = 0; i < (size_t)T * C; i++) Xd[i] = X[i];   /* float products are exact in double */
        cblas_dsyrk(CblasRowMajor, CblasUpper, CblasNoTrans, T, C, 1.0, Xd, C, 0.0, g, T);
        for (int i = 0; i < T; i++) {
            for (int j = 0; j < i; j++) g[i * T + j] = g[j * T + i];
            nrm[i] = sqrt(g[i * T + i]);
            rms += sqrt(g[i * T + i] / C);
        }
        double pair = 0;
        for (int i = 0; i < T; i++)
            for (int j = 0; j < T; j++)
                if (i != j) pair += g[i * T + j] / fmax(nrm[i] * nrm[j], 1e-30);
        cs += T > 1 ? pair / ((double)T * (T - 1)) : 1.0;
        linalg_sym_eigenvalues(g, T, ev, work);
        double sum = 0, h = 0;
        for (int i = 0; i < T; i++) sum += (ev[i] = sqrt(fmax(ev[i], 0)));
        for (int i = 0; i < T; i++)
            if (ev[i] > 0 && sum > 0) h -= ev[i] / sum * log(ev[i] / sum);
        er += exp(h);
    }
    *cos_out = cs / B;
    *erank_out = er / B;
    *rms_out = rms / ((double)B * T);
}

static double tensor_rms(const Tensor *x)
{
    double s = 0;
    for (int64_t i = 0; i < x->n; i++) s += (double)x->data[i] * x->data[i];
    return sqrt(s / x->n);
}

/* Every hooked tensor passes here, so the test is branch-free over blocks (it
 * vectorises): an all-ones exponent is Inf or NaN. */
static int all_finite(const float *v, size_t n)
{
    for (size_t at = 0; at < n; at += 1024) {
        size_t m = n - at < 1024 ? n - at : 1024;
        uint32_t bad = 0;
        for (size_t i = 0; i < m; i++) {
            uint32_t u;
            memcpy(&u, v + at + i, sizeof u);
            bad |= (u & 0x7f800000u) == 0x7f800000u;
        }
        if (bad) return 0;
    }
    return 1;
}

/* ---- the forward pass with hooks ---------------------------------------------------------- */

typedef struct HookAcc {
    Prober *p;
    Model  *m;
    unsigned mask;
    int     depth, H;
    float  *cos, *erank, *rms;        /* depth + 1 */
    float  *ln_attn, *ln_mlp;         /* depth */
    float  *entropy;                  /* depth × H */
    float  *pattern;                  /* depth × H·T·T (sequence 0), valid where has_pattern */
    unsigned char *has_pattern;
    float  *F;                        /* B·T·C final-norm output */
    char    bad[64];                  /* first non-finite site */
} HookAcc;

static void note_nonfinite(HookAcc *a, const HookSite *s, const Tensor *x)
{
    if (a->bad[0] || all_finite(x->data, (size_t)x->n)) return;
    snprintf(a->bad, sizeof a->bad, "%s", s->path);
}

/* Per-group statistics read the site below the group ("resid_post",
 * "attn.pattern"); groups outside 0..depth-1 (other stacks) are not charted. */
static void probe_hook(void *ctx, const HookSite *s, const Tensor *x)
{
    HookAcc *a = ctx;
    Prober *p = a->p;
    const char *site = s->name;
    int layer = s->group < a->depth ? s->group : -2;
    note_nonfinite(a, s, x);
    if (layer == -2) return;
    if ((a->mask & PROBE_RANK) && ((layer >= 0 && !strcmp(site, "resid_post")) || (layer < 0 && !strcmp(site, "embed")))) {
        double c, er, r;
        token_stats(x, p->B, p->T, p->buf.gram, &c, &er, &r);
        int i = layer + 1;   /* layer 0 = embeddings */
        a->cos[i] = (float)c;
        a->erank[i] = (float)er;
        a->rms[i] = (float)r;
    }
    if ((a->mask & PROBE_LNIN) && layer >= 0) {
        if (!strcmp(site, "ln1.in")) a->ln_attn[layer] = (float)tensor_rms(x);
        if (!strcmp(site, "ln2.in")) a->ln_mlp[layer] = (float)tensor_rms(x);
    }
    if ((a->mask & PROBE_ATTN) && layer >= 0 && !strcmp(site, "attn.pattern")) {
        int H = a->H, T = p->T;
        /* Sequence 0's maps for the charts; entropy averaged over all rows of all sequences. */
        memcpy(a->pattern + (size_t)layer * H * T * T, x->data, sizeof(float) * (size_t)H * T * T);
        a->has_pattern[layer] = 1;
        for (int h = 0; h < H; h++) {
            double ent = 0;
            for (int b = 0; b < p->B; b++)
                for (int i = 0; i < T; i++) {
                    const float *row = x->data + (((size_t)b * H + h) * T + i) * T;
                    for (int j = 0; j < T; j++)
                        if (row[j] > 0) ent -= row[j] * log(row[j]);
                }
            a->entropy[layer * H + h] = (float)(ent / ((double)p->B * T));
        }
    }
    if (layer < 0 && !strcmp(site, "ln_f.out") && a->F) memcpy(a->F, x->data, sizeof(float) * (size_t)x->n);
}

static int is_scalar_gain(const Param *pa);

/* Sizes p->buf for m's shape (once per shape; the attention maps once an
 * attention probe is first asked for). */
static void bufs_fit(Prober *p, const Model *m, unsigned mask)
{
    ProbeBufs *b = &p->buf;
    int L = m->arch->depth, H = m->arch->heads, T = p->T, nt = m->params.n, ng = 0;
    for (int i = 0; i < nt; i++)
        if (is_scalar_gain(&m->params.p[i])) ng += (int)m->params.p[i].t.n;
    if (b->cos && (b->depth != L || b->H != H || b->n_tensors != nt || b->n_gains != ng)) bufs_free(b);
    if (!b->cos) {
        b->depth = L; b->H = H; b->n_tensors = nt; b->n_gains = ng;
        b->cos = xcalloc((size_t)L + 1, sizeof(float));
        b->erank = xcalloc((size_t)L + 1, sizeof(float));
        b->rms = xcalloc((size_t)L + 1, sizeof(float));
        b->ln_attn = xcalloc((size_t)L, sizeof(float));
        b->ln_mlp = xcalloc((size_t)L, sizeof(float));
        b->entropy = xcalloc((size_t)L * H, sizeof(float));
        b->has_pattern = xcalloc((size_t)L, 1);
        b->F = xcalloc((size_t)p->B * T * p->C, sizeof(float));
        b->gram = xcalloc((size_t)T * T + 4 * (size_t)T + (size_t)T * p->C, sizeof(double));
        b->blk = xcalloc((size_t)L, sizeof(double));
        size_t nv = (size_t)L + 1;
        if ((size_t)nt > nv) nv = (size_t)nt;
        if ((size_t)ng > nv) nv = (size_t)ng;
        if ((size_t)T > nv) nv = (size_t)T;
        b->vals = xcalloc(nv, sizeof(float));
        b->labels = xcalloc(nv, sizeof *b->labels);
        b->names = xcalloc((size_t)ng + 1, sizeof *b->names);
    }
    if ((mask & PROBE_ATTN) && !b->patterns) {
        b->patterns = xcalloc((size_t)L * H * T * T, sizeof(float));
        b->mixed = xcalloc((size_t)H * T * T, sizeof(float));
    }
}

static void acc_init(HookAcc *a, Prober *p, Model *m, unsigned mask)
{
    bufs_fit(p, m, mask);
    ProbeBufs *b = &p->buf;
    memset(a, 0, sizeof *a);
    a->p = p;
    a->m = m;
    a->mask = mask;
    a->depth = m->arch->depth;
    a->H = m->arch->heads;
    size_t L = (size_t)a->depth;
    a->cos = b->cos; a->erank = b->erank; a->rms = b->rms;
    a->ln_attn = b->ln_attn; a->ln_mlp = b->ln_mlp; a->entropy = b->entropy;
    memset(a->cos, 0, (L + 1) * sizeof(float));
    memset(a->erank, 0, (L + 1) * sizeof(float));
    memset(a->rms, 0, (L + 1) * sizeof(float));
    memset(a->ln_attn, 0, L * sizeof(float));
    memset(a->ln_mlp, 0, L * sizeof(float));
    memset(a->entropy, 0, L * (size_t)a->H * sizeof(float));
    a->pattern = b->patterns;
    a->has_pattern = b->has_pattern;
    memset(a->has_pattern, 0, L);
    a->F = b->F;
}

/* Forward only on the probe batch with the accumulating hook installed. */
static void hooked_forward(Prober *p, Model *m, HookAcc *a)
{
    tape_reset(&p->tape);
    p->tape.recording = 0;
    p->tape.hook = probe_hook;
    p->tape.hook_ctx = a;
    model_forward(m, &p->tape, p->tokens, p->B, p->T, NULL, NULL, NULL);
    p->tape.hook = NULL;
}

/* RMS of a − b over tokens and features, both (N, C): the per-token L2 norm
 * over sqrt(C), so a final-norm output (RMS 1 per token) changed completely
 * moves it by about sqrt(2). This is the scale of the spec's DeepNet figures. */
static double token_delta(const float *a, const float *b, int N, int C)
{
    double s = 0;
    for (size_t i = 0; i < (size_t)N * C; i++) s += (double)(a[i] - b[i]) * (a[i] - b[i]);
    return sqrt(s / ((double)N * C));
}

/* ---- recording ------------------------------------------------------------------------------- */

static void record(Metrics *mt, const char *name, int rows, int cols, const char *xl, long step, const float *v)
{
    series_append(metrics_series(mt, name, rows, cols, xl), step, v);
}

static void record_shaped_patterns(Model *m, HookAcc *a, Metrics *mt, long step)
{
    int H = a->H, T = a->p->T;
    char name[32];
    const char **labels = a->p->buf.labels;
    for (int t = 0; t < T; t++) labels[t] = a->p->labels[t];
    float *mixed = a->p->buf.mixed;
    for (int l = 0; l < a->depth; l++) {
        if (!a->has_pattern[l]) continue;
        const float *pat = a->pattern + (size_t)l * H * T * T;
        snprintf(name, sizeof name, "attn.%d", l);
        Series *s = metrics_series(mt, name, H * T, T, "key");
        s->keep_last = 1;
        series_append(s, step, pat);
        series_set_labels(s, labels, T);
        if (!m->blocks || !m->blocks[l].attn.alpha) continue;
        const AttnParams *bp = &m->blocks[l].attn;
        /* The whole mixing matrix αI + βA − γC of SAS Eq. 5 / Eq. 4. */
        for (int h = 0; h < H; h++) {
            float al = bp->alpha->data[bp->alpha->n > 1 ? h : 0];
            float be = bp->beta->data[bp->beta->n > 1 ? h : 0];
            float ga = bp->gamma ? bp->gamma->data[bp->gamma->n > 1 ? h : 0] : 0.0f;
            size_t o = (size_t)h * T * T;
            attn_mix_matrix(pat + o, T, m->arch->causal, al, be, ga, mixed + o);
        }
        snprintf(name, sizeof name, "attn.mixed.%d", l);
        /* The x label names the matrix, so a chart can say which it draws. */
        s = metrics_series(mt, name, H * T, T, bp->gamma ? "key, \u03b1I+\u03b2A\u2212\u03b3C" : "key, \u03b1I+\u03b2A");
        s->keep_last = 1;
        series_append(s, step, mixed);
        series_set_labels(s, labels, T);
    }
}

/* Per-block gradient L2 norms (DN Fig. 3 "gradient norm" per layer) and the global norm. */
static void record_grads(Prober *p, Model *m, Metrics *mt, long step, char *bad, int badcap)
{
    const ParamTable *pt = &m->params;
    int L = m->arch->depth;
    double *blk = p->buf.blk, glob = 0;
    memset(blk, 0, sizeof(double) * (size_t)L);
    for (int i = 0; i < pt->n; i++) {
        const Param *pa = &pt->p[i];
        if (!(pa->flags & PARAM_TRAIN)) continue;
        double s = 0;
        for (int64_t j = 0; j < pa->t.n; j++) s += (double)pa->t.grad[j] * pa->t.grad[j];
        if (!isfinite(s) && !bad[0]) snprintf(bad, (size_t)badcap, "gradient of %s", pa->name);
        glob += s;
        if (pa->group >= 0 && pa->group < L) blk[pa->group] += s;
    }
    float *v = p->buf.vals;
    for (int l = 0; l < L; l++) v[l] = (float)sqrt(blk[l]);
    record(mt, "grads.block", 1, L, "layer", step, v);
    float g = (float)sqrt(glob);
    record(mt, "grads.global", 1, 1, "", step, &g);
}

/* Own backward on the probe batch, for grads at init. */
static void probe_backward(Prober *p, Model *m)
{
    tape_reset(&p->tape);
    p->tape.recording = 1;
    memset(m->params.grad, 0, m->params.total * sizeof(float));
    Tensor *loss = model_forward(m, &p->tape, p->tokens, p->B, p->T, p->targets, p->mask, NULL);
    tape_backward(&p->tape, loss);
    p->tape.recording = 0;
}

static int is_scalar_gain(const Param *pa)
{
    const char *last = strrchr(pa->name, '.');
    last = last ? last + 1 : pa->name;
    return (pa->flags & PARAM_TRAIN) && pa->t.n <= 256 && pa->t.ndim == 1 &&
           (!strncmp(last, "alpha", 5) || !strncmp(last, "beta", 4) || !strncmp(last, "gamma", 5));
}

static void record_scalars(Prober *p, Model *m, Metrics *mt, long step)
{
    const ParamTable *pt = &m->params;
    int n = 0;
    for (int i = 0; i < pt->n; i++)
        if (is_scalar_gain(&pt->p[i])) n += pt->p[i].t.n;
    if (!n) return;
    float *v = p->buf.vals;
    const char **labels = p->buf.labels;
    int k = 0;
    for (int i = 0; i < pt->n; i++) {
        const Param *pa = &pt->p[i];
        if (!is_scalar_gain(pa)) continue;
        for (int64_t j = 0; j < pa->t.n; j++, k++) {
            v[k] = pa->t.data[j];
            char *name = p->buf.names[k];
            if (pa->t.n > 1) snprintf(name, sizeof p->buf.names[k], "%s[%d]", pa->name, (int)j);
            else snprintf(name, sizeof p->buf.names[k], "%s", pa->name);
            labels[k] = name;
        }
    }
    Series *s = metrics_series(mt, "scalars", 1, n, "gain");
    series_append(s, step, v);
    if (!s->labels) series_set_labels(s, labels, n);
}

static void record_updates(Prober *p, Model *m, const float *F, Metrics *mt, long step)
{
    int N = p->B * p->T, C = p->C;
    size_t total = m->params.total;
    if (!p->has_F0 || p->n_params != total) {
        /* θ_0: the first probe after a (re)build is the reference of ‖ΔF‖ (DN §D.5). */
        prober_reset(p);
        p->F0 = xmalloc(sizeof(float) * (size_t)N * C);
        p->Fprev = xmalloc(sizeof(float) * (size_t)N * C);
        p->theta_prev = xmalloc(sizeof(float) * total);
        memcpy(p->F0, F, sizeof(float) * (size_t)N * C);
        memcpy(p->Fprev, F, sizeof(float) * (size_t)N * C);
        memcpy(p->theta_prev, m->params.data, sizeof(float) * total);
        p->n_params = total;
        p->has_F0 = 1;
    }
    float dF = (float)token_delta(F, p->F0, N, C), dstep = (float)token_delta(F, p->Fprev, N, C);
    record(mt, "updates.dF", 1, 1, "", step, &dF);
    record(mt, "updates.dF_step", 1, 1, "", step, &dstep);
    const ParamTable *pt = &m->params;
    int nt = 0;
    for (int i = 0; i < pt->n; i++) nt += (pt->p[i].flags & PARAM_TRAIN) != 0;
    float *ratio = p->buf.vals;
    const char **labels = p->buf.labels;
    int k = 0;
    for (int i = 0; i < pt->n; i++) {
        const Param *pa = &pt->p[i];
        if (!(pa->flags & PARAM_TRAIN)) continue;
        double d = 0, w = 0;
        const float *old = p->theta_prev + pa->offset;
        for (int64_t j = 0; j < pa->t.n; j++) {
            d += (double)(pa->t.data[j] - old[j]) * (pa->t.data[j] - old[j]);
            w += (double)old[j] * old[j];
        }
        labels[k] = pa->name;
        ratio[k++] = w > 0 ? (float)sqrt(d / w) : (float)sqrt(d);
    }
    Series *s = metrics_series(mt, "updates.ratio", 1, nt, "tensor");
    series_append(s, step, ratio);
    if (!s->labels) series_set_labels(s, labels, nt);
    memcpy(p->Fprev, F, sizeof(float) * (size_t)N * C);
    memcpy(p->theta_prev, m->params.data, sizeof(float) * total);
}

int probe_run(Prober *p, Model *m, unsigned mask, long step, int have_grads, Metrics *mt, BlError *e)
{
    char bad[96] = "";
    if ((mask & PROBE_GRADS) && !have_grads) probe_backward(p, m);
    HookAcc a;
    acc_init(&a, p, m, mask);
    if (mask & (PROBE_RANK | PROBE_LNIN | PROBE_ATTN | PROBE_UPDATES)) hooked_forward(p, m, &a);
    int L = a.depth;
    metrics_lock(mt);
    if (mask & PROBE_RANK) {
        record(mt, "rank.cos", 1, L + 1, "layer", step, a.cos);
        record(mt, "rank.erank", 1, L + 1, "layer", step, a.erank);
        record(mt, "rank.rms", 1, L + 1, "layer", step, a.rms);
    }
    if (mask & PROBE_LNIN) {
        record(mt, "lnin.attn", 1, L, "layer", step, a.ln_attn);
        record(mt, "lnin.mlp", 1, L, "layer", step, a.ln_mlp);
    }
    if (mask & PROBE_ATTN) {
        record(mt, "attn.entropy", L, a.H, "head", step, a.entropy);
        record_shaped_patterns(m, &a, mt, step);
    }
    if (mask & PROBE_UPDATES) record_updates(p, m, a.F, mt, step);
    if (mask & PROBE_GRADS) record_grads(p, m, mt, step, bad, sizeof bad);
    if (mask & PROBE_SCALARS) record_scalars(p, m, mt, step);
    metrics_unlock(mt);
    if (!bad[0] && a.bad[0]) snprintf(bad, sizeof bad, "activation %s", a.bad);
    if ((mask & PROBE_MOM) && probe_mom_run(p, m, mask, step, mt, e)) return -1;
    if (bad[0]) return bl_fail(e, "NaN/Inf at step %ld: first in %s", step, bad);
    return 0;
}

void probe_before_update(Prober *p, const Model *m)
{
    if (p->theta_prev && p->n_params == m->params.total)
        memcpy(p->theta_prev, m->params.data, sizeof(float) * m->params.total);
}

double probe_sgd_update(Prober *p, Model *m, float lr)
{
    size_t total = m->params.total;
    float *keep = xmalloc(sizeof(float) * total), *keep_grad = xmalloc(sizeof(float) * total);
    memcpy(keep, m->params.data, sizeof(float) * total);
    memcpy(keep_grad, m->params.grad, sizeof(float) * total);
    int N = p->B * p->T, C = p->C;
    HookAcc a;
    acc_init(&a, p, m, 0);
    hooked_forward(p, m, &a);
    float *F0 = xmalloc(sizeof(float) * (size_t)N * C);
    memcpy(F0, a.F, sizeof(float) * (size_t)N * C);
    probe_backward(p, m);
    for (int i = 0; i < m->params.n; i++) {
        Param *pa = &m->params.p[i];
        if (!(pa->flags & PARAM_TRAIN)) continue;
        for (int64_t j = 0; j < pa->t.n; j++) pa->t.data[j] -= lr * pa->t.grad[j];
    }
    hooked_forward(p, m, &a);
    double d = token_delta(a.F, F0, N, C);
    memcpy(m->params.data, keep, sizeof(float) * total);
    memcpy(m->params.grad, keep_grad, sizeof(float) * total);
    free(F0);
    free(keep);
    free(keep_grad);
    return d;
}

static void find_hook(void *ctx, const HookSite *s, const Tensor *x)
{
    HookAcc *a = ctx;
    note_nonfinite(a, s, x);
}

int probe_first_nonfinite(Model *m, Tape *t, const int *tokens, int B, int T, char *where, int cap)
{
    HookAcc a;
    memset(&a, 0, sizeof a);
    int rec = t->recording;
    tape_reset(t);
    t->recording = 0;
    t->hook = find_hook;
    t->hook_ctx = &a;
    model_forward(m, t, tokens, B, T, NULL, NULL, NULL);
    t->hook = NULL;
    t->recording = rec;
    if (!a.bad[0]) return 0;
    snprintf(where, (size_t)cap, "%s", a.bad);
    return 1;
}
