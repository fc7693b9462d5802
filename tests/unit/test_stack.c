/* test_stack.c — a new stack kind and a new loss through the public
 * interfaces only (model.h, block.h, module.h, train.h), with nothing
 * changed in the tape, the trainer, the probes or the parameter store:
 *   - "twice": one block applied twice with shared weights. Its tensors are
 *     declared once, its hooks report both applications by path, its
 *     gradients (accumulated over both uses) pass a finite-difference check,
 *     and the trainer trains it.
 *   - a loss with a teacher: a second model alive beside the student, whose
 *     argmax the student is pulled towards as a named auxiliary term. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gradcheck.h"
#include "model.h"
#include "par.h"
#include "testlib.h"
#include "train.h"

/* ---- the toy stack kind -------------------------------------------------------------------- */

static void *twice_create(const ArchSpec *a) { return calloc(1, sizeof(BlockParams)); }

static void twice_declare(const ArchSpec *a, ParamBinder *bd, void *stack)
{
    ModCfg c = {a, &a->blocks[0]};
    block_declare(bd, &c, "shared", 0, stack);
}

static void twice_init(const ArchSpec *a, void *stack, Rng *r)
{
    ModCfg c = {a, &a->blocks[0]};
    block_init(&c, stack, r);
}

static Tensor *twice_forward(const Model *m, Tape *t, Tensor *x)
{
    ModCfg c = {m->arch, &m->arch->blocks[0]};
    for (int k = 0; k < 2; k++) {
        TapeScope s = tape_scope_enter(t, "shared", k, 0);
        x = block_forward(&c, m->stack_params, t, x);
        tape_scope_leave(t, s);
    }
    return x;
}

static int twice_groups(const ArchSpec *a) { return 1; }

static const StackKind stack_twice = {
    .name = "twice",
    .create = twice_create,
    .declare = twice_declare,
    .init = twice_init,
    .forward = twice_forward,
    .n_groups = twice_groups,
};

static ArchSpec arch;

static int build(Model *m, const StackKind *k, uint64_t seed)
{
    BlError e;
    arch_default(&arch);
    arch.depth = 1; arch.width = 8; arch.heads = 2; arch.ctx = 6; arch.vocab = 7; arch.mlp_ratio = 2; arch.seed = seed;
    arch_reset_blocks(&arch, NULL);
    if (model_build_stack(m, &arch, k, &e)) { CHECK(0, "build: %s", e.msg); return -1; }
    return 0;
}

/* ---- hooks see both applications ----------------------------------------------------------- */

typedef struct Seen { int n, patterns, group_ok; char first[64], last[64]; } Seen;

static void seen_hook(void *ctx, const HookSite *s, const Tensor *x)
{
    Seen *a = ctx;
    if (!strcmp(s->name, "attn.pattern")) {
        a->patterns++;
        if (!a->first[0]) snprintf(a->first, sizeof a->first, "%s", s->path);
        snprintf(a->last, sizeof a->last, "%s", s->path);
        a->group_ok += s->group == 0;
    }
    a->n++;
}

static void test_shared_block_declared_once(void)
{
    Model m;
    if (build(&m, &stack_twice, 1)) return;
    Model ref;
    if (build(&ref, &stack_blocks, 1)) return;
    /* One block's tensors, under the toy's prefix, in group 0. */
    CHECK(m.params.total == ref.params.total, "shared block: %zu floats, a 1-block model has %zu", m.params.total, ref.params.total);
    CHECK(params_find(&m.params, "shared.attn.w_qkv") >= 0, "no shared.attn.w_qkv");
    CHECK(params_find(&m.params, "blocks.0.attn.w_qkv") < 0, "the toy declared a blocks.0 tensor");
    int i = params_find(&m.params, "shared.mlp.w_in");
    CHECK(i >= 0 && m.params.p[i].group == 0, "shared.mlp.w_in is not in group 0");
    CHECK(m.n_groups == 1 && m.blocks == NULL, "n_groups %d, blocks %p", m.n_groups, (void *)m.blocks);

    Seen s = {0};
    Tape t;
    tape_init(&t, 1 << 20);
    t.hook = seen_hook;
    t.hook_ctx = &s;
    int toks[12] = {1, 2, 3, 4, 5, 6, 0, 1, 2, 3, 4, 5};
    model_forward(&m, &t, toks, 2, 6, NULL, NULL, NULL);
    CHECK(s.patterns == 2 && s.group_ok == 2, "%d attention patterns hooked (%d in group 0), expected 2", s.patterns, s.group_ok);
    CHECK(!strcmp(s.first, "shared.0.attn.pattern") && !strcmp(s.last, "shared.1.attn.pattern"), "paths %s, %s", s.first, s.last);
    tape_free(&t);
    model_free(&ref);
    model_free(&m);
}

/* ---- gradients of the shared weights ------------------------------------------------------ */

#define H 1e-2f

static void test_shared_block_gradients(void)
{
    Model m;
    if (build(&m, &stack_twice, 3)) return;
    int B = 2, T = 6, toks[12], tg[12];
    float mask[12];
    grad_check_batch(&m, 7, toks, tg, mask);
    double norm = 0, rel = model_grad_rel_err(&m, toks, tg, mask, B, T, H, &norm);
    printf("  shared block applied twice: rel err %.2e (%zu params)\n", rel, params_trainable(&m.params));
    CHECK(rel < 2e-2, "gradient rel err %.3e", rel);
    CHECK(norm > 1e-3, "no gradient reached the shared weights");
    model_free(&m);
}

