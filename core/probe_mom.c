/* probe_mom.c — router choices, usage, depth, entropy, the routers' gradient
 * from each loss, knock-outs and module similarity for a MoM (probe_mom.h). */
#include "probe_mom.h"
#include "mom_stack.h"
#include "ops_route.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void put(Metrics *mt, const char *name, int rows, int cols, const char *xl, long step, const float *v, int keep_last)
{
    metrics_lock(mt);
    Series *s = metrics_series(mt, name, rows, cols, xl);
    s->keep_last = keep_last;
    series_append(s, step, v);
    metrics_unlock(mt);
}

static void put1(Metrics *mt, const char *name, long step, float v) { put(mt, name, 1, 1, "", step, &v, 0); }

static void put_labelled(Metrics *mt, const char *name, int rows, int cols, const char *xl, long step, const float *v,
                         const char *const *labels, int nl)
{
    put(mt, name, rows, cols, xl, step, v, 1);
    metrics_lock(mt);
    Series *s = metrics_find(mt, name);
    if (s && !s->labels) series_set_labels(s, labels, nl);
    metrics_unlock(mt);
}

/* Forward only on the probe batch; with targets returns the cross-entropy. */
static float forward(Prober *p, Model *m, int with_targets)
{
    tape_reset(&p->tape);
    p->tape.recording = 0;
    Tensor *y = model_forward(m, &p->tape, p->tokens, p->B, p->T, with_targets ? p->targets : NULL,
                              with_targets ? p->mask : NULL, NULL);
    return with_targets ? y->data[0] : 0.0f;
}

/* ---- router ---------------------------------------------------------------------------------------- */

static double entropy(const double *q, int n)
{
    double s = 0, h = 0;
    for (int i = 0; i < n; i++) s += q[i];
    for (int i = 0; i < n; i++)
        if (q[i] > 0) h -= q[i] / s * log(q[i] / s);
    return h;
}

/* One router's series from a recorded forward (kind "attn" or "ffn"). */
static void router_series(Prober *p, const MomSpec *s, const char *kind, int pool, const int *idx, const float *w,
                          const float *pr, int *depth_row, long step, Metrics *mt)
{
    int H = s->steps, K = s->topk, T = p->T, N = p->B * T, S = pool + 1;
    char name[48];
    float *map = malloc(sizeof(float) * (size_t)H * T), *wmap = malloc(sizeof(float) * (size_t)H * T);
    float *use = calloc((size_t)H * S, sizeof(float));
    double *all = calloc((size_t)S, sizeof(double)), pent = 0, reuse = 0, diag = 0;
    for (int h = 0; h < H; h++) {
        for (int t = 0; t < T; t++) {
            int c = idx[((size_t)h * N + t) * K];
            map[h * T + t] = c >= pool ? -1.0f : (float)c;
            wmap[h * T + t] = w[((size_t)h * N + t) * K];
        }
        for (int i = 0; i < N; i++) {
            int any = 0;
            for (int k = 0; k < K; k++) {
                int c = idx[((size_t)h * N + i) * K + k];
                use[h * S + (c > pool ? pool : c)] += 1.0f / (float)(N * K);
                all[c > pool ? pool : c] += 1;
                any |= c < pool;
            }
            depth_row[i] += any;
            const float *q = pr + ((size_t)h * N + i) * S;
            for (int c = 0; c < S; c++)
                if (q[c] > 0) pent -= q[c] * log(q[c]);
            if (h > 0) reuse += idx[((size_t)h * N + i) * K] == idx[((size_t)(h - 1) * N + i) * K];
            diag += idx[((size_t)h * N + i) * K] == (h < pool ? h : pool);
        }
    }
    const char **tl = malloc(sizeof(char *) * (size_t)T);
    for (int t = 0; t < T; t++) tl[t] = p->labels[t];
    snprintf(name, sizeof name, "router.%s", kind);
    put_labelled(mt, name, H, T, "token", step, map, tl, T);
    snprintf(name, sizeof name, "router.%s.w", kind);
    put_labelled(mt, name, H, T, "token", step, wmap, tl, T);
    char (*ml)[12] = malloc(sizeof *ml * (size_t)S);
    const char **mlp = malloc(sizeof(char *) * (size_t)S);
    for (int c = 0; c < S; c++) {
        if (c < pool) snprintf(ml[c], sizeof ml[c], "%d", c);
        else snprintf(ml[c], sizeof ml[c], "SKIP");
        mlp[c] = ml[c];
    }
    snprintf(name, sizeof name, "router.usage.%s", kind);
    put_labelled(mt, name, H, S, "module", step, use, mlp, S);
    snprintf(name, sizeof name, "router.entropy.%s", kind);
    put1(mt, name, step, (float)entropy(all, S));
    snprintf(name, sizeof name, "router.pentropy.%s", kind);
    put1(mt, name, step, (float)(pent / ((double)H * N)));
    snprintf(name, sizeof name, "router.reuse.%s", kind);
    put1(mt, name, step, H > 1 ? (float)(reuse / ((double)(H - 1) * N)) : 0.0f);
    snprintf(name, sizeof name, "router.diag.%s", kind);
    put1(mt, name, step, (float)(diag / ((double)H * N)));
    free(map); free(wmap); free(use); free(all); free(tl); free(ml); free(mlp);
}

