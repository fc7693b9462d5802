/* mom.c — the Mixture-of-Modules chunk: declare, initialise and run pools of
 * attention and FFN modules chosen per token by two routers over H steps
 * (spec mom-and-mlp-attention.md §A.3-A.6, A.9; spec README "Decisions").
 * Each module runs on the rows that chose it only (gather → module → scatter),
 * so the cost follows K, not the pool size. */
#include "mom.h"
#include "ops_route.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#define NORM_EPS 1e-5f
#define INIT_STD 0.02f

void mom_spec_default(MomSpec *s)
{
    memset(s, 0, sizeof *s);
    s->n_attn = s->n_ffn = 4;
    s->steps = 4;
    s->topk = 1;
    s->router = ROUTER_GRU;
    s->rdim = 32;
    s->tau = 0.2f;
    s->renorm = 1;
    s->aux = 0.01f;
}

int mom_validate(const MomSpec *s, BlError *e)
{
    if (s->n_attn < 1 || s->n_attn > MOM_MAX_POOL) return bl_fail(e, "attn_pool=%d: expected 1 to %d", s->n_attn, MOM_MAX_POOL);
    if (s->n_ffn < 1 || s->n_ffn > MOM_MAX_POOL) return bl_fail(e, "ffn_pool=%d: expected 1 to %d", s->n_ffn, MOM_MAX_POOL);
    if (s->steps < 1 || s->steps > MOM_MAX_STEPS) return bl_fail(e, "steps=%d: expected 1 to %d", s->steps, MOM_MAX_STEPS);
    int small = s->n_attn < s->n_ffn ? s->n_attn : s->n_ffn, kmax = small + 1 < MOM_MAX_TOPK ? small + 1 : MOM_MAX_TOPK;
    if (s->topk < 1 || s->topk > kmax)
        return bl_fail(e, "topk=%d: expected 1 to %d (each router has pool+1 options, SKIP included)", s->topk, kmax);
    if (s->rdim < 1 || s->rdim > 4096) return bl_fail(e, "router_dim=%d: expected 1 to 4096", s->rdim);
    if (!(s->tau > 0)) return bl_fail(e, "tau=%g: expected a temperature > 0", (double)s->tau);
    return 0;
}

/* ---- declaration ------------------------------------------------------------ */

static int add(ParamTable *pt, int layer, int flags, int d0, int d1, const char *fmt, ...)
{
    char name[64];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(name, sizeof name, fmt, ap);
    va_end(ap);
    return params_add(pt, name, layer, flags, d0, d1, 0);
}

static int hidden_of(const MomModelCfg *c) { return (int)(c->mlp_ratio * (float)c->width + 0.5f); }

