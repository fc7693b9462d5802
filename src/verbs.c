/* verbs.c — the verb table, its key tables, and the checks every command
 * passes before it runs (so a script with a typo on line 30 runs nothing).
 * Handlers live in verbs_model.c, verbs_train.c, verbs_sample.c, verbs_io.c,
 * verbs_probe.c, verbs_export.c, verbs_help.c and verbs_scene.c. */
#include "verbs.h"
#include "budget.h"
#include "sandbox.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const opt_names[] = {"adamw", "sgd", NULL};
static const char *const sched_names[] = {"cosine", "linear", "constant", NULL};
static const char *const task_names[] = {"copy", "reverse", "sort", NULL};
static const char *const onoff_names[] = {"off", "on", NULL};

const VerbKey verb_keys_data[] = {
    {"task", VK_ENUM, task_names, 0, 0, "reverse", "synthetic task: copy, reverse or sort a sequence of symbols"},
    {"symbols", VK_INT, NULL, DATA_SYMBOLS_MIN, DATA_SYMBOLS_MAX, "10", "task alphabet size"},
    {"length", VK_INT, NULL, DATA_LENGTH_MIN, DATA_LENGTH_MAX, "8", "symbols per task example (decoder models need ctx >= 2*length)"},
    {"minlen", VK_INT, NULL, 0, DATA_LENGTH_MAX, "0", "variable lengths: each example has minlen..length symbols (0: all have length)"},
    {"text", VK_FILE, NULL, 0, 0, "", "a UTF-8 text file, read character by character (a regular file)"},
    {"max_mb", VK_INT, NULL, 1, DATA_TEXT_MB_MAX, "256", "text: the largest file read, in MB"},
    {"val", VK_FLOAT, NULL, DATA_VAL_MIN, DATA_VAL_MAX, "0.1", "text: share of the characters held out for validation"},
    {"seed", VK_U64, NULL, 0, 1.8e19, "set seed", "seed of the batch stream"},
    {NULL, 0, NULL, 0, 0, NULL, NULL},
};

const VerbKey verb_keys_train[] = {
    {"steps", VK_INT, NULL, 0, OPT_STEPS_MAX, "100", "steps to take now (0: only store the settings)"},
    {"lr", VK_FLOAT, NULL, OPT_LR_MIN, OPT_LR_MAX, "0.001", "peak learning rate"},
    {"batch", VK_INT, NULL, 1, TRAIN_BATCH_MAX, "32", "rows per step, each ctx tokens long"},
    {"opt", VK_ENUM, opt_names, 0, 0, "adamw", "optimizer (sgd uses beta1 as momentum)"},
    {"schedule", VK_ENUM, sched_names, 0, 0, "cosine", "learning-rate decay after warmup, down to min_lr_frac*lr"},
    {"warmup", VK_INT, NULL, 0, OPT_STEPS_MAX, "0", "linear warmup steps"},
    {"total", VK_INT, NULL, 0, OPT_STEPS_MAX, "0", "schedule length in steps (0: the schedule ends with each train call)"},
    {"min_lr_frac", VK_FLOAT, NULL, 0, 1, "0.1", "floor of the decay as a share of lr"},
    {"clip", VK_FLOAT, NULL, 0, OPT_CLIP_MAX, "1", "largest global gradient norm (0: no clipping)"},
    {"wd", VK_FLOAT, NULL, 0, OPT_WD_MAX, "0.1", "decoupled weight decay on 2-D weights"},
    {"beta1", VK_FLOAT, NULL, 0, OPT_BETA1_MAX, "0.9", "AdamW beta1 (SGD momentum)"},
    {"beta2", VK_FLOAT, NULL, 0, OPT_BETA2_MAX, "0.95", "AdamW beta2"},
    {"eps", VK_FLOAT, NULL, OPT_EPS_MIN, OPT_EPS_MAX, "1e-08", "AdamW epsilon"},
    {"log_every", VK_AUTOINT, NULL, 1, 1e9, "auto", "print a line every N steps (auto: a tenth of steps)"},
    {"eval_every", VK_AUTOINT, NULL, 0, 1e9, "auto", "evaluate every N steps (auto: as log_every; 0: never)"},
    {"eval_batches", VK_INT, NULL, 1, 10000, "4", "validation batches per evaluation"},
    {"force", VK_ENUM, onoff_names, 0, 0, "off", "train even when the memory estimate exceeds the available memory"},
    {NULL, 0, NULL, 0, 0, NULL, NULL},
};

const VerbKey verb_keys_sample[] = {
    {"n", VK_INT, NULL, 1, 100000, "5 or 200", "examples to show (tasks: 5) or characters to generate (text: 200)"},
    {"temperature", VK_FLOAT, NULL, 0, 100, "0 or 1", "softmax temperature; 0 picks the likeliest (default 0 for tasks, 1 for text)"},
    {"top_k", VK_INT, NULL, 0, 1e6, "0", "sample among the k likeliest tokens only (0: all)"},
    {"prompt", VK_STR, NULL, 0, 0, "", "text to continue; for tasks an input such as 31415926"},
    {"seed", VK_U64, NULL, 0, 1.8e19, "run seed", "sampling seed (the same seed gives the same samples)"},
    {NULL, 0, NULL, 0, 0, NULL, NULL},
};

