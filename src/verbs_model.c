/* verbs_model.c — model new, block, arch, params: building and showing the
 * architecture. Every change is made on a copy of the spec, validated and
 * built before it replaces the run's model, so a refused command changes nothing. */
#include "arch_draw.h"
#include "budget.h"
#include "mom_stack.h"
#include "verbs.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int need_model(Run *r, BlError *e)
{
    if (r->has_model) return 0;
    return bl_fail(e, "no model yet: start one with `model new` (see `help model`)");
}

static void model_line(VerbCtx *vc, const Run *r, const char *what)
{
    const ArchSpec *a = r->model.arch;
    char n[32];
    if (a->stack == STACK_MOM)
        out_printf(vc->out, "%s: MoM of %d attn + %d ffn modules, %d steps, top-%d (+%d static block%s), ", what, a->mom.n_attn,
                   a->mom.n_ffn, a->mom.steps, a->mom.topk, a->depth, a->depth == 1 ? "" : "s");
    else
        out_printf(vc->out, "%s: %d block%s, ", what, a->depth, a->depth == 1 ? "" : "s");
    out_printf(vc->out, "width %d, %d head%s, ctx %d, vocab %d%s, %s params\n", a->width, a->heads, a->heads == 1 ? "" : "s", a->ctx, a->vocab,
               r->vocab_explicit || !r->has_data ? "" : " (from the data)", out_count(n, sizeof n, verb_param_count(&r->model.params)));
}

int verb_model(VerbCtx *vc, const Cmd *c, int noun, BlError *e)
{
    Run *r = ws_current(vc->ws);
    ArchSpec *a = xcalloc(1, sizeof *a);
    arch_default(a);
    a->seed = vc->ws->seed;
    int vocab_given = 0, rc = 0;
    for (int i = 0; i < c->n_args && !rc; i++) {
        if (!strcmp(c->args[i].key, "vocab")) vocab_given = 1;
        if (!strcmp(c->args[i].key, "force")) continue;
        if (arch_set_model(a, c->args[i].key, c->args[i].value, e)) {
            vc->err_col = c->args[i].vcol;
            rc = -1;
        }
    }
    if (!rc && !vocab_given && r->has_data) a->vocab = r->data.vocab < 2 ? 2 : r->data.vocab;
    if (!rc) rc = arch_reset_blocks(a, e);
    Model m;
    if (!rc) rc = verb_build_model(r, a, verb_force(c), "model new", &m, e);
    arch_free(a);
    free(a);
    if (rc) return -1;
    run_set_model(r, &m);
    r->vocab_explicit = vocab_given;
    model_line(vc, r, "model");
    return verb_fit_data(vc, r, e);
}

int verb_parse_range(const char *s, int depth, int *lo, int *hi, BlError *e)
{
    if (!strcmp(s, "all")) {
        *lo = 0;
        *hi = depth - 1;
        return 0;
    }
    char *end;
    long a = strtol(s, &end, 10), b = a;
    if (end == s || a < 0) return bl_fail(e, "range '%s': expected all, a block number (3) or a range (0..5)", s);
    if (end[0] == '.' && end[1] == '.') {
        const char *p = end + 2;
        b = strtol(p, &end, 10);
        if (end == p || b < 0) return bl_fail(e, "range '%s': expected all, a block number (3) or a range (0..5)", s);
    }
    if (*end) return bl_fail(e, "range '%s': expected all, a block number (3) or a range (0..5)", s);
    if (a > b) return bl_fail(e, "range '%s': the first block is after the last (write %ld..%ld)", s, b, a);
    if (b >= depth && depth == 1) return bl_fail(e, "block %ld does not exist: the model has one block, 0", b);
    if (b >= depth) {
        if (a == b) return bl_fail(e, "block %ld does not exist: the model has blocks 0..%d", a, depth - 1);
        return bl_fail(e, "blocks %ld..%ld do not exist: the model has blocks 0..%d", a, b, depth - 1);
    }
    *lo = (int)a;
    *hi = (int)b;
    return 0;
}

