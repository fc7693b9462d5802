/* export_dump.c — the C side of the PyTorch export tests (tests/parity/test_export.py):
 * exports models with export_torch and records what the Python side must reproduce.
 * Usage:
 *   export_dump export DIR ARCH [force]   export only; prints "error: ..." and exits 1 on failure
 *   export_dump logits DIR REF ARCH       export, then REF gets "tokens" (2, ctx) and blocklab's "logits"
 *   export_dump train DIR REF ARCH key=value...
 *       keys: kind symbols length per_position seed path val (data), batch lr warmup steps
 *       schedule clip wd (optimizer), pre (steps before the export), cont (steps after).
 *       Trains `pre` steps, exports with optimizer and state, then REF gets the batch at
 *       the exported data position ("tokens", "targets", "mask") and the losses of `cont`
 *       more steps ("losses"): what train_ddp.py must log when it continues.
 *   export_dump load CKPT                  ckpt_load (with moments) and reopen the data; prints
 *       "ok step=S adam_t=A position=P moments=0|1 loss=L", L the loss on the next batch. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "export.h"
#include "rng.h"
#include "safetensors.h"
#include "train.h"

static int die(const char *what, const BlError *e)
{
    fprintf(stderr, "export_dump %s: %s\n", what, e->msg);
    return 1;
}

static int build(const char *arch_text, ArchSpec **a, Model *m, BlError *e)
{
    *a = calloc(1, sizeof **a);
    return arch_from_text(*a, arch_text, e) || model_build(m, *a, e) ? -1 : 0;
}

static int mode_export(int argc, char **argv)
{
    ArchSpec *a;
    Model m;
    BlError e;
    if (build(argv[3], &a, &m, &e)) return die("export", &e);
    int force = argc > 4 && !strcmp(argv[4], "force");
    int rc = export_torch(argv[2], &m, NULL, NULL, NULL, force, &e);
    if (rc) printf("error: %s\n", e.msg);
    model_free(&m);
    arch_free(a);
    free(a);
    return rc ? 1 : 0;
}

static int mode_logits(char **argv)
{
    ArchSpec *a;
    Model m;
    BlError e;
    if (build(argv[4], &a, &m, &e)) return die("logits", &e);
    if (export_torch(argv[2], &m, NULL, NULL, NULL, 0, &e)) return die("logits", &e);
    int B = 2, T = a->ctx, N = B * T;
    int *tok = malloc(sizeof(int) * (size_t)N);
    float *ftok = malloc(sizeof(float) * (size_t)N);
    Rng r;
    rng_seed(&r, 4321);
    for (int i = 0; i < N; i++) ftok[i] = (float)(tok[i] = (int)rng_below(&r, (uint32_t)a->vocab));
    Tape t;
    tape_init(&t, 1 << 20);
    t.recording = 0;
    Tensor *logits = model_forward(&m, &t, tok, B, T, NULL, NULL, NULL);
    StTensor st[2] = {{"tokens", 2, {B, T}, ftok}, {"logits", 3, {B, T, a->vocab}, logits->data}};
    int rc = st_write(argv[3], st, 2, NULL, NULL, 0, &e);
    if (rc) die("logits", &e);
    tape_free(&t);
    model_free(&m);
    arch_free(a);
    free(a); free(tok); free(ftok);
    return rc ? 1 : 0;
}

/* key=value into the data and optimizer specs; -1 for an unknown key. */
static int set_key(DataSpec *ds, OptSpec *os, int *batch, int *pre, int *cont, const char *arg)
{
    const char *eq = strchr(arg, '=');
    if (!eq) return -1;
    char key[32];
    snprintf(key, sizeof key, "%.*s", (int)(eq - arg), arg);
    const char *v = eq + 1;
    if (!strcmp(key, "kind")) return data_kind_parse(v, &ds->kind);
    if (!strcmp(key, "symbols")) ds->symbols = atoi(v);
    else if (!strcmp(key, "length")) ds->length = atoi(v);
    else if (!strcmp(key, "per_position")) ds->per_position = atoi(v);
    else if (!strcmp(key, "seed")) ds->seed = strtoull(v, NULL, 10);
    else if (!strcmp(key, "path")) snprintf(ds->path, sizeof ds->path, "%s", v);
    else if (!strcmp(key, "val")) ds->val_frac = atof(v);
    else if (!strcmp(key, "batch")) *batch = atoi(v);
    else if (!strcmp(key, "lr")) os->lr = (float)atof(v);
    else if (!strcmp(key, "warmup")) os->warmup = atoi(v);
    else if (!strcmp(key, "steps")) os->steps = atoi(v);
    else if (!strcmp(key, "clip")) os->clip = (float)atof(v);
    else if (!strcmp(key, "wd")) os->weight_decay = (float)atof(v);
    else if (!strcmp(key, "pre")) *pre = atoi(v);
    else if (!strcmp(key, "cont")) *cont = atoi(v);
    else if (!strcmp(key, "schedule"))
        os->schedule = !strcmp(v, "linear") ? SCHED_LINEAR : !strcmp(v, "constant") ? SCHED_CONSTANT : SCHED_COSINE;
    else return -1;
    return 0;
}

