/* test_combos.c — "any combination the grammar accepts builds and trains, or is
 * refused with a reason": random toggles on random block ranges, then build and
 * take three AdamW steps. Each combination must either be refused by
 * arch_validate/arch_set_* with a message, or build and give finite losses
 * with a finite, non-zero gradient. */
#include <stdio.h>
#include <stdlib.h>

#include "testlib.h"
#include "train.h"

static const char *const keys[][6] = {
    {"preset", "preln", "postln", "parallel", "sas", "sasp"},
    {"preset", "vskipinit", "deepnorm", "postln-init", "sas", "preln"},
    {"attn", "mha", "off", "mha", "mha", "mha"},
    {"mlp", "on", "off", "2", "1", "on"},
    {"layout", "sequential", "parallel", "sequential", "parallel", "sequential"},
    {"norm", "pre", "post", "off", "pre", "post"},
    {"skip.attn", "on", "off", "on", "off", "on"},
    {"skip.mlp", "on", "off", "on", "on", "off"},
    {"value", "learned", "id", "resid", "learned", "id"},
    {"proj", "learned", "id", "learned", "id", "learned"},
    {"shape", "off", "on", "vskip", "on", "off"},
    {"act", "gelu", "relu", "gelu", "relu", "gelu"},
    {"beta.ff", "0.1", "1", "0.5", "0.2", "1"},
    {"alpha.attn", "1", "0.5", "1", "2", "1"},
};
#define NKEYS (int)(sizeof keys / sizeof keys[0])

static void test_random_combinations(void)
{
    static ArchSpec a;
    Rng r;
    rng_seed(&r, 2024);
    int built = 0, refused = 0;
    for (int trial = 0; trial < 150; trial++) {
        BlError e;
        arch_default(&a);
        a.depth = 3; a.width = 16; a.heads = 2; a.ctx = 8; a.vocab = 8;
        a.causal = (uint8_t)rng_below(&r, 2);
        a.norm = (uint8_t)rng_below(&r, 3);
        a.bias = (uint8_t)rng_below(&r, 2);
        a.init = (uint8_t)rng_below(&r, 2);
        arch_reset_blocks(&a, NULL);
        int ok = 1;
        char desc[512] = "";
        for (int k = 0; k < 4 && ok; k++) {
            int key = (int)rng_below(&r, NKEYS), val = 1 + (int)rng_below(&r, 5);
            int lo = (int)rng_below(&r, 3), hi = lo + (int)rng_below(&r, (uint32_t)(3 - lo));
            int tr = keys[key][0][0] == 'b' || keys[key][0][0] == 'a' ? (int)rng_below(&r, 2) : 0;
            size_t n = strlen(desc);
            snprintf(desc + n, sizeof desc - n, " %d..%d %s%s=%s", lo, hi, keys[key][0], tr ? "~" : "", keys[key][val]);
            if (arch_set_block(&a, lo, hi, keys[key][0], keys[key][val], tr, &e)) {
                CHECK(e.msg[0] != 0, "refusal without a reason:%s", desc);
                ok = 0;
            }
        }
        if (!ok) { refused++; continue; }
        Model m;
        if (model_build(&m, &a, &e)) {
            CHECK(e.msg[0] != 0 && strstr(e.msg, "block") != NULL, "refusal without naming the block:%s: %s", desc, e.msg);
            refused++;
            continue;
        }
        DataSpec ds;
        data_spec_default(&ds);
        ds.symbols = 4;
        ds.length = a.causal ? 4 : 8;
        ds.per_position = !a.causal;
        DataSource d;
        CHECK(data_open(&d, &ds, &e) == 0, "data: %s", e.msg);
        OptSpec os;
        optim_spec_default(&os);
        Trainer t;
        CHECK(trainer_init(&t, &m, &d, &os, 4, &e) == 0, "trainer:%s: %s", desc, e.msg);
        StepStats st;
        int finite = 1;
        double g = 0;
        for (int s = 0; s < 3; s++) {
            trainer_step(&t, &st);
            finite &= !st.nonfinite && isfinite(st.loss);
            if (s == 0) g = st.grad_norm;
        }
        CHECK(finite, "non-finite training:%s (%s)", desc, st.nonfinite_where);
        CHECK(g > 0 && isfinite(g), "zero or bad gradient (%g):%s", g, desc);
        trainer_free(&t);
        data_close(&d);
        model_free(&m);
        built++;
    }
    printf("  150 random combinations: %d built and trained, %d refused with a reason\n", built, refused);
    CHECK(built > 100, "too few combinations built (%d): the generator is too harsh to test anything", built);
}

int main(void)
{
    RUN(test_random_combinations);
    return TEST_SUMMARY();
}
