/* tensor.h — the one tensor type: float32, row-major, contiguous, up to 4 dims.
 * A Tensor does not own its memory: parameters point into the model's flat
 * parameter/gradient arrays, activations into the step's arena. */
#ifndef BL_TENSOR_H
#define BL_TENSOR_H

#include <stdint.h>

typedef struct Tensor {
    float *data;    /* n values */
    float *grad;    /* n gradient values, or NULL (activations get one lazily in backward) */
    int    ndim;
    int    shape[4];
    int64_t n;      /* product of shape: 64-bit, as vocab x width alone passes 2^31 */
    int    rg;      /* requires grad: a trainable parameter, or computed from one */
} Tensor;

/* Last dimension (row length) and number of rows (product of the others). */
static inline int tensor_cols(const Tensor *t) { return t->shape[t->ndim - 1]; }
static inline int64_t tensor_rows(const Tensor *t) { return t->n / t->shape[t->ndim - 1]; }

/* Fills shape/ndim/n from up to 4 dims (trailing zeros end the list). */
void tensor_set_shape(Tensor *t, int d0, int d1, int d2, int d3);
/* "(4, 64, 128)" into buf, for error messages. */
const char *tensor_shape_str(const Tensor *t, char *buf, int cap);

#endif
