/* fuzz_ckpt_meta.c — libFuzzer target: a checkpoint's metadata, the part of a
 * file that decides what gets allocated. Input: arch text, a NUL byte, training
 * state JSON. A spec that parses must count, budget and round-trip through its
 * text form unchanged; a state that parses must be within `train`'s ranges and
 * round-trip through its JSON. Nothing here allocates a model's floats.
 * Seeds: tests/fuzz/ckpt_meta/. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "budget.h"
#include "checkpoint.h"

static void check_arch(const char *text)
{
    static ArchSpec a, b;
    BlError e;
    if (arch_from_text(&a, text, &e)) return;
    ParamTable pt;
    memset(&pt, 0, sizeof pt);
    if (model_declare(&a, &pt, &e)) abort();   /* a valid spec can be declared */
    params_free(&pt);
    MemBudget m;
    if (budget_estimate(&a, 32, 1, &m, &e) || !(m.total > 0)) abort();
    static char t1[1 << 20], t2[1 << 20];
    arch_to_text(&a, t1, sizeof t1);
    if (arch_from_text(&b, t1, &e)) abort();   /* what we write we read */
    arch_to_text(&b, t2, sizeof t2);
    if (strcmp(t1, t2)) abort();
}

static void check_state(const char *json)
{
    TrainState ts, back;
    BlError e;
    if (ckpt_state_from_json(json, &ts, &e)) return;
    if (ts.step < 0 || ts.adam_t < 0 || ts.adam_t > ts.step || ts.batch < 1 || ts.batch > TRAIN_BATCH_MAX ||
        !(ts.opt.lr >= (float)OPT_LR_MIN) || !(ts.opt.eps >= (float)OPT_EPS_MIN) || !(ts.opt.beta2 <= (float)OPT_BETA2_MAX) ||
        ts.opt.warmup < 0)
        abort();
    JsonBuf b = {0};
    ckpt_state_to_json(&ts, &b);
    if (ckpt_state_from_json(b.data, &back, &e)) abort();
    if (back.step != ts.step || back.batch != ts.batch || back.opt.warmup != ts.opt.warmup || strcmp(back.data.path, ts.data.path))
        abort();
    json_buf_free(&b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = malloc(size + 2);
    memcpy(text, data, size);
    text[size] = text[size + 1] = 0;
    check_arch(text);
    size_t n = strlen(text);
    if (n < size) check_state(text + n + 1);
    free(text);
    return 0;
}