void mom_declare(ParamTable *pt, const MomSpec *s, const MomModelCfg *c, int layer, MomIdx *ix)
{
    int C = c->width, F = hidden_of(c), W = PARAM_TRAIN | PARAM_DECAY, B = PARAM_TRAIN;
    int norm = c->norm != 2, nbias = c->bias && c->norm == 0;
    memset(ix, -1, sizeof *ix);
    /* Module slots in the order a vanilla layer's tensors come (ln1, attn, ln2, mlp). */
    for (int m = 0; m < s->n_attn; m++) {
        int *a = ix->attn[m];
        if (norm) a[0] = add(pt, layer, B, C, 0, "mom.attn.%d.ln.w", m);
        if (nbias) a[1] = add(pt, layer, B, C, 0, "mom.attn.%d.ln.b", m);
        a[2] = add(pt, layer, W, 3 * C, C, "mom.attn.%d.w_qkv", m);
        if (c->bias) a[3] = add(pt, layer, B, 3 * C, 0, "mom.attn.%d.b_qkv", m);
        a[4] = add(pt, layer, W, C, C, "mom.attn.%d.w_o", m);
        if (c->bias) a[5] = add(pt, layer, B, C, 0, "mom.attn.%d.b_o", m);
    }
    for (int m = 0; m < s->n_ffn; m++) {
        int *f = ix->ffn[m];
        if (norm) f[0] = add(pt, layer, B, C, 0, "mom.ffn.%d.ln.w", m);
        if (nbias) f[1] = add(pt, layer, B, C, 0, "mom.ffn.%d.ln.b", m);
        f[2] = add(pt, layer, W, F, C, "mom.ffn.%d.w_in", m);
        if (c->bias) f[3] = add(pt, layer, B, F, 0, "mom.ffn.%d.b_in", m);
        f[4] = add(pt, layer, W, C, F, "mom.ffn.%d.w_out", m);
        if (c->bias) f[5] = add(pt, layer, B, C, 0, "mom.ffn.%d.b_out", m);
    }
    /* Routers keep their biases whatever the model's bias setting (nn.Linear in §A.4). */
    int r = s->rdim;
    const char *kind[2] = {"attn", "ffn"};
    for (int k = 0; k < 2; k++) {
        int *x = k ? ix->r_ffn : ix->r_attn, S = mom_options(k ? s->n_ffn : s->n_attn);
        if (s->router == ROUTER_GRU) {
            x[0] = add(pt, layer, W, 3 * r, C, "mom.router.%s.x2h.w", kind[k]);
            x[1] = add(pt, layer, B, 3 * r, 0, "mom.router.%s.x2h.b", kind[k]);
            x[2] = add(pt, layer, W, 3 * r, r, "mom.router.%s.h2h.w", kind[k]);
            x[3] = add(pt, layer, B, 3 * r, 0, "mom.router.%s.h2h.b", kind[k]);
        } else {
            x[0] = add(pt, layer, W, r, C, "mom.router.%s.l1.w", kind[k]);
            x[1] = add(pt, layer, B, r, 0, "mom.router.%s.l1.b", kind[k]);
        }
        x[4] = add(pt, layer, W, S, r, "mom.router.%s.out.w", kind[k]);
        x[5] = add(pt, layer, B, S, 0, "mom.router.%s.out.b", kind[k]);
    }
}

static void resolve6(ParamTable *pt, const int *ix, Tensor **out)
{
    for (int i = 0; i < 6; i++) out[i] = params_tensor(pt, ix[i]);
}

void mom_resolve(ParamTable *pt, const MomSpec *s, const MomIdx *ix, MomParams *p)
{
    memset(p, 0, sizeof *p);
    for (int m = 0; m < s->n_attn; m++) resolve6(pt, ix->attn[m], &p->attn[m].ln_w);
    for (int m = 0; m < s->n_ffn; m++) resolve6(pt, ix->ffn[m], &p->ffn[m].ln_w);
    resolve6(pt, ix->r_attn, &p->r_attn.a_w);
    resolve6(pt, ix->r_ffn, &p->r_ffn.a_w);
}

static void fill(Rng *r, Tensor *t, int normal)
{
    if (!t) return;
    for (int i = 0; i < t->n; i++) t->data[i] = normal ? (float)(rng_normal(r) * INIT_STD) : 0.0f;
}

static void fill_one(Tensor *t)
{
    if (t) for (int i = 0; i < t->n; i++) t->data[i] = 1.0f;
}

void mom_init(Rng *r, const MomSpec *s, MomParams *p)
{
    for (int m = 0; m < s->n_attn; m++) {
        fill_one(p->attn[m].ln_w);
        fill(r, p->attn[m].w_qkv, 1);
        fill(r, p->attn[m].w_o, 1);
    }
    for (int m = 0; m < s->n_ffn; m++) {
        fill_one(p->ffn[m].ln_w);
        fill(r, p->ffn[m].w_in, 1);
        fill(r, p->ffn[m].w_out, 1);
    }
    MomRouterParams *rp[2] = {&p->r_attn, &p->r_ffn};
    for (int k = 0; k < 2; k++) {
        fill(r, rp[k]->a_w, 1);
        fill(r, rp[k]->b_w, 1);
        fill(r, rp[k]->out_w, 1);
    }
}

/* ---- forward ------------------------------------------------------------------ */

static Tensor *module_norm(const MomModelCfg *c, Tape *t, Tensor *x, Tensor *w, Tensor *b)
{
    if (!w) return x;
    if (c->norm == 1) return op_rmsnorm(t, x, w, NORM_EPS);
    return op_layernorm(t, x, w, b, NORM_EPS);
}