const VerbKey verb_keys_set[] = {
    {"seed", VK_U64, NULL, 0, 1.8e19, "1", "default seed of new models, data, runs and sampling"},
    {"threads", VK_INT, NULL, 1, 256, "all cores", "threads of OpenBLAS and the engine (same threads, seed and data: same numbers)"},
    {NULL, 0, NULL, 0, 0, NULL, NULL},
};

const char *const verb_probe_words[] = {"rank", "updates", "grads", "lnin", "attn", "scalars", "router", "knockout", "modules",
                                       "all", "off", NULL};
static const char *const scale_names[] = {"fixed", "auto", NULL};

const VerbKey verb_keys_probe[] = {
    {"every", VK_INT, NULL, 1, 1e9, "", "also probe every N steps while training (and now)"},
    {"lr", VK_FLOAT, NULL, 0, 100, "0.1", "updates at step 0: learning rate of the one plain SGD step measured"},
    {"force", VK_ENUM, onoff_names, 0, 0, "off", "probe even when the memory estimate exceeds the available memory"},
    {NULL, 0, NULL, 0, 0, NULL, NULL},
};

const VerbKey verb_keys_show[] = {
    {"layer", VK_INT, NULL, 0, 4095, "0", "attention: which block; scalars: that block over steps; router.step: the step"},
    {"head", VK_INT, NULL, -1, 255, "0", "attention: which head (-1: all)"},
    {"runs", VK_STR, NULL, 0, 0, "current", "runs to overlay: A,B or all"},
    {"log", VK_ENUM, onoff_names, 0, 0, "chart's", "log-scale y axis"},
    {"mixed", VK_ENUM, onoff_names, 0, 0, "where recorded", "attention: on the block's whole aI+bA-gC (aI+bA: value-skip), off the softmax part A"},
    {"scale", VK_ENUM, scale_names, 0, 0, "fixed", "heatmaps of bounded values (cosine, attention): fixed 0..1 / -1..1, or auto (fit the data)"},
    {"smooth", VK_FLOAT, NULL, 0, 0.999, "0", "loss, loss.time: debiased EMA smoothing factor"},
    {"width", VK_INT, NULL, 20, 400, "terminal", "columns of a chart drawn as text"},
    {"height", VK_INT, NULL, 6, 200, "20", "rows of a chart drawn as text"},
    {NULL, 0, NULL, 0, 0, NULL, NULL},
};

const VerbKey verb_keys_export[] = {
    {"file", VK_FILE, NULL, 0, 0, "RUN-CHART.EXT", "where to write (torch: the directory)"},
    {"force", VK_ENUM, onoff_names, 0, 0, "off", "overwrite an existing file"},
    {"layer", VK_INT, NULL, 0, 4095, "0", "attention: which block; scalars: that block over steps; router.step: the step"},
    {"head", VK_INT, NULL, -1, 255, "0", "attention: which head (-1: all heads as a grid)"},
    {"runs", VK_STR, NULL, 0, 0, "current", "runs to overlay: A,B or all"},
    {"log", VK_ENUM, onoff_names, 0, 0, "chart's", "log-scale y axis"},
    {"smooth", VK_FLOAT, NULL, 0, 0.999, "0", "loss: debiased EMA smoothing factor"},
    {"mixed", VK_ENUM, onoff_names, 0, 0, "where recorded", "attention: on the block's whole aI+bA-gC (aI+bA: value-skip), off the softmax part A"},
    {"scale", VK_ENUM, scale_names, 0, 0, "fixed", "heatmaps of bounded values (cosine, attention): fixed 0..1 / -1..1, or auto (fit the data)"},
    {"width", VK_INT, NULL, 240, 4096, "1200", "image width in pixels"},
    {"height", VK_INT, NULL, 240, 4096, "800", "image height in pixels"},
    {NULL, 0, NULL, 0, 0, NULL, NULL},
};

const VerbKey verb_keys_report[] = {
    {"runs", VK_STR, NULL, 0, 0, "all", "runs to report: A,B or all (every run with a model)"},
    {"force", VK_ENUM, onoff_names, 0, 0, "off", "write into a folder that exists and is not a report (its contents are moved to DIR.old)"},
    {"width", VK_INT, NULL, 240, 4096, "1200", "figure width in pixels"},
    {"height", VK_INT, NULL, 240, 4096, "800", "figure height in pixels"},
    {NULL, 0, NULL, 0, 0, NULL, NULL},
};

/* force=on: build even when the memory estimate exceeds what the machine has. */
const VerbKey verb_keys_force[] = {
    {"force", VK_ENUM, onoff_names, 0, 0, "off", "build even when the memory estimate exceeds the available memory"},
    {NULL, 0, NULL, 0, 0, NULL, NULL},
};

const VerbKey verb_keys_save[] = {
    {"force", VK_ENUM, onoff_names, 0, 0, "off", "replace an existing file that is not a blocklab checkpoint"},
    {NULL, 0, NULL, 0, 0, NULL, NULL},
};

const VerbKey verb_keys_wait[] = {
    {"step", VK_INT, NULL, 1, 1e9, "the end", "wait until every training run has reached this step"},
    {NULL, 0, NULL, 0, 0, NULL, NULL},
};

static const char *const export_nouns[] = {"png", "svg", "csv", "torch", NULL};
static const char *const model_nouns[] = {"new", NULL};
static const char *const arch_nouns[] = {"spec", NULL};
static const char *const data_nouns[] = {"fortunes", NULL};
static const char *const run_nouns[] = {"new", "use", "list", "label", NULL};

