/* verbs_mom.c — `mom`: make the current run a Mixture-of-Modules from a
 * trained vanilla run (phase 2 of spec mom-and-mlp-attention.md §A.10), force
 * its path, or show its settings; and the one-line summaries of the MoM
 * probes (router, knockout, modules). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mom_model.h"
#include "mom_stack.h"
#include "verbs.h"

static const char *const path_names[] = {"free", "diag", NULL};

const VerbKey verb_keys_mom[] = {
    {"from", VK_STR, NULL, 0, 0, "", "the trained vanilla run whose layers fill the module slots (in order)"},
    {"path", VK_ENUM, path_names, 0, 0, "free", "free: the routers choose; diag: step h uses module h (the vanilla path)"},
    {NULL, 0, NULL, 0, 0, NULL, NULL},
};

/* The model keys `mom` accepts besides its own: the MoM ones, width (to check) and seed (routers). */
static int mom_key(const char *k)
{
    static const char *const ok[] = {"attn_pool", "ffn_pool", "steps", "topk", "router", "router_dim", "tau", "renorm",
                                     "aux", "bottom", "top", "anchor", "width", "seed", NULL};
    for (int i = 0; ok[i]; i++)
        if (!strcmp(ok[i], k)) return 1;
    return 0;
}

static void mom_line(Out *o, const Run *r)
{
    const ArchSpec *a = r->model.arch;
    const MomSpec *s = &a->mom;
    char n[32];
    out_printf(o, "mom: %d attn + %d ffn modules (+SKIP), %d steps, top-%d, %s router (r %d), tau %g, %s, aux %g", s->n_attn, s->n_ffn,
               s->steps, s->topk, s->router == ROUTER_GRU ? "gru" : "mlp", s->rdim, (double)s->tau,
               s->renorm ? "renormalised weights" : "raw weights", (double)s->aux);
    if (mom_static_layers(s)) out_printf(o, ", static blocks %d below + %d%s above", s->bottom, s->top, s->anchor ? " + anchor" : "");
    out_printf(o, "; %s params; path %s\n", out_count(n, sizeof n, verb_param_count(&r->model.params)),
               model_mom(&r->model)->run.force_diag ? "forced to the diagonal" : "chosen by the routers");
}

int verb_mom(VerbCtx *vc, const Cmd *c, int noun, BlError *e)
{
    Run *r = ws_current(vc->ws);
    const CmdArg *from = cmd_arg(c, "from"), *path = cmd_arg(c, "path");
    int n_arch = 0;
    for (int i = 0; i < c->n_args; i++) {
        const char *k = c->args[i].key;
        if (!strcmp(k, "from") || !strcmp(k, "path")) continue;
        if (!mom_key(k)) {
            vc->err_col = c->args[i].col;
            return bl_fail(e, "'%s' is not a mom key: mom takes from=, path= and the MoM model keys (see `help mom`)", k);
        }
        n_arch++;
    }
    if (n_arch && !from) return bl_fail(e, "MoM keys go with from=RUN (or `model new stack=mom ...` for a MoM from scratch)");
    if (!from) {
        if (!r->has_model || !model_mom(&r->model))
            return bl_fail(e, "run %s is not a MoM: `mom from=RUN` makes one from a trained vanilla run", r->name);
        if (path) {
            if (strcmp(path->value, "diag") == 0 && r->model.arch->mom.topk != 1)
                return bl_fail(e, "path=diag needs topk=1 (this MoM has topk=%d)", r->model.arch->mom.topk);
            model_mom(&r->model)->run.force_diag = strcmp(path->value, "diag") == 0;
        }
        mom_line(vc->out, r);
        return 0;
    }
    Run *src = ws_find(vc->ws, from->value);
    if (!src) return bl_fail(e, "from=%s: no run named %s (run list shows them)", from->value, from->value);
    if (!src->has_model) return bl_fail(e, "from=%s: run %s has no model yet", from->value, from->value);
    ArchSpec *a = xcalloc(1, sizeof *a);
    arch_copy(a, src->model.arch);
    a->stack = STACK_MOM;
    mom_spec_default(&a->mom);
    a->seed = vc->ws->seed;
    int rc = 0;
    for (int i = 0; i < c->n_args && !rc; i++) {
        const CmdArg *k = &c->args[i];
        if (!strcmp(k->key, "from") || !strcmp(k->key, "path")) continue;
        if (arch_set_model(a, k->key, k->value, e)) vc->err_col = k->vcol, rc = -1;
    }
    BlError sub;
    if (!rc && mom_check_vanilla(a, src->model.arch, &sub)) rc = bl_fail(e, "mom from=%s: %s", from->value, sub.msg);
    if (!rc) rc = arch_reset_blocks(a, e);
    if (!rc && a->mom.topk != 1 && path && !strcmp(path->value, "diag")) rc = bl_fail(e, "path=diag needs topk=1");
    Model m;
    if (!rc) rc = model_build(&m, a, e);
    if (!rc && mom_copy_from_vanilla(&m, &src->model, e)) {
        model_free(&m);
        rc = -1;
    }
    arch_free(a);
    free(a);
    if (rc) return -1;
    model_mom(&m)->run.force_diag = path && !strcmp(path->value, "diag");
    int same = src == r;
    run_set_model(r, &m);
    if (!r->has_data && src->has_data && !same) {
        DataSource d;
        if (data_open(&d, &src->data.spec, e)) return -1;
        run_set_data(r, &d);
    }
    out_printf(vc->out, "run %s: a MoM from run %s's %d trained blocks (routers random, optimizer fresh)\n", r->name, from->value,
               src == r ? mom_vanilla_layers(&r->model.arch->mom) : src->model.arch->depth);
    mom_line(vc->out, r);
    if (r->model.arch->mom.topk == 1 && r->model.arch->mom.renorm)
        out_puts(vc->out, "note: at topk=1 the renormalised weight is exactly 1, so only the aux loss trains the routers "
                          "(renorm=off lets the LM loss reach them)\n");
    return 0;
}