/* ---- the trainer trains it unchanged ------------------------------------------------------- */

static void open_data(DataSource *d)
{
    BlError e;
    DataSpec ds;
    data_spec_default(&ds);
    ds.kind = DATA_COPY;
    ds.symbols = 4;
    ds.length = 2;
    if (data_open(d, &ds, &e)) { CHECK(0, "data: %s", e.msg); exit(1); }
}

static void test_trainer_trains_toy_stack(void)
{
    Model m;
    if (build(&m, &stack_twice, 5)) return;
    DataSource d;
    open_data(&d);
    OptSpec os;
    optim_spec_default(&os);
    os.lr = 1e-2f;
    os.steps = 60;
    Trainer tr;
    BlError e;
    if (trainer_init(&tr, &m, &d, &os, 8, &e)) { CHECK(0, "trainer: %s", e.msg); return; }
    StepStats st;
    float first = 0, last = 0;
    for (int s = 0; s < 60; s++) {
        trainer_step(&tr, &st);
        if (s == 0) first = st.loss;
        last = st.loss;
    }
    CHECK(!st.nonfinite && last < first - 0.1f, "loss %.4f -> %.4f", first, last);
    trainer_free(&tr);
    data_close(&d);
    model_free(&m);
}

/* ---- a teacher beside the student: an auxiliary term -------------------------------------- */

typedef struct TeacherLoss {
    Model *teacher;
    Tape   tape;      /* the teacher runs forward only, on its own tape */
    int   *argmax;    /* (B·T) */
    float  weight;
} TeacherLoss;

static Tensor *teacher_forward(void *ctx, Trainer *tr, Tape *t)
{
    TeacherLoss *tl = ctx;
    int N = tr->B * tr->T, V = tr->model->arch->vocab;
    tape_reset(&tl->tape);
    tl->tape.recording = 0;
    Tensor *tlog = model_forward(tl->teacher, &tl->tape, tr->tokens, tr->B, tr->T, NULL, NULL, NULL);
    for (int i = 0; i < N; i++) {
        const float *row = tlog->data + (size_t)i * V;
        int best = 0;
        for (int j = 1; j < V; j++) if (row[j] > row[best]) best = j;
        tl->argmax[i] = best;
    }
    Tensor *logits = NULL;
    Tensor *ce = model_forward(tr->model, t, tr->tokens, tr->B, tr->T, tr->targets, tr->mask, &logits);
    tape_aux(t, "teacher", op_cross_entropy(t, logits, tl->argmax, tr->mask), tl->weight);
    return ce;
}

/* Parameters after 3 steps of the student: with the teacher's term at
 * `weight`, or (weight < 0) with the default cross-entropy loss. */
static void student_steps(float weight, float *params_out, size_t *n, StepStats *last)
{
    Model student, teacher;
    build(&teacher, &stack_blocks, 11);
    build(&student, &stack_blocks, 12);
    DataSource d;
    open_data(&d);
    OptSpec os;
    optim_spec_default(&os);
    Trainer tr;
    BlError e;
    if (trainer_init(&tr, &student, &d, &os, 8, &e)) { CHECK(0, "trainer: %s", e.msg); return; }
    TeacherLoss tl = {.teacher = &teacher, .weight = weight};
    tape_init(&tl.tape, 1 << 16);
    tl.argmax = calloc((size_t)tr.B * tr.T, sizeof(int));
    if (weight >= 0) tr.loss = (TrainLoss){.name = "distill", .forward = teacher_forward, .ctx = &tl};
    for (int s = 0; s < 3; s++) trainer_step(&tr, last);
    *n = student.params.total;
    memcpy(params_out, student.params.data, *n * sizeof(float));
    free(tl.argmax);
    tape_free(&tl.tape);
    trainer_free(&tr);
    data_close(&d);
    model_free(&student);
    model_free(&teacher);
}

static void test_teacher_auxiliary_term(void)
{
    static float p0[1 << 16], p1[1 << 16], pc[1 << 16];
    size_t n0 = 0, n1 = 0, nc = 0;
    StepStats s0, s1, sc;
    /* One thread: the plain cross-entropy's step splits its batch over the
     * threads, a custom loss's does not (core/train.c), and the two splits
     * round differently. */
    int keep = par_threads();
    par_set_threads(1);
    student_steps(0.0f, p0, &n0, &s0);
    student_steps(0.5f, p1, &n1, &s1);
    student_steps(-1.0f, pc, &nc, &sc);
    par_set_threads(keep);
    CHECK(sc.n_aux == 0, "cross-entropy reported %d auxiliary terms", sc.n_aux);
    CHECK(s1.n_aux == 1 && !strcmp(s1.aux[0].name, "teacher") && isfinite(s1.aux[0].value) && s1.aux[0].value > 0,
          "auxiliary term not reported: %d terms", s1.n_aux);
    CHECK(n0 == nc && memcmp(p0, pc, nc * sizeof(float)) == 0, "weight 0 must give the plain cross-entropy step bit for bit");
    CHECK(n1 == nc && memcmp(p1, pc, nc * sizeof(float)) != 0, "weight 0.5 changed nothing");
}

int main(void)
{
    RUN(test_shared_block_declared_once);
    RUN(test_shared_block_gradients);
    RUN(test_trainer_trains_toy_stack);
    RUN(test_teacher_auxiliary_term);
    return TEST_SUMMARY();
}
