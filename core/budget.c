/* budget.c — a model's memory footprint from its spec, and the machine's
 * available memory; see budget.h. The activation figure follows the ops a
 * training step records (core/model.c's forward, core/ops_*.c's saved buffers)
 * and errs high: refusing a model that would just fit is better than a swap storm. */
#include "budget.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "params.h"
#include "model.h"

/* Floats one block keeps alive through a recorded step (values plus the
 * gradients backward adds): per token, ~20·C for norms, residual mixes, q/k/v and
 * projections, 5·F for the MLP (in, activation, saved tanh, and grads), and two
 * T×T attention maps per head (the pattern and its gradient). */
static double block_floats(const ArchSpec *a, const BlockSpec *b, double BT)
{
    double C = a->width, T = a->ctx, H = a->heads;
    double f = 20.0 * BT * C;
    if (b->mlp) f += 5.0 * BT * (double)(int)(b->mlp_ratio * (float)a->width + 0.5f);
    if (b->attn == ATTN_MHA) f += 2.0 * BT * H * T + 2.0 * T * T;
    return f;
}

int budget_estimate(const ArchSpec *a, int batch, int with_optimizer, MemBudget *b, BlError *e)
{
    memset(b, 0, sizeof *b);
    ParamTable pt;
    memset(&pt, 0, sizeof pt);
    if (model_declare(a, &pt, e)) return -1;
    double floats = (double)pt.total;   /* with the 16-float alignment padding, as allocated */
    for (int i = 0; i < pt.n; i++) b->count += (double)pt.p[i].t.n;
    params_free(&pt);
    double BT = (double)batch * a->ctx, act = 0;
    for (int l = 0; l < a->depth; l++) act += block_floats(a, &a->blocks[l], BT);
    if (a->stack == STACK_MOM) {
        /* A MoM chunk (core/mom.c): per step a block's worth for each of K chosen
         * modules (gathered rows, their outputs, the weighted scatter), plus the
         * two routers' gates, scores and probabilities. */
        const MomSpec *m = &a->mom;
        BlockSpec plain;
        memset(&plain, 0, sizeof plain);
        plain.attn = ATTN_MHA;
        plain.mlp = 1;
        plain.mlp_ratio = a->mlp_ratio;
        double router = 2.0 * BT * (8.0 * m->rdim + 3.0 * (m->n_attn > m->n_ffn ? m->n_attn : m->n_ffn) + 3.0);
        act += m->steps * (m->topk * block_floats(a, &plain, BT) + router);
    }
    /* Embedding and final norm (values and grads), then logits, their gradient
     * and the softmax cross-entropy keeps (B·T·V each). */
    act += 6.0 * BT * a->width + 3.0 * BT * a->vocab;
    b->params = b->grads = 4.0 * floats;
    b->moments = with_optimizer ? 8.0 * floats : 0;
    b->activations = 4.0 * act;
    b->total = b->params + b->grads + b->moments + b->activations;
    b->batch = batch;
    return 0;
}

int budget_probe(const ArchSpec *a, int batch, int recorded, int attn_maps, int updates, MemBudget *b, BlError *e)
{
    MemBudget m;
    if (budget_estimate(a, batch, 0, &m, e)) return -1;
    memset(b, 0, sizeof *b);
    double BT = (double)batch * a->ctx, T = a->ctx, H = a->heads, act = m.activations / 4.0;
    if (!recorded && a->stack != STACK_MOM) {
        /* Forward only: one block's activations alive at a time (core/model.c's
         * ping-pong pair), then the final norm and the logits. */
        double most = 0;
        for (int l = 0; l < a->depth; l++) {
            double f = block_floats(a, &a->blocks[l], BT);
            if (f > most) most = f;
        }
        act = most + 8.0 * BT * a->width + 3.0 * BT * a->vocab;
    }
    double maps = attn_maps ? ((double)a->depth + 1.0) * H * T * T : 0;   /* every layer's, and one mixed */
    b->activations = 4.0 * (act + 3.0 * BT * a->width + maps) + 8.0 * (T * T + 2.0 * T);
    b->params = updates ? 2.0 * m.params : 0;   /* theta_prev, or the SGD step's copies of weights and grads */
    b->total = b->params + b->activations;
    b->count = m.count;
    b->batch = batch;
    return 0;
}

double budget_available(void)
{
    FILE *f = fopen("/proc/meminfo", "r");
    if (f) {
        char line[256];
        unsigned long long kb;
        while (fgets(line, sizeof line, f))
            if (sscanf(line, "MemAvailable: %llu kB", &kb) == 1) {
                fclose(f);
                return (double)kb * 1024.0;
            }
        fclose(f);
    }
#ifdef _SC_AVPHYS_PAGES
    long pages = sysconf(_SC_AVPHYS_PAGES), size = sysconf(_SC_PAGESIZE);
    if (pages > 0 && size > 0) return (double)pages * (double)size;
#endif
    return 0;
}

const char *budget_bytes(double bytes, char *buf, int cap)
{
    static const char *const unit[] = {"B", "kB", "MB", "GB", "TB", "PB", "EB"};
    int u = 0;
    while (bytes >= 999.5 && u < 6) bytes /= 1000.0, u++;
    snprintf(buf, (size_t)cap, u ? "%.3g %s" : "%.0f %s", bytes, unit[u]);
    return buf;
}

int budget_check(const MemBudget *b, const char *what, const char *remedy, BlError *e)
{
    double avail = budget_available();
    if (avail <= 0 || b->total <= avail) return 0;
    char t[32], av[32], parts[160] = "", n[32];
    const double part[] = {b->params + b->grads, b->moments, b->activations};
    const char *name[] = {"weights+grads", "optimizer", "activations"};
    for (int i = 0; i < 3; i++)
        if (part[i] > 0)
            snprintf(parts + strlen(parts), sizeof parts - strlen(parts), "%s%s %s", parts[0] ? ", " : "", name[i],
                     budget_bytes(part[i], n, sizeof n));
    return bl_fail(e, "%s: needs about %s (%s at batch %d) but %s is available; %s", what,
                   budget_bytes(b->total, t, sizeof t), parts, b->batch, budget_bytes(avail, av, sizeof av), remedy);
}
