/* mom_model.c — a MoM's module slots filled from a trained vanilla model
 * (spec mom-and-mlp-attention.md §A.10: get_layer_map / init_from_vanilla). */
#include "mom_model.h"

#include <stdio.h>
#include <string.h>

int mom_vanilla_layers(const MomSpec *s)
{
    int M = s->n_attn > s->n_ffn ? s->n_attn : s->n_ffn;
    return s->bottom + M + s->anchor + s->top;
}

/* Block l of src is what a MoM module copies: Pre-LN attention + MLP, fixed unit gains. */
static int plain_block(const ArchSpec *a, int l, BlError *e)
{
    const BlockSpec *b = &a->blocks[l];
    int ok = b->attn == ATTN_MHA && b->mlp && b->layout == LAYOUT_SEQUENTIAL && b->normpos == NORMPOS_PRE && b->norm &&
             b->value == 1 && b->proj && !b->shape && b->act == a->act && b->mlp_ratio == a->mlp_ratio;
    const GainSpec *g[] = {&b->alpha_sa, &b->beta_sa, &b->alpha_ff, &b->beta_ff};
    for (int i = 0; i < 4; i++) ok &= g[i]->value == 1.0f && !g[i]->trainable;
    if (!ok)
        return bl_fail(e, "block %d is not a plain Pre-LN block (preset %s or toggles): MoM modules are Pre-LN attention and FFN", l,
                       b->preset);
    return 0;
}

int mom_check_vanilla(const ArchSpec *mom, const ArchSpec *src, BlError *e)
{
    if (src->stack == STACK_MOM) return bl_fail(e, "it is a MoM already; `mom from=` takes a vanilla run (stack=blocks)");
    if (src->width != mom->width)
        return bl_fail(e, "its width is %d but width=%d was asked: modules keep their width", src->width, mom->width);
    int need = mom_vanilla_layers(&mom->mom);
    const MomSpec *s = &mom->mom;
    if (src->depth != need)
        return bl_fail(e, "it has %d block%s but this MoM takes exactly %d: bottom %d + max(attn_pool %d, ffn_pool %d) + anchor %d + top %d",
                       src->depth, src->depth == 1 ? "" : "s", need, s->bottom, s->n_attn, s->n_ffn, s->anchor, s->top);
    if (!src->causal) return bl_fail(e, "it is an encoder (causal=off); MoM here is a causal decoder");
    for (int l = 0; l < src->depth; l++)
        if (plain_block(src, l, e)) return -1;
    return 0;
}

/* The vanilla name that fills MoM parameter `name`, into out; 0 if none (a router). */
static int source_name(const MomSpec *s, const char *name, char *out, size_t cap)
{
    int M = s->n_attn > s->n_ffn ? s->n_attn : s->n_ffn, j, l;
    char rest[48];
    if (sscanf(name, "mom.attn.%d.%47s", &j, rest) == 2) {
        static const char *const map[][2] = {{"ln.w", "ln1.w"}, {"ln.b", "ln1.b"}, {"w_qkv", "attn.w_qkv"},
                                             {"b_qkv", "attn.b_qkv"}, {"w_o", "attn.w_o"}, {"b_o", "attn.b_o"}};
        for (size_t i = 0; i < sizeof map / sizeof map[0]; i++)
            if (!strcmp(rest, map[i][0])) return snprintf(out, cap, "blocks.%d.%s", s->bottom + j, map[i][1]), 1;
        return 0;
    }
    if (sscanf(name, "mom.ffn.%d.%47s", &j, rest) == 2) {
        static const char *const map[][2] = {{"ln.w", "ln2.w"}, {"ln.b", "ln2.b"}, {"w_in", "mlp.w_in"},
                                             {"b_in", "mlp.b_in"}, {"w_out", "mlp.w_out"}, {"b_out", "mlp.b_out"}};
        for (size_t i = 0; i < sizeof map / sizeof map[0]; i++)
            if (!strcmp(rest, map[i][0])) return snprintf(out, cap, "blocks.%d.%s", s->bottom + j, map[i][1]), 1;
        return 0;
    }
    if (!strncmp(name, "mom.", 4)) return 0;
    if (sscanf(name, "blocks.%d.%47s", &l, rest) == 2) {
        /* Static blocks after the chunk sit M vanilla layers further on. */
        return snprintf(out, cap, "blocks.%d.%s", l < s->bottom ? l : l + M, rest), 1;
    }
    return snprintf(out, cap, "%s", name), 1;
}

int mom_copy_from_vanilla(Model *dst, const Model *src, BlError *e)
{
    ParamTable *pd = &dst->params;
    const ParamTable *ps = &src->params;
    for (int i = 0; i < pd->n; i++) {
        char from[80];
        if (!source_name(&dst->arch->mom, pd->p[i].name, from, sizeof from)) continue;
        int k = params_find(ps, from);
        if (k < 0) return bl_fail(e, "%s has no source %s in the vanilla model", pd->p[i].name, from);
        if (ps->p[k].t.n != pd->p[i].t.n)
            return bl_fail(e, "%s (%lld values) and %s (%lld values) differ in shape", pd->p[i].name, (long long)pd->p[i].t.n, from,
                           (long long)ps->p[k].t.n);
        memcpy(pd->p[i].t.data, ps->p[k].t.data, sizeof(float) * (size_t)ps->p[k].t.n);
    }
    return 0;
}