static const VerbKey verb_keys_run[] = {
    {"label", VK_STR, NULL, 0, 0, "", "run new: what legends, titles and file names call the run (up to 48 bytes, one line)"},
    {NULL, 0, NULL, 0, 0, NULL, NULL},
};

const Verb verb_table[] = {
    {.name = "model", .run = verb_model, .nouns = model_nouns,
     .keys = verb_keys_force, .arch_scope = ARCH_KEYS_MODEL,
     .usage = "model new [key=value...]",
     .summary = "build a fresh GPT-style model in the current run",
     .about = "Replaces the current run's model with a new one built from the keys (the rest\n"
          "take their defaults) and initialised from seed. Every block starts from preset.\n"
          "When vocab is not given it is sized to the run's data. Training restarts at step 0.",
     .examples = "model new depth=4 width=64 heads=4 ctx=32\n"
          "model new depth=16 preset=sas norm=rms seed=7"},
    {.name = "block", .run = verb_block,
     .word = WORD_RANGE, .word_min = 1, .word_max = 1, .word_name = "RANGE",
     .keys = verb_keys_force, .arch_scope = ARCH_KEYS_BLOCK,
     .usage = "block RANGE key=value...",
     .summary = "change blocks: presets and toggles (rebuilds the model)",
     .about = "RANGE is all, a block number (3) or an inclusive range (0..5). Keys apply in\n"
          "order, so a preset first and then toggles on top. Gains written key~=value\n"
          "become trainable. The model is rebuilt from its seed; on a bad key, value or\n"
          "range nothing changes.",
     .examples = "block all preset=sas\n"
          "block 0..1 skip.attn=off beta.ff~=0.1\n"
          "block 3 attn=off mlp=2"},
    {.name = "arch", .run = verb_arch, .nouns = arch_nouns, .noun_optional = 1,
     .usage = "arch [spec]",
     .summary = "show the architecture and the one line that rebuilds it",
     .about = "Prints the model-wide settings, one row per group of identical blocks, and the\n"
          "command text that rebuilds this exact model when pasted back. `arch spec`\n"
          "prints only that text.",
     .examples = "arch\n"
          "arch spec"},
    {.name = "params", .run = verb_params,
     .arch_scope = ARCH_KEYS_MODEL,
     .usage = "params [key=value...]",
     .summary = "parameter tensors by component, with counts and total",
     .about = "Lists every parameter tensor (identical blocks grouped) with its shape and size.\n"
          "Model keys count a variant of the current model (or of the defaults) without\n"
          "building it: nothing is allocated, so any size can be counted.",
     .examples = "params\n"
          "params depth=48 width=1600 heads=25 ctx=1024 vocab=50257"},
    {.name = "data", .run = verb_data, .nouns = data_nouns, .noun_optional = 1,
     .keys = verb_keys_data,
     .usage = "data [fortunes] [task=NAME | text=FILE] [key=value...]",
     .summary = "choose training data: a synthetic task, a text file, or fortunes",
     .about = "Keys change the current data (or the defaults: reverse, 10 symbols, length 8).\n"
          "`data fortunes` reads Debian's fortunes corpus. Tasks read as input|answer,\n"
          "e.g. 3141|1413, and the loss counts answer symbols only. An untrained model\n"
          "whose vocab was not given is resized to the data. Without keys: show the data.",
     .examples = "data task=reverse symbols=10 length=8\n"
          "data text=README.md val=0.1\n"
          "data fortunes"},
    {.name = "train", .run = verb_train,
     .keys = verb_keys_train,
     .usage = "train [key=value...]",
     .summary = "train the current run (continues where the last train stopped)",
     .about = "Takes `steps` more steps. Settings stick to the run, so a later `train` reuses\n"
          "them. Prints the settings, one line per log_every steps and a summary. A NaN or\n"
          "Inf gradient stops training and names the tensor; Ctrl-C stops after the\n"
          "current step. Either way the run keeps its state. The learning-rate schedule\n"
          "spans total steps, or else ends with this call; give total= to split one\n"
          "schedule across several calls or processes. Once a schedule has ended, a later\n"
          "train goes on at its final lr; naming lr= or warmup= starts a new cycle that\n"
          "warms up from there (a tenth of the call unless warmup= says), then decays.",
     .examples = "train steps=500 lr=3e-3\n"
          "train steps=1000 batch=64 warmup=100 schedule=cosine\n"
          "train steps=100 total=1000 log_every=10"},
    {.name = "sample", .run = verb_sample,
     .keys = verb_keys_sample,
     .usage = "sample [key=value...]",
     .summary = "generate with the current model",
     .about = "Tasks: shows held-out inputs (or prompt) with the model's answer and whether\n"
          "it is right. Text: continues prompt for n characters. Reproducible: the same\n"
          "seed gives the same sample.",
     .examples = "sample\n"
          "sample prompt=31415926\n"
          "sample n=400 temperature=0.8 top_k=10 prompt=\"Q: \""},
    {.name = "save", .run = verb_save,
     .word = WORD_FILE, .word_min = 1, .word_max = 1, .word_name = "FILE",
     .keys = verb_keys_save,
     .usage = "save FILE [force=on]",
     .summary = "write a checkpoint (safetensors: weights, arch, optimizer, training state)",
     .about = "Writes atomically: a crash never leaves a half-written FILE. The file holds the\n"
          "arch text, so `load` rebuilds the model, and the optimizer state, so `train`\n"
          "after `load` continues exactly as if the run had never stopped.",
     .examples = "save runs/a.safetensors"},
    {.name = "load", .run = verb_load,
     .word = WORD_FILE, .word_min = 1, .word_max = 1, .word_name = "FILE",
     .keys = verb_keys_force,
     .usage = "load FILE [force=on]",
     .summary = "read a checkpoint into the current run",
     .about = "Replaces the current run's model (and optimizer, training state and data when\n"
          "the file has them). A corrupt or truncated file changes nothing.",
     .examples = "load runs/a.safetensors"},
    {.name = "run", .run = verb_runs, .nouns = run_nouns,
     .word = WORD_RUN, .word_max = 2, .word_name = "NAME",
     .keys = verb_keys_run,
     .usage = "run new NAME [label=TEXT] | run use NAME | run label NAME TEXT | run list",
     .summary = "named runs in one workspace, for A/B comparisons; labels for figures",
     .about = "`run new B` adds run B with the current run's model spec (initialised from the\n"
          "same seed, untrained), data and train settings, and makes it current. `run use`\n"
          "switches; `run list` shows every run with its label and its architecture in one\n"
          "line (as `arch` prints it). The first run is A. A label (label= on `run new`,\n"
          "or `run label NAME TEXT`; \"\" removes it) is what legends, chart titles,\n"
          "exported file names and reports call the run; checkpoints keep it. Labels are\n"
          "one line of UTF-8 text, at most 48 bytes.",
     .examples = "run new B label=DeepNorm\n"
          "run label A \"Post-LN\"\n"
          "run use A\n"
          "run list"},
    {.name = "set", .run = verb_set,
     .keys = verb_keys_set,
     .usage = "set [key=value...]",
     .summary = "workspace settings: seed, threads",
     .about = "Without keys, shows the settings.",
     .examples = "set seed=42\n"
          "set threads=2"},
    {.name = "mom", .run = verb_mom,
     .keys = verb_keys_mom, .arch_scope = ARCH_KEYS_MODEL,
     .usage = "mom [from=RUN] [path=free|diag] [key=value...]",
     .summary = "Mixture-of-Modules from a trained run: routers assemble each token's path",
     .about = "`mom from=A` makes the current run a MoM (Gong et al. 2024) whose module slots are\n"
          "run A's trained blocks in order: bottom blocks 1:1, then block j's attention and\n"
          "MLP become attention module j and FFN module j, then the anchor and top blocks.\n"
          "A needs exactly bottom + max(attn_pool, ffn_pool) + anchor + top plain Pre-LN\n"
          "blocks. Routers start random (std 0.02); the optimizer starts fresh. Keys:\n"
          "attn_pool ffn_pool steps topk router router_dim tau renorm aux bottom top anchor\n"
          "(see `help model`). Every step each token picks top-K of its pool plus SKIP;\n"
          "the chosen attention modules' q, k, v are summed unweighted (a token that picks\n"
          "only SKIP has q = k = v = 0, as in the official code), one causal attention\n"
          "runs over all tokens, and the chosen W_o and FFN outputs are added weighted.\n"
          "At topk=1 with renorm=on the kept weight is exactly 1, so the language-model\n"
          "loss sends no gradient to the routers and only the load-balancing loss (aux,\n"
          "0.01) trains them, as in the official code; renorm=off keeps the raw\n"
          "probability as the weight so the LM loss reaches them (compare with `probe\n"
          "router`: router.gnorm.lm vs router.gnorm.aux). path=diag forces step h to\n"
          "module h (weight 1): a MoM from A then computes exactly A's logits.\n"
          "Without from=, shows the run's MoM (and sets path=).",
     .examples = "mom from=A\n"
          "mom from=A attn_pool=4 ffn_pool=4 steps=6 topk=1 router=gru\n"
          "mom from=A steps=8 renorm=off aux=0\n"
          "mom path=diag"},
    {.name = "probe", .run = verb_probe,
     .word = WORD_CHOICE, .word_min = 1, .word_max = 10, .word_name = "NAME", .word_values = verb_probe_words,
     .keys = verb_keys_probe,
     .usage = "probe NAME... [every=N] [lr=X] [force=on]",
     .summary = "measure signal propagation: rank, updates, grads, lnin, attn, scalars; router, knockout, modules (MoM)",
     .about = "Runs the named probes now on the run's fixed probe batch (forward only, plus a\n"
          "backward for grads) and records them as series; `show` prints them and `export`\n"
          "draws them. every=N keeps probing every N steps while training; `probe off`\n"
          "stops that. At step 0, `probe updates` measures DeepNet's ||dF|| after one plain\n"
          "SGD step of lr (default 0.1) and restores the parameters. NaN or Inf in a probe\n"
          "raises an alarm naming the first tensor and layer. A Mixture-of-Modules run also\n"
          "has: router (chosen module and weight per token and step, usage per step,\n"
          "entropy, effective depth, aux, the routers' gradient norm from each loss),\n"
          "knockout (loss increase with one module disabled, router score -inf) and\n"
          "modules (cosine between module outputs).",
     .examples = "probe rank\n"
          "probe rank grads attn every=10\n"
          "probe updates lr=0.1\n"
          "probe router every=20\n"
          "probe knockout modules\n"
          "probe off"},
    {.name = "show", .run = verb_show,
     .word = WORD_SERIES, .word_max = 1, .word_name = "NAME",
     .keys = verb_keys_show,
     .usage = "show [SERIES|CHART] [key=value...]",
     .summary = "print a recorded series as text, or draw a chart in the terminal",
     .about = "Without a name: list what the run has recorded. A series name (rank.cos, loss,\n"
          "attn.2, ...) prints its numbers: a table by layer, or a sparkline over steps.\n"
          "A chart name (loss, rank, rank.map, grads, attn, ...) draws the chart as text,\n"
          "the same chart `export png` writes.\n"
          "\n"
          "Series (what each probe records):\n"
          "  loss, val.loss     training loss per step; held-out loss at each evaluation (nats)\n"
          "  val.exact          held-out exact match of task answers (0..1)\n"
          "  lr, gnorm          learning rate and global gradient norm, each step\n"
          "  time               seconds of this run's own training steps so far, each step\n"
          "  rank.cos           mean cosine between token vectors, by layer (1 = rank collapse)\n"
          "  rank.erank         effective rank of the token vectors, by layer\n"
          "  rank.rms           mean token RMS, by layer (activation growth)\n"
          "  grads.block, grads.global  gradient L2 norm of each block's parameters, of all\n"
          "  updates.dF         RMS change of the final-norm output F since the first probe\n"
          "  updates.dF_step    RMS change of F over the last step alone (DeepNet's ||dF||)\n"
          "  updates.ratio      ||d theta|| / ||theta|| of each tensor over one step\n"
          "  updates.sgd        ||dF|| after one plain SGD step at init (probe updates lr=)\n"
          "  lnin.attn, lnin.mlp  RMS of each norm layer's input, by block (DeepNet Fig. 4)\n"
          "  attn.L             softmax attention A of block L (head x query rows, key columns)\n"
          "  attn.mixed.L       the whole matrix block L mixes with: aI+bA-gC (shaped), aI+bA (value-skip)\n"
          "  attn.entropy       attention entropy per layer and head (nats)\n"
          "  scalars            every trainable scalar gain (alpha, beta, gamma...) by name; chart\n"
          "                     scalars: gain x block map, layer=L one block over steps",
     .examples = "show\n"
          "show rank.cos\n"
          "show rank runs=all\n"
          "show attn layer=1 head=0"},
    {.name = "export", .run = verb_export, .nouns = export_nouns,
     .word = WORD_SERIES, .word_min = 1, .word_max = 1, .word_name = "CHART|SERIES|DIR",
     .keys = verb_keys_export,
     .usage = "export png|svg|csv CHART|SERIES [file=PATH] [key=value...] | export torch DIR",
     .summary = "write a chart as PNG, SVG or CSV, or the run as a PyTorch package",
     .about = "png and svg draw CHART (see `help show`) for a report: 1200x800, titled with the\n"
          "run and the probe. csv writes the numbers behind CHART, or any SERIES as tidy\n"
          "columns (run, step, layer, head, name, index, value). runs=A,B overlays runs in\n"
          "their terminal colours. An existing file is kept unless force=on; files appear\n"
          "whole or not at all. `export torch DIR` writes a standalone PyTorch package: the\n"
          "model, the weights and a DistributedDataParallel training script.",
     .examples = "export png loss runs=A,B\n"
          "export svg rank.map file=fig/rank.svg\n"
          "export csv rank.cos file=rank.csv\n"
          "export png attn layer=1 head=-1\n"
          "export torch out/run-a"},
    {.name = "report", .run = verb_report,
     .word = WORD_FILE, .word_min = 1, .word_max = 1, .word_name = "DIR",
     .keys = verb_keys_report,
     .usage = "report DIR [runs=A,B] [force=on]",
     .summary = "every chart of the runs as PNG, SVG and CSV, and an index.html to hand in",
     .about = "Writes DIR/index.html and DIR/figures/: for the chosen runs (default: every run\n"
          "with a model) each chart that has data, in the order of `help export`, as\n"
          "NN-CHART[-RUN].png, .svg and .csv (attention: one per recorded layer, all heads),\n"
          "and a page with each run's label, architecture in one line, `arch` equations,\n"
          "training settings and `params` table, then the figures with captions. The page\n"
          "is self-contained (inline CSS, relative links, no network). The report is\n"
          "written in a hidden folder beside DIR and renamed into place when whole. An\n"
          "earlier report in DIR is replaced; any other non-empty DIR is kept unless\n"
          "force=on, which moves it to DIR.old.",
     .examples = "report out/report\n"
          "report handin runs=A,B"},
    {.name = "distill", .run = verb_distill, .keys = verb_keys_distill,
     .usage = "distill from=RUN [layers=RANGE] [mode=alr|aslr|alrr|elr] [size=xs|s|m|l] [key=value...]",
     .summary = "replace attention with shallow MLPs distilled from a trained run (Rethinking Attention)",
     .about = "Captures the teacher's (input, target) pairs at each block's cut with hooks on its\n"
          "forward, trains one student per block (LN, Linear ctx*width -> h, LeakyReLU, LN,\n"
          "Linear; masked MSE, Adam 0.9/0.98/1e-9, lr 1e-4 for alr, 1e-3 otherwise), prints\n"
          "the MSE of every epoch, and makes the current run a copy of the teacher with the\n"
          "students spliced in (attn=mlp-MODE student=SIZE on those blocks). The teacher run\n"
          "is never modified; `train` afterwards fine-tunes the hybrid. Causal models run the\n"
          "student once per position with later positions zeroed. A student's input is fixed\n"
          "at ctx positions. Charts: distill.mse, hybrid, eval.length (after `eval`).",
     .examples = "run new B; distill from=A layers=1 mode=alr size=l epochs=21\n"
          "distill from=A layers=all mode=alr size=xs\n"
          "distill from=A layers=0..1 mode=elr maxlen=12"},
    {.name = "eval", .run = verb_eval, .keys = verb_keys_eval,
     .usage = "eval [length=N|LO..HI] [runs=A,B] [batches=N]",
     .summary = "held-out accuracy by task length (teacher vs hybrid)",
     .about = "Evaluates each run on held-out examples of every task length in the range and\n"
          "records the curve (chart eval.length, which also marks the longest length a\n"
          "hybrid was distilled at and the longest that fits ctx). A length whose examples do\n"
          "not fit ctx is refused: a student's input has a fixed length.",
     .examples = "eval length=4..32 runs=A,B\n"
          "eval length=12"},
    {.name = "sweep", .run = verb_sweep,
     .keys = verb_keys_sweep, .arch_scope = ARCH_KEYS_SWEEP,
     .usage = "sweep KEY=V1,V2,... [KEY=V1,V2,...] [probe=NAME] [key=value...]",
     .summary = "a chart whose x-axis is a setting: one probe on a fresh model per point",
     .about = "Builds a fresh model for every point, as `model new` with the keys given (block\n"
          "keys apply to every block, as `block all`), measures it and records the value in\n"
          "the current run: chart sweep.PROBE (show, export png|svg|csv). The first key with\n"
          "a list of numbers is the x-axis; a second list draws one line per value (preset=\n"
          "names them by preset). Without a second list the line is named label= (default:\n"
          "its preset); another sweep of the same probe adds its line beside, or replaces a line\n"
          "of the same name. probe= rank: mean token cosine after the last block; updates:\n"
          "||dF|| after one plain SGD step of lr (default 0.1), as `probe updates`; grads:\n"
          "the global gradient norm, as `probe grads`; params: the parameter count (nothing\n"
          "is built); loss: held-out loss after `steps` of training on the run's data (the\n"
          "run's train settings, lr=, batch=). Every point is checked first (keys, ranges,\n"
          "memory: force=on measures a point over the estimate); a bad one refuses the\n"
          "whole sweep, naming it. At most 64 points. The run's own model is untouched, and\n"
          "a later `model new` keeps the sweep's lines. In the dashboard the sweep runs in\n"
          "the background, its chart filling in point by point (the status line counts\n"
          "them); Ctrl-C stops it, a scene's next reading command waits for it.",
     .examples = "sweep depth=6,25,100,300,1000 preset=postln,deepnorm probe=updates lr=0.1 width=64 causal=off init=xavier\n"
          "sweep depth=2,4,8,16 preset=preln,sas mlp=off probe=rank\n"
          "sweep depth=2,4,8,16 skip.attn=off mlp=off probe=rank label=skipless\n"
          "sweep width=32,64,128 probe=params\n"
          "sweep lr=1e-3,3e-3,1e-2 preset=preln,sas probe=loss steps=200"},
    {.name = "help", .run = verb_helpcmd,
     .word = WORD_VERB, .word_max = 1, .word_name = "VERB",
     .usage = "help [VERB]",
     .summary = "list the verbs, or show a verb's keys and examples",
     .about = "The same text as the man page's COMMANDS section, generated from the verb table.",
     .examples = "help\n"
          "help block"},
    {.name = "note", .run = verb_note,
     .word_min = 1, .word_max = 64, .word_name = "TEXT",
     .usage = "note TEXT...",
     .summary = "print a line for the reader (scenes use it to say what to look at)",
     .about = "Prints its words as one line led by \"» \"; the dashboard shows it highlighted in\n"
          "its log. Quote text that holds '=', ';' or '#'.",
     .examples = "note The rank pane turns yellow where tokens collapse\n"
          "note \"Try: block all beta.ff~=0.1\""},
    {.name = "focus", .run = verb_focus,
     .word = WORD_CHOICE, .word_min = 1, .word_max = 1, .word_name = "PANE", .word_values = tui_pane_names,
     .usage = "focus PANE",
     .summary = "in the dashboard, zoom the pane a scene talks about",
     .about = "Zooms one pane of the dashboard (arch, loss, rank, grads, attn, scalars, log),\n"
          "`focus chart` the chart the last `show` drew, `focus all` every pane again.\n"
          "Scenes use it before a note about that pane. Batch mode and the plain prompt\n"
          "have no panes: there it does nothing.",
     .examples = "focus rank\n"
          "focus all"},
    {.name = "wait", .run = verb_wait,
     .keys = verb_keys_wait,
     .usage = "wait [step=N]",
     .summary = "hold the next commands until background training gets there",
     .about = "In the dashboard training runs in the background: `wait` holds the commands\n"
          "after it (a scene's next note, say) until every training run has reached step N,\n"
          "or, without step=, until all training has finished. Ctrl-C stops waiting. Batch\n"
          "mode and the plain prompt train in the foreground, so there it returns at once.",
     .examples = "wait step=200\n"
          "wait"},
    {.name = "quit", .run = verb_quit,
     .usage = "quit",
     .summary = "leave blocklab (Ctrl-D does the same)",
     .about = "In a script, stops it there with success.",
     .examples = "quit"},
    {.name = NULL},
};

