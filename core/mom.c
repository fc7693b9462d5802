/* mom.c — the Mixture-of-Modules chunk: declare, initialise and run pools of
 * attention and FFN modules chosen per token by two routers over H steps
 * (spec mom-and-mlp-attention.md §A.3-A.6, A.9; spec README "Decisions").
 * Each module runs on the rows that chose it only (gather → module → scatter),
 * so the cost follows K, not the pool size. */
#include "mom.h"
#include "ops_route.h"

#include <stdio.h>
#include <string.h>


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

static int hidden_of(const MomModelCfg *c) { return (int)(c->mlp_ratio * (float)c->width + 0.5f); }

/* ---- forward ------------------------------------------------------------------ */

static Tensor *pool_norm(const MomModelCfg *c, Tape *t, Tensor *x, Tensor *w, Tensor *b)
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
                    Tensor *x, Tensor **aux)
{
    int N = tensor_rows(x), C = c->width, K = s->topk, H = s->steps;
    Tensor *ga = NULL, *gf = NULL;
    tape_hook(t, "in", x);
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
            const AttnParams *ap = &p->attn[m];
            Tensor *xm = op_gather_rows(t, x, R.rows[m], R.count[m]);
            Tensor *q = op_linear(t, pool_norm(c, t, xm, p->attn_ln[m].w, p->attn_ln[m].b), ap->w_qkv, ap->b_qkv);
            srcs[n++] = (RouteSrc){q, R.rows[m], R.slot[m], R.count[m]};
        }
        Tensor *qkv = op_scatter_rows(t, x, 3 * C, srcs, n, NULL, K);
        Tensor *pattern = NULL;
        Tensor *att = op_attention(t, qkv, NULL, &ao, t->hook ? &pattern : NULL);
        if (pattern) tape_hook(t, "attn.pattern", pattern);
        n = 0;
        for (int m = 0; m < s->n_attn; m++) {
            if (!R.count[m]) continue;
            const AttnParams *ap = &p->attn[m];
            Tensor *o = op_linear(t, op_gather_rows(t, att, R.rows[m], R.count[m]), ap->w_o, ap->b_o);
            srcs[n++] = (RouteSrc){o, R.rows[m], R.slot[m], R.count[m]};
        }
        x = op_mix(t, x, gain_const(1), op_scatter_rows(t, x, C, srcs, n, wa, K), gain_const(1));
        tape_hook(t, "resid_mid", x);

        /* --- FFN step: the router sees x after this step's attention. */
        int *iff = arena_alloc(&t->arena, sizeof(int) * (size_t)N * K);
        Tensor *wf = choose(s, run, t, router_scores(s, &p->r_ffn, t, x, &gf), h, s->n_ffn, N,
                            run ? run->force_ffn : NULL, run ? run->off_ffn : 0, iff, &pf[h]);
        if (run) record(s, run->rec, h, N, 1, iff, wf, pf[h]);
        route_lists(t, iff, N, K, s->n_ffn, &R);
        n = 0;
        for (int m = 0; m < s->n_ffn; m++) {
            if (!R.count[m]) continue;
            const MlpParams *fp = &p->ffn[m];
            Tensor *xm = op_gather_rows(t, x, R.rows[m], R.count[m]);
            Tensor *u = op_linear(t, pool_norm(c, t, xm, p->ffn_ln[m].w, p->ffn_ln[m].b), fp->w_in, fp->b_in);
            u = c->act == 1 ? op_relu(t, u) : op_gelu(t, u);
            srcs[n++] = (RouteSrc){op_linear(t, u, fp->w_out, fp->b_out), R.rows[m], R.slot[m], R.count[m]};
        }
        x = op_mix(t, x, gain_const(1), op_scatter_rows(t, x, C, srcs, n, wf, K), gain_const(1));
        tape_hook(t, "resid_step", x);
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