int verb_block(VerbCtx *vc, const Cmd *c, int noun, BlError *e)
{
    Run *r = ws_current(vc->ws);
    if (need_model(r, e)) return -1;
    const CmdWord *w = verb_word(c, noun, 0);
    int lo = 0, hi = 0;
    if (verb_parse_range(w->text, r->model.arch->depth, &lo, &hi, e)) {
        vc->err_col = w->col;
        return -1;
    }
    if (c->n_args == 0) return bl_fail(e, "block %s: expected key=value toggles (help block lists them)", w->text);
    ArchSpec *a = xcalloc(1, sizeof *a);
    arch_copy(a, r->model.arch);
    int rc = 0;
    for (int i = 0; i < c->n_args && !rc; i++) {
        const CmdArg *g = &c->args[i];
        if (!strcmp(g->key, "force")) continue;
        if (arch_set_block(a, lo, hi, g->key, g->value, g->trainable, e)) {
            vc->err_col = g->vcol;
            rc = -1;
        }
    }
    Model m;
    if (!rc) rc = verb_build_model(r, a, verb_force(c), "block", &m, e);
    arch_free(a);
    free(a);
    if (rc) return -1;
    long steps = run_step(r);
    run_set_model(r, &m);
    char n[32];
    if (lo == hi) out_printf(vc->out, "block %d:", lo);
    else out_printf(vc->out, "blocks %d..%d:", lo, hi);
    for (int i = 0; i < c->n_args; i++)
        out_printf(vc->out, " %s%s=%s", c->args[i].key, c->args[i].trainable ? "~" : "", c->args[i].value);
    out_printf(vc->out, " (model rebuilt, %s params)\n", out_count(n, sizeof n, verb_param_count(&r->model.params)));
    if (steps) out_printf(vc->out, "note: rebuilt from seed %llu: the %ld training steps are gone\n",
                          (unsigned long long)r->model.arch->seed, steps);
    return 0;
}

/* ---- arch ------------------------------------------------------------------ */

static void gain_str(const GainSpec *a, const GainSpec *b, char *buf, size_t cap)
{
    snprintf(buf, cap, "%g%s,%g%s", (double)a->value, a->trainable ? "~" : "", (double)b->value, b->trainable ? "~" : "");
}

/* One row of the block table (cells in cap-sized slots). */
static void block_row(const ArchSpec *a, int l, char cell[][80])
{
    const BlockSpec *b = &a->blocks[l];
    snprintf(cell[1], 80, "%s", b->preset);
    snprintf(cell[2], 80, "%s", b->layout == LAYOUT_PARALLEL ? "par" : "seq");
    snprintf(cell[3], 80, "%s", !b->norm ? "off" : b->normpos == NORMPOS_POST ? "post" : "pre");
    int smode = block_student_mode(b);
    static const char *const sizes[] = {"xs", "s", "m", "l"};
    if (b->attn == ATTN_OFF || smode == STUDENT_ALRR || smode == STUDENT_ELR) {
        if (smode >= 0) snprintf(cell[4], 80, "mlp-%s %s", student_mode_names[smode], sizes[b->student]);
        else snprintf(cell[4], 80, "off");
        snprintf(cell[6], 80, "-");
    } else if (smode >= 0) {
        snprintf(cell[4], 80, "mlp-%s %s%s", student_mode_names[smode], sizes[b->student], b->proj ? "" : " P=I");
        gain_str(&b->alpha_sa, &b->beta_sa, cell[6], 80);
    } else {
        snprintf(cell[4], 80, "%s%s%s", b->shape == 1 ? "shaped" : b->shape == 2 ? "vskip" : "mha",
                 b->value == 0 ? " V=I" : b->value == 2 ? " V=I+dW" : "", b->proj ? "" : " P=I");
        gain_str(&b->alpha_sa, &b->beta_sa, cell[6], 80);
    }
    if (!b->mlp || smode == STUDENT_ELR) {
        snprintf(cell[5], 80, smode == STUDENT_ELR ? "(student)" : "off");
        snprintf(cell[7], 80, "-");
    } else {
        snprintf(cell[5], 80, "%gx %s", (double)b->mlp_ratio, b->act == ACT_RELU ? "relu" : "gelu");
        gain_str(&b->alpha_ff, &b->beta_ff, cell[7], 80);
    }
    int xavier = b->xavier || a->init == INIT_XAVIER;
    size_t k = (size_t)snprintf(cell[8], 80, "%s", xavier ? "xavier" : "normal");
    if (b->init_gain != 1.0f) k += (size_t)snprintf(cell[8] + k, 80 - k, " g=%.3g", (double)b->init_gain);
    if (b->init_div != 1.0f) snprintf(cell[8] + k, 80 - k, " /%.3g", (double)b->init_div);
}

