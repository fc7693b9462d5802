/* test_untrusted.c — sizes the docs allow and checkpoints as untrusted input
 * (issue 10, findings 1-3): element counts past 2^31 are exact, the memory
 * budget covers what a training step really allocates, and a hostile
 * checkpoint (huge arch, out-of-range training state, a flipped key) is refused
 * with one line naming the key before anything big is allocated. */
#include <stdlib.h>
#include <sys/resource.h>
#include <unistd.h>

#include "budget.h"
#include "metrics.h"
#include "checkpoint.h"
#include "safetensors.h"
#include "train.h"
#include "testlib.h"

static char dir[256];

static const char *path_in(const char *name)
{
    static char buf[4][512];
    static int k;
    k = (k + 1) % 4;
    snprintf(buf[k], sizeof buf[k], "%s/%s", dir, name);
    return buf[k];
}

static long maxrss_mb(void)
{
    struct rusage u;
    getrusage(RUSAGE_SELF, &u);
    return u.ru_maxrss / 1024;
}

static void arch_of(ArchSpec *a, const char *text)
{
    BlError e;
    if (arch_from_text(a, text, &e)) { CHECK(0, "arch '%s': %s", text, e.msg); exit(1); }
}

static const Param *param(const ParamTable *pt, const char *name)
{
    int i = params_find(pt, name);
    return i < 0 ? NULL : &pt->p[i];
}

/* Finding 1: `params width=8192 vocab=1000000` printed a negative size and
 * mlp_ratio=64 a size of 0, because element counts were int. */
static void test_counts_past_2_31(void)
{
    Tensor t;
    tensor_set_shape(&t, 1000000, 8192, 0, 0);
    CHECK(t.n == 8192000000LL, "1e6 x 8192 = %lld", (long long)t.n);
    ArchSpec *a = calloc(1, sizeof *a);
    arch_of(a, "model new depth=1 width=8192 heads=4 ctx=32 vocab=1000000 mlp_ratio=64");
    ParamTable pt;
    memset(&pt, 0, sizeof pt);
    BlError e;
    CHECK(model_declare(a, &pt, &e) == 0, "declare: %s", e.msg);
    const Param *wte = param(&pt, "wte"), *w_in = param(&pt, "blocks.0.mlp.w_in");
    CHECK(wte && wte->t.n == 8192000000LL, "wte count %lld", wte ? (long long)wte->t.n : -1LL);
    CHECK(w_in && w_in->t.n == 524288LL * 8192, "w_in count %lld", w_in ? (long long)w_in->t.n : -1LL);
    /* Exact total: wte V·C, wpe T·C, ln1 C, w_qkv 3C², w_o C², ln2 C, w_in and w_out F·C each, ln_f C. */
    int64_t C = 8192, V = 1000000, T = 32, F = 524288;
    int64_t want = V * C + T * C + C + 3 * C * C + C * C + C + 2 * F * C + C, got = 0;
    for (int i = 0; i < pt.n; i++) got += pt.p[i].t.n;
    CHECK(got == want, "total %lld, expected %lld", (long long)got, (long long)want);
    CHECK(pt.total >= (size_t)want && pt.data == NULL, "counting allocates nothing and pads upward");
    params_free(&pt);
    arch_free(a);
    free(a);
}

/* The budget's activation figure covers what a real training step allocates
 * (the arena's peak), without overstating it wildly; weights are exact. */
