/* export.c — the PyTorch package of a run: checkpoint, embedded Python files,
 * README and, for text data, the corpus as ids. See export.h for the layout. */
#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L /* mkdir, opendir, access, getpid */
#endif
#include "export.h"

#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "json.h"

#define CKPT_NAME "checkpoint.st"

/* ---- small helpers ---------------------------------------------------------------- */

static int is_text_kind(DataKind k) { return k == DATA_TEXT || k == DATA_FORTUNES; }


/* dir/name into out; -1 if it does not fit. */
static int join_path(char *out, size_t cap, const char *dir, const char *name, BlError *e)
{
    int n = snprintf(out, cap, "%s/%s", dir, name);
    if (n < 0 || (size_t)n >= cap) return bl_fail(e, "export: path '%s/%s' is too long", dir, name);
    return 0;
}

/* Writes bytes to dir/name through a temporary file and a rename, so a reader
 * never sees half a file and a failed export never leaves one behind. */
static int write_file(const char *dir, const char *name, const void *bytes, size_t n, BlError *e)
{
    char path[4096], tmp[4160];
    if (join_path(path, sizeof path, dir, name, e)) return -1;
    snprintf(tmp, sizeof tmp, "%s.tmp.%ld", path, (long)getpid());
    FILE *f = fopen(tmp, "wb");
    if (!f) return bl_fail(e, "export: cannot write '%s': %s", path, strerror(errno));
    int ok = fwrite(bytes, 1, n, f) == n;
    int err = errno;
    if (fclose(f) != 0 && ok) { ok = 0; err = errno; }
    if (ok && rename(tmp, path) != 0) { ok = 0; err = errno; }
    if (!ok) {
        remove(tmp);
        return bl_fail(e, "export: cannot write '%s': %s", path, strerror(err));
    }
    return 0;
}

/* Creates dir, or accepts an existing one that is empty (or any, with force). */
static int prepare_dir(const char *dir, int force, int *created, BlError *e)
{
    struct stat sb;
    *created = 0;
    if (stat(dir, &sb) != 0) {
        if (errno != ENOENT) return bl_fail(e, "export: cannot use '%s': %s", dir, strerror(errno));
        if (mkdir(dir, 0777) != 0)
            return bl_fail(e, "export: cannot create directory '%s': %s%s", dir, strerror(errno),
                           errno == ENOENT ? " (its parent directory does not exist)" : "");
        *created = 1;
        return 0;
    }
    if (!S_ISDIR(sb.st_mode)) return bl_fail(e, "export: '%s' exists and is not a directory", dir);
    DIR *dp = opendir(dir);
    if (!dp) return bl_fail(e, "export: cannot read directory '%s': %s", dir, strerror(errno));
    int entries = 0;
    struct dirent *de;
    while ((de = readdir(dp)) != NULL)
        if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0) entries++;
    closedir(dp);
    if (entries > 0 && !force)
        return bl_fail(e, "export: directory '%s' is not empty (%d entr%s): name a new directory, "
                          "or give force=on to overwrite it", dir, entries, entries == 1 ? "y" : "ies");
    if (access(dir, W_OK | X_OK) != 0)
        return bl_fail(e, "export: cannot write into directory '%s': %s", dir, strerror(errno));
    return 0;
}

/* ---- text data -------------------------------------------------------------------- */

/* data.json: what blocklab_data.py needs besides the ids, and the vocabulary so
 * a reader can decode samples. */
static void data_json(const DataSource *d, JsonBuf *b)
{
    json_begin_object(b);
    json_key(b, "kind"); json_put_string(b, data_kind_name(d->spec.kind));
    json_key(b, "source"); json_put_string(b, d->spec.kind == DATA_TEXT ? d->spec.path : "fortunes");
    json_key(b, "n_ids"); json_put_int(b, (int64_t)d->n_ids);
    json_key(b, "val_start"); json_put_int(b, (int64_t)d->val_start);
    json_key(b, "vocab");
    json_begin_array(b);
    for (int i = 0; i < d->vocab; i++) json_put_int(b, d->codepoint[i]);
    json_end_array(b);
    json_key(b, "vocab_str");
    json_begin_array(b);
    for (int i = 0; i < d->vocab; i++) json_put_string(b, d->vocab_str[i]);
    json_end_array(b);
    json_end_object(b);
    json_append(b, "\n", 1);
}