const Verb *verb_find(const char *name)
{
    for (const Verb *v = verb_table; v->name; v++)
        if (strcmp(v->name, name) == 0) return v;
    return NULL;
}

const VerbKey *verb_key_find(const Verb *v, const char *name)
{
    if (!v->keys) return NULL;
    for (const VerbKey *k = v->keys; k->name; k++)
        if (strcmp(k->name, name) == 0) return k;
    return NULL;
}

/* Edit distance, for "did you mean". */
static int distance(const char *a, const char *b)
{
    int la = (int)strlen(a), lb = (int)strlen(b);
    if (la > 31 || lb > 31) return 99;
    int d[32][32];
    for (int i = 0; i <= la; i++) d[i][0] = i;
    for (int j = 0; j <= lb; j++) d[0][j] = j;
    for (int i = 1; i <= la; i++)
        for (int j = 1; j <= lb; j++) {
            int best = d[i - 1][j - 1] + (a[i - 1] != b[j - 1]);
            if (d[i - 1][j] + 1 < best) best = d[i - 1][j] + 1;
            if (d[i][j - 1] + 1 < best) best = d[i][j - 1] + 1;
            d[i][j] = best;
        }
    return d[la][lb];
}

static void enum_join(const char *const *values, char *buf, size_t cap)
{
    size_t k = 0;
    buf[0] = 0;
    for (int i = 0; values[i] && k < cap; i++) k += (size_t)snprintf(buf + k, cap - k, "%s%s", i ? "|" : "", values[i]);
}

