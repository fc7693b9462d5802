/* test_shard.c — a data-parallel step (core/train.c: the batch's rows split
 * over the threads, one tape and one gradient copy a shard) computes the
 * whole batch's loss and gradients. The same model and batch stepped at 1
 * thread (one tape) and at 2 threads (two shards) must agree to float
 * rounding, with a batch of 5 rows (shards of 2 and 3: a plain average of
 * the shards' losses would be wrong) and a masked task (only answer
 * positions count). Two sharded runs give the same bits; steps that must
 * not shard (MoM's batch-level balance term, a custom loss, one row) do not.
 * A training tape recycles dead activation gradients (Tape.recycle): the
 * parameters' gradients must keep every bit, with a smaller arena. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "par.h"
#include "testlib.h"
#include "train.h"

typedef struct Run {
    ArchSpec   a;       /* the model borrows it */
    Model      m;
    DataSource d;
    Trainer    tr;
    float     *grad;    /* copy of the gradients, taken after backward */
    float      loss;
    int        shards;
} Run;

static void keep_grad(void *ctx, Trainer *tr)
{
    Run *r = ctx;
    memcpy(r->grad, tr->model->params.grad, tr->model->params.total * sizeof(float));
}

static int open_run(Run *r, const char *preset, int bias, int stack, int B)
{
    BlError e;
    memset(r, 0, sizeof *r);
    DataSpec ds;
    data_spec_default(&ds);
    ds.kind = DATA_REVERSE;   /* a task: the mask counts only the answer */
    ds.symbols = 10;
    ds.length = 6;
    if (data_open(&r->d, &ds, &e)) { CHECK(0, "data: %s", e.msg); return -1; }
    ArchSpec *a = &r->a;
    arch_default(a);
    a->depth = 2; a->width = 32; a->heads = 2; a->ctx = 14; a->vocab = r->d.vocab; a->bias = (uint8_t)bias;
    snprintf(a->preset, sizeof a->preset, "%s", preset);
    if (stack == STACK_MOM) {
        a->stack = STACK_MOM;
        mom_spec_default(&a->mom);
        a->mom.n_attn = a->mom.n_ffn = 2; a->mom.steps = 2; a->mom.topk = 1;
    }
    if (arch_reset_blocks(a, &e) || model_build(&r->m, a, &e)) { CHECK(0, "model: %s", e.msg); return -1; }
    OptSpec os;
    optim_spec_default(&os);
    os.steps = 10;
    if (trainer_init(&r->tr, &r->m, &r->d, &os, B, &e)) { CHECK(0, "trainer: %s", e.msg); return -1; }
    r->grad = calloc(r->m.params.total, sizeof(float));
    r->tr.after_backward = keep_grad;
    r->tr.after_ctx = r;
    return 0;
}

static void close_run(Run *r)
{
    free(r->grad);
    trainer_free(&r->tr);
    model_free(&r->m);
    arch_free(&r->a);
    data_close(&r->d);
}

/* One step of a fresh model at `threads` threads. */
static int step_at(Run *r, const char *preset, int bias, int B, int threads)
{
    par_set_threads(threads);
    if (open_run(r, preset, bias, STACK_BLOCKS, B)) return -1;
    r->shards = trainer_shards(&r->tr);
    StepStats st;
    trainer_step(&r->tr, &st);
    r->loss = st.loss;
    return 0;
}

static void check_same_step(const char *preset, int bias, int B)
{
    int keep = par_threads();
    Run one, two, again;
    if (step_at(&one, preset, bias, B, 1) || step_at(&two, preset, bias, B, 2) || step_at(&again, preset, bias, B, 2))
        return;
    CHECK(one.shards == 1 && two.shards == 2, "%s B=%d: %d and %d shards, expected 1 and 2", preset, B, one.shards,
          two.shards);
    CHECK_CLOSE(two.loss, one.loss, 2e-6, "loss, 2 shards vs one tape");
    size_t n = one.m.params.total;
    double worst = 0, scale = 0;
    for (size_t i = 0; i < n; i++) {
        double d = fabs((double)two.grad[i] - one.grad[i]);
        worst = d > worst ? d : worst;
        scale = fabs(one.grad[i]) > scale ? fabs(one.grad[i]) : scale;
    }
    CHECK(scale > 0 && worst <= 1e-5 * scale, "%s B=%d: gradients differ by %g (largest %g)", preset, B, worst, scale);
    CHECK(memcmp(two.grad, again.grad, n * sizeof(float)) == 0 && two.loss == again.loss,
          "%s B=%d: two sharded steps differ", preset, B);
    close_run(&one);
    close_run(&two);
    close_run(&again);
    par_set_threads(keep);
}

