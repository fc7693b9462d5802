/* hybrid.c — capture, distil, splice (hybrid.h). The cut points are the
 * hooks model.c names: ALR/ASLR attn.in → attn.heads, ALRR resid_pre →
 * resid_mid, ELR resid_pre → resid_post (spec §B.3; the official
 * extract_mha.py / extract.py hooks). */
#include "hybrid.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "distill.h"
#include "train.h"

#define CAPTURE_B 32

void distill_plan_default(DistillPlan *p)
{
    memset(p, 0, sizeof *p);
    p->mode = STUDENT_ALR;
    p->size = STUDENT_L;
    p->lo = p->hi = 0;
    p->epochs = 21;
    p->batch = 32;
    p->sequences = 512;
    p->seed = 1;
}

static int is_task(const DataSource *d)
{
    return d->spec.kind == DATA_COPY || d->spec.kind == DATA_REVERSE || d->spec.kind == DATA_SORT;
}

int hybrid_max_length(const Model *m, const DataSource *data)
{
    return data->spec.per_position ? m->arch->ctx : m->arch->ctx / 2;
}

int hybrid_check(const Model *teacher, const DataSource *data, const DistillPlan *p, BlError *e)
{
    const ArchSpec *a = teacher->arch;
    const char *mode = student_mode_names[p->mode];
    if (p->lo < 0 || p->hi >= a->depth || p->lo > p->hi)
        return bl_fail(e, "layers=%d..%d: the teacher has blocks 0..%d", p->lo, p->hi, a->depth - 1);
    for (int l = p->lo; l <= p->hi; l++) {
        const BlockSpec *b = &a->blocks[l];
        int smode = block_student_mode(b);
        if (smode >= 0)
            return bl_fail(e, "block %d of the teacher is already a student (attn=mlp-%s): distil from a model "
                              "whose block %d has attention", l, student_mode_names[smode], l);
        if ((p->mode == STUDENT_ALR || p->mode == STUDENT_ASLR || p->mode == STUDENT_ALRR) && b->attn != ATTN_MHA)
            return bl_fail(e, "mode=%s replaces attention, but block %d has attn=off (mode=elr replaces a whole block)",
                           mode, l);
        BlockSpec as_student = *b;
        as_student.attn = (uint8_t)(ATTN_MLP_ALR + p->mode);
        const char *misfit = arch_student_misfit(&as_student);
        if (misfit)
            return bl_fail(e, "mode=alrr replaces a pre-norm sequential sub-block (norm + attention + residual) and "
                              "keeps the MLP; block %d is %s: use mode=alr or mode=elr", l, misfit);
    }
    if (p->mode == STUDENT_ASLR && a->width % a->heads)
        return bl_fail(e, "mode=aslr needs width %d divisible by heads %d", a->width, a->heads);
    if (p->epochs < 1 || p->batch < 1 || p->sequences < 1)
        return bl_fail(e, "epochs, batch and sequences must be at least 1");
    if (p->minlen || p->maxlen) {
        if (!is_task(data))
            return bl_fail(e, "minlen=/maxlen= choose task lengths; this data is %s", data_kind_name(data->spec.kind));
        int top = hybrid_max_length(teacher, data);
        if (p->minlen < 1 || p->maxlen < p->minlen || p->maxlen > top)
            return bl_fail(e, "lengths %d..%d: expected 1 <= minlen <= maxlen <= %d (the longest example ctx %d holds)",
                           p->minlen, p->maxlen, top, a->ctx);
    }
    return 0;
}

/* ---- capture --------------------------------------------------------------------------- */

typedef struct Capture {
    int         lo, hi, rows;     /* layers; rows of the batch being captured */
    const char *in_site, *out_site;
    DistillSet *sets;             /* hi - lo + 1 */
} Capture;

static void capture_hook(void *ctx, const HookSite *hs, const Tensor *x)
{
    Capture *c = ctx;
    int layer = hs->group;
    const char *site = hs->name;
    if (layer < c->lo || layer > c->hi || strncmp(hs->path, "blocks.", 7)) return;
    DistillSet *s = &c->sets[layer - c->lo];
    if (s->n + c->rows > s->cap) return;
    size_t per = (size_t)s->T * (size_t)x->shape[2], at = (size_t)s->n * per;
    if (!strcmp(site, c->in_site)) {
        memcpy(s->x + at, x->data, sizeof(float) * per * c->rows);
    } else if (!strcmp(site, c->out_site)) {
        memcpy(s->y + at, x->data, sizeof(float) * per * c->rows);
        for (size_t i = 0; i < (size_t)c->rows * s->T; i++) s->valid[(size_t)s->n * s->T + i] = 1.0f;
        s->n += c->rows;
    }
}