static int write_text_data(const char *dir, const DataSource *d, BlError *e)
{
    if (write_file(dir, "tokens.bin", d->ids, d->n_ids, e)) return -1;
    JsonBuf b = {0};
    data_json(d, &b);
    int rc = write_file(dir, "data.json", b.data, b.len, e);
    json_buf_free(&b);
    return rc;
}

/* ---- README ----------------------------------------------------------------------- */

static void readme(JsonBuf *b, const Model *m, const Optimizer *opt, const TrainState *ts, int text)
{
    const ArchSpec *a = m->arch;
    sb_printf(b, "# A blocklab run, exported for PyTorch\n\n");
    sb_printf(b, "Written by blocklab %s (`export torch`). Model: %d block%s, width %d, %d heads, "
                  "ctx %d, vocab %d, %zu trainable parameters%s.\n", BL_VERSION, a->depth,
               a->depth == 1 ? "" : "s", a->width, a->heads, a->ctx, a->vocab, params_trainable(&m->params),
               a->causal ? "" : ", encoder (causal=off)");
    if (ts)
        sb_printf(b, "Training state: step %ld, data %s, batch %d, data position %llu, %s%s.\n",
                   ts->step, data_kind_name(ts->data.kind), ts->batch,
                   (unsigned long long)ts->data_position, ts->opt.kind == OPT_ADAMW ? "AdamW" : "SGD",
                   opt ? " with its moments" : "");
    else
        sb_printf(b, "No training state (the run had no data): the package serves inference; "
                      "`train_ddp.py` needs a run exported after `data`.\n");
    sb_printf(b,
        "\nNeeds Python 3 with PyTorch and numpy.\n\n"
        "## Files\n\n"
        "- `checkpoint.st`: a blocklab checkpoint (safetensors). Weights under blocklab's names, metadata\n"
        "  `arch` (command text), `arch_json` (every block expanded), `train` (JSON training state),\n"
        "  tensors `optim.m`/`optim.v` (optimizer moments, flat, blocklab's parameter layout).\n"
        "- `blocklab_model.py`: `BlocklabModel`, any blocklab architecture built from `arch_json`.\n"
        "- `blocklab_data.py`: blocklab's batches bit for bit; batch k depends only on the seed and k.\n"
        "- `train_ddp.py`: continues training with DistributedDataParallel.\n");
    if (text)
        sb_printf(b, "- `tokens.bin`, `data.json`: the text corpus as ids (one byte per character) "
                      "and its vocabulary.\n");
    sb_printf(b,
        "\n## Continue training\n\n"
        "One process (CPU, or one GPU when there is one):\n\n"
        "```\npython3 train_ddp.py checkpoint.st --steps 1000\n```\n\n"
        "N processes on this machine with torchrun (NCCL on GPUs, gloo on CPUs):\n\n"
        "```\ntorchrun --nproc_per_node=N train_ddp.py checkpoint.st --steps 1000\n```\n\n"
        "Several machines: the same on each, with `--nnodes=M --node_rank=I "
        "--master_addr=HOST --master_port=29500`.\n\n"
        "Without torchrun (Debian's torch 1.13 `torchrun` crashes under Python 3.11), set the\n"
        "environment torchrun would set, one process per rank:\n\n"
        "```\nexport MASTER_ADDR=127.0.0.1 MASTER_PORT=29500 WORLD_SIZE=2\n"
        "RANK=0 LOCAL_RANK=0 python3 train_ddp.py checkpoint.st --steps 1000 &\n"
        "RANK=1 LOCAL_RANK=1 python3 train_ddp.py checkpoint.st --steps 1000\n"
        "wait\n```\n\n"
        "The run continues where blocklab stopped: the same learning-rate schedule, clipping and\n"
        "optimizer moments, and global batch k is the batch blocklab draws at data position k. Its\n"
        "rows are split across ranks (rank r draws rows r, r+N, ...), so any number of ranks\n"
        "follows the one-process trajectory up to float rounding. Options: `--lr` (peak learning\n"
        "rate), `--total` (schedule length), `--out FILE`, `--device cpu|cuda`, `--log-every N`.\n\n"
        "Rank 0 prints `step N loss X` and at the end writes `checkpoint-STEP.st` (or `--out`),\n"
        "which blocklab reads back:\n\n"
        "```\nblocklab -c 'load checkpoint-2000.st; train steps=100'\n```\n");
    if (text)
        sb_printf(b, "\n(blocklab reopens the text from the path recorded in the checkpoint; "
                      "`train_ddp.py` reads `tokens.bin` beside the checkpoint, or `--data-dir`.)\n");
    sb_printf(b,
        "\n## Use the model\n\n"
        "```python\nimport torch\nfrom blocklab_model import BlocklabModel\n\n"
        "model, meta = BlocklabModel.from_checkpoint(\"checkpoint.st\")\n"
        "tokens = torch.zeros(1, %d, dtype=torch.long)\n"
        "logits = model(tokens)   # (B, T) token ids -> (B, T, %d)\n```\n", a->ctx, a->vocab);
}

