/* checkpoint.c — Model (+ Optimizer + TrainState) <-> one safetensors file.
 * The arch travels as its command-language text, the training state as JSON;
 * every tensor is checked against the model the arch rebuilds. */
#include "checkpoint.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "budget.h"
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

void ckpt_state_to_json(const TrainState *ts, JsonBuf *b)
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
    json_key(b, "origin"); json_put_int(b, o->origin);
    json_key(b, "warm_from"); json_put_number(b, o->warm_from);
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

/* The numbers of a training state, each held to the range `train` and `data`
 * accept (optim.h, data.h, checkpoint.h), so a loaded state can do nothing a
 * typed command could not. Checked before any conversion to int or float. */
typedef struct StateNum {
    const char *obj, *key;   /* obj NULL: the root object */
    double      min, max;
    int         whole;
} StateNum;

static const StateNum state_nums[] = {
    {NULL, "step", 0, TRAIN_STEP_MAX, 1},
    {NULL, "adam_t", 0, TRAIN_STEP_MAX, 1},
    {NULL, "batch", 1, TRAIN_BATCH_MAX, 1},
    {"opt", "lr", OPT_LR_MIN, OPT_LR_MAX, 0},
    {"opt", "beta1", 0, OPT_BETA1_MAX, 0},
    {"opt", "beta2", 0, OPT_BETA2_MAX, 0},
    {"opt", "eps", OPT_EPS_MIN, OPT_EPS_MAX, 0},
    {"opt", "weight_decay", 0, OPT_WD_MAX, 0},
    {"opt", "clip", 0, OPT_CLIP_MAX, 0},
    {"opt", "warmup", 0, OPT_STEPS_MAX, 1},
    {"opt", "steps", 0, 2 * OPT_STEPS_MAX, 1},   /* a schedule spans steps taken + steps asked */
    {"opt", "min_lr_frac", 0, 1, 0},
    {"data", "symbols", DATA_SYMBOLS_MIN, DATA_SYMBOLS_MAX, 1},
    {"data", "length", DATA_LENGTH_MIN, DATA_LENGTH_MAX, 1},
    {"data", "per_position", 0, 1, 1},
    {"data", "val_frac", DATA_VAL_MIN, DATA_VAL_MAX, 0},
};
enum { N_STATE_NUMS = (int)(sizeof state_nums / sizeof state_nums[0]) };

static int state_num(const JsonValue *root, const StateNum *n, double *out, BlError *e)
{
    const JsonValue *o = n->obj ? json_get(root, n->obj) : root;
    char name[48];
    snprintf(name, sizeof name, "%s%s%s", n->obj ? n->obj : "", n->obj ? "." : "", n->key);
    const JsonValue *v = o && o->type == JSON_OBJECT ? json_get(o, n->key) : NULL;
    if (!v || v->type != JSON_NUMBER) return bl_fail(e, "training state: '%s' missing or not a number", name);
    double x = v->number;
    /* Float settings are saved as the float `train` stored: compare in float, so
     * eps=1e-12 (9.9999998e-13 as a float) reads back as typed. */
    int ok = n->whole ? x >= n->min && x <= n->max : (float)x >= (float)n->min && (float)x <= (float)n->max;
    if (!ok)
        return bl_fail(e, "training state: '%s' = %g is out of range (expected %g to %g)", name, x, n->min, n->max);
    if (n->whole && x != floor(x)) return bl_fail(e, "training state: '%s' = %g is not a whole number", name, x);
    *out = x;
    return 0;
}