int verb_key_parse(const VerbKey *k, const char *value, double *num, int *choice, BlError *e)
{
    *num = 0;
    *choice = -1;
    if (k->type == VK_STR || k->type == VK_FILE) return 0;
    if (k->type == VK_ENUM) {
        for (int i = 0; k->values[i]; i++)
            if (strcmp(k->values[i], value) == 0) return *choice = i, 0;
        char list[128];
        enum_join(k->values, list, sizeof list);
        return bl_fail(e, "%s=%s: expected %s", k->name, value, list);
    }
    if (k->type == VK_AUTOINT && strcmp(value, "auto") == 0) return *choice = -2, 0;
    if (k->type == VK_U64) {
        uint64_t u;
        if (bl_parse_u64(value, &u)) return bl_fail(e, "%s=%s: expected a whole number >= 0", k->name, value);
        *num = (double)u;
        return 0;
    }
    char *end;
    errno = 0;
    double v = strtod(value, &end);
    int whole = k->type == VK_INT || k->type == VK_AUTOINT;
    if (end == value || *end || errno || !isfinite(v))
        return bl_fail(e, "%s=%s: expected %s%s", k->name, value, whole ? "a whole number" : "a number",
                       k->type == VK_AUTOINT ? " or auto" : "");
    if (whole && v != floor(v)) return bl_fail(e, "%s=%s: expected a whole number", k->name, value);
    if (v < k->min || v > k->max)
        return bl_fail(e, "%s=%s: out of range (expected %g to %g)", k->name, value, k->min, k->max);
    *num = v;
    return 0;
}