static void test_sharded_step_is_the_batch_step(void)
{
    check_same_step("preln", 1, 5);
    check_same_step("sas", 0, 5);
    check_same_step("sasp", 0, 4);
}

static Tensor *other_loss(void *ctx, Trainer *tr, Tape *t)
{
    (void)ctx;
    return model_forward(tr->model, t, tr->tokens, tr->B, tr->T, tr->targets, tr->mask, NULL);
}

static void test_steps_that_do_not_shard(void)
{
    int keep = par_threads();
    par_set_threads(2);
    Run r;
    if (open_run(&r, "preln", 0, STACK_MOM, 4) == 0) {
        CHECK(trainer_shards(&r.tr) == 1, "a MoM model shards (%d): its balance term is a batch statistic",
              trainer_shards(&r.tr));
        close_run(&r);
    }
    if (open_run(&r, "preln", 0, STACK_BLOCKS, 1) == 0) {
        CHECK(trainer_shards(&r.tr) == 1, "one row split into %d shards", trainer_shards(&r.tr));
        close_run(&r);
    }
    if (open_run(&r, "preln", 0, STACK_BLOCKS, 4) == 0) {
        CHECK(trainer_shards(&r.tr) == 2, "4 rows at 2 threads: %d shards", trainer_shards(&r.tr));
        r.tr.loss.forward = other_loss;
        CHECK(trainer_shards(&r.tr) == 1, "a custom loss shards (%d)", trainer_shards(&r.tr));
        close_run(&r);
    }
    par_set_threads(keep);
}

/* Forward + backward of one batch on a tape with recycle set or not: the
 * parameters' gradients and the arena's peak. */
static size_t grads_on_tape(Run *r, int recycle, float *grad)
{
    Tape t;
    tape_init(&t, 1 << 16);
    t.recycle = recycle;
    Trainer *tr = &r->tr;
    memset(r->m.params.grad, 0, r->m.params.total * sizeof(float));
    Tensor *loss = model_forward(&r->m, &t, tr->tokens, tr->B, tr->T, tr->targets, tr->mask, NULL);
    Tensor *total = model_objective(&t, loss);
    tape_backward(&t, total);
    memcpy(grad, r->m.params.grad, r->m.params.total * sizeof(float));
    size_t peak = t.arena.peak;
    tape_free(&t);
    return peak;
}

static void test_recycled_gradients_are_the_same(void)
{
    static const struct { const char *preset; int bias, stack; } cases[] = {
        {"preln", 1, STACK_BLOCKS}, {"sas", 0, STACK_BLOCKS}, {"parallel", 1, STACK_BLOCKS}, {"preln", 0, STACK_MOM},
    };
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        Run r;
        if (open_run(&r, cases[c].preset, cases[c].bias, cases[c].stack, 4)) continue;
        data_batch(&r.d, 0, 0, r.tr.B, r.tr.T, r.tr.tokens, r.tr.targets, r.tr.mask);
        size_t n = r.m.params.total;
        float *kept = malloc(n * sizeof(float)), *reused = malloc(n * sizeof(float));
        size_t peak_kept = grads_on_tape(&r, 0, kept), peak_reused = grads_on_tape(&r, 1, reused);
        CHECK(memcmp(kept, reused, n * sizeof(float)) == 0, "%s%s: recycled gradient buffers changed the gradients",
              cases[c].preset, cases[c].stack == STACK_MOM ? " (MoM)" : "");
        CHECK(peak_reused < peak_kept, "%s: arena peak %zu with recycling, %zu without", cases[c].preset, peak_reused,
              peak_kept);
        free(kept);
        free(reused);
        close_run(&r);
    }
}

int main(void)
{
    RUN(test_sharded_step_is_the_batch_step);
    RUN(test_steps_that_do_not_shard);
    RUN(test_recycled_gradients_are_the_same);
    return TEST_SUMMARY();
}
