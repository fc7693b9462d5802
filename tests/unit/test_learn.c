/* test_learn.c — the engine learns, deterministically, and its step allocates
 * nothing once warm. A Pre-LN GPT must reach >= 95% exact match on held-out
 * reverse (length 8) within a fixed step budget; two runs from the same seed
 * must give bit-identical losses; a checkpoint resumed mid-run must continue
 * bit-identically. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "checkpoint.h"
#include "probe.h"
#include "testlib.h"
#include "train.h"

#define STEPS 400

static ArchSpec arch;

static void setup(Model *m, DataSource *d, Trainer *tr, int steps)
{
    BlError e;
    DataSpec ds;
    data_spec_default(&ds);
    ds.kind = DATA_REVERSE;
    ds.symbols = 10;
    ds.length = 8;
    if (data_open(d, &ds, &e)) { CHECK(0, "data: %s", e.msg); exit(1); }
    arch_default(&arch);
    arch.depth = 2; arch.width = 64; arch.heads = 4; arch.ctx = 16; arch.vocab = d->vocab;
    arch_reset_blocks(&arch, NULL);
    if (model_build(m, &arch, &e)) { CHECK(0, "model: %s", e.msg); exit(1); }
    OptSpec os;
    optim_spec_default(&os);
    os.lr = 3e-3f;
    os.warmup = 50;
    os.steps = steps;
    os.weight_decay = 0.01f;
    if (trainer_init(tr, m, d, &os, 32, &e)) { CHECK(0, "trainer: %s", e.msg); exit(1); }
}

static void teardown(Model *m, DataSource *d, Trainer *tr)
{
    trainer_free(tr);
    model_free(m);
    data_close(d);
}

static void test_learns_reverse(void)
{
    Model m;
    DataSource d;
    Trainer tr;
    setup(&m, &d, &tr, STEPS);
    StepStats st;
    EvalStats ev = {0};
    double t0 = bl_now();
    int reached = -1;
    for (int s = 1; s <= STEPS; s++) {
        trainer_step(&tr, &st);
        if (st.nonfinite) { CHECK(0, "non-finite at step %d (%s)", s, st.nonfinite_where); break; }
        if (s % 100 == 0) {
            trainer_eval(&tr, 8, &ev);
            printf("  step %4d  loss %.4f  val %.4f  exact %.3f\n", s, st.loss, ev.loss, ev.exact);
            if (reached < 0 && ev.exact >= 0.95f) reached = s;
        }
    }
    printf("  %d steps in %.1f s (%.2f ms/step)\n", STEPS, bl_now() - t0, 1e3 * (bl_now() - t0) / STEPS);
    CHECK(ev.exact >= 0.95f, "held-out exact match %.3f < 0.95 after %d steps", ev.exact, STEPS);
    teardown(&m, &d, &tr);
}

static void run_losses(float *out, int n)
{
    Model m;
    DataSource d;
    Trainer tr;
    setup(&m, &d, &tr, 100);
    StepStats st;
    for (int s = 0; s < n; s++) { trainer_step(&tr, &st); out[s] = st.loss; }
    teardown(&m, &d, &tr);
}

static void test_deterministic(void)
{
    float a[40], b[40];
    run_losses(a, 40);
    run_losses(b, 40);
    CHECK(memcmp(a, b, sizeof a) == 0, "two runs from one seed differ (step-1 losses %.9g vs %.9g)", a[0], b[0]);
}

static void test_resume_bit_identical(void)
{
    float straight[40];
    run_losses(straight, 40);

    Model m;
    DataSource d;
    Trainer tr;
    setup(&m, &d, &tr, 100);
    StepStats st;
    for (int s = 0; s < 20; s++) trainer_step(&tr, &st);
    char path[] = "/tmp/blocklab-test-XXXXXX";
    int fd = mkstemp(path);
    close(fd);
    TrainState ts = {.step = tr.step, .adam_t = tr.opt.t, .batch = tr.B, .opt = tr.opt.spec, .data = d.spec,
                     .data_position = d.position};
    BlError e;
    CHECK(ckpt_save(path, &m, &tr.opt, &ts, &e) == 0, "save: %s", e.msg);
    teardown(&m, &d, &tr);

    Model m2;
    Optimizer opt;
    TrainState ts2;
    CkptLoad lo = {0};
    if (ckpt_load(path, &m2, &opt, &ts2, &lo, &e)) { CHECK(0, "load: %s", e.msg); return; }
    CHECK(lo.has_train && ts2.step == 20 && ts2.data_position == 20, "training state not restored");
    DataSource d2;
    CHECK(data_open(&d2, &ts2.data, &e) == 0, "reopen data: %s", e.msg);
    d2.position = ts2.data_position;
    Trainer tr2;
    CHECK(trainer_init(&tr2, &m2, &d2, &ts2.opt, ts2.batch, &e) == 0, "trainer: %s", e.msg);
    optim_free(&tr2.opt);
    tr2.opt = opt;
    tr2.step = ts2.step;
    int same = 1;
    for (int s = 20; s < 40; s++) {
        trainer_step(&tr2, &st);
        if (st.loss != straight[s]) {
            same = 0;
            printf("  step %d: resumed %.9g vs straight %.9g\n", s + 1, st.loss, straight[s]);
            break;
        }
    }
    CHECK(same, "resumed run diverged from the uninterrupted one");
    teardown(&m2, &d2, &tr2);
    unlink(path);
}

/* After the first step the arena holds its peak: later steps must not grow it. */
static void test_no_allocation_after_warmup(void)
{
    Model m;
    DataSource d;
    Trainer tr;
    setup(&m, &d, &tr, 100);
    StepStats st;
    trainer_step(&tr, &st);
    trainer_step(&tr, &st);
    size_t cap = tr.tape.arena.cap;
    int nodes_cap = tr.tape.cap;
    for (int s = 0; s < 5; s++) trainer_step(&tr, &st);
    CHECK(tr.tape.arena.cap == cap && tr.tape.arena.n_spill == 0, "arena grew after warm-up");
    CHECK(tr.tape.cap == nodes_cap, "tape node array grew after warm-up");
    teardown(&m, &d, &tr);
}

