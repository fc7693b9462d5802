/* tensor.c — shape bookkeeping for Tensor. */
#include "tensor.h"

#include <stdio.h>

void tensor_set_shape(Tensor *t, int d0, int d1, int d2, int d3)
{
    int d[4] = {d0, d1, d2, d3};
    t->ndim = 0;
    t->n = 1;
    for (int i = 0; i < 4 && d[i] > 0; i++) {
        t->shape[t->ndim++] = d[i];
        t->n *= (int64_t)d[i];
    }
    if (t->ndim == 0) { t->ndim = 1; t->shape[0] = 1; }
}

const char *tensor_shape_str(const Tensor *t, char *buf, int cap)
{
    int k = snprintf(buf, (size_t)cap, "(");
    for (int i = 0; i < t->ndim && k < cap; i++)
        k += snprintf(buf + k, (size_t)(cap - k), i ? ", %d" : "%d", t->shape[i]);
    if (k < cap) snprintf(buf + k, (size_t)(cap - k), ")");
    return buf;
}