static int mode_train(int argc, char **argv)
{
    DataSpec ds;
    OptSpec os;
    data_spec_default(&ds);
    optim_spec_default(&os);
    int batch = 8, pre = 0, cont = 3;
    for (int i = 5; i < argc; i++)
        if (set_key(&ds, &os, &batch, &pre, &cont, argv[i])) {
            fprintf(stderr, "export_dump train: bad argument '%s'\n", argv[i]);
            return 2;
        }
    ArchSpec *a;
    Model m;
    DataSource d;
    Trainer tr;
    BlError e;
    if (build(argv[4], &a, &m, &e) || data_open(&d, &ds, &e) || trainer_init(&tr, &m, &d, &os, batch, &e))
        return die("train", &e);
    StepStats s;
    for (int k = 0; k < pre; k++) trainer_step(&tr, &s);
    TrainState ts = {.step = tr.step, .adam_t = tr.opt.t, .batch = batch, .opt = os, .data = ds,
                     .data_position = d.position};
    if (export_torch(argv[2], &m, &tr.opt, &ts, &d, 0, &e)) return die("train", &e);

    int N = batch * a->ctx;
    float *buf = malloc(sizeof(float) * (size_t)(3 * N + cont + 1));
    int *tok = malloc(sizeof(int) * (size_t)N), *tgt = malloc(sizeof(int) * (size_t)N);
    DataSource peek = d; /* shares ids; only its position moves */
    data_batch(&peek, 0, 0, batch, a->ctx, tok, tgt, buf + 2 * N);
    for (int i = 0; i < N; i++) { buf[i] = (float)tok[i]; buf[N + i] = (float)tgt[i]; }
    float *losses = buf + 3 * N;
    for (int k = 0; k < cont; k++) {
        trainer_step(&tr, &s);
        losses[k] = s.loss;
    }
    StTensor st[4] = {{"tokens", 2, {batch, a->ctx}, buf}, {"targets", 2, {batch, a->ctx}, buf + N},
                      {"mask", 2, {batch, a->ctx}, buf + 2 * N}, {"losses", 1, {cont}, losses}};
    char pos[32];
    snprintf(pos, sizeof pos, "%" PRIu64, ts.data_position);
    const char *keys[] = {"data_position"}, *vals[] = {pos};
    int rc = st_write(argv[3], st, 4, keys, vals, 1, &e);
    if (rc) die("train", &e);
    trainer_free(&tr);
    data_close(&d);
    model_free(&m);
    arch_free(a);
    free(a); free(buf); free(tok); free(tgt);
    return rc ? 1 : 0;
}

static int mode_load(char **argv)
{
    Model m;
    Optimizer o;
    memset(&o, 0, sizeof o);
    TrainState ts;
    CkptLoad lo = {0};
    BlError e;
    DataSource d;
    if (ckpt_load(argv[2], &m, &o, &ts, &lo, &e)) return die("load", &e);
    if (!lo.has_train) { fprintf(stderr, "export_dump load: %s has no training state\n", argv[2]); return 1; }
    if (data_open(&d, &ts.data, &e)) return die("load", &e);
    int B = ts.batch, T = m.arch->ctx, N = B * T;
    int *tok = malloc(sizeof(int) * (size_t)N), *tgt = malloc(sizeof(int) * (size_t)N);
    float *mask = malloc(sizeof(float) * (size_t)N);
    d.position = ts.data_position;
    data_batch(&d, 0, 0, B, T, tok, tgt, mask);
    Tape t;
    tape_init(&t, 1 << 20);
    t.recording = 0;
    Tensor *loss = model_forward(&m, &t, tok, B, T, tgt, mask, NULL);
    printf("ok step=%ld adam_t=%ld position=%" PRIu64 " moments=%d loss=%.9g\n", ts.step, ts.adam_t,
           ts.data_position, o.m != NULL, (double)loss->data[0]);
    tape_free(&t);
    optim_free(&o);
    data_close(&d);
    model_free(&m);
    free(tok); free(tgt); free(mask);
    return 0;
}

int main(int argc, char **argv)
{
    const char *mode = argc > 1 ? argv[1] : "";
    if (!strcmp(mode, "export") && argc >= 4) return mode_export(argc, argv);
    if (!strcmp(mode, "logits") && argc == 5) return mode_logits(argv);
    if (!strcmp(mode, "train") && argc >= 5) return mode_train(argc, argv);
    if (!strcmp(mode, "load") && argc == 3) return mode_load(argv);
    fprintf(stderr, "usage: export_dump export DIR ARCH [force] | logits DIR REF ARCH | "
                    "train DIR REF ARCH key=value... | load CKPT\n");
    return 2;
}