int ckpt_state_from_json(const char *text, TrainState *ts, BlError *e)
{
    JsonValue *root = NULL;
    if (json_parse(text, strlen(text), &root, e)) return -1;
    memset(ts, 0, sizeof *ts);
    int rc = root->type == JSON_OBJECT ? 0 : bl_fail(e, "training state: expected a JSON object");
    double v[N_STATE_NUMS];
    for (int i = 0; i < N_STATE_NUMS && !rc; i++) rc = state_num(root, &state_nums[i], &v[i], e);
    const JsonValue *o = json_get(root, "opt"), *d = json_get(root, "data");
    const char *kind = NULL, *sched = NULL, *dkind = NULL, *path = NULL;
    if (!rc)
        rc = get_u64(root, "data_position", &ts->data_position, e) || get_str(o, "kind", &kind, e) ||
             get_str(o, "schedule", &sched, e) || get_str(d, "kind", &dkind, e) || get_str(d, "path", &path, e) ||
             get_u64(d, "seed", &ts->data.seed, e);
    if (!rc && v[1] > v[0]) rc = bl_fail(e, "training state: 'adam_t' = %g exceeds 'step' = %g", v[1], v[0]);
    if (!rc && strlen(path) >= sizeof ts->data.path)
        rc = bl_fail(e, "training state: 'data.path' is %zu bytes long (at most %zu)", strlen(path), sizeof ts->data.path - 1);
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
            ts->opt.min_lr_frac = (float)v[11];
            ts->opt.schedule = (SchedKind)s;
            ts->data.kind = dk;
            ts->data.symbols = (int)v[12];
            ts->data.length = (int)v[13];
            ts->data.per_position = (int)v[14];
            /* Optional: checkpoints from before variable lengths have none
             * (data_open refuses a value outside 0..length). */
            const JsonValue *ml = json_get(d, "min_length");
            ts->data.min_length = ml && ml->type == JSON_NUMBER && ml->number >= 0 && ml->number <= 512 ? (int)ml->number : 0;
            /* Optional too: a later train's cycle (optim.h); older files have one schedule from step 0. */
            const JsonValue *og = json_get(o, "origin"), *wf = json_get(o, "warm_from");
            ts->opt.origin = og && og->type == JSON_NUMBER && og->number >= 0 && og->number <= v[0] ? (long)og->number : 0;
            ts->opt.warm_from = wf && wf->type == JSON_NUMBER && wf->number >= 0 && wf->number <= OPT_LR_MAX ? (float)wf->number : 0;
            ts->data.val_frac = v[15];
            snprintf(ts->data.path, sizeof ts->data.path, "%s", path);
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

int ckpt_label_check(const char *label, BlError *e)
{
    size_t n = strlen(label);
    if (n > CKPT_LABEL_MAX) return bl_fail(e, "label is %zu bytes long (at most %d)", n, CKPT_LABEL_MAX);
    for (size_t i = 0; i < n;) {
        const unsigned char *s = (const unsigned char *)label + i;
        uint32_t cp;
        int len;
        /* Strict UTF-8: shortest form, no surrogates, at most U+10FFFF. */
        if (s[0] < 0x80) cp = s[0], len = 1;
        else if ((s[0] & 0xE0) == 0xC0) cp = s[0] & 0x1F, len = 2;
        else if ((s[0] & 0xF0) == 0xE0) cp = s[0] & 0x0F, len = 3;
        else if ((s[0] & 0xF8) == 0xF0) cp = s[0] & 0x07, len = 4;
        else return bl_fail(e, "label is not valid UTF-8 (byte %zu)", i + 1);
        if (i + (size_t)len > n) return bl_fail(e, "label is not valid UTF-8 (byte %zu)", i + 1);
        for (int k = 1; k < len; k++) {
            if ((s[k] & 0xC0) != 0x80) return bl_fail(e, "label is not valid UTF-8 (byte %zu)", i + 1);
            cp = cp << 6 | (s[k] & 0x3F);
        }
        static const uint32_t least[5] = {0, 0, 0x80, 0x800, 0x10000};
        if (cp < least[len] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
            return bl_fail(e, "label is not valid UTF-8 (byte %zu)", i + 1);
        if (cp < 0x20 || cp == 0x7F || (cp >= 0x80 && cp <= 0x9F))
            return bl_fail(e, "label has a control character (byte %zu); labels are one line of text", i + 1);
        if ((cp >= 0x202A && cp <= 0x202E) || (cp >= 0x2066 && cp <= 0x2069))
            return bl_fail(e, "label has a bidirectional override (byte %zu)", i + 1);
        i += (size_t)len;
    }
    return 0;
}

int ckpt_save(const char *path, const Model *m, const Optimizer *opt, const TrainState *ts, BlError *e)
{
    return ckpt_save_labelled(path, m, opt, ts, NULL, e);
}

int ckpt_save_labelled(const char *path, const Model *m, const Optimizer *opt, const TrainState *ts, const char *label,
                       BlError *e)
{
    if (label && label[0] && ckpt_label_check(label, e)) return -1;
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
    /* The arch text of 4096 blocks toggled one by one passes 64 kB: grow until
     * it fits, never save a truncated (different) model. */
    int cap = 1 << 16;
    char *arch = xmalloc((size_t)cap);
    while (arch_to_text(m->arch, arch, cap) >= cap - 1 && cap < (1 << 28)) arch = xrealloc(arch, (size_t)(cap *= 2));
    char *arch_json = arch_to_json(m->arch);
    JsonBuf state = {0};
    if (ts) ckpt_state_to_json(ts, &state);
    const char *keys[5] = {"format", "arch", "arch_json"};
    const char *vals[5] = {FORMAT, arch, arch_json};
    int nmeta = 3;
    if (ts) keys[nmeta] = "train", vals[nmeta++] = state.data;
    if (label && label[0]) keys[nmeta] = "label", vals[nmeta++] = label;
    int rc = st_write(path, st, n, keys, vals, nmeta, e);
    json_buf_free(&state);
    free(arch_json);
    free(arch);
    free(st);
    return rc;
}

int ckpt_is_checkpoint(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f) return 0;
    unsigned char len8[8];
    int yes = 0;
    if (fread(len8, 1, 8, f) == 8) {
        uint64_t n = 0;
        for (int i = 7; i >= 0; i--) n = n << 8 | len8[i];
        char *hdr = n > 0 && n <= ST_MAX_HEADER_SIZE ? malloc((size_t)n) : NULL;
        JsonValue *root = NULL;
        if (hdr && fread(hdr, 1, (size_t)n, f) == n && json_parse(hdr, (size_t)n, &root, NULL) == 0) {
            const char *format = json_string(json_get(json_get(root, "__metadata__"), "format"));
            yes = format && !strcmp(format, FORMAT);
        }
        json_free(root);
        free(hdr);
    }
    fclose(f);
    return yes;
}

/* Every tensor the model declares is in the file with exactly its shape, and the
 * moments (when present) have the parameters' layout: checked on the declared
 * table, before a float is allocated. */
static int check_tensors(const StFile *f, const char *path, const ParamTable *pt, int *has_moments, BlError *e)
{
    for (int i = 0; i < pt->n; i++) {
        const Param *p = &pt->p[i];
        int ndim = 0;
        int64_t shape[ST_MAX_DIMS];
        if (st_get(f, p->name, &ndim, shape, NULL, NULL))
            return bl_fail(e, "%s: tensor '%s' is missing (the arch declares it)", path, p->name);
        int same = ndim == p->t.ndim;
        for (int k = 0; same && k < ndim; k++) same = shape[k] == p->t.shape[k];
        if (!same) {
            char want[64], got[160] = "(";
            for (int k = 0; k < ndim; k++)
                snprintf(got + strlen(got), sizeof got - strlen(got), k ? ", %lld" : "%lld", (long long)shape[k]);
            snprintf(got + strlen(got), sizeof got - strlen(got), ")");
            return bl_fail(e, "%s: tensor '%s' has shape %s, expected %s", path, p->name, got,
                           tensor_shape_str(&p->t, want, sizeof want));
        }
    }
    int nm = 0, nv = 0;
    int64_t sm[ST_MAX_DIMS], sv[ST_MAX_DIMS];
    int has_m = st_get(f, "optim.m", &nm, sm, NULL, NULL) == 0, has_v = st_get(f, "optim.v", &nv, sv, NULL, NULL) == 0;
    if (has_m != has_v) return bl_fail(e, "%s: tensor '%s' is missing (the other moment is there)", path, has_m ? "optim.v" : "optim.m");
    if (has_m && (nm != 1 || nv != 1 || sm[0] != (int64_t)pt->total || sv[0] != (int64_t)pt->total))
        return bl_fail(e, "%s: optimizer moments do not match the parameter layout (expected 1 dim of %zu)", path, pt->total);
    *has_moments = has_m;
    return 0;
}

int ckpt_load(const char *path, Model *m, Optimizer *opt, TrainState *ts, CkptLoad *lo, BlError *e)
{
    StFile *f = NULL;
    memset(m, 0, sizeof *m);
    CkptLoad dummy = {0};
    if (!lo) lo = &dummy;
    lo->has_train = 0;
    lo->note[0] = 0;
    lo->label[0] = 0;
    if (st_open(path, &f, e)) return -1;
    BlError sub;
    int rc = 0, has_moments = 0;
    const char *format = st_meta(f, "format"), *arch_text = st_meta(f, "arch"), *train = st_meta(f, "train");
    const char *label = st_meta(f, "label");
    ArchSpec *a = xcalloc(1, sizeof *a);
    TrainState state;
    ParamTable pt;
    memset(&pt, 0, sizeof pt);
    MemBudget b;
    /* Everything the file says is checked against the command language's ranges
     * and the declared (not allocated) model before anything big is allocated. */
    if (!format || strcmp(format, FORMAT)) {
        rc = bl_fail(e, "%s: not a blocklab checkpoint (metadata 'format' is %s%s%s, expected \"" FORMAT "\")", path,
                     format ? "\"" : "", format ? format : "missing", format ? "\"" : "");
    } else if (!arch_text) {
        rc = bl_fail(e, "%s: no 'arch' in the metadata", path);
    } else if (arch_from_text(a, arch_text, &sub)) {
        /* A key this build does not know (a MoM's stack=, say) comes from a newer blocklab. */
        const char *k = strstr(sub.msg, "unknown model key '");
        if (k) rc = bl_fail(e, "%s: written by a newer blocklab: its architecture uses %.*s, which this build does not know "
                               "(update blocklab to load it)", path, (int)strcspn(k + 18, " ("), k + 18);
        else rc = bl_fail(e, "%s: bad arch in metadata: %s", path, sub.msg);
    } else if (train && ckpt_state_from_json(train, &state, &sub)) {
        rc = bl_fail(e, "%s: %s", path, sub.msg);
    } else if (label && ckpt_label_check(label, &sub)) {
        rc = bl_fail(e, "%s: bad 'label' in the metadata: %s", path, sub.msg);
    } else if (model_declare(a, &pt, &sub)) {
        rc = bl_fail(e, "%s: cannot rebuild the model: %s", path, sub.msg);
    } else if (check_tensors(f, path, &pt, &has_moments, e)) {
        rc = -1;
    } else if (budget_estimate(a, train ? state.batch : 32, opt && has_moments, &b, &sub) ||
               (!lo->force && budget_check(&b, path, "load FILE force=on builds it anyway", &sub))) {
        rc = bl_fail(e, "%s", sub.msg);
    } else if (model_build(m, a, &sub)) {
        rc = bl_fail(e, "%s: cannot rebuild the model: %s", path, sub.msg);
    } else {
        ParamTable *mp = &m->params;
        for (int i = 0; i < mp->n && !rc; i++) {
            int64_t shape[4];
            for (int k = 0; k < mp->p[i].t.ndim; k++) shape[k] = mp->p[i].t.shape[k];
            rc = st_load(f, mp->p[i].name, mp->p[i].t.ndim, shape, mp->p[i].t.data, e);
        }
        if (!rc && opt && train && has_moments) {
            int64_t shape[1] = {(int64_t)mp->total};
            Optimizer o;
            optim_init(&o, &state.opt, mp);
            rc = st_load(f, "optim.m", 1, shape, o.m, e) || st_load(f, "optim.v", 1, shape, o.v, e) ? -1 : 0;
            o.t = state.adam_t;
            if (rc) optim_free(&o);
            else *opt = o;
        }
        if (rc) model_free(m);
    }
    if (!rc && has_moments && !train)
        snprintf(lo->note, sizeof lo->note, "%s holds optimizer moments but no training state (metadata 'train' is "
                 "missing): loaded the weights only; training starts with fresh moments", path);
    if (!rc) {
        lo->has_train = train != NULL;
        if (ts && train) *ts = state;
        if (label) snprintf(lo->label, sizeof lo->label, "%s", label);
    }
    params_free(&pt);
    arch_free(a);
    free(a);
    st_close(f);
    return rc;
}
