/* data_dump.c — the C side of the data parity test: writes data_batch results
 * to a safetensors file so tools/torch/blocklab_data.py can be compared with them.
 * Usage: data_dump OUT.st key=value... SPLIT:INDEX...
 *   keys: kind symbols length min_length per_position seed path val B T (defaults as data_spec_default, B 4, T 16)
 *   for each SPLIT:INDEX, tensors "<split>.<index>.tokens|targets|mask" (B, T), ids as floats;
 *   text data also gets "ids" (the corpus) and metadata "val_start", "vocab".
 * Or: data_dump OUT.st rng SEED N COUNT — COUNT draws of rng_below(N) from
 *   rng_seed(SEED), as "below" (COUNT, 2): 16-bit halves, high first (floats are exact). */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "data.h"
#include "safetensors.h"

static int set_key(DataSpec *s, int *B, int *T, const char *arg)
{
    const char *eq = strchr(arg, '=');
    if (!eq) return -1;
    size_t n = (size_t)(eq - arg);
    const char *v = eq + 1;
    if (n == 4 && !strncmp(arg, "kind", n)) return data_kind_parse(v, &s->kind);
    if (n == 7 && !strncmp(arg, "symbols", n)) s->symbols = atoi(v);
    else if (n == 6 && !strncmp(arg, "length", n)) s->length = atoi(v);
    else if (n == 12 && !strncmp(arg, "per_position", n)) s->per_position = atoi(v);
    else if (n == 10 && !strncmp(arg, "min_length", n)) s->min_length = atoi(v);
    else if (n == 4 && !strncmp(arg, "seed", n)) s->seed = strtoull(v, NULL, 10);
    else if (n == 4 && !strncmp(arg, "path", n)) snprintf(s->path, sizeof s->path, "%s", v);
    else if (n == 3 && !strncmp(arg, "val", n)) s->val_frac = atof(v);
    else if (n == 1 && arg[0] == 'B') *B = atoi(v);
    else if (n == 1 && arg[0] == 'T') *T = atoi(v);
    else return -1;
    return 0;
}

/* Lemire's rejection only bites for n near 2^32: tested here, not through tasks. */
static int dump_rng(const char *out, uint64_t seed, uint32_t n, int count)
{
    float *v = malloc(sizeof(float) * 2 * (size_t)count);
    Rng r;
    rng_seed(&r, seed);
    for (int i = 0; i < count; i++) {
        uint32_t x = rng_below(&r, n);
        v[2 * i] = (float)(x >> 16);
        v[2 * i + 1] = (float)(x & 0xFFFF);
    }
    StTensor t = {"below", 2, {count, 2}, v};
    BlError e;
    int rc = st_write(out, &t, 1, NULL, NULL, 0, &e);
    if (rc) fprintf(stderr, "data_dump: %s\n", e.msg);
    free(v);
    return rc ? 1 : 0;
}

int main(int argc, char **argv)
{
    if (argc == 6 && !strcmp(argv[2], "rng"))
        return dump_rng(argv[1], strtoull(argv[3], NULL, 10), (uint32_t)strtoul(argv[4], NULL, 10), atoi(argv[5]));
    if (argc < 3) {
        fprintf(stderr, "usage: data_dump OUT.st key=value... SPLIT:INDEX...\n");
        return 2;
    }
    DataSpec spec;
    data_spec_default(&spec);
    int B = 4, T = 16, first_batch = argc;
    for (int i = 2; i < argc; i++) {
        if (strchr(argv[i], ':')) { first_batch = i; break; }
        if (set_key(&spec, &B, &T, argv[i])) {
            fprintf(stderr, "data_dump: bad argument '%s'\n", argv[i]);
            return 2;
        }
    }
    DataSource d;
    BlError e;
    if (data_open(&d, &spec, &e)) {
        fprintf(stderr, "data_dump: %s\n", e.msg);
        return 1;
    }
    int nb = argc - first_batch, N = B * T;
    StTensor *st = calloc((size_t)(3 * nb + 1), sizeof *st);
    char (*names)[64] = calloc((size_t)(3 * nb), sizeof *names);
    float *buf = malloc(sizeof(float) * (size_t)(3 * nb) * (size_t)N);
    int *tok = malloc(sizeof(int) * (size_t)N), *tgt = malloc(sizeof(int) * (size_t)N);
    int n = 0;
    for (int k = 0; k < nb; k++) {
        const char *a = argv[first_batch + k];
        int split = atoi(a);
        uint64_t index = strtoull(strchr(a, ':') + 1, NULL, 10);
        float *ft = buf + (size_t)(3 * k) * (size_t)N, *fg = ft + N, *fm = fg + N;
        if (split == 0) d.position = index;
        data_batch(&d, split, index, B, T, tok, tgt, fm);
        for (int i = 0; i < N; i++) { ft[i] = (float)tok[i]; fg[i] = (float)tgt[i]; }
        const char *part[3] = {"tokens", "targets", "mask"};
        for (int p = 0; p < 3; p++) {
            snprintf(names[n], sizeof names[n], "%d.%" PRIu64 ".%s", split ? 1 : 0, index, part[p]);
            st[n] = (StTensor){names[n], 2, {B, T}, ft + (size_t)p * (size_t)N};
            n++;
        }
    }
    float *ids = NULL;
    char val_start[32] = "", vocab[8192] = "[";
    if (d.ids) {
        ids = malloc(sizeof(float) * d.n_ids);
        for (size_t i = 0; i < d.n_ids; i++) ids[i] = d.ids[i];
        st[n++] = (StTensor){"ids", 1, {(int64_t)d.n_ids}, ids};
        snprintf(val_start, sizeof val_start, "%zu", d.val_start);
        for (int i = 0; i < d.vocab; i++) {
            size_t used = strlen(vocab);
            snprintf(vocab + used, sizeof vocab - used, "%s%u", i ? "," : "", (unsigned)d.codepoint[i]);
        }
        strcat(vocab, "]");
    }
    const char *keys[] = {"val_start", "vocab"}, *vals[] = {val_start, vocab};
    int rc = st_write(argv[1], st, n, keys, vals, d.ids ? 2 : 0, &e);
    if (rc) fprintf(stderr, "data_dump: %s\n", e.msg);
    data_close(&d);
    free(st); free(names); free(buf); free(tok); free(tgt); free(ids);
    return rc ? 1 : 0;
}