/* Router scores (N, S) for x; the GRU carries *g across steps (§A.4). */
static Tensor *router_scores(const MomSpec *s, const MomRouterParams *r, Tape *t, Tensor *x, Tensor **g)
{
    if (s->router == ROUTER_MLP) {
        Tensor *h = op_relu(t, op_linear(t, x, r->a_w, r->a_b));
        return op_linear(t, h, r->out_w, r->out_b);
    }
    Tensor *gx = op_linear(t, x, r->a_w, r->a_b);
    Tensor *gh = op_linear(t, *g, r->b_w, r->b_b);
    *g = op_gru_gates(t, gx, gh, *g);
    return op_linear(t, *g, r->out_w, r->out_b);
}

/* Per module m of a pool: the rows (and top-K slots) that chose it. */
typedef struct Routing {
    int *rows[MOM_MAX_POOL], *slot[MOM_MAX_POOL], count[MOM_MAX_POOL];
} Routing;

static void route_lists(Tape *t, const int *idx, int N, int K, int pool, Routing *R)
{
    memset(R->count, 0, sizeof R->count);
    for (int i = 0; i < N * K; i++)
        if (idx[i] < pool) R->count[idx[i]]++;
    for (int m = 0; m < pool; m++) {
        R->rows[m] = arena_alloc(&t->arena, sizeof(int) * (size_t)(R->count[m] + 1));
        R->slot[m] = arena_alloc(&t->arena, sizeof(int) * (size_t)(R->count[m] + 1));
        R->count[m] = 0;
    }
    for (int i = 0; i < N; i++)
        for (int k = 0; k < K; k++) {
            int m = idx[i * K + k];
            if (m >= pool) continue;   /* SKIP */
            R->rows[m][R->count[m]] = i;
            R->slot[m][R->count[m]++] = k;
        }
}

/* One routing decision: scores → p → top-K (forced, diagonal or free). */
static Tensor *choose(const MomSpec *s, const MomRun *run, Tape *t, Tensor *scores, int h, int pool, int N,
                      const int *force, uint32_t off, int *idx, Tensor **p_out)
{
    int K = s->topk;
    Tensor *p = op_softmax_tau(t, scores, s->tau, off);
    const int *f = force ? force + (size_t)h * N * K : NULL;
    if (run && run->force_diag) {
        int *d = arena_alloc(&t->arena, sizeof(int) * (size_t)N * K);
        for (int i = 0; i < N * K; i++) d[i] = h < pool ? h : pool;
        f = d;
    }
    *p_out = p;
    return op_topk_weights(t, p, K, s->renorm, f, idx);
}

static void record(const MomSpec *s, MomRecord *rec, int h, int N, int ffn, const int *idx, const Tensor *w,
                   const Tensor *p)
{
    if (!rec || rec->N != N) return;
    int K = s->topk, S = tensor_cols(p);
    size_t o = (size_t)h * N * K;
    memcpy((ffn ? rec->ffn_idx : rec->attn_idx) + o, idx, sizeof(int) * (size_t)N * K);
    memcpy((ffn ? rec->ffn_w : rec->attn_w) + o, w->data, sizeof(float) * (size_t)N * K);
    float *pp = ffn ? rec->ffn_p : rec->attn_p;
    if (pp) memcpy(pp + (size_t)h * N * S, p->data, sizeof(float) * (size_t)N * S);
}