static void arch_text(const ArchSpec *a, Out *o)
{
    int cap = 1 << 20;
    char *text = xmalloc((size_t)cap);
    arch_to_text(a, text, cap);
    out_printf(o, "%s\n", text);
    free(text);
}

int verb_arch(VerbCtx *vc, const Cmd *c, int noun, BlError *e)
{
    Run *r = ws_current(vc->ws);
    if (need_model(r, e)) return -1;
    const ArchSpec *a = r->model.arch;
    if (noun == 0) {
        arch_text(a, vc->out);
        return 0;
    }
    char label[48 + CKPT_LABEL_MAX], line[160];
    if (r->label[0]) snprintf(label, sizeof label, "run %s \"%s\"", r->name, r->label);
    else snprintf(label, sizeof label, "run %s", r->name);
    model_line(vc, r, label);
    arch_draw_oneline(a, line, sizeof line);
    out_printf(vc->out, "  in one line: %s\n", line);
    out_printf(vc->out, "  mlp_ratio=%g norm=%s act=%s pos=%s init=%s bias=%s causal=%s tie=%s seed=%llu\n",
               (double)a->mlp_ratio, a->norm == NORM_LAYER ? "layer" : a->norm == NORM_RMS ? "rms" : "none",
               a->act == ACT_RELU ? "relu" : "gelu", a->pos == POS_LEARNED ? "learned" : a->pos == POS_SINUSOIDAL ? "sinusoidal" : "none",
               a->init == INIT_XAVIER ? "xavier" : "normal", a->bias ? "on" : "off", a->causal ? "on" : "off",
               a->tie ? "on" : "off", (unsigned long long)a->seed);
    OutTable t;
    out_table_init(&t, 9);
    const char *head[] = {"blocks", "preset", "layout", "norm", "attention", "mlp", "attn a,b", "mlp a,b", "init"};
    out_table_row(&t, head);
    char cur[9][80], next[9][80];
    for (int l = 0; l < a->depth;) {
        memset(cur, 0, sizeof cur);
        block_row(a, l, cur);
        int h = l;
        while (h + 1 < a->depth) {
            memset(next, 0, sizeof next);
            block_row(a, h + 1, next);
            if (memcmp(cur[1], next[1], sizeof cur - sizeof cur[0])) break;
            h++;
        }
        if (h == l) snprintf(cur[0], 80, "%d", l);
        else snprintf(cur[0], 80, "%d..%d", l, h);
        const char *cells[9];
        for (int i = 0; i < 9; i++) cells[i] = cur[i];
        out_table_row(&t, cells);
        l = h + 1;
    }
    out_table_print(vc->out, &t, 2);
    out_table_free(&t);
    if (a->depth) {
        out_puts(vc->out, "  a,b: skip and branch gains (~ trainable). The blocks as equations:\n");
        arch_draw_equations(vc->out, a, &r->model);
    }
    if (a->stack == STACK_MOM) verb_mom_draw(vc->out, r);
    out_puts(vc->out, "Rebuild this model with:\n");
    arch_text(a, vc->out);
    return 0;
}

/* ---- params ---------------------------------------------------------------- */