/* L2 norm of the routers' gradients (every "mom.router.*" tensor). */
static double router_gnorm(const ParamTable *pt)
{
    double s = 0;
    for (int i = 0; i < pt->n; i++)
        if (!strncmp(pt->p[i].name, "mom.router.", 11))
            for (int j = 0; j < pt->p[i].t.n; j++) s += (double)pt->p[i].t.grad[j] * pt->p[i].t.grad[j];
    return sqrt(s);
}

/* The routers' gradient from each loss separately: which loss trains them. */
static void router_grads(Prober *p, Model *m, long step, Metrics *mt)
{
    ParamTable *pt = &m->params;
    float *keep = malloc(sizeof(float) * pt->total);
    memcpy(keep, pt->grad, sizeof(float) * pt->total);
    double g[2];
    for (int k = 0; k < 2; k++) {
        memset(pt->grad, 0, sizeof(float) * pt->total);
        tape_reset(&p->tape);
        p->tape.recording = 1;
        Tensor *ce = model_forward(m, &p->tape, p->tokens, p->B, p->T, p->targets, p->mask, NULL);
        Tensor *aux = model_mom(m)->aux;
        Tensor *l = k == 0 ? ce : op_mix(&p->tape, aux, gain_const(m->arch->mom.aux), NULL, gain_const(0));
        if (l->rg) tape_backward(&p->tape, l);
        g[k] = router_gnorm(pt);
    }
    p->tape.recording = 0;
    memcpy(pt->grad, keep, sizeof(float) * pt->total);
    free(keep);
    put1(mt, "router.gnorm.lm", step, (float)g[0]);
    put1(mt, "router.gnorm.aux", step, (float)g[1]);
}

static void probe_router(Prober *p, Model *m, long step, Metrics *mt)
{
    const MomSpec *s = &m->arch->mom;
    int H = s->steps, K = s->topk, N = p->B * p->T;
    MomRecord rec = {.N = N};
    rec.attn_idx = malloc(sizeof(int) * (size_t)H * N * K);
    rec.ffn_idx = malloc(sizeof(int) * (size_t)H * N * K);
    rec.attn_w = malloc(sizeof(float) * (size_t)H * N * K);
    rec.ffn_w = malloc(sizeof(float) * (size_t)H * N * K);
    rec.attn_p = malloc(sizeof(float) * (size_t)H * N * (s->n_attn + 1));
    rec.ffn_p = malloc(sizeof(float) * (size_t)H * N * (s->n_ffn + 1));
    MomStack *ms = model_mom(m);
    ms->run.rec = &rec;
    forward(p, m, 0);
    ms->run.rec = NULL;
    float aux = ms->aux ? ms->aux->data[0] : 0.0f;
    int *depth = calloc((size_t)2 * N, sizeof(int));
    router_series(p, s, "attn", s->n_attn, rec.attn_idx, rec.attn_w, rec.attn_p, depth, step, mt);
    router_series(p, s, "ffn", s->n_ffn, rec.ffn_idx, rec.ffn_w, rec.ffn_p, depth + N, step, mt);
    float *hist = calloc((size_t)2 * (H + 1), sizeof(float));
    for (int r = 0; r < 2; r++)
        for (int i = 0; i < N; i++) hist[r * (H + 1) + depth[r * N + i]] += 1.0f / (float)N;
    put(mt, "router.depth", 2, H + 1, "depth", step, hist, 1);
    put1(mt, "router.aux", step, aux);
    router_grads(p, m, step, mt);
    free(hist); free(depth);
    free(rec.attn_idx); free(rec.ffn_idx); free(rec.attn_w); free(rec.ffn_w); free(rec.attn_p); free(rec.ffn_p);
}

/* ---- knock-out ------------------------------------------------------------------------------------- */

static void probe_knockout(Prober *p, Model *m, long step, Metrics *mt)
{
    const MomSpec *s = &m->arch->mom;
    int n = s->n_attn + s->n_ffn;
    float *d = malloc(sizeof(float) * (size_t)n);
    char (*lab)[16] = malloc(sizeof *lab * (size_t)n);
    const char **lp = malloc(sizeof(char *) * (size_t)n);
    MomStack *ms = model_mom(m);
    MomRun keep = ms->run;
    float base = forward(p, m, 1);
    for (int i = 0; i < n; i++) {
        int ffn = i >= s->n_attn, j = ffn ? i - s->n_attn : i;
        ms->run.off_attn = ffn ? 0 : 1u << j;
        ms->run.off_ffn = ffn ? 1u << j : 0;
        d[i] = forward(p, m, 1) - base;
        snprintf(lab[i], sizeof lab[i], "%s.%d", ffn ? "ffn" : "attn", j);
        lp[i] = lab[i];
    }
    ms->run = keep;
    put_labelled(mt, "knockout", 1, n, "module", step, d, lp, n);
    free(d); free(lab); free(lp);
}

