/* checkpoint.c — Model (+ Optimizer + TrainState) <-> one safetensors file.
 * The arch travels as its command-language text, the training state as JSON;
 * every tensor is checked against the model the arch rebuilds. */
#include "checkpoint.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "safetensors.h"

#define FORMAT "blocklab-1"

/* ---- training state as JSON ---------------------------------------------------- */

static const char *opt_kind_names[] = {"adamw", "sgd"};
static const char *sched_names[] = {"cosine", "linear", "constant"};

static void put_u64(JsonBuf *b, const char *key, uint64_t v)
{
    char s[32];
    snprintf(s, sizeof s, "%" PRIu64, v);   /* beyond 2^53: kept exact as a string */
    json_key(b, key);
    json_put_string(b, s);
}

static void state_to_json(const TrainState *ts, JsonBuf *b)
{
    const OptSpec *o = &ts->opt;
    const DataSpec *d = &ts->data;
    json_begin_object(b);
    json_key(b, "step"); json_put_int(b, ts->step);
    json_key(b, "adam_t"); json_put_int(b, ts->adam_t);
    json_key(b, "batch"); json_put_int(b, ts->batch);
    put_u64(b, "data_position", ts->data_position);
    json_key(b, "opt");
    json_begin_object(b);
    json_key(b, "kind"); json_put_string(b, opt_kind_names[o->kind]);
    json_key(b, "lr"); json_put_number(b, o->lr);
    json_key(b, "beta1"); json_put_number(b, o->beta1);
    json_key(b, "beta2"); json_put_number(b, o->beta2);
    json_key(b, "eps"); json_put_number(b, o->eps);
    json_key(b, "weight_decay"); json_put_number(b, o->weight_decay);
    json_key(b, "clip"); json_put_number(b, o->clip);
    json_key(b, "warmup"); json_put_int(b, o->warmup);
    json_key(b, "steps"); json_put_int(b, o->steps);
    json_key(b, "schedule"); json_put_string(b, sched_names[o->schedule]);
    json_key(b, "min_lr_frac"); json_put_number(b, o->min_lr_frac);
    json_end_object(b);
    json_key(b, "data");
    json_begin_object(b);
    json_key(b, "kind"); json_put_string(b, data_kind_name(d->kind));
    json_key(b, "symbols"); json_put_int(b, d->symbols);
    json_key(b, "length"); json_put_int(b, d->length);
    json_key(b, "min_length"); json_put_int(b, d->min_length);
    json_key(b, "per_position"); json_put_int(b, d->per_position);
    json_key(b, "path"); json_put_string(b, d->path);
    json_key(b, "val_frac"); json_put_number(b, d->val_frac);
    put_u64(b, "seed", d->seed);
    json_end_object(b);
    json_end_object(b);
}

/* Reads a number member; missing or mistyped members are errors. */
static int get_num(const JsonValue *o, const char *key, double *out, BlError *e)
{
    const JsonValue *v = o ? json_get(o, key) : NULL;
    if (!v || v->type != JSON_NUMBER) return bl_fail(e, "training state: '%s' missing or not a number", key);
    *out = v->number;
    return 0;
}

static int get_str(const JsonValue *o, const char *key, const char **out, BlError *e)
{
    const JsonValue *v = o ? json_get(o, key) : NULL;
    if (!v || v->type != JSON_STRING) return bl_fail(e, "training state: '%s' missing or not a string", key);
    *out = v->string;
    return 0;
}

static int get_u64(const JsonValue *o, const char *key, uint64_t *out, BlError *e)
{
    const char *s = NULL;
    if (get_str(o, key, &s, e)) return -1;
    char *end;
    *out = strtoull(s, &end, 10);
    if (end == s || *end) return bl_fail(e, "training state: '%s' is not a whole number", key);
    return 0;
}

static int pick(const char *const *names, int n, const char *s, const char *what, BlError *e)
{
    for (int i = 0; i < n; i++)
        if (strcmp(names[i], s) == 0) return i;
    return bl_fail(e, "training state: unknown %s '%s'", what, s), -1;
}

static int state_from_json(const char *text, TrainState *ts, BlError *e)
{
    JsonValue *root = NULL;
    if (json_parse(text, strlen(text), &root, e)) return -1;
    memset(ts, 0, sizeof *ts);
    const JsonValue *o = json_get(root, "opt"), *d = json_get(root, "data");
    double v[16];
    const char *kind = NULL, *sched = NULL, *dkind = NULL, *path = NULL;
    int rc = get_num(root, "step", &v[0], e) || get_num(root, "adam_t", &v[1], e) || get_num(root, "batch", &v[2], e) ||
             get_u64(root, "data_position", &ts->data_position, e) || get_str(o, "kind", &kind, e) ||
             get_num(o, "lr", &v[3], e) || get_num(o, "beta1", &v[4], e) || get_num(o, "beta2", &v[5], e) ||
             get_num(o, "eps", &v[6], e) || get_num(o, "weight_decay", &v[7], e) || get_num(o, "clip", &v[8], e) ||
             get_num(o, "warmup", &v[9], e) || get_num(o, "steps", &v[10], e) || get_str(o, "schedule", &sched, e) ||
             get_num(o, "min_lr_frac", &v[11], e) || get_str(d, "kind", &dkind, e) ||
             get_num(d, "symbols", &v[12], e) || get_num(d, "length", &v[13], e) ||
             get_num(d, "per_position", &v[14], e) || get_str(d, "path", &path, e) ||
             get_num(d, "val_frac", &v[15], e) || get_u64(d, "seed", &ts->data.seed, e);
    if (!rc) {
        int k = pick(opt_kind_names, 2, kind, "optimizer", e), s = pick(sched_names, 3, sched, "schedule", e);
        DataKind dk;
        if (k < 0 || s < 0) rc = -1;
        else if (data_kind_parse(dkind, &dk)) rc = bl_fail(e, "training state: unknown data kind '%s'", dkind);
        else {
            ts->step = (long)v[0];
            ts->adam_t = (long)v[1];
            ts->batch = (int)v[2];
            ts->opt.kind = (OptKind)k;
            ts->opt.lr = (float)v[3];
            ts->opt.beta1 = (float)v[4];
            ts->opt.beta2 = (float)v[5];
            ts->opt.eps = (float)v[6];
            ts->opt.weight_decay = (float)v[7];
            ts->opt.clip = (float)v[8];
            ts->opt.warmup = (int)v[9];
            ts->opt.steps = (int)v[10];
            ts->opt.schedule = (SchedKind)s;
            ts->opt.min_lr_frac = (float)v[11];
            ts->data.kind = dk;
            ts->data.symbols = (int)v[12];
            ts->data.length = (int)v[13];
            ts->data.per_position = (int)v[14];
            /* Optional: checkpoints from before variable lengths have none. */
            const JsonValue *ml = json_get(d, "min_length");
            ts->data.min_length = ml && ml->type == JSON_NUMBER ? (int)ml->number : 0;
            snprintf(ts->data.path, sizeof ts->data.path, "%s", path);
            ts->data.val_frac = v[15];
        }
    }
    json_free(root);
    return rc ? -1 : 0;
}