/* Sum of the tensors of blocks (group >= 0), and of everything. */
static void block_totals(const ParamTable *pt, double *blocks, double *all)
{
    *blocks = *all = 0;
    for (int i = 0; i < pt->n; i++) {
        *all += pt->p[i].t.n;
        if (pt->p[i].group >= 0) *blocks += pt->p[i].t.n;
    }
}

/* The share against a Pre-LN model of the same shape (SAS §4.2: 12d² vs 10d² a block). */
static void params_compare_preln(Out *o, const ArchSpec *a, const ParamTable *pt)
{
    ArchSpec *ref = xcalloc(1, sizeof *ref);
    arch_copy(ref, a);
    ParamTable rp;
    memset(&rp, 0, sizeof rp);
    BlError e;
    if (arch_preset(ref, "preln", 0, ref->depth - 1, &e) == 0 && model_declare(ref, &rp, &e) == 0) {
        double b, t, rb, rt;
        block_totals(pt, &b, &t);
        block_totals(&rp, &rb, &rt);
        char n1[32], n2[32];
        if (t == rt && b == rb)
            out_printf(o, "same count as a Pre-LN model of this shape\n");
        else
            out_printf(o, "vs Pre-LN of the same shape: %s vs %s, %+.1f%% in total, %+.1f%% in the blocks\n",
                       out_count(n1, sizeof n1, t), out_count(n2, sizeof n2, rt), 100.0 * (t - rt) / rt,
                       rb > 0 ? 100.0 * (b - rb) / rb : 0.0);
    }
    params_free(&rp);
    arch_free(ref);
    free(ref);
}

static const char *component_of(const Param *p)
{
    if (!strcmp(p->name, "wte") || !strcmp(p->name, "wpe")) return "embedding";
    if (!strncmp(p->name, "ln_in", 5)) return "input norm";
    if (!strncmp(p->name, "ln_f", 4)) return "final norm";
    if (!strcmp(p->name, "head")) return "head";
    return p->name;
}

/* The part of a block tensor's name after "blocks.L.". */
static const char *local_name(const Param *p)
{
    const char *s = p->name;
    if (strncmp(s, "blocks.", 7)) return s;
    s = strchr(s + 7, '.');
    return s ? s + 1 : p->name;
}

/* A block's tensors as one comparable string: names, shapes, flags. */
static void block_sig(const ParamTable *pt, int first, int last, char *buf, size_t cap)
{
    size_t k = 0;
    buf[0] = 0;
    for (int i = first; i < last && k < cap; i++) {
        char sh[48];
        k += (size_t)snprintf(buf + k, cap - k, "%s%s%d;", local_name(&pt->p[i]), tensor_shape_str(&pt->p[i].t, sh, sizeof sh),
                              pt->p[i].flags);
    }
}

static void param_row(OutTable *t, const char *comp, const Param *p)
{
    char sh[48], n[32];
    const char *cells[5] = {comp, local_name(p), tensor_shape_str(&p->t, sh, sizeof sh), out_count(n, sizeof n, p->t.n),
                            p->flags & PARAM_TRAIN ? "" : "frozen"};
    out_table_row(t, cells);
}

/* MoM tensors group by module: "mom.attn.2" / "mom.ffn.0" / "mom.router.attn" (length of that prefix, 0 if not MoM). */
static int mom_group_len(const char *name)
{
    if (strncmp(name, "mom.", 4)) return 0;
    const char *d = strchr(name + 4, '.');
    if (!d) return 0;
    d = strchr(d + 1, '.');
    return d ? (int)(d - name) : 0;
}