/* Fills sets[0..hi-lo] with `want` sequences of split from the teacher. */
static void capture(Model *teacher, DataSource *d, int split, const DistillPlan *p, DistillSet *sets, int want)
{
    const ArchSpec *a = teacher->arch;
    int T = a->ctx, C = a->width;
    for (int l = p->lo; l <= p->hi; l++) distill_set_init(&sets[l - p->lo], want, T, C, C);
    Capture c = {.lo = p->lo, .hi = p->hi, .sets = sets};
    c.in_site = p->mode <= STUDENT_ASLR ? "attn.in" : "resid_pre";
    c.out_site = p->mode <= STUDENT_ASLR ? "attn.heads" : p->mode == STUDENT_ALRR ? "resid_mid" : "resid_post";
    int *tok = xmalloc(sizeof(int) * CAPTURE_B * T), *tgt = xmalloc(sizeof(int) * CAPTURE_B * T);
    float *mask = xmalloc(sizeof(float) * CAPTURE_B * T);
    Tape t;
    tape_init(&t, 1 << 20);
    t.recording = 0;
    t.hook = capture_hook;
    t.hook_ctx = &c;
    for (uint64_t k = 0; sets[0].n < want; k++) {
        c.rows = want - sets[0].n < CAPTURE_B ? want - sets[0].n : CAPTURE_B;
        data_batch(d, split, k, c.rows, T, tok, tgt, mask);
        tape_reset(&t);
        model_forward(teacher, &t, tok, c.rows, T, NULL, NULL, NULL);
    }
    tape_free(&t);
    free(tok);
    free(tgt);
    free(mask);
}

/* ---- splice ---------------------------------------------------------------------------- */

/* Copies every tensor of the hybrid that the teacher has by name, and each
 * student's tensors from students[l - lo]. */
static void splice(const Model *teacher, Student *students, const DistillPlan *p, Model *h)
{
    for (int i = 0; i < h->params.n; i++) {
        Param *dst = &h->params.p[i];
        const Tensor *src = NULL;
        int j = params_find(&teacher->params, dst->name), l;
        char rest[64];
        if (j >= 0) src = &teacher->params.p[j].t;
        else if (sscanf(dst->name, "blocks.%d.student.%63s", &l, rest) == 2 && l >= p->lo && l <= p->hi) {
            int k = params_find(&students[l - p->lo].params, rest);
            if (k >= 0) src = &students[l - p->lo].params.p[k].t;
        }
        if (src && src->n == dst->t.n) memcpy(dst->t.data, src->data, sizeof(float) * (size_t)src->n);
    }
}