/* The index of the noun c uses, -1 for none; fails on a missing or unknown noun. */
static int find_noun(const Verb *v, const Cmd *c, int *noun, BlError *e, int *col)
{
    *noun = -1;
    if (!v->nouns) return 0;
    if (c->n_words > 0)
        for (int i = 0; v->nouns[i]; i++)
            if (strcmp(v->nouns[i], c->words[0].text) == 0) return *noun = i, 0;
    if (v->noun_optional) return 0;
    char list[128];
    enum_join(v->nouns, list, sizeof list);
    for (char *p = list; *p; p++)
        if (*p == '|') *p = ',';
    if (c->n_words == 0) {
        *col = c->verb.col;
        return bl_fail(e, "'%s' needs one of: %s (usage: %s)", v->name, list, v->usage);
    }
    *col = c->words[0].col;
    return bl_fail(e, "expected %s after '%s', got '%s' (usage: %s)", list, v->name, c->words[0].text, v->usage);
}

static int check_arch_value(const Verb *v, const CmdArg *a, ArchSpec *scratch, BlError *e)
{
    if (v->arch_scope == ARCH_KEYS_MODEL) {
        if (a->trainable && arch_key_find(a->key) && arch_key_find(a->key)->type != KEY_GAIN)
            return bl_fail(e, "%s~=%s: only block gains can be made trainable with ~= (use %s=%s)", a->key, a->value, a->key, a->value);
        return arch_set_model(scratch, a->key, a->value, e);
    }
    return arch_set_block(scratch, 0, 0, a->key, a->value, a->trainable, e);
}