/* Rows of a run of MoM groups: identical modules in a row collapse to "attn modules 0..3 (each)". */
static int mom_param_rows(OutTable *t, const ParamTable *pt, int i)
{
    char sig[2048], sig2[2048], comp[64], n[32];
    int gl = mom_group_len(pt->p[i].name), end = i;
    while (end < pt->n && mom_group_len(pt->p[end].name) == gl && !strncmp(pt->p[end].name, pt->p[i].name, (size_t)gl)) end++;
    size_t k = 0;
    sig[0] = 0;
    for (int j = i; j < end; j++) {
        char sh[48];
        k += (size_t)snprintf(sig + k, sizeof sig - k, "%s%s;", pt->p[j].name + gl, tensor_shape_str(&pt->p[j].t, sh, sizeof sh));
    }
    /* Following groups of the same kind (mom.attn.N) and signature. */
    int count = 1, next = end;
    char kind[24];
    snprintf(kind, sizeof kind, "%.*s", gl, pt->p[i].name);
    char *dot = strrchr(kind, '.');
    int is_module = dot && strncmp(kind, "mom.router", 10);
    while (is_module && next < pt->n) {
        int g2 = mom_group_len(pt->p[next].name), f = next;
        if (!g2 || strncmp(pt->p[next].name, kind, (size_t)(dot - kind + 1))) break;
        while (f < pt->n && mom_group_len(pt->p[f].name) == g2 && !strncmp(pt->p[f].name, pt->p[next].name, (size_t)g2)) f++;
        size_t k2 = 0;
        sig2[0] = 0;
        for (int j = next; j < f; j++) {
            char sh[48];
            k2 += (size_t)snprintf(sig2 + k2, sizeof sig2 - k2, "%s%s;", pt->p[j].name + g2, tensor_shape_str(&pt->p[j].t, sh, sizeof sh));
        }
        if (strcmp(sig, sig2)) break;
        count++;
        next = f;
    }
    int first = atoi(dot ? dot + 1 : "0");
    if (!is_module) snprintf(comp, sizeof comp, "router %s", kind + 11);
    else if (count == 1) snprintf(comp, sizeof comp, "%.*s module %d", (int)(dot - kind - 4), kind + 4, first);
    else snprintf(comp, sizeof comp, "%.*s modules %d..%d", (int)(dot - kind - 4), kind + 4, first, first + count - 1);
    size_t sub = 0;
    for (int j = i; j < end; j++) {
        char sh[48], cnt[32];
        const char *cells[5] = {j == i ? comp : j == i + 1 && count > 1 ? "(each)" : "", pt->p[j].name + gl + 1,
                                tensor_shape_str(&pt->p[j].t, sh, sizeof sh), out_count(cnt, sizeof cnt, pt->p[j].t.n), ""};
        out_table_row(t, cells);
        sub += (size_t)pt->p[j].t.n;
    }
    char label[32];
    snprintf(label, sizeof label, count > 1 ? "subtotal x%d" : "subtotal", count);
    const char *cells[5] = {"", label, "", out_count(n, sizeof n, (double)sub * count), ""};
    out_table_row(t, cells);
    return next;
}

/* MoM cost per token beside the vanilla model of the same parameters (spec §A.6, A.8, C.1 M4). */
static void params_mom_cost(Out *o, const ArchSpec *a)
{
    const MomSpec *s = &a->mom;
    MomModelCfg mc = model_mom_cfg(a);
    int T = a->ctx, L = (s->n_attn > s->n_ffn ? s->n_attn : s->n_ffn) + mom_static_layers(s);
    double d = a->width, F = (int)(a->mlp_ratio * a->width + 0.5f), attn = d * (T + 1);   /* mean causal prefix */
    double stat = mom_static_layers(s) * (4 * d * d + 2 * F * d + attn);
    double mom = mom_macs_per_token(s, &mc, T) + stat, van = L * (4 * d * d + 2 * F * d + attn);
    double kv_mom = 2.0 * d * (s->steps + mom_static_layers(s)), kv_van = 2.0 * d * L;
    char m1[32], m2[32];
    out_printf(o, "per token (forward, T=%d): MoM H=%d K=%d pools %d+%d: %s MACs, %.0f KV floats; "
                  "vanilla of the same parameters (%d blocks): %s MACs, %.0f KV floats (%+.0f%% MACs, %+.0f%% KV)\n",
               T, s->steps, s->topk, s->n_attn, s->n_ffn, out_count(m1, sizeof m1, mom), kv_mom, L, out_count(m2, sizeof m2, van), kv_van,
               100.0 * (mom - van) / van, 100.0 * (kv_mom - kv_van) / kv_van);
}