/* ---- save / load ------------------------------------------------------------------ */

static void shape_of(const Tensor *t, StTensor *s)
{
    s->ndim = t->ndim;
    for (int i = 0; i < t->ndim; i++) s->shape[i] = t->shape[i];
}

int ckpt_save(const char *path, const Model *m, const Optimizer *opt, const TrainState *ts, BlError *e)
{
    const ParamTable *pt = &m->params;
    int n = pt->n + (opt ? 2 : 0);
    StTensor *st = xcalloc((size_t)n, sizeof *st);
    for (int i = 0; i < pt->n; i++) {
        st[i].name = pt->p[i].name;
        shape_of(&pt->p[i].t, &st[i]);
        st[i].data = pt->p[i].t.data;
    }
    if (opt) {
        st[pt->n] = (StTensor){.name = "optim.m", .ndim = 1, .shape = {(int64_t)opt->n}, .data = opt->m};
        st[pt->n + 1] = (StTensor){.name = "optim.v", .ndim = 1, .shape = {(int64_t)opt->n}, .data = opt->v};
    }
    int cap = 1 << 16;
    char *arch = xmalloc((size_t)cap);
    arch_to_text(m->arch, arch, cap);
    char *arch_json = arch_to_json(m->arch);
    JsonBuf state = {0};
    if (ts) state_to_json(ts, &state);
    const char *keys[] = {"format", "arch", "arch_json", "train"};
    const char *vals[] = {FORMAT, arch, arch_json, state.data};
    int rc = st_write(path, st, n, keys, vals, ts ? 4 : 3, e);
    json_buf_free(&state);
    free(arch_json);
    free(arch);
    free(st);
    return rc;
}

int ckpt_load(const char *path, Model *m, Optimizer *opt, TrainState *ts, int *has_train, BlError *e)
{
    StFile *f = NULL;
    memset(m, 0, sizeof *m);
    if (st_open(path, &f, e)) return -1;
    BlError sub;
    int rc = 0;
    const char *format = st_meta(f, "format"), *arch_text = st_meta(f, "arch"), *train = st_meta(f, "train");
    ArchSpec *a = xmalloc(sizeof *a);
    TrainState state;
    int got_state = 0;
    if (!format || strcmp(format, FORMAT)) {
        rc = bl_fail(e, "%s: not a blocklab checkpoint (metadata 'format' is %s%s%s, expected \"" FORMAT "\")", path,
                     format ? "\"" : "", format ? format : "missing", format ? "\"" : "");
    } else if (!arch_text) {
        rc = bl_fail(e, "%s: no 'arch' in the metadata", path);
    } else if (arch_from_text(a, arch_text, &sub)) {
        rc = bl_fail(e, "%s: bad arch in metadata: %s", path, sub.msg);
    } else if (train && state_from_json(train, &state, &sub)) {
        rc = bl_fail(e, "%s: %s", path, sub.msg);
    } else if (model_build(m, a, &sub)) {
        rc = bl_fail(e, "%s: cannot rebuild the model: %s", path, sub.msg);
    } else {
        got_state = train != NULL;
        ParamTable *pt = &m->params;
        for (int i = 0; i < pt->n && !rc; i++) {
            int64_t shape[4];
            for (int k = 0; k < pt->p[i].t.ndim; k++) shape[k] = pt->p[i].t.shape[k];
            rc = st_load(f, pt->p[i].name, pt->p[i].t.ndim, shape, pt->p[i].t.data, e);
        }
        if (!rc && opt && got_state && st_get(f, "optim.m", NULL, NULL, NULL, NULL) == 0) {
            int64_t shape[1] = {(int64_t)pt->total};
            Optimizer o;
            optim_init(&o, &state.opt, pt);
            rc = st_load(f, "optim.m", 1, shape, o.m, e) || st_load(f, "optim.v", 1, shape, o.v, e) ? -1 : 0;
            o.t = state.adam_t;
            if (rc) optim_free(&o);
            else *opt = o;
        }
        if (rc) model_free(m);
    }
    if (!rc && ts) {
        if (got_state) *ts = state;
        if (has_train) *has_train = got_state;
    }
    free(a);
    st_close(f);
    return rc;
}