int verb_check(const Cmd *c, BlError *e, int *col)
{
    *col = c->verb.col;
    const Verb *v = verb_find(c->verb.text);
    if (!v) {
        const Verb *best = NULL;
        int bd = 3;
        for (const Verb *w = verb_table; w->name; w++) {
            int d = distance(c->verb.text, w->name);
            if (d < bd) bd = d, best = w;
        }
        if (best) return bl_fail(e, "unknown verb '%s': did you mean '%s'? (help lists the verbs)", c->verb.text, best->name);
        return bl_fail(e, "unknown verb '%s' (help lists the verbs)", c->verb.text);
    }
    int noun;
    if (find_noun(v, c, &noun, e, col)) return -1;
    int first = noun >= 0 ? 1 : 0, nw = c->n_words - first;
    if (nw > v->word_max) {
        *col = c->words[first + v->word_max].col;
        if (v->word_max == 0 && v->nouns && noun < 0) {
            char list[128];
            enum_join(v->nouns, list, sizeof list);
            return bl_fail(e, "unexpected '%s': %s takes %s or key=value arguments (usage: %s)", c->words[first].text, v->name,
                           list, v->usage);
        }
        if (v->word_max == 0)
            return bl_fail(e, "unexpected '%s': %s takes %s (usage: %s)", c->words[first].text, v->name,
                           v->keys || v->arch_scope != ARCH_KEYS_NONE ? "key=value arguments only" : "no more words", v->usage);
        return bl_fail(e, "unexpected '%s' after %s (usage: %s)", c->words[first + v->word_max].text, v->word_name, v->usage);
    }
    if (nw < v->word_min) return bl_fail(e, "'%s' needs %s (usage: %s)", v->name, v->word_name, v->usage);
    if (v->word == WORD_CHOICE)
        for (int i = first; i < c->n_words; i++) {
            int ok = 0;
            for (int j = 0; v->word_values[j]; j++) ok |= !strcmp(v->word_values[j], c->words[i].text);
            if (!ok) {
                char list[256];
                enum_join(v->word_values, list, sizeof list);
                *col = c->words[i].col;
                return bl_fail(e, "unknown %s '%s' (expected %s)", v->word_name, c->words[i].text, list);
            }
        }
    ArchSpec *scratch = NULL;
    int rc = 0;
    for (int i = 0; i < c->n_args && !rc; i++) {
        const CmdArg *a = &c->args[i];
        *col = a->col;
        for (int j = 0; j < i; j++)
            if (strcmp(c->args[j].key, a->key) == 0) {
                rc = bl_fail(e, "key '%s' is given twice", a->key);
                break;
            }
        if (rc) break;
        const VerbKey *k = verb_key_find(v, a->key);
        if (v->arch_scope == ARCH_KEYS_SWEEP) {
            if (!scratch) {
                scratch = xcalloc(1, sizeof *scratch);
                arch_default(scratch);
            }
            if (verb_sweep_check_arg(a, scratch, e)) {
                if (arch_key_find(a->key) || k) *col = a->vcol;
                rc = -1;
            }
            continue;
        }
        if (k) {
            double num;
            int choice;
            if (a->trainable) rc = bl_fail(e, "%s~=%s: only block gains take ~= (use %s=%s)", a->key, a->value, a->key, a->value);
            else if (verb_key_parse(k, a->value, &num, &choice, e)) rc = -1, *col = a->vcol;
            continue;
        }
        if (v->arch_scope != ARCH_KEYS_NONE) {
            if (!scratch) {
                scratch = xcalloc(1, sizeof *scratch);
                arch_default(scratch);
            }
            BlError sub;
            if (check_arch_value(v, a, scratch, &sub)) {
                /* Point at the value when the key itself is known. */
                const ArchKey *ak = arch_key_find(a->key);
                if (ak && strncmp(sub.msg, "unknown", 7) && !strstr(sub.msg, "is a ")) *col = a->vcol;
                rc = bl_fail(e, "%s", sub.msg);
            }
            continue;
        }
        if (!v->keys) {
            rc = bl_fail(e, "'%s' takes no keys (usage: %s)", v->name, v->usage);
            break;
        }
        char list[400];
        size_t n = 0;
        for (const VerbKey *w = v->keys; w->name && n < sizeof list; w++)
            n += (size_t)snprintf(list + n, sizeof list - n, "%s%s", n ? " " : "", w->name);
        rc = bl_fail(e, "unknown key '%s' for %s (keys: %s)", a->key, v->name, list);
    }
    if (scratch) arch_free(scratch);
    free(scratch);
    return rc;
}