/* ---- module similarity ------------------------------------------------------------------------------ */

typedef struct Grab {
    float *x;
    int    n;
} Grab;

static void grab_input(void *ctx, const HookSite *site, const Tensor *x)
{
    Grab *g = ctx;
    if (strcmp(site->path, "mom.in") || g->x) return;
    g->x = malloc(sizeof(float) * (size_t)x->n);
    memcpy(g->x, x->data, sizeof(float) * (size_t)x->n);
    g->n = x->n;
}

static double cosine(const float *a, const float *b, int n)
{
    double ab = 0, aa = 0, bb = 0;
    for (int i = 0; i < n; i++) ab += (double)a[i] * b[i], aa += (double)a[i] * a[i], bb += (double)b[i] * b[i];
    return aa > 0 && bb > 0 ? ab / sqrt(aa * bb) : 0;
}

static Tensor *norm_of(const MomModelCfg *c, Tape *t, Tensor *x, Tensor *w, Tensor *b)
{
    if (!w) return x;
    return c->norm == 1 ? op_rmsnorm(t, x, w, 1e-5f) : op_layernorm(t, x, w, b, 1e-5f);
}

/* Each module alone on the chunk's input: attention as a whole vanilla
 * attention sub-layer (its own q, k, v, o), FFN as its MLP; pairwise cosine. */
static void probe_modules(Prober *p, Model *m, long step, Metrics *mt)
{
    const MomSpec *s = &m->arch->mom;
    MomModelCfg c = model_mom_cfg(m->arch);
    Grab g = {0};
    tape_reset(&p->tape);
    p->tape.recording = 0;
    p->tape.hook = grab_input;
    p->tape.hook_ctx = &g;
    model_forward(m, &p->tape, p->tokens, p->B, p->T, NULL, NULL, NULL);
    p->tape.hook = NULL;
    if (!g.x) return;
    int n = g.n;
    for (int kind = 0; kind < 2; kind++) {
        int P = kind ? s->n_ffn : s->n_attn;
        float *out = malloc(sizeof(float) * (size_t)P * n), *sim = malloc(sizeof(float) * (size_t)P * P);
        for (int j = 0; j < P; j++) {
            tape_reset(&p->tape);
            Tensor *x = tape_tensor(&p->tape, p->B, p->T, c.width, 0);
            memcpy(x->data, g.x, sizeof(float) * (size_t)n);
            Tensor *y;
            if (!kind) {
                const AttnParams *a = &model_mom(m)->p.attn[j];
                const NormParams *ln = &model_mom(m)->p.attn_ln[j];
                AttnOpts o = {.n_head = c.heads, .causal = c.causal};
                Tensor *qkv = op_linear(&p->tape, norm_of(&c, &p->tape, x, ln->w, ln->b), a->w_qkv, a->b_qkv);
                y = op_linear(&p->tape, op_attention(&p->tape, qkv, NULL, &o, NULL), a->w_o, a->b_o);
            } else {
                const MlpParams *f = &model_mom(m)->p.ffn[j];
                const NormParams *ln = &model_mom(m)->p.ffn_ln[j];
                Tensor *u = op_linear(&p->tape, norm_of(&c, &p->tape, x, ln->w, ln->b), f->w_in, f->b_in);
                u = c.act == 1 ? op_relu(&p->tape, u) : op_gelu(&p->tape, u);
                y = op_linear(&p->tape, u, f->w_out, f->b_out);
            }
            memcpy(out + (size_t)j * n, y->data, sizeof(float) * (size_t)n);
        }
        for (int i = 0; i < P; i++)
            for (int j = 0; j < P; j++) sim[i * P + j] = (float)cosine(out + (size_t)i * n, out + (size_t)j * n, n);
        put(mt, kind ? "modules.sim.ffn" : "modules.sim.attn", P, P, "module", step, sim, 1);
        free(out);
        free(sim);
    }
    free(g.x);
}

int probe_mom_run(Prober *p, Model *m, unsigned mask, long step, Metrics *mt, BlError *e)
{
    if (!model_mom(m))
        return bl_fail(e, "router, knockout and modules probe a Mixture-of-Modules: this run is not one "
                          "(model new stack=mom, or mom from=RUN)");
    if (mask & PROBE_ROUTER) probe_router(p, m, step, mt);
    if (mask & PROBE_KNOCKOUT) probe_knockout(p, m, step, mt);
    if (mask & PROBE_MODULES) probe_modules(p, m, step, mt);
    return 0;
}