/* Spec C.2 R5: each student against what it replaces, per block and per
 * sequence of ctx positions. Attention: 4Td² + 2T²d MACs (Q, K, V, O and the
 * two T×T products), the replaced part only (ALR/ASLR keep W_O). A student:
 * its two Linears, once per position in the causal form, as defined. */
static void params_students(Out *o, const ArchSpec *a)
{
    int any = 0;
    for (int l = 0; l < a->depth; l++) any |= block_student_mode(&a->blocks[l]) >= 0;
    if (!any) return;
    double T = a->ctx, d = a->width, bias = a->bias;
    OutTable t;
    out_table_init(&t, 7);
    for (int k = 2; k < 7; k++) t.right[k] = 1;
    const char *head[] = {"block", "student replaces", "params", "MACs/seq", "student params", "student MACs/seq", "x MACs"};
    out_table_row(&t, head);
    double tp[2] = {0, 0}, tm[2] = {0, 0};
    for (int l = 0; l < a->depth; l++) {
        const BlockSpec *b = &a->blocks[l];
        StudentSpec s;
        if (block_student_mode(b) < 0 || student_spec_of(a, b, &s, NULL)) continue;
        double F = (int)(b->mlp_ratio * (float)a->width + 0.5f), norm = a->norm == NORM_NONE ? 0 : (bias ? 2 : 1) * d;
        double p = 0, m = 0;
        const char *what = "";
        if (s.mode <= STUDENT_ASLR) {   /* Q, K, V and the attention itself */
            p = 3 * d * d + (bias ? 3 * d : 0);
            m = 3 * T * d * d + 2 * T * T * d;
            what = s.mode == STUDENT_ALR ? "Q,K,V,softmax" : "Q,K,V,softmax per head";
        } else {
            p = 4 * d * d + (bias ? 4 * d : 0) + norm;
            m = 4 * T * d * d + 2 * T * T * d;
            what = "norm+attention+residual";
            if (s.mode == STUDENT_ELR) {
                p += b->mlp ? 2 * d * F + (bias ? F + d : 0) + norm : 0;
                m += b->mlp ? 2 * T * d * F : 0;
                what = "the whole block";
            }
        }
        double sp = student_params(&s), sm = student_macs(&s);
        char c[7][80];
        snprintf(c[0], 80, "%d", l);
        snprintf(c[1], 80, "%s", what);
        out_count(c[2], 80, p);
        out_count(c[3], 80, m);
        out_count(c[4], 80, sp);
        out_count(c[5], 80, sm);
        snprintf(c[6], 80, "%.1fx", m > 0 ? sm / m : 0.0);
        const char *cells[7] = {c[0], c[1], c[2], c[3], c[4], c[5], c[6]};
        out_table_row(&t, cells);
        tp[0] += p, tm[0] += m, tp[1] += sp, tm[1] += sm;
    }
    char c[5][80];
    out_count(c[0], 80, tp[0]);
    out_count(c[1], 80, tm[0]);
    out_count(c[2], 80, tp[1]);
    out_count(c[3], 80, tm[1]);
    snprintf(c[4], 80, "%.1fx", tm[0] > 0 ? tm[1] / tm[0] : 0.0);
    const char *cells[7] = {"total", "", c[0], c[1], c[2], c[3], c[4]};
    out_table_row(&t, cells);
    out_printf(o, "students vs what they replace (spec C.2 R5), one sequence of %d positions%s:\n", a->ctx,
               a->causal ? " (causal: the student runs once per position)" : "");
    out_table_print(o, &t, 2);
    out_table_free(&t);
}

