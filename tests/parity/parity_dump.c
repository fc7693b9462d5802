/* parity_dump.c — the C side of the PyTorch parity tests. Builds a model from
 * arch text, then writes to OUTDIR:
 *   init.st  the initial checkpoint (weights + arch metadata)
 *   ref.st   tokens, targets, mask, logits, loss, grad.<param> of one forward/
 *            backward, and the losses of `steps` AdamW steps on the same batch.
 * Usage: parity_dump OUTDIR "model new ...; block ..." [steps] [lr]
 * The batch is drawn from a fixed seed so both sides see the same tokens. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "checkpoint.h"
#include "rng.h"
#include "safetensors.h"

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: parity_dump OUTDIR ARCH_TEXT [steps] [lr]\n");
        return 2;
    }
    const char *dir = argv[1];
    int steps = argc > 3 ? atoi(argv[3]) : 5;
    float lr = argc > 4 ? (float)atof(argv[4]) : 1e-2f;
    BlError e;
    ArchSpec *a = calloc(1, sizeof *a);
    Model m;
    if (arch_from_text(a, argv[2], &e) || model_build(&m, a, &e)) {
        fprintf(stderr, "parity_dump: %s\n", e.msg);
        return 1;
    }
    char path[1024];
    snprintf(path, sizeof path, "%s/init.st", dir);
    if (ckpt_save(path, &m, NULL, NULL, &e)) { fprintf(stderr, "parity_dump: %s\n", e.msg); return 1; }

    int B = 3, T = a->ctx, N = B * T, V = a->vocab;
    int *tok = malloc(sizeof(int) * (size_t)N), *tg = malloc(sizeof(int) * (size_t)N);
    float *ftok = malloc(sizeof(float) * (size_t)N), *ftg = malloc(sizeof(float) * (size_t)N);
    float *mask = malloc(sizeof(float) * (size_t)N);
    Rng r;
    rng_seed(&r, 1234);
    for (int i = 0; i < N; i++) {
        tok[i] = (int)rng_below(&r, (uint32_t)V);
        tg[i] = (int)rng_below(&r, (uint32_t)V);
        mask[i] = (i % 5 == 0) ? 0.0f : 1.0f;
        ftok[i] = (float)tok[i];
        ftg[i] = (float)tg[i];
    }
    Tape t;
    tape_init(&t, 1 << 20);
    Tensor *logits = NULL;
    memset(m.params.grad, 0, m.params.total * sizeof(float));
    Tensor *loss = model_forward(&m, &t, tok, B, T, tg, mask, &logits);
    tape_backward(&t, model_objective(&t, loss));

    int np = m.params.n, n = 0;
    StTensor *st = calloc((size_t)np + 8, sizeof *st);
    char (*names)[80] = calloc((size_t)np, sizeof *names);
    st[n++] = (StTensor){"tokens", 2, {B, T}, ftok};
    st[n++] = (StTensor){"targets", 2, {B, T}, ftg};
    st[n++] = (StTensor){"mask", 2, {B, T}, mask};
    /* Copies: the arena and the gradient array are reused by the AdamW steps below. */
    float *logits_copy = malloc(sizeof(float) * (size_t)logits->n), loss_copy = loss->data[0];
    float *grads = malloc(sizeof(float) * m.params.total);
    memcpy(logits_copy, logits->data, sizeof(float) * (size_t)logits->n);
    memcpy(grads, m.params.grad, sizeof(float) * m.params.total);
    st[n++] = (StTensor){"logits", 3, {B, T, V}, logits_copy};
    st[n++] = (StTensor){"loss", 1, {1}, &loss_copy};
    for (int i = 0; i < np; i++) {
        Param *p = &m.params.p[i];
        if (!(p->flags & PARAM_TRAIN)) continue;
        snprintf(names[i], sizeof names[i], "grad.%s", p->name);
        st[n] = (StTensor){names[i], p->t.ndim, {0}, grads + p->offset};
        for (int k = 0; k < p->t.ndim; k++) st[n].shape[k] = p->t.shape[k];
        n++;
    }
    /* AdamW on the same batch: losses[k] is the loss before update k+1, so
     * losses[steps] is the loss after `steps` updates. */
    OptSpec os;
    optim_spec_default(&os);
    os.lr = lr;
    os.schedule = SCHED_CONSTANT;
    os.beta2 = 0.95f;
    Optimizer opt;
    optim_init(&opt, &os, &m.params);
    float *losses = malloc(sizeof(float) * (size_t)(steps + 1));
    for (int k = 0; k <= steps; k++) {
        tape_reset(&t);
        memset(m.params.grad, 0, m.params.total * sizeof(float));
        Tensor *l = model_objective(&t, model_forward(&m, &t, tok, B, T, tg, mask, NULL));
        losses[k] = l->data[0];
        if (k == steps) break;
        tape_backward(&t, l);
        optim_clip(&m.params, os.clip);
        optim_step(&opt, &m.params, optim_lr(&os, k));
    }
    st[n++] = (StTensor){"adam_losses", 1, {steps + 1}, losses};
    char meta[256];
    snprintf(meta, sizeof meta, "{\"lr\": %.9g, \"beta1\": %.9g, \"beta2\": %.9g, \"eps\": %.9g, \"weight_decay\": %.9g, \"clip\": %.9g}",
             (double)os.lr, (double)os.beta1, (double)os.beta2, (double)os.eps, (double)os.weight_decay, (double)os.clip);
    const char *keys[] = {"adamw"}, *vals[] = {meta};
    snprintf(path, sizeof path, "%s/ref.st", dir);
    if (st_write(path, st, n, keys, vals, 1, &e)) { fprintf(stderr, "parity_dump: %s\n", e.msg); return 1; }
    optim_free(&opt);
    tape_free(&t);
    model_free(&m);
    arch_free(a);
    free(a); free(tok); free(tg); free(ftok); free(ftg); free(mask); free(st); free(names); free(losses); free(logits_copy); free(grads);
    return 0;
}
