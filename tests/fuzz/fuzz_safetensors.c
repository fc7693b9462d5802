/* fuzz_safetensors.c — libFuzzer target: the safetensors reader on any bytes.
 * A file either opens (and then every tensor and metadata value it hands out is
 * readable in full) or is refused with a line naming it. Seeds: tests/fuzz/safetensors/. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "safetensors.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    StFile *f = NULL;
    BlError e;
    if (st_open_mem(data, size, "fuzz.safetensors", &f, &e)) {
        if (f || strncmp(e.msg, "fuzz.safetensors", 16)) abort();
        return 0;
    }
    volatile float sink = 0;
    for (int i = 0; i < st_count(f); i++) {
        const char *name = st_name(f, i);
        int ndim = 0;
        int64_t shape[ST_MAX_DIMS];
        const float *x = NULL;
        if (st_get(f, name, &ndim, shape, &x, &e)) abort();   /* a listed tensor is there */
        int64_t n = 1;
        for (int k = 0; k < ndim; k++) n *= shape[k];
        for (int64_t j = 0; j < n; j++) sink += x[j];         /* every element readable (ASan checks) */
    }
    for (int i = 0; i < st_meta_count(f); i++) {
        const char *k = st_meta_key(f, i), *v = st_meta(f, k);
        if (!v) abort();
        sink += (float)strlen(v);
    }
    (void)sink;
    st_close(f);
    return 0;
}