/* The grads probe runs inside the step (between backward and the update); its
 * buffers are sized once, so a warm step with it allocates nothing. */
typedef struct ProbeInStep { Prober *p; Metrics *mt; int failed; } ProbeInStep;

static void probe_in_step(void *ctx, Trainer *tr)
{
    ProbeInStep *c = ctx;
    BlError e;
    probe_before_update(c->p, tr->model);
    c->failed |= probe_run(c->p, tr->model, PROBE_GRADS | PROBE_SCALARS, tr->step + 1, 1, c->mt, &e) != 0;
}

static void test_probe_in_step_allocates_nothing(void)
{
    Model m;
    DataSource d;
    Trainer tr;
    setup(&m, &d, &tr, 100);
    Prober p;
    Metrics mt;
    BlError e;
    memset(&mt, 0, sizeof mt);
    metrics_init(&mt);
    if (prober_init(&p, &m, &d, 4, &e)) { CHECK(0, "prober: %s", e.msg); return; }
    ProbeInStep c = {&p, &mt, 0};
    tr.after_backward = probe_in_step;
    tr.after_ctx = &c;
    StepStats st;
    trainer_step(&tr, &st);
    trainer_step(&tr, &st);
    long before = bl_alloc_count();
    for (int s = 0; s < 5; s++) trainer_step(&tr, &st);
    long made = bl_alloc_count() - before;
    CHECK(made == 0 && !c.failed, "5 warm steps with the grads probe made %ld allocations", made);
    CHECK(metrics_find(&mt, "grads.block") && metrics_find(&mt, "grads.block")->n == 7, "the probe did not record every step");
    prober_free(&p);
    metrics_free(&mt);
    teardown(&m, &d, &tr);
}

/* A gradient that is not finite stops the update and is named, whether its
 * tensor is trained (caught by the gradient norm, core/train.c) or frozen
 * (looked at on its own); the parameters stay as they were. */
static int poison_index;
static void poison_grad(void *ctx, Trainer *tr)
{
    (void)ctx;
    tr->model->params.p[poison_index].t.grad[1] = 0.0f / 0.0f;
}

static void test_nonfinite_gradient_is_named(void)
{
    Model m;
    DataSource d;
    Trainer tr;
    setup(&m, &d, &tr, 10);
    ParamTable *pt = &m.params;
    StepStats st;
    trainer_step(&tr, &st);
    CHECK(!st.nonfinite, "a clean step was reported non-finite (%s)", st.nonfinite_where);
    float *before = malloc(pt->total * sizeof *before);
    for (int frozen = 0; frozen <= 1; frozen++) {
        poison_index = pt->n / 2;
        Param *p = &pt->p[poison_index];
        if (frozen) p->flags &= ~PARAM_TRAIN;
        memcpy(before, pt->data, pt->total * sizeof *before);
        tr.after_backward = poison_grad;
        trainer_step(&tr, &st);
        char want[96];
        snprintf(want, sizeof want, "gradient of %s", p->name);
        CHECK(st.nonfinite && !strcmp(st.nonfinite_where, want), "%s NaN gradient: nonfinite %d, where '%s' (want '%s')",
              frozen ? "frozen" : "trained", st.nonfinite, st.nonfinite_where, want);
        CHECK(!memcmp(before, pt->data, pt->total * sizeof *before), "parameters changed on a non-finite step");
        tr.after_backward = NULL;
        trainer_step(&tr, &st);
        CHECK(!st.nonfinite && st.grad_norm > 0, "the step after a bad one: nonfinite %d, norm %g", st.nonfinite,
              st.grad_norm);
        p->flags |= PARAM_TRAIN;
    }
    free(before);
    teardown(&m, &d, &tr);
}

int main(void)
{
    RUN(test_deterministic);
    RUN(test_resume_bit_identical);
    RUN(test_no_allocation_after_warmup);
    RUN(test_probe_in_step_allocates_nothing);
    RUN(test_learns_reverse);
    RUN(test_nonfinite_gradient_is_named);
    return TEST_SUMMARY();
}