/* ---- public ----------------------------------------------------------------------- */

int export_torch(const char *dir, const Model *m, const Optimizer *opt, const TrainState *ts,
                 const DataSource *d, int force, BlError *e)
{
    if (!dir || !dir[0]) return bl_fail(e, "export: the directory name is empty");
    if (strlen(dir) > 3800) return bl_fail(e, "export: directory name is too long (%zu bytes)", strlen(dir));
    if (!m || !m->arch) return bl_fail(e, "export: no model to export");
    if (export_file_count <= 0) return bl_fail(e, "export: this blocklab was built without the Python files");

    /* Text ids: from d when it is the source the state names, else reopened. */
    const DataSource *text = NULL;
    DataSource opened;
    int own = 0;
    if (ts && is_text_kind(ts->data.kind)) {
        if (d && d->ids && d->spec.kind == ts->data.kind &&
            (ts->data.kind == DATA_FORTUNES || strcmp(d->spec.path, ts->data.path) == 0)) {
            text = d;
        } else {
            BlError sub;
            if (data_open(&opened, &ts->data, &sub))
                return bl_fail(e, "export: cannot read the run's data: %s", sub.msg);
            text = &opened;
            own = 1;
        }
    } else if (!ts && d && d->ids) {
        text = d;
    }

    char path[4096];
    int created = 0;
    int rc = prepare_dir(dir, force, &created, e);
    if (!rc) rc = join_path(path, sizeof path, dir, CKPT_NAME, e);
    if (!rc) rc = ckpt_save(path, m, opt, ts, e);
    for (int i = 0; !rc && i < export_file_count; i++)
        rc = write_file(dir, export_files[i][0], export_files[i][1], strlen(export_files[i][1]), e);
    if (!rc && text) rc = write_text_data(dir, text, e);
    if (!rc) {
        JsonBuf b = {0};
        readme(&b, m, opt, ts, text != NULL);
        rc = write_file(dir, "README.md", b.data, b.len, e);
        json_buf_free(&b);
    }
    if (rc && created) {
        /* A failed export (a full disk, say) leaves no half package: what this
         * call wrote goes, and the folder it made. */
        const char *names[] = {CKPT_NAME, "tokens.bin", "data.json", "README.md"};
        for (int i = 0; i < 4; i++)
            if (join_path(path, sizeof path, dir, names[i], NULL) == 0) unlink(path);
        for (int i = 0; i < export_file_count; i++)
            if (join_path(path, sizeof path, dir, export_files[i][0], NULL) == 0) unlink(path);
        rmdir(dir);
    }
    if (own) data_close(&opened);
    return rc;
}