Tensor *mom_forward(const MomSpec *s, const MomModelCfg *c, const MomParams *p, const MomRun *run, Tape *t,
                    int layer, Tensor *x, Tensor **aux)
{
    int N = tensor_rows(x), C = c->width, K = s->topk, H = s->steps;
    Tensor *ga = NULL, *gf = NULL;
    tape_hook(t, layer, "mom.in", x);
    if (s->router == ROUTER_GRU) {
        /* The GRU states start at zero when the chunk begins (§A.4). */
        ga = tape_tensor(t, N, s->rdim, 0, 0);
        gf = tape_tensor(t, N, s->rdim, 0, 0);
        memset(ga->data, 0, sizeof(float) * (size_t)ga->n);
        memset(gf->data, 0, sizeof(float) * (size_t)gf->n);
    }
    Tensor **pa = arena_alloc(&t->arena, sizeof(Tensor *) * (size_t)H);
    Tensor **pf = arena_alloc(&t->arena, sizeof(Tensor *) * (size_t)H);
    AttnOpts ao = {.n_head = c->heads, .causal = c->causal};
    RouteSrc srcs[MOM_MAX_POOL];
    Routing R;
    for (int h = 0; h < H; h++) {
        /* --- attention step: QKV summed unweighted over the chosen modules; a
         * token that chose only SKIP keeps q = k = v = 0 (the official quirk). */
        int *ia = arena_alloc(&t->arena, sizeof(int) * (size_t)N * K);
        Tensor *wa = choose(s, run, t, router_scores(s, &p->r_attn, t, x, &ga), h, s->n_attn, N,
                            run ? run->force_attn : NULL, run ? run->off_attn : 0, ia, &pa[h]);
        if (run) record(s, run->rec, h, N, 0, ia, wa, pa[h]);
        route_lists(t, ia, N, K, s->n_attn, &R);
        int n = 0;
        for (int m = 0; m < s->n_attn; m++) {
            if (!R.count[m]) continue;
            const MomAttnParams *ap = &p->attn[m];
            Tensor *xm = op_gather_rows(t, x, R.rows[m], R.count[m]);
            Tensor *q = op_linear(t, module_norm(c, t, xm, ap->ln_w, ap->ln_b), ap->w_qkv, ap->b_qkv);
            srcs[n++] = (RouteSrc){q, R.rows[m], R.slot[m], R.count[m]};
        }
        Tensor *qkv = op_scatter_rows(t, x, 3 * C, srcs, n, NULL, K);
        Tensor *pattern = NULL;
        Tensor *att = op_attention(t, qkv, NULL, &ao, t->hook ? &pattern : NULL);
        if (pattern) tape_hook(t, layer, "mom.attn.pattern", pattern);
        n = 0;
        for (int m = 0; m < s->n_attn; m++) {
            if (!R.count[m]) continue;
            const MomAttnParams *ap = &p->attn[m];
            Tensor *o = op_linear(t, op_gather_rows(t, att, R.rows[m], R.count[m]), ap->w_o, ap->b_o);
            srcs[n++] = (RouteSrc){o, R.rows[m], R.slot[m], R.count[m]};
        }
        x = op_mix(t, x, gain_const(1), op_scatter_rows(t, x, C, srcs, n, wa, K), gain_const(1));
        tape_hook(t, layer, "mom.resid_mid", x);

        /* --- FFN step: the router sees x after this step's attention. */
        int *iff = arena_alloc(&t->arena, sizeof(int) * (size_t)N * K);
        Tensor *wf = choose(s, run, t, router_scores(s, &p->r_ffn, t, x, &gf), h, s->n_ffn, N,
                            run ? run->force_ffn : NULL, run ? run->off_ffn : 0, iff, &pf[h]);
        if (run) record(s, run->rec, h, N, 1, iff, wf, pf[h]);
        route_lists(t, iff, N, K, s->n_ffn, &R);
        n = 0;
        for (int m = 0; m < s->n_ffn; m++) {
            if (!R.count[m]) continue;
            const MomFfnParams *fp = &p->ffn[m];
            Tensor *xm = op_gather_rows(t, x, R.rows[m], R.count[m]);
            Tensor *u = op_linear(t, module_norm(c, t, xm, fp->ln_w, fp->ln_b), fp->w_in, fp->b_in);
            u = c->act == 1 ? op_relu(t, u) : op_gelu(t, u);
            srcs[n++] = (RouteSrc){op_linear(t, u, fp->w_out, fp->b_out), R.rows[m], R.slot[m], R.count[m]};
        }
        x = op_mix(t, x, gain_const(1), op_scatter_rows(t, x, C, srcs, n, wf, K), gain_const(1));
        tape_hook(t, layer, "mom.resid_step", x);
    }
    if (aux) {
        Tensor *la = op_balance_loss(t, pa, H), *lf = op_balance_loss(t, pf, H);
        *aux = op_mix(t, la, gain_const(1), lf, gain_const(1));
    }
    return x;
}

double mom_macs_per_token(const MomSpec *s, const MomModelCfg *c, int T)
{
    double C = c->width, F = hidden_of(c), r = s->rdim, K = s->topk;
    double modules = K * (4 * C * C + 2 * F * C);
    double attn = 2.0 * C * (T + 1) / 2.0;   /* q·k and p·v over the causal prefix, on average */
    double router = s->router == ROUTER_GRU ? 2 * (3 * r * C + 3 * r * r + r * (s->n_attn + 1))
                                            : 2 * (r * C + r * (s->n_attn + 1));
    return s->steps * (modules + attn + router);
}
