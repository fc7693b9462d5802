/* gradcheck.h — the finite-difference check of a whole model: the tape's
 * gradient of the masked cross-entropy against central differences over every
 * trainable parameter. Returns the relative error ‖fd − tape‖ / max(‖fd‖, ‖tape‖, 1e-3)
 * and, in *tape_norm, ‖tape‖ (so a check can also insist gradients arrived).
 * Header-only, for tests/unit/test_*.c. */
#ifndef BL_GRADCHECK_H
#define BL_GRADCHECK_H

#include <math.h>
#include <string.h>

#include "model.h"
#include "rng.h"

/* Nudges every parameter off its init by N(0, 0.05²) so zero-initialised pieces
 * (W^Q, ΔW) get non-trivial gradients and identity-at-init shortcuts are not
 * all a check tests; then draws a (2, 6) batch: tokens and targets below vocab,
 * every third position masked out. */
static void grad_check_batch(Model *m, int vocab, int toks[12], int tg[12], float mask[12])
{
    Rng r;
    rng_seed(&r, 7);
    for (size_t i = 0; i < m->params.total; i++) m->params.data[i] += (float)(0.05 * rng_normal(&r));
    for (int i = 0; i < 12; i++) {
        toks[i] = (int)rng_below(&r, (uint32_t)vocab);
        tg[i] = (int)rng_below(&r, (uint32_t)vocab);
        mask[i] = i % 3 ? 1.0f : 0.0f;
    }
}

static double model_grad_rel_err(Model *m, const int *toks, const int *tg, const float *mask, int B, int T, float h,
                                 double *tape_norm)
{
    Tape t;
    tape_init(&t, 1 << 20);
    memset(m->params.grad, 0, m->params.total * sizeof(float));
    Tensor *loss = model_forward(m, &t, toks, B, T, tg, mask, NULL);
    tape_backward(&t, loss);
    t.recording = 0;
    double num = 0, dfd = 0, dtp = 0;
    for (int pi = 0; pi < m->params.n; pi++) {
        Param *p = &m->params.p[pi];
        if (!(p->flags & PARAM_TRAIN)) continue;
        for (int j = 0; j < p->t.n; j++) {
            float keep = p->t.data[j];
            p->t.data[j] = keep + h;
            tape_reset(&t);
            double lp = model_forward(m, &t, toks, B, T, tg, mask, NULL)->data[0];
            p->t.data[j] = keep - h;
            tape_reset(&t);
            double lm = model_forward(m, &t, toks, B, T, tg, mask, NULL)->data[0];
            p->t.data[j] = keep;
            double fd = (lp - lm) / (2 * h), tp = p->t.grad[j];
            num += (fd - tp) * (fd - tp);
            dfd += fd * fd;
            dtp += tp * tp;
        }
    }
    tape_free(&t);
    if (tape_norm) *tape_norm = sqrt(dtp);
    return sqrt(num) / fmax(fmax(sqrt(dfd), sqrt(dtp)), 1e-3);
}

#endif
