/* test_fixtures.c — checkpoints written by an older blocklab still load and
 * continue bit-identically. tests/fixtures/ holds two files written by the
 * engine before the module redesign (commit e88628a): a Pre-LN model with
 * biases and an SAS model, each saved after 10 of 20 steps with its optimizer
 * state. Continuing each for STEPS steps must give exactly the losses and the
 * parameter checksum recorded below when the files were written (the same
 * code printed them: run with FIXTURE_PRINT=1 to see the figures).
 * The checksums were recorded again, on purpose, when issue 15 made the row
 * sums of LayerNorm and of attention's softmax vectorised lane sums (core/vec.h)
 * and its exponential fastmath.h's: the parameters then differ in their last
 * bits after 6 steps. The six losses did not change.
 * The figures are those of one thread. Bit-identical continuation holds at a
 * fixed thread count: at two, a step splits its batch over the threads
 * (core/train.c), which rounds the gradients' sums differently. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "checkpoint.h"
#include "par.h"
#include "testlib.h"
#include "train.h"

#define STEPS 6

typedef struct Fixture {
    const char *file;
    float       loss[STEPS];    /* bit patterns, written with %a */
    uint64_t    checksum;       /* FNV-1a over every parameter's bits after STEPS steps */
} Fixture;

static const Fixture fixtures[] = {
    {"preln_bias.safetensors", {0x1.ad6ba6p+0, 0x1.adc598p+0, 0x1.ae10ecp+0, 0x1.aa451p+0, 0x1.ab8696p+0, 0x1.a85fdep+0}, 0x4afc8ed4be2d0636ull},
    {"sas.safetensors", {0x1.bb7c34p+0, 0x1.ba453ep+0, 0x1.bb2be8p+0, 0x1.b9bcdp+0, 0x1.b3e614p+0, 0x1.b30fccp+0}, 0xeb257f1cbd9e71d4ull},
};

static uint64_t fnv(const float *x, size_t n, uint64_t h)
{
    const unsigned char *b = (const unsigned char *)x;
    for (size_t i = 0; i < n * sizeof *x; i++) h = (h ^ b[i]) * 1099511628211ull;
    return h;
}

static void continue_fixture(const Fixture *f, int print)
{
    char path[256];
    const char *dir = getenv("FIXTURE_DIR");
    snprintf(path, sizeof path, "%s/%s", dir ? dir : "tests/fixtures", f->file);
    Model m;
    Optimizer o = {0};
    TrainState ts;
    CkptLoad lo = {0};
    BlError e;
    if (ckpt_load(path, &m, &o, &ts, &lo, &e)) { CHECK(0, "%s: %s", path, e.msg); return; }
    CHECK(lo.has_train && o.m, "%s: no training state or optimizer moments", path);
    DataSource d;
    if (data_open(&d, &ts.data, &e)) { CHECK(0, "data: %s", e.msg); model_free(&m); return; }
    d.position = ts.data_position;
    Trainer tr;
    if (trainer_init(&tr, &m, &d, &ts.opt, ts.batch, &e)) { CHECK(0, "trainer: %s", e.msg); return; }
    optim_free(&tr.opt);
    tr.opt = o;
    tr.step = ts.step;
    float loss[STEPS];
    for (int s = 0; s < STEPS; s++) {
        StepStats st;
        trainer_step(&tr, &st);
        loss[s] = st.loss;
    }
    uint64_t h = fnv(m.params.data, m.params.total, 1469598103934665603ull);
    if (print) {
        printf("    {\"%s\", {", f->file);
        for (int s = 0; s < STEPS; s++) printf("%a%s", (double)loss[s], s + 1 < STEPS ? ", " : "");
        printf("}, 0x%016llxull},\n", (unsigned long long)h);
    } else {
        for (int s = 0; s < STEPS; s++)
            CHECK(loss[s] == f->loss[s], "%s step %ld: loss %a, recorded %a", f->file, ts.step + s + 1, (double)loss[s],
                  (double)f->loss[s]);
        CHECK(h == f->checksum, "%s: parameters after %d steps differ (checksum %016llx, recorded %016llx)", f->file,
              STEPS, (unsigned long long)h, (unsigned long long)f->checksum);
    }
    trainer_free(&tr);
    data_close(&d);
    model_free(&m);
}

static void test_fixtures_continue(void)
{
    int print = getenv("FIXTURE_PRINT") != NULL;
    for (size_t i = 0; i < sizeof fixtures / sizeof *fixtures; i++) continue_fixture(&fixtures[i], print);
}

int main(void)
{
    par_set_threads(1);
    RUN(test_fixtures_continue);
    return TEST_SUMMARY();
}
