/* arch_draw.c — ArchSpec → the equations of each block group (see arch_draw.h).
 * Reads only the spec (and the model for trained gain values); draws nothing
 * that arch_to_text does not also say, so the two can never disagree. */
#include "arch_draw.h"

#include <stdio.h>
#include <string.h>

/* "1", "0.1~", "1.86": the gain's current value, ~ when trainable. */
static void gain_str(const GainSpec *g, const Gain *live, char *buf, size_t cap)
{
    float v = live && live->p ? live->p->data[0] : g->value;
    snprintf(buf, cap, "%.3g%s", (double)v, g->trainable ? "~" : "");
}

/* "a·x + " with the common cases made quiet: 1·x → x, 0·x → nothing. */
static void skip_term(const GainSpec *g, const Gain *live, const char *x, char *buf, size_t cap)
{
    char v[24];
    gain_str(g, live, v, sizeof v);
    if (!g->trainable && g->value == 0.0f) buf[0] = 0;
    else if (!g->trainable && g->value == 1.0f) snprintf(buf, cap, "%s + ", x);
    else snprintf(buf, cap, "%s·%s + ", v, x);
}

static void branch_gain(const GainSpec *g, const Gain *live, char *buf, size_t cap)
{
    char v[24];
    gain_str(g, live, v, sizeof v);
    if (!g->trainable && g->value == 1.0f) buf[0] = 0;
    else snprintf(buf, cap, "%s·", v);
}

static const char *norm_name(const ArchSpec *a) { return a->norm == NORM_RMS ? "RMS" : a->norm == NORM_NONE ? "" : "LN"; }

/* The attention term: Attn, ShapedAttn (αI+βA−γC) or ValueSkipAttn (αI+βA), with V and P;
 * for a student in place of the attention core (ALR, ASLR) S(...) then W_O. */
static void attn_term(const BlockSpec *b, const char *in, char *buf, size_t cap)
{
    int smode = block_student_mode(b);
    if (smode == STUDENT_ALR) snprintf(buf, cap, "%sS(%s)", b->proj ? "W_O·" : "", in);
    else if (smode == STUDENT_ASLR) snprintf(buf, cap, "%s[S_1..S_H](%s)", b->proj ? "W_O·" : "", in);
    else snprintf(buf, cap, "%s(%s)", b->shape == 1 ? "ShapedAttn" : b->shape == 2 ? "VSkipAttn" : "Attn", in);
}

/* What a student stands in for, for the notes column. */
static void student_notes(const ArchSpec *a, const BlockSpec *b, char *buf, size_t cap)
{
    static const char *const sizes[] = {"xs", "s", "m", "l"};
    static const char *const what[] = {"replaces Q,K,V,softmax; W_O kept", "a student per head; W_O kept",
                                       "replaces norm+attention+residual", "replaces the whole block"};
    int smode = block_student_mode(b);
    snprintf(buf, cap, "S: %s student %s, %s%s", student_mode_names[smode], sizes[b->student], what[smode],
             a->causal ? ", per position" : "");
}

static void attn_notes(const BlockSpec *b, char *buf, size_t cap)
{
    const char *v = b->value == 1 ? "" : b->value == 0 ? "V=I" : "V=I+dW";
    const char *p = b->proj ? "" : "P=I";
    const char *shape = b->shape == 1 ? "aI+bA-gC, W^Q=0" : b->shape == 2 ? "aI+bA" : "";
    snprintf(buf, cap, "%s%s%s%s%s", shape, *shape && (*v || *p) ? ", " : "", v, *v && *p ? ", " : "", p);
}

static void normed(const ArchSpec *a, const BlockSpec *b, const char *x, char *buf, size_t cap)
{
    const char *n = norm_name(a);
    if (!b->norm || !*n) snprintf(buf, cap, "%s", x);
    else snprintf(buf, cap, "%s %s", n, x);
}

/* Columns by characters, not bytes: the equations hold UTF-8 (·, ᵀ). */
static int utf8_width(const char *s)
{
    int n = 0;
    for (; *s; s++) n += ((unsigned char)*s & 0xC0) != 0x80;
    return n;
}

static void line(Out *o, const char *label, const char *eq, const char *notes)
{
    out_printf(o, "  %-24s %s%*s", label, eq, 47 - utf8_width(eq) > 1 ? 47 - utf8_width(eq) : 1, "");
    if (*notes) out_printf(o, "[%s]", notes);
    out_puts(o, "\n");
}

/* Block lo's forward as one or two equations (l1, l2: "" when absent) with
 * their notes (n1, n2); each buffer holds EQ_CAP bytes. */