/* The chunk drawn for `arch`: pools, routers, one step as equations, and the
 * path one token of the probe batch takes (spec §A.6). */
void verb_mom_draw(Out *o, Run *r)
{
    const ArchSpec *a = r->model.arch;
    const MomSpec *s = &a->mom;
    const char *ln = a->norm == NORM_RMS ? "RMS" : a->norm == NORM_NONE ? "" : "LN";
    out_printf(o, "  Mixture-of-Modules chunk (after %d static block%s, before %d%s):\n", s->bottom, s->bottom == 1 ? "" : "s",
               s->top, s->anchor ? " + anchor" : "");
    out_puts(o, "    pools     attention ");
    for (int m = 0; m < s->n_attn; m++) out_printf(o, "A%d ", m);
    out_puts(o, "| FFN ");
    for (int m = 0; m < s->n_ffn; m++) out_printf(o, "F%d ", m);
    out_printf(o, "| SKIP   (each module has its own %s)\n", ln[0] ? ln : "identity norm");
    if (s->router == ROUTER_GRU)
        out_printf(o, "    routers   attn, ffn: GRU cell (r=%d, state carried across the %d steps) -> scores (pool+1)\n", s->rdim, s->steps);
    else
        out_printf(o, "    routers   attn, ffn: x -> Linear(r=%d) -> ReLU -> Linear -> scores (pool+1)\n", s->rdim);
    out_printf(o, "              p = softmax(s/%g), top-%d kept%s, SKIP competes; aux %g x load balance\n", (double)s->tau, s->topk,
               s->renorm ? " and renormalised" : " with raw p as weights", (double)s->aux);
    out_printf(o, "    step h    q,k,v = sum_{m in S_A} W_qkv^m %s_m(x)      (unweighted; only-SKIP tokens: 0)\n", ln);
    out_puts(o, "              x = x + sum_{m in S_A} w_m W_o^m Attn(q,k,v)   (one causal attention over all tokens)\n");
    out_printf(o, "              x = x + sum_{m in S_F} w_m FFN_m(%s'_m(x))\n", ln);
    out_printf(o, "    h = 0..%d  the same pools and routers at every step\n", s->steps - 1);
    BlError e;
    Prober *p = run_prober(r, &e);
    if (!p) return;
    int H = s->steps, K = s->topk, N = p->B * p->T, t = p->T - 1;
    MomRecord rec = {.N = N};
    rec.attn_idx = malloc(sizeof(int) * (size_t)H * N * K);
    rec.ffn_idx = malloc(sizeof(int) * (size_t)H * N * K);
    rec.attn_w = malloc(sizeof(float) * (size_t)H * N * K);
    rec.ffn_w = malloc(sizeof(float) * (size_t)H * N * K);
    MomStack *ms = model_mom(&r->model);
    ms->run.rec = &rec;
    tape_reset(&p->tape);
    p->tape.recording = 0;
    model_forward(&r->model, &p->tape, p->tokens, p->B, p->T, NULL, NULL, NULL);
    ms->run.rec = NULL;
    out_printf(o, "    path of the last token ('%s') of probe sequence 0:\n      embed", p->labels[t]);
    for (int h = 0; h < H; h++) {
        out_puts(o, " ->");
        for (int kind = 0; kind < 2; kind++) {
            const int *idx = (kind ? rec.ffn_idx : rec.attn_idx) + ((size_t)h * N + t) * K;
            int pool = kind ? s->n_ffn : s->n_attn;
            out_puts(o, " ");
            for (int k = 0; k < K; k++) {
                if (idx[k] >= pool) out_printf(o, "%sSKIP", k ? "+" : "");
                else out_printf(o, "%s%c%d", k ? "+" : "", kind ? 'F' : 'A', idx[k]);
            }
        }
    }
    out_puts(o, " -> head\n");
    free(rec.attn_idx); free(rec.ffn_idx); free(rec.attn_w); free(rec.ffn_w);
}

