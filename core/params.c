/* params.c — the flat parameter store and its name table. */
#include "params.h"
#include "common.h"

#include <stdio.h>
#include <stdlib.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>

int params_add(ParamTable *pt, const char *name, int group, int flags, int d0, int d1, int d2)
{
    if (pt->n == pt->cap) {
        pt->cap = pt->cap ? 2 * pt->cap : 64;
        pt->p = xrealloc(pt->p, (size_t)pt->cap * sizeof *pt->p);
    }
    Param *p = &pt->p[pt->n];
    memset(p, 0, sizeof *p);
    snprintf(p->name, sizeof p->name, "%s", name);
    p->group = group;
    p->flags = flags;
    tensor_set_shape(&p->t, d0, d1, d2, 0);
    p->t.rg = (flags & PARAM_TRAIN) != 0;
    p->offset = pt->total;
    /* 16-float alignment keeps every tensor on a 64-byte boundary for SIMD. */
    pt->total += ((size_t)p->t.n + 15) & ~(size_t)15;
    return pt->n++;
}

/* Large stores (a 1000-block model holds 47 M floats) ask for transparent huge
 * pages: one page fault per 2 MB instead of per 4 kB when init first writes them. */
static float *store_alloc(size_t n)
{
    float *p = xcalloc(n, sizeof(float));
#ifdef MADV_HUGEPAGE
    size_t huge = (size_t)2 << 20, bytes = n * sizeof(float);
    if (bytes >= 4 * huge) {
        uintptr_t mask = ~(uintptr_t)(huge - 1);
        uintptr_t lo = ((uintptr_t)p + huge - 1) & mask, hi = ((uintptr_t)p + bytes) & mask;
        if (hi > lo) madvise((void *)lo, hi - lo, MADV_HUGEPAGE);   /* advice only: failure changes nothing */
    }
#endif
    return p;
}

void params_alloc(ParamTable *pt)
{
    pt->data = store_alloc(pt->total);
    pt->grad = store_alloc(pt->total);
    for (int i = 0; i < pt->n; i++) {
        pt->p[i].t.data = pt->data + pt->p[i].offset;
        pt->p[i].t.grad = pt->grad + pt->p[i].offset;
    }
}

void params_free(ParamTable *pt)
{
    free(pt->p);
    free(pt->data);
    free(pt->grad);
    memset(pt, 0, sizeof *pt);
}

int params_find(const ParamTable *pt, const char *name)
{
    for (int i = 0; i < pt->n; i++)
        if (strcmp(pt->p[i].name, name) == 0) return i;
    return -1;
}

size_t params_trainable(const ParamTable *pt)
{
    size_t s = 0;
    for (int i = 0; i < pt->n; i++)
        if (pt->p[i].flags & PARAM_TRAIN) s += (size_t)pt->p[i].t.n;
    return s;
}