static void test_budget_covers_the_step(void)
{
    const char *archs[] = {
        "model new depth=2 width=32 heads=4 ctx=24 vocab=12",
        "model new depth=2 width=32 heads=2 ctx=24 vocab=12 preset=sas",
        "model new depth=3 width=16 heads=2 ctx=24 vocab=12 preset=parallel mlp_ratio=2",
        "model new depth=2 width=32 heads=4 ctx=24 vocab=12; block 1 attn=off",
    };
    for (int k = 0; k < 4; k++) {
        ArchSpec *a = calloc(1, sizeof *a);
        arch_of(a, archs[k]);
        Model m;
        BlError e;
        DataSpec ds;
        data_spec_default(&ds);
        ds.symbols = 10;
        ds.length = 8;
        DataSource d;
        OptSpec os;
        optim_spec_default(&os);
        Trainer tr;
        if (model_build(&m, a, &e) || data_open(&d, &ds, &e) || trainer_init(&tr, &m, &d, &os, 4, &e)) {
            CHECK(0, "%s: %s", archs[k], e.msg);
            arch_free(a);
            free(a);
            continue;
        }
        StepStats st;
        trainer_step(&tr, &st);
        trainer_step(&tr, &st);
        MemBudget b;
        CHECK(budget_estimate(a, 4, 1, &b, &e) == 0, "estimate: %s", e.msg);
        double peak = (double)tr.tape.arena.peak;
        CHECK(b.activations >= peak && b.activations <= 4 * peak, "%s: activations estimated %.0f, the step used %.0f",
              archs[k], b.activations, peak);
        CHECK(b.params == 4.0 * (double)m.params.total && b.moments == 8.0 * (double)m.params.total,
              "%s: weights and moments are exact", archs[k]);
        trainer_free(&tr);
        data_close(&d);
        model_free(&m);
        arch_free(a);
        free(a);
    }
    ArchSpec *a = calloc(1, sizeof *a);
    arch_of(a, "model new depth=4096 width=8192 heads=4 ctx=4096 vocab=1000000");
    MemBudget b;
    BlError e;
    CHECK(budget_estimate(a, 32, 1, &b, &e) == 0 && b.total > 1e14, "the largest model counts as %g bytes", b.total);
    int refused = budget_check(&b, "model new", "force=on", &e) != 0;
    CHECK(refused && strstr(e.msg, "needs about") && strstr(e.msg, "available") && strstr(e.msg, "force=on"),
          "refusal names figure, available memory and override: %s", e.msg);
    arch_free(a);
    free(a);
}

/* ---- hostile checkpoints ------------------------------------------------------ */

/* A real checkpoint of a tiny trained model. */
static void write_real(const char *path)
{
    ArchSpec *a = calloc(1, sizeof *a);
    arch_of(a, "model new depth=1 width=16 heads=2 ctx=16 vocab=12");
    Model m;
    BlError e;
    DataSpec ds;
    data_spec_default(&ds);
    DataSource d;
    OptSpec os;
    optim_spec_default(&os);
    Trainer tr;
    if (model_build(&m, a, &e) || data_open(&d, &ds, &e) || trainer_init(&tr, &m, &d, &os, 4, &e)) {
        CHECK(0, "setup: %s", e.msg);
        exit(1);
    }
    StepStats st;
    trainer_step(&tr, &st);
    TrainState ts = {.step = tr.step, .adam_t = tr.opt.t, .batch = 4, .opt = tr.opt.spec, .data = d.spec, .data_position = d.position};
    CHECK(ckpt_save(path, &m, &tr.opt, &ts, &e) == 0, "save: %s", e.msg);
    trainer_free(&tr);
    data_close(&d);
    model_free(&m);
    arch_free(a);
    free(a);
}

/* Copies src to dst with metadata `key` set to value (NULL: removed; and when
 * rename_to is given, the key is renamed instead). Tensors are kept. */
static void rewrite(const char *src, const char *dst, const char *key, const char *value, const char *rename_to)
{
    StFile *f;
    BlError e;
    if (st_open(src, &f, &e)) { CHECK(0, "%s", e.msg); exit(1); }
    int n = st_count(f), nm = st_meta_count(f), k = 0;
    StTensor *ts = calloc((size_t)n, sizeof *ts);
    for (int i = 0; i < n; i++) {
        ts[i].name = st_name(f, i);
        st_get(f, ts[i].name, &ts[i].ndim, ts[i].shape, &ts[i].data, &e);
    }
    const char **keys = calloc((size_t)nm + 1, sizeof *keys), **vals = calloc((size_t)nm + 1, sizeof *vals);
    int found = 0;
    for (int i = 0; i < nm; i++) {
        const char *mk = st_meta_key(f, i);
        if (!strcmp(mk, key)) {
            found = 1;
            if (rename_to) keys[k] = rename_to, vals[k++] = st_meta(f, mk);
            else if (value) keys[k] = mk, vals[k++] = value;
            continue;
        }
        keys[k] = mk;
        vals[k++] = st_meta(f, mk);
    }
    if (!found && value) keys[k] = key, vals[k++] = value;
    CHECK(st_write(dst, ts, n, keys, vals, k, &e) == 0, "rewrite: %s", e.msg);
    free(keys);
    free(vals);
    free(ts);
    st_close(f);
}