int verb_params(VerbCtx *vc, const Cmd *c, int noun, BlError *e)
{
    Run *r = ws_current(vc->ws);
    ArchSpec *a = xcalloc(1, sizeof *a);
    if (r->has_model) arch_copy(a, r->model.arch);
    else arch_default(a);
    int rc = 0;
    for (int i = 0; i < c->n_args && !rc; i++)
        if (arch_set_model(a, c->args[i].key, c->args[i].value, e)) {
            vc->err_col = c->args[i].vcol;
            rc = -1;
        }
    /* A changed depth or preset re-applies the presets to every block. */
    if (!rc && c->n_args) rc = arch_reset_blocks(a, e);
    if (!rc && !r->has_model && !c->n_args)
        out_puts(vc->out, "no model yet: counting the default model (model new builds it)\n");
    ParamTable pt;
    memset(&pt, 0, sizeof pt);
    if (!rc) rc = model_declare(a, &pt, e);
    if (rc) {
        arch_free(a);
        free(a);
        return -1;
    }
    OutTable t;
    out_table_init(&t, 5);
    t.right[3] = 1;
    const char *head[] = {"component", "tensor", "shape", "params", ""};
    out_table_row(&t, head);
    char sig[4096], sig2[4096], comp[48], n[32];
    for (int i = 0; i < pt.n;) {
        const Param *p = &pt.p[i];
        if (mom_group_len(p->name)) {
            i = mom_param_rows(&t, &pt, i);
            continue;
        }
        if (p->group < 0) {
            const char *cm = component_of(p);
            param_row(&t, cm, p);
            for (i++; i < pt.n && pt.p[i].group < 0 && !strcmp(component_of(&pt.p[i]), cm); i++) param_row(&t, "", &pt.p[i]);
            continue;
        }
        /* Tensors of block L, then the run of following blocks with the same signature. */
        int l = p->group, end = i;
        while (end < pt.n && pt.p[end].group == l) end++;
        block_sig(&pt, i, end, sig, sizeof sig);
        int h = l, next = end;
        for (;;) {
            int s = next, f = s;
            while (f < pt.n && pt.p[f].group == h + 1) f++;
            if (f == s) break;
            block_sig(&pt, s, f, sig2, sizeof sig2);
            if (strcmp(sig, sig2)) break;
            h++;
            next = f;
        }
        if (h == l) snprintf(comp, sizeof comp, "block %d", l);
        else snprintf(comp, sizeof comp, "blocks %d..%d", l, h);
        size_t sub = 0;
        for (int k = i; k < end; k++) {
            param_row(&t, k == i ? comp : k == i + 1 && h > l ? "(each)" : "", &pt.p[k]);
            sub += (size_t)pt.p[k].t.n;
        }
        char label[48];
        if (h == l) snprintf(label, sizeof label, "subtotal");
        else snprintf(label, sizeof label, "subtotal x%d", h - l + 1);
        const char *cells[5] = {"", label, "", out_count(n, sizeof n, (double)sub * (h - l + 1)), ""};
        out_table_row(&t, cells);
        i = next;
    }
    char tensors[32], tr[32], total[32];
    snprintf(tensors, sizeof tensors, "%d tensors", pt.n);
    snprintf(tr, sizeof tr, "(%s trainable)", out_count(n, sizeof n, (double)params_trainable(&pt)));
    const char *cells[5] = {"total", tensors, "", out_count(total, sizeof total, verb_param_count(&pt)), tr};
    out_table_row(&t, cells);
    out_table_print(vc->out, &t, 0);
    out_table_free(&t);
    if (a->stack == STACK_MOM) params_mom_cost(vc->out, a);
    else {
        params_compare_preln(vc->out, a, &pt);
        params_students(vc->out, a);
    }
    MemBudget b;
    BlError sub;
    if (budget_estimate(a, r->cfg.batch, 1, &b, &sub) == 0) {
        char tot[32], w[32], o[32], x[32], av[32];
        out_printf(vc->out, "memory to train at batch %d: about %s (weights+grads %s, optimizer %s, activations %s); %s available\n",
                   b.batch, budget_bytes(b.total, tot, sizeof tot), budget_bytes(b.params + b.grads, w, sizeof w),
                   budget_bytes(b.moments, o, sizeof o), budget_bytes(b.activations, x, sizeof x),
                   budget_bytes(budget_available(), av, sizeof av));
    }
    arch_free(a);
    free(a);
    params_free(&pt);
    return 0;
}