int hybrid_distill(const Model *teacher_c, const DataSource *data, const DistillPlan *p,
                   DistillProgress progress, void *ctx, Model *hybrid, BlError *e)
{
    memset(hybrid, 0, sizeof *hybrid);
    if (hybrid_check(teacher_c, data, p, e)) return -1;
    Model *teacher = (Model *)teacher_c;   /* forward only: parameters are read, never written */
    ArchSpec *a = xcalloc(1, sizeof *a);
    arch_copy(a, teacher->arch);   /* its own blocks: the teacher's spec is never touched */
    for (int l = p->lo; l <= p->hi; l++) {
        a->blocks[l].attn = (uint8_t)(ATTN_MLP_ALR + p->mode);
        a->blocks[l].student = (uint8_t)p->size;
    }
    if (arch_validate(a, e)) { arch_free(a); free(a); return -1; }

    /* A private stream: the teacher run's data position is not advanced. */
    DataSource d;
    if (p->minlen || p->maxlen) {
        DataSpec s = data->spec;
        s.length = p->maxlen;
        s.min_length = p->minlen == p->maxlen ? 0 : p->minlen;
        if (data_open(&d, &s, e)) { arch_free(a); free(a); return -1; }
    } else {
        d = *data;   /* shares a text corpus read-only; not closed below */
        d.position = 0;
    }
    int n_layers = p->hi - p->lo + 1, n_val = p->sequences / 8 > CAPTURE_B ? p->sequences / 8 : CAPTURE_B;
    DistillSet *train = xcalloc((size_t)n_layers, sizeof *train), *val = xcalloc((size_t)n_layers, sizeof *val);
    capture(teacher, &d, 0, p, train, p->sequences);
    capture(teacher, &d, 1, p, val, n_val);
    if (p->minlen || p->maxlen) data_close(&d);

    Student *students = xcalloc((size_t)n_layers, sizeof *students);
    int rc = 0;
    for (int l = p->lo; l <= p->hi && !rc; l++) {
        StudentSpec ss;
        student_spec_of(a, &a->blocks[l], &ss, NULL);
        Student *st = &students[l - p->lo];
        student_build(st, &ss, p->seed * 1000003ULL + (uint64_t)l);
        OptSpec os;
        distill_opt_spec(&os, p->mode);
        if (p->lr > 0) os.lr = p->lr;
        Distiller dl;
        distiller_init(&dl, st, &os, p->batch, a->ctx, p->seed + (uint64_t)l);
        if (progress && progress(ctx, l, 0, distill_mse(st, &dl.tape, &train[l - p->lo], p->batch),
                                 distill_mse(st, &dl.tape, &val[l - p->lo], p->batch)))
            rc = bl_fail(e, "distillation stopped before block %d", l);
        for (int ep = 1; ep <= p->epochs && !rc; ep++) {
            double mse = distiller_epoch(&dl, &train[l - p->lo]);
            double vm = distill_mse(st, &dl.tape, &val[l - p->lo], p->batch);
            if (progress && progress(ctx, l, ep, mse, vm)) rc = bl_fail(e, "distillation stopped at block %d, epoch %d", l, ep);
        }
        distiller_free(&dl);
    }
    if (!rc && model_build(hybrid, a, e)) rc = -1;
    if (!rc) splice(teacher, students, p, hybrid);
    for (int i = 0; i < n_layers; i++) {
        student_free(&students[i]);
        distill_set_free(&train[i]);
        distill_set_free(&val[i]);
    }
    free(students);
    free(train);
    free(val);
    arch_free(a);
    free(a);
    return rc;
}

/* ---- accuracy versus length ------------------------------------------------------------ */

int hybrid_eval_lengths(Model *m, const DataSource *data, int lo, int hi, int batches, int B,
                        float *exact, float *token, BlError *e)
{
    if (!is_task(data)) return bl_fail(e, "accuracy by length needs a task (copy, reverse, sort); this data is %s",
                                       data_kind_name(data->spec.kind));
    int T = m->arch->ctx, top = hybrid_max_length(m, data);
    if (lo < 1 || hi < lo) return bl_fail(e, "length=%d..%d: expected 1 <= lo <= hi", lo, hi);
    if (hi > top) {
        int student = 0;
        for (int l = 0; l < m->arch->depth; l++) student |= block_student_mode(&m->arch->blocks[l]) >= 0;
        return bl_fail(e, "length %d needs %d positions, more than ctx %d: the longest that fits is %d%s", hi,
                       data->spec.per_position ? hi : 2 * hi, T, top,
                       student ? " (a student's input is fixed at ctx positions: it cannot represent a longer sequence)" : "");
    }
    Trainer tr;
    memset(&tr, 0, sizeof tr);
    tr.model = m;
    tr.B = B;
    tr.T = T;
    tr.tokens = xmalloc(sizeof(int) * (size_t)B * T);
    tr.targets = xmalloc(sizeof(int) * (size_t)B * T);
    tr.mask = xmalloc(sizeof(float) * (size_t)B * T);
    tape_init(&tr.tape, 1 << 20);
    int rc = 0;
    for (int n = lo; n <= hi && !rc; n++) {
        DataSpec s = data->spec;
        s.length = n;
        s.min_length = 0;
        DataSource d;
        if (data_open(&d, &s, e)) { rc = -1; break; }
        tr.data = &d;
        EvalStats ev;
        trainer_eval(&tr, batches, &ev);
        exact[n - lo] = ev.exact;
        token[n - lo] = ev.token_acc;
        data_close(&d);
    }
    tape_free(&tr.tape);
    free(tr.tokens);
    free(tr.targets);
    free(tr.mask);
    return rc;
}