/* A training state with every field at a sane value except `key`, set to `value`. */
static void state_with(char *buf, size_t cap, const char *key, const char *value)
{
    struct { const char *k, *v; } f[] = {
        {"step", "1"}, {"adam_t", "1"}, {"batch", "4"}, {"lr", "0.001"}, {"beta1", "0.9"}, {"beta2", "0.95"},
        {"eps", "1e-08"}, {"weight_decay", "0.1"}, {"clip", "1"}, {"warmup", "0"}, {"steps", "1000"},
        {"min_lr_frac", "0.1"}, {"symbols", "10"}, {"length", "8"}, {"per_position", "0"}, {"val_frac", "0.1"},
    };
    const char *v[16];
    for (int i = 0; i < 16; i++) v[i] = key && !strcmp(f[i].k, key) ? value : f[i].v;
    snprintf(buf, cap,
             "{\"step\":%s,\"adam_t\":%s,\"batch\":%s,\"data_position\":\"1\",\"opt\":{\"kind\":\"adamw\",\"lr\":%s,"
             "\"beta1\":%s,\"beta2\":%s,\"eps\":%s,\"weight_decay\":%s,\"clip\":%s,\"warmup\":%s,\"steps\":%s,"
             "\"schedule\":\"cosine\",\"min_lr_frac\":%s},\"data\":{\"kind\":\"reverse\",\"symbols\":%s,\"length\":%s,"
             "\"per_position\":%s,\"path\":\"\",\"val_frac\":%s,\"seed\":\"1\"}}",
             v[0], v[1], v[2], v[3], v[4], v[5], v[6], v[7], v[8], v[9], v[10], v[11], v[12], v[13], v[14], v[15]);
}

static int load(const char *path, CkptLoad *lo, BlError *e)
{
    Model m;
    Optimizer o;
    memset(&o, 0, sizeof o);
    TrainState ts;
    int rc = ckpt_load(path, &m, &o, &ts, lo, e);
    if (rc == 0) {
        model_free(&m);
        optim_free(&o);
    } else {
        CHECK(m.arch == NULL && m.params.data == NULL && o.m == NULL, "a refused load returns nothing");
    }
    return rc;
}

/* Finding 2: a 13 kB file whose arch asks for 13 TB aborted in malloc; one whose
 * ctx x width mismatches took 20 s and 3 GB before the shape error. */
static void test_huge_arch_is_refused_before_allocating(void)
{
    const char *real = path_in("real.safetensors"), *bad = path_in("huge.safetensors");
    write_real(real);
    const char *archs[] = {
        "model new depth=4096 width=8192 heads=4 ctx=32 vocab=1000000",
        "model new depth=1 width=8192 heads=4 ctx=4096 vocab=12",
        "model new depth=1 width=8192 heads=4 ctx=16 vocab=1000000 mlp_ratio=64",
    };
    for (int k = 0; k < 3; k++) {
        rewrite(real, bad, "arch", archs[k], NULL);
        long before = maxrss_mb();
        BlError e;
        CkptLoad lo = {0};
        int rc = load(bad, &lo, &e);
        CHECK(rc != 0 && strstr(e.msg, "tensor '") && strstr(e.msg, bad), "refused naming a tensor: %s", rc ? e.msg : "loaded");
        CHECK(maxrss_mb() - before < 64, "%s: refusing cost %ld MB", archs[k], maxrss_mb() - before);
    }
    BlError e;
    CkptLoad lo = {0};
    CHECK(load(real, &lo, &e) == 0 && lo.has_train && !lo.note[0], "the untouched file loads: %s", e.msg);
}

/* Finding 3: the training state was not range-checked. Each value is one `train`
 * refuses; the load must refuse it too, naming the key. */