#define EQ_CAP 200
static void block_equations(const ArchSpec *a, const Model *m, int lo, char *l1, char *l2, char *n1, char *n2)
{
    const BlockSpec *b = &a->blocks[lo];
    const BlockParams *p = m && m->blocks ? &m->blocks[lo] : NULL;
    char sk[48], bg[32], at[64], nx[32], notes[128], mlp[48];
    const size_t cap1 = EQ_CAP;
    snprintf(mlp, sizeof mlp, "%gx %s", (double)b->mlp_ratio, b->act == ACT_RELU ? "relu" : "gelu");
    attn_notes(b, notes, sizeof notes);
    int attn = block_has_attn_core(b), smode = block_student_mode(b);
    if (smode >= 0) student_notes(a, b, notes, sizeof notes);
    l1[0] = l2[0] = 0;
    if (smode == STUDENT_ELR || smode == STUDENT_ALRR) {
        /* The student's output is the block's (ELR) or the attention sub-block's (ALRR). */
        snprintf(l1, cap1, "%s = S(x)", smode == STUDENT_ALRR && b->mlp ? "h" : "y");
        if (smode == STUDENT_ALRR && b->mlp) {
            normed(a, b, "h", nx, sizeof nx);
            skip_term(&b->alpha_ff, p ? &p->alpha_ff : NULL, "h", sk, sizeof sk);
            branch_gain(&b->beta_ff, p ? &p->beta_ff : NULL, bg, sizeof bg);
            snprintf(l2, cap1, "y = %s%sMLP(%s)", sk, bg, nx);
        }
        snprintf(n1, cap1, "%s", notes);
        snprintf(n2, cap1, "%s", l2[0] ? mlp : "");
        return;
    }
    if (b->layout == LAYOUT_PARALLEL) {
        char bg2[32], mt[48];
        normed(a, b, "x", nx, sizeof nx);
        skip_term(&b->alpha_sa, p ? &p->alpha_sa : NULL, "x", sk, sizeof sk);
        branch_gain(&b->beta_sa, p ? &p->beta_sa : NULL, bg, sizeof bg);
        branch_gain(&b->beta_ff, p ? &p->beta_ff : NULL, bg2, sizeof bg2);
        attn_term(b, nx, at, sizeof at);
        snprintf(mt, sizeof mt, "MLP(%s)", nx);
        if (attn && b->mlp) snprintf(l1, cap1, "y = %s%s%s + %s%s", sk, bg, at, bg2, mt);
        else if (attn) snprintf(l1, cap1, "y = %s%s%s", sk, bg, at);
        else snprintf(l1, cap1, "y = %s%s%s", sk, bg2, mt);
    } else if (b->norm && b->normpos == NORMPOS_POST) {
        const char *n = *norm_name(a) ? norm_name(a) : "";
        const char *h = b->mlp ? "h" : "y";
        if (attn) {
            skip_term(&b->alpha_sa, p ? &p->alpha_sa : NULL, "x", sk, sizeof sk);
            branch_gain(&b->beta_sa, p ? &p->beta_sa : NULL, bg, sizeof bg);
            attn_term(b, "x", at, sizeof at);
            snprintf(l1, cap1, "%s = %s(%s%s%s)", h, n, sk, bg, at);
        }
        if (b->mlp) {
            const char *in = attn ? "h" : "x";
            skip_term(&b->alpha_ff, p ? &p->alpha_ff : NULL, in, sk, sizeof sk);
            branch_gain(&b->beta_ff, p ? &p->beta_ff : NULL, bg, sizeof bg);
            snprintf(attn ? l2 : l1, cap1, "y = %s(%s%sMLP(%s))", n, sk, bg, in);
        }
    } else {
        if (attn) {
            const char *h = b->mlp ? "h" : "y";
            normed(a, b, "x", nx, sizeof nx);
            skip_term(&b->alpha_sa, p ? &p->alpha_sa : NULL, "x", sk, sizeof sk);
            branch_gain(&b->beta_sa, p ? &p->beta_sa : NULL, bg, sizeof bg);
            attn_term(b, nx, at, sizeof at);
            snprintf(l1, cap1, "%s = %s%s%s", h, sk, bg, at);
        }
        if (b->mlp) {
            const char *in = attn ? "h" : "x";
            normed(a, b, in, nx, sizeof nx);
            skip_term(&b->alpha_ff, p ? &p->alpha_ff : NULL, in, sk, sizeof sk);
            branch_gain(&b->beta_ff, p ? &p->beta_ff : NULL, bg, sizeof bg);
            snprintf(attn ? l2 : l1, cap1, "y = %s%sMLP(%s)", sk, bg, nx);
        }
    }
    if (!attn) notes[0] = 0;
    snprintf(n1, cap1, "%s%s%s", notes, *notes && attn && b->alpha_sa.value == 0 && !b->alpha_sa.trainable ? ", " : "",
             attn && b->alpha_sa.value == 0 && !b->alpha_sa.trainable ? "no attention skip" : "");
    snprintf(n2, cap1, "%s%s", b->mlp ? mlp : "", b->mlp && b->alpha_ff.value == 0 && !b->alpha_ff.trainable &&
             b->layout == LAYOUT_SEQUENTIAL ? ", no MLP skip" : "");
    if (b->layout == LAYOUT_PARALLEL && b->mlp) {   /* one line: both branches' notes together */
        size_t k = strlen(n1);
        snprintf(n1 + k, cap1 - k, "%s%s", k ? "; " : "", n2);
    }
    if (!attn && b->layout == LAYOUT_SEQUENTIAL) memmove(n1, n2, strlen(n2) + 1);   /* an MLP-only block */
}