int verb_run(VerbCtx *vc, const Cmd *c, BlError *e)
{
    int col;
    vc->err_col = 0;
    if (verb_check(c, e, &col)) {
        vc->err_col = col;
        return -1;
    }
    const Verb *v = verb_find(c->verb.text);
    int noun;
    find_noun(v, c, &noun, e, &col);
    return v->run(vc, c, noun, e);
}

const CmdWord *verb_word(const Cmd *c, int noun, int i)
{
    int k = (noun >= 0 ? 1 : 0) + i;
    return k < c->n_words ? &c->words[k] : NULL;
}

int verb_file(const VerbCtx *vc, const char *what, const char *in, int write, char *out, size_t cap, BlError *e)
{
    return sandbox_path(vc->sandbox, what, in, write, out, cap, e);
}

int verb_force(const Cmd *c)
{
    const CmdArg *f = cmd_arg(c, "force");
    return f && !strcmp(f->value, "on");
}

int verb_build_model(const Run *r, const ArchSpec *a, int force, const char *what, Model *m, BlError *e)
{
    MemBudget b;
    if (budget_estimate(a, r->cfg.batch, 1, &b, e)) return -1;
    if (!force && budget_check(&b, what, "force=on builds it anyway", e)) return -1;
    return model_build(m, a, e);
}

double verb_param_count(const ParamTable *pt)
{
    /* pt->total includes alignment padding between tensors; count the tensors. */
    double n = 0;
    for (int i = 0; i < pt->n; i++) n += pt->p[i].t.n;
    return n;
}