static void test_training_state_ranges(void)
{
    const char *real = path_in("real.safetensors"), *bad = path_in("state.safetensors");
    struct { const char *key, *value, *named; } cases[] = {
        {"step", "-1", "'step'"},         {"lr", "-1", "'opt.lr'"},         {"eps", "0", "'opt.eps'"},
        {"beta2", "2", "'opt.beta2'"},    {"warmup", "1e12", "'opt.warmup'"}, {"batch", "1e30", "'batch'"},
        {"batch", "1e9", "'batch'"},      {"step", "1.5", "'step'"},         {"adam_t", "5", "'adam_t'"},
        {"symbols", "1000", "'data.symbols'"}, {"clip", "-1", "'opt.clip'"}, {"val_frac", "1", "'data.val_frac'"},
    };
    char state[1024];
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        state_with(state, sizeof state, cases[k].key, cases[k].value);
        rewrite(real, bad, "train", state, NULL);
        BlError e;
        CkptLoad lo = {0};
        int rc = load(bad, &lo, &e);
        CHECK(rc != 0 && strstr(e.msg, cases[k].named) && strstr(e.msg, "training state"), "%s=%s: %s", cases[k].key,
              cases[k].value, rc ? e.msg : "loaded");
    }
    state_with(state, sizeof state, NULL, NULL);
    rewrite(real, bad, "train", state, NULL);
    BlError e;
    CkptLoad lo = {0};
    CHECK(load(bad, &lo, &e) == 0 && lo.has_train, "a sane state loads: %s", e.msg);
}

/* Finding 3: a one-byte flip of the key "train" dropped the optimizer state
 * silently. Now the load says so. */
static void test_missing_state_is_reported(void)
{
    const char *real = path_in("real.safetensors"), *bad = path_in("flipped.safetensors");
    rewrite(real, bad, "train", NULL, "trbin");
    BlError e;
    CkptLoad lo = {0};
    CHECK(load(bad, &lo, &e) == 0, "weights still load: %s", e.msg);
    CHECK(!lo.has_train && strstr(lo.note, "no training state") && strstr(lo.note, "'train'"), "note: '%s'", lo.note);
    rewrite(real, bad, "train", "{\"step\": 1", NULL);
    CHECK(load(bad, &lo, &e) != 0 && strstr(e.msg, bad), "a corrupt state is an error: %s", e.msg);
}

/* The run label in the metadata is a person's text from a file: held to the
 * length cap, UTF-8 and one line; a bad one refuses the load, naming the key. */
static void test_label_is_checked(void)
{
    const char *real = path_in("real.safetensors"), *bad = path_in("label.safetensors");
    struct { const char *value, *named; } cases[] = {
        {"a\nb", "control character"},       {"a\x1b[2Jb", "control character"},   {"\xc2\x85", "control character"},
        {"\xe2\x80\xae" "evil", "bidirectional"},
        {"0123456789012345678901234567890123456789012345678", "at most 48"},
    };
    /* Bytes that are not UTF-8 never reach a label from a file (the header's
     * JSON is checked first), but a label typed in a terminal may hold them. */
    const char *not_utf8[] = {"\xff", "\xc0\xaf", "\xed\xa0\x80", "\xe2\x82", "\xf4\x90\x80\x80"};
    for (size_t k = 0; k < sizeof not_utf8 / sizeof not_utf8[0]; k++) {
        BlError e;
        CHECK(ckpt_label_check(not_utf8[k], &e) != 0 && strstr(e.msg, "not valid UTF-8"), "not UTF-8 %zu: %s", k, e.msg);
    }
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        rewrite(real, bad, "label", cases[k].value, NULL);
        BlError e;
        CkptLoad lo = {0};
        int rc = load(bad, &lo, &e);
        CHECK(rc != 0 && strstr(e.msg, "'label'") && strstr(e.msg, cases[k].named), "label %zu: %s", k, rc ? e.msg : "loaded");
    }
    rewrite(real, bad, "label", "Post-LN \xce\xb2=0.1", NULL);
    BlError e;
    CkptLoad lo = {0};
    CHECK(load(bad, &lo, &e) == 0 && !strcmp(lo.label, "Post-LN \xce\xb2=0.1"), "a good label loads: %s / '%s'", e.msg, lo.label);
    /* ckpt_save_labelled refuses to write what load would refuse. */
    Model m;
    memset(&m, 0, sizeof m);
    CHECK(ckpt_save_labelled(bad, &m, NULL, NULL, "a\tb", &e) != 0 && strstr(e.msg, "control"), "save refuses: %s", e.msg);
}