/* One line per MoM probe: what a person reads first. */
void verb_mom_summary(Out *o, Metrics *mt, unsigned mask)
{
    metrics_lock(mt);
    Series *s;
    if ((mask & PROBE_ROUTER) && (s = metrics_find(mt, "router.depth"))) {
        const float *d = series_last(s);
        int H = s->cols - 1;
        double da = 0, df = 0;
        for (int k = 0; k <= H; k++) da += k * d[k], df += k * d[H + 1 + k];
        Series *ea = metrics_find(mt, "router.entropy.attn"), *ef = metrics_find(mt, "router.entropy.ffn");
        Series *ra = metrics_find(mt, "router.reuse.attn"), *aux = metrics_find(mt, "router.aux");
        Series *gl = metrics_find(mt, "router.gnorm.lm"), *ga = metrics_find(mt, "router.gnorm.aux");
        Series *qa = metrics_find(mt, "router.diag.attn"), *qf = metrics_find(mt, "router.diag.ffn");
        out_printf(o, "router: effective depth attn %.2f, ffn %.2f of %d steps; usage entropy attn %.3f, ffn %.3f nats; "
                      "same module as the step before %.0f%%; aux %.4f\n",
                   da, df, H, (double)series_last(ea)[0], (double)series_last(ef)[0], 100.0 * series_last(ra)[0],
                   (double)series_last(aux)[0]);
        out_printf(o, "        on the vanilla path (step h -> module h): attn %.0f%%, ffn %.0f%% of choices\n", 100.0 * series_last(qa)[0],
                   100.0 * series_last(qf)[0]);
        out_printf(o, "        router gradient norm from the LM loss %.3g, from aux %.3g (router.map, router.usage, router.depth)\n",
                   (double)series_last(gl)[0], (double)series_last(ga)[0]);
    }
    if ((mask & PROBE_KNOCKOUT) && (s = metrics_find(mt, "knockout"))) {
        const float *d = series_last(s);
        double sa = 0, sf = 0;
        int na = 0, nf = 0;
        for (int i = 0; i < s->len; i++) {
            if (!strncmp(s->labels[i], "attn", 4)) sa += d[i], na++;
            else sf += d[i], nf++;
        }
        sa /= na ? na : 1;
        sf /= nf ? nf : 1;
        out_printf(o, "knockout: mean loss increase without one module: attn %+.4f, ffn %+.4f -> %s modules look more redundant "
                      "(knockout chart)\n",
                   sa, sf, sa < sf ? "attention" : "FFN");
    }
    if ((mask & PROBE_MODULES) && (s = metrics_find(mt, "modules.sim.attn"))) {
        double off[2] = {0, 0};
        const char *nm[2] = {"modules.sim.attn", "modules.sim.ffn"};
        for (int k = 0; k < 2; k++) {
            Series *q = metrics_find(mt, nm[k]);
            const float *v = series_last(q);
            int P = q->rows, n = 0;
            for (int i = 0; i < P; i++)
                for (int j = 0; j < P; j++)
                    if (i != j) off[k] += v[i * P + j], n++;
            off[k] /= n ? n : 1;
        }
        out_printf(o, "modules: mean cosine between different modules' outputs: attn %.3f, ffn %.3f (modules.sim)\n", off[0], off[1]);
    }
    metrics_unlock(mt);
}
