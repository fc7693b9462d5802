/* tape.c — node list, lazy activation gradients, reverse sweep. */
#include "tape.h"
#include "common.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

const char *const prof_names[PROF_N] = {"matmul", "attention", "norms", "activation", "residual", "embedding",
                                        "loss", "optimizer"};

double prof_clock(int cpu)
{
    if (!cpu) return bl_now();
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

void tape_init(Tape *t, size_t arena_bytes)
{
    memset(t, 0, sizeof *t);
    arena_init(&t->arena, arena_bytes);
    t->recording = 1;
    t->group = -1;
}

void tape_free(Tape *t)
{
    arena_free(&t->arena);
    free(t->nodes);
    memset(t, 0, sizeof *t);
}

void tape_reset(Tape *t)
{
    arena_reset(&t->arena);
    t->n = 0;
    t->n_aux = 0;
    t->n_spare = 0;
    t->scope_len = t->group_len = 0;
    t->scope[0] = 0;
    t->group = -1;
}

TapeScope tape_scope_enter(Tape *t, const char *name, int index, int group)
{
    TapeScope s = {t->scope_len, t->group, t->group_len};
    int cap = (int)sizeof t->scope - t->scope_len, n;
    const char *dot = t->scope_len ? "." : "";
    if (index >= 0) n = snprintf(t->scope + t->scope_len, (size_t)cap, "%s%s.%d", dot, name, index);
    else n = snprintf(t->scope + t->scope_len, (size_t)cap, "%s%s", dot, name);
    t->scope_len += n < cap ? n : cap - 1;
    if (group >= 0) {
        t->group = group;
        t->group_len = t->scope_len;
    }
    return s;
}

void tape_hook_call(Tape *t, const char *site, const Tensor *x)
{
    HookSite s;
    if (t->scope_len) snprintf(t->path, sizeof t->path, "%s.%s", t->scope, site);
    else snprintf(t->path, sizeof t->path, "%s", site);
    s.path = t->path;
    s.group = t->group;
    s.name = t->group >= 0 ? t->path + t->group_len + 1 : t->path;
    t->hook(t->hook_ctx, &s, x);
}

Tensor *tape_tensor(Tape *t, int d0, int d1, int d2, int d3)
{
    Tensor *x = arena_alloc(&t->arena, sizeof *x);
    memset(x, 0, sizeof *x);
    tensor_set_shape(x, d0, d1, d2, d3);
    x->data = arena_floats(&t->arena, (size_t)x->n);
    return x;
}

Tensor *tape_like(Tape *t, const Tensor *x)
{
    Tensor *y = arena_alloc(&t->arena, sizeof *y);
    memset(y, 0, sizeof *y);
    y->ndim = x->ndim;
    y->n = x->n;
    memcpy(y->shape, x->shape, sizeof y->shape);
    y->data = arena_floats(&t->arena, (size_t)y->n);
    return y;
}

/* x's existing gradient slot, or the shard's copy of it (tape.h). Compared
 * as addresses: a slot is either inside the home table or elsewhere. */
static float *redirect(const Tape *t, float *g)
{
    if (!t->grad_into) return g;
    uintptr_t at = (uintptr_t)g, home = (uintptr_t)t->grad_home;
    if (at < home || at >= home + t->grad_n * sizeof(float)) return g;
    return t->grad_into + (at - home) / sizeof(float);
}

/* A spare gradient buffer of exactly n floats (tape.h: recycle), or NULL. */
static float *take_spare(Tape *t, int64_t n)
{
    for (int i = t->n_spare - 1; i >= 0; i--)
        if (t->spare[i].n == n) {
            float *p = t->spare[i].p;
            t->spare[i] = t->spare[--t->n_spare];
            return p;
        }
    return NULL;
}

float *tape_grad(Tape *t, Tensor *x)
{
    if (!x->grad) {
        float *p = take_spare(t, x->n);
        if (p) memset(p, 0, (size_t)x->n * sizeof(float));
        x->grad = p ? p : arena_zeros(&t->arena, (size_t)x->n);
    }
    return redirect(t, x->grad);
}

float *tape_grad_fresh(Tape *t, Tensor *x, int *fresh)
{
    *fresh = x->grad == NULL;
    if (*fresh) {
        float *p = take_spare(t, x->n);
        x->grad = p ? p : arena_floats(&t->arena, (size_t)x->n);
    }
    return redirect(t, x->grad);
}

TapeNode *tape_push(Tape *t, BackwardFn fn, Tensor *out)
{
    if (!t->recording || !out->rg) return NULL;
    if (t->n == t->cap) {
        /* Grows during the first step only; the capacity is kept across resets. */
        t->cap = t->cap ? 2 * t->cap : 256;
        t->nodes = xrealloc(t->nodes, (size_t)t->cap * sizeof *t->nodes);
    }
    TapeNode *n = &t->nodes[t->n++];
    memset(n, 0, sizeof *n);
    n->backward = fn;
    n->out = out;
    return n;
}

void tape_backward(Tape *t, Tensor *loss)
{
    float *g = tape_grad(t, loss);
    for (int64_t i = 0; i < loss->n; i++) g[i] = 1.0f;
    tape_backward_seeded(t);
}

void tape_backward_seeded(Tape *t)
{
    for (int i = t->n - 1; i >= 0; i--) {
        TapeNode *n = &t->nodes[i];
        if (!n->out->grad) continue;   /* no gradient reached it: nothing to pass on */
        n->backward(t, n);
        if (t->recycle && t->n_spare < (int)(sizeof t->spare / sizeof t->spare[0])) {
            t->spare[t->n_spare].p = n->out->grad;
            t->spare[t->n_spare++].n = n->out->n;
            n->out->grad = NULL;
        }
    }
}
