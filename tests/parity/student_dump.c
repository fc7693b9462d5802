/* student_dump.c — the C side of the student's PyTorch parity test. Builds a
 * standalone student (core/student.h), draws an input, a target and a padding
 * mask from a fixed seed, and writes OUTDIR/student.st holding: every student
 * tensor at init, x, target, valid, the output y, the masked MSE, the gradient
 * of every tensor ("grad.<name>") and of x, and the losses of `steps` steps of
 * the distillation recipe (core/distill.h: Adam 0.9/0.98/1e-9) on that batch.
 * Usage: student_dump OUTDIR MODE SIZE CAUSAL LEN WIDTH HEADS T [steps] */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "distill.h"
#include "ops_student.h"
#include "safetensors.h"

static int find(const char *const *names, const char *s)
{
    for (int i = 0; names[i]; i++)
        if (!strcmp(names[i], s)) return i;
    return -1;
}

int main(int argc, char **argv)
{
    if (argc < 9) {
        fprintf(stderr, "usage: student_dump OUTDIR MODE SIZE CAUSAL LEN WIDTH HEADS T [steps]\n");
        return 2;
    }
    int mode = find(student_mode_names, argv[2]), size = find(student_size_names, argv[3]);
    int causal = atoi(argv[4]), L = atoi(argv[5]), d = atoi(argv[6]), heads = atoi(argv[7]), T = atoi(argv[8]);
    int steps = argc > 9 ? atoi(argv[9]) : 5, B = 3;
    StudentSpec s;
    BlError e;
    if (mode < 0 || size < 0 || student_spec(&s, mode, size, causal, L, d, heads, &e)) {
        fprintf(stderr, "student_dump: bad student: %s\n", mode < 0 || size < 0 ? "mode or size" : e.msg);
        return 1;
    }
    Student st;
    student_build(&st, &s, 11);
    int dout = student_out_width(&s), nx = B * T * d, ny = B * T * dout;
    float *x = malloc(sizeof(float) * nx), *y = malloc(sizeof(float) * ny), *valid = malloc(sizeof(float) * B * T);
    Rng r;
    rng_seed(&r, 99);
    for (int i = 0; i < nx; i++) x[i] = (float)rng_normal(&r) + 0.5f;
    for (int i = 0; i < ny; i++) y[i] = (float)rng_normal(&r) * 0.5f;
    for (int i = 0; i < B * T; i++) valid[i] = (i % T == T - 1 && i / T == 1) || i % 7 == 3 ? 0.0f : 1.0f;

    /* One forward/backward with x as a leaf. */
    Tape t;
    tape_init(&t, 1 << 20);
    Tensor *xt = tape_tensor(&t, B, T, d, 0);
    memcpy(xt->data, x, sizeof(float) * nx);
    xt->rg = 1;
    memset(st.params.grad, 0, sizeof(float) * st.params.total);
    Tensor *out = student_forward(&t, &s, st.nets, xt, valid);
    Tensor *loss = op_masked_mse(&t, out, y, valid);
    tape_backward(&t, loss);

    int np = st.params.n, n = 0;
    StTensor *ts = calloc((size_t)2 * np + 8, sizeof *ts);
    char (*names)[80] = calloc((size_t)np, sizeof *names);
    float *init = malloc(sizeof(float) * st.params.total), *grads = malloc(sizeof(float) * st.params.total);
    memcpy(init, st.params.data, sizeof(float) * st.params.total);
    memcpy(grads, st.params.grad, sizeof(float) * st.params.total);
    float loss0 = loss->data[0];
    ts[n++] = (StTensor){"x", 3, {B, T, d}, x};
    ts[n++] = (StTensor){"target", 3, {B, T, dout}, y};
    ts[n++] = (StTensor){"valid", 2, {B, T}, valid};
    ts[n++] = (StTensor){"y", 3, {B, T, dout}, out->data};
    ts[n++] = (StTensor){"loss", 1, {1}, &loss0};
    ts[n++] = (StTensor){"grad.x", 3, {B, T, d}, xt->grad};
    for (int i = 0; i < np; i++) {
        Param *p = &st.params.p[i];
        snprintf(names[i], sizeof names[i], "grad.%s", p->name);
        ts[n] = (StTensor){p->name, p->t.ndim, {0}, init + p->offset};
        ts[n + 1] = (StTensor){names[i], p->t.ndim, {0}, grads + p->offset};
        for (int k = 0; k < p->t.ndim; k++) ts[n].shape[k] = ts[n + 1].shape[k] = p->t.shape[k];
        n += 2;
    }
    /* The distillation recipe on this batch: losses[k] before update k+1. */
    OptSpec os;
    distill_opt_spec(&os, mode);
    Distiller dl;
    distiller_init(&dl, &st, &os, B, T, 1);
    float *losses = malloc(sizeof(float) * (size_t)(steps + 1));
    for (int k = 0; k < steps; k++) losses[k] = distiller_step(&dl, x, y, valid, B);
    losses[steps] = (float)distill_mse(&st, &dl.tape, &(DistillSet){.n = B, .T = T, .d_in = d, .d_out = dout,
                                                                     .x = x, .y = y, .valid = valid}, B);
    ts[n++] = (StTensor){"adam_losses", 1, {steps + 1}, losses};
    char meta[160], path[1024];
    snprintf(meta, sizeof meta, "{\"lr\": %.9g, \"beta1\": %.9g, \"beta2\": %.9g, \"eps\": %.9g, \"hidden\": %d}",
             (double)os.lr, (double)os.beta1, (double)os.beta2, (double)os.eps, s.hidden);
    const char *keys[] = {"recipe"}, *vals[] = {meta};
    snprintf(path, sizeof path, "%s/student.st", argv[1]);
    if (st_write(path, ts, n, keys, vals, 1, &e)) {
        fprintf(stderr, "student_dump: %s\n", e.msg);
        return 1;
    }
    distiller_free(&dl);
    tape_free(&t);
    student_free(&st);
    free(x); free(y); free(valid); free(ts); free(names); free(init); free(grads); free(losses);
    return 0;
}