/* A long arch text (4096 blocks toggled one by one: ~100 kB) is saved whole,
 * not cut at 64 kB into a different model. */
static void test_long_arch_text_saves_whole(void)
{
    ArchSpec *a = calloc(1, sizeof *a);
    arch_of(a, "model new depth=4096 width=2 heads=1 ctx=1 vocab=2 mlp_ratio=0.5");
    BlError e;
    char v[32];
    for (int l = 0; l < 4096; l++) {
        snprintf(v, sizeof v, "%d", l + 1);
        arch_set_block(a, l, l, "init.div", v, 0, &e);
    }
    Model m;
    if (model_build(&m, a, &e)) { CHECK(0, "build: %s", e.msg); arch_free(a); free(a); return; }
    const char *path = path_in("long-arch.safetensors");
    CHECK(ckpt_save(path, &m, NULL, NULL, &e) == 0, "save: %s", e.msg);
    Model back;
    CkptLoad lo = {0};
    int rc = ckpt_load(path, &back, NULL, NULL, &lo, &e);
    CHECK(rc == 0, "load: %s", e.msg);
    if (!rc) {
        CHECK(back.arch->depth == 4096 && back.arch->blocks[4095].init_div == 4096.0f, "every block came back");
        model_free(&back);
    }
    model_free(&m);
    arch_free(a);
    free(a);
}

/* Finding 10: `probe all every=1` grew memory ~300 B a step without end. A
 * series is bounded; the newest half stays whole and the first record stays. */
static void test_metrics_are_bounded(void)
{
    Metrics m;
    metrics_init(&m);
    Series *loss = metrics_series(&m, "loss", 1, 1, NULL), *rank = metrics_series(&m, "rank.cos", 1, 4096, "layer");
    float v[4096] = {0};
    long steps = 1000000;
    for (long t = 1; t <= steps; t++) {
        v[0] = (float)t;
        series_append(loss, t, v);
        if (t % 50 == 0) series_append(rank, t, v);
    }
    CHECK(loss->n <= 4096 && loss->cap <= 4096, "a million steps keep %d records (cap %d)", loss->n, loss->cap);
    CHECK((double)rank->n * rank->len * sizeof(float) <= SERIES_MAX_BYTES, "wide records stay under the byte bound (%d)", rank->n);
    CHECK(loss->steps[0] == 1 && loss->steps[loss->n - 1] == steps, "the chart spans the whole run: %ld..%ld", loss->steps[0],
          loss->steps[loss->n - 1]);
    int ok = 1, recent = series_limit(loss) / 2;
    for (int i = 1; i < loss->n; i++) ok &= loss->steps[i] > loss->steps[i - 1] && loss->values[i] == (float)loss->steps[i];
    for (int i = loss->n - recent; i < loss->n; i++) ok &= loss->steps[i] == loss->steps[i - 1] + 1;
    CHECK(ok, "steps increase, values stay with their steps, the newest %d records are every step", recent);
    metrics_free(&m);
}

int main(void)
{
    snprintf(dir, sizeof dir, "%s/blocklab-untrusted.XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
    if (!mkdtemp(dir)) return perror("mkdtemp"), 1;
    RUN(test_counts_past_2_31);
    RUN(test_budget_covers_the_step);
    RUN(test_huge_arch_is_refused_before_allocating);
    RUN(test_training_state_ranges);
    RUN(test_missing_state_is_reported);
    RUN(test_label_is_checked);
    RUN(test_metrics_are_bounded);
    RUN(test_long_arch_text_saves_whole);
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd)) return 1;
    return TEST_SUMMARY();
}