static void draw_group(Out *o, const ArchSpec *a, const Model *m, int lo, int hi)
{
    char label[64], l1[EQ_CAP], l2[EQ_CAP], n1[EQ_CAP], n2[EQ_CAP];
    if (lo == hi) snprintf(label, sizeof label, "block %d (%s)", lo, a->blocks[lo].preset);
    else snprintf(label, sizeof label, "blocks %d..%d (%s)", lo, hi, a->blocks[lo].preset);
    block_equations(a, m, lo, l1, l2, n1, n2);
    line(o, label, l1, n1);
    if (l2[0]) line(o, "", l2, n2);
}

/* Blocks draw alike when every field but the live gain values matches. */
static int same_block(const BlockSpec *x, const BlockSpec *y)
{
    BlockSpec a = *x, b = *y;
    a.init_div = b.init_div = 1;   /* Post-LN-init divides each layer differently; same equation */
    return memcmp(&a, &b, sizeof a) == 0;
}

void arch_draw_equations(Out *o, const ArchSpec *a, const Model *m)
{
    if (a->blocks[0].norm == 0 && a->norm != NORM_NONE) {
        char eq[32];
        snprintf(eq, sizeof eq, "x = %s(embed)", norm_name(a));
        line(o, "input", eq, "");
    }
    for (int l = 0; l < a->depth;) {
        int h = l;
        while (h + 1 < a->depth && same_block(&a->blocks[l], &a->blocks[h + 1])) h++;
        draw_group(o, a, m, l, h);
        l = h + 1;
    }
    char eq[64];
    snprintf(eq, sizeof eq, "logits = %s%sx%s·W%s", norm_name(a), a->norm != NORM_NONE ? "(" : "", a->norm != NORM_NONE ? ")" : "",
             a->tie ? "_embedᵀ" : "_headᵀ");
    line(o, "head", eq, a->tie ? "tied to the embedding" : "");
}

/* A group's short name: its preset when the blocks are exactly what the preset
 * makes, else the block's equations (gain values as the spec sets them). */
static void group_summary(const ArchSpec *a, int lo, char *buf, size_t cap)
{
    const BlockSpec *b = &a->blocks[lo];
    BlockSpec want;
    if (arch_block_preset(a, b->preset, lo, &want) == 0 && same_block(b, &want)) {
        snprintf(buf, cap, "%s", b->preset);
        return;
    }
    char l1[EQ_CAP], l2[EQ_CAP], n1[EQ_CAP], n2[EQ_CAP];
    block_equations(a, NULL, lo, l1, l2, n1, n2);
    snprintf(buf, cap, "%s%s%s", l1, l2[0] ? "; " : "", l2);
}

void arch_draw_oneline(const ArchSpec *a, char *buf, size_t cap)
{
    if (a->stack == STACK_MOM) {
        snprintf(buf, cap, "mom %d+%d H%d K%d x%d", a->mom.n_attn, a->mom.n_ffn, a->mom.steps, a->mom.topk, a->width);
        return;
    }
    size_t k = (size_t)snprintf(buf, cap, "%dx%d", a->depth, a->width);
    /* Runs of blocks with the same summary (SAS's block 0 differs from the
     * rest only in its V, which the preset sets: both read "sas"). */
    int nrun = 0, lo[64], hi[64];
    char sum[64][2 * EQ_CAP + 8];
    for (int l = 0; l < a->depth && k < cap;) {
        int h = l;
        while (h + 1 < a->depth && same_block(&a->blocks[l], &a->blocks[h + 1])) h++;
        char g[sizeof sum[0]];
        group_summary(a, l, g, sizeof g);
        if (nrun > 0 && !strcmp(sum[nrun - 1], g)) hi[nrun - 1] = h;
        else if (nrun < 64) lo[nrun] = l, hi[nrun] = h, memcpy(sum[nrun], g, sizeof g), nrun++;
        else hi[nrun - 1] = h, snprintf(sum[nrun - 1], sizeof sum[0], "...");
        l = h + 1;
    }
    for (int i = 0; i < nrun && k < cap; i++) {
        char where[32] = "";
        if (nrun > 1 && lo[i] == hi[i]) snprintf(where, sizeof where, "%d: ", lo[i]);
        else if (nrun > 1) snprintf(where, sizeof where, "%d..%d: ", lo[i], hi[i]);
        k += (size_t)snprintf(buf + k, cap - k, "%s%s%s", i ? " | " : " ", where, sum[i]);
    }
    if (k >= cap && cap > 4) {
        /* Cut whole characters (the equations hold UTF-8) and say so. */
        size_t end = cap - 4;
        while (end > 0 && ((unsigned char)buf[end] & 0xC0) == 0x80) end--;
        memcpy(buf + end, "...", 4);
    }
}
