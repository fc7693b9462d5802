/* verbs.h — the one verb table: name, nouns, positional words, keys, handler,
 * help, usage and examples. Dispatch, `help`, the static check of a script and
 * tab completion all read this table; a new verb is one entry plus a handler.
 * Model and block keys are core's arch_keys (scope 0 and 1); other verbs list
 * their keys in small VerbKey tables. Handlers act on the Workspace and write
 * through an Out sink; they return 0 or -1 with one line in a BlError. */
#ifndef BL_VERBS_H
#define BL_VERBS_H

#include <signal.h>
#include <stdatomic.h>

#include "cmd.h"
#include "out.h"
#include "tui.h"
#include "workspace.h"

typedef enum { VK_INT, VK_FLOAT, VK_ENUM, VK_STR, VK_FILE, VK_U64, VK_AUTOINT } VkType;

/* A key of a verb other than the arch keys. */
typedef struct VerbKey {
    const char *name;
    VkType      type;
    const char *const *values;   /* VK_ENUM: NULL-terminated names */
    double      min, max;        /* numeric range (inclusive) */
    const char *def;             /* default as shown in help */
    const char *help;
} VerbKey;

/* What completion offers for positional words. */
/* Which of core's arch keys a verb takes as key=value (arch.h). Zero, the
 * default of a table entry that does not say, is none. */
/* ARCH_KEYS_SWEEP: model and block keys both, each value maybe a comma list
 * (checked by verb_sweep_check_arg). */
typedef enum { ARCH_KEYS_NONE = 0, ARCH_KEYS_MODEL, ARCH_KEYS_BLOCK, ARCH_KEYS_SWEEP } ArchScope;

typedef enum {
    WORD_NONE, WORD_RANGE, WORD_FILE, WORD_RUN, WORD_VERB,
    WORD_CHOICE,   /* one of Verb.word_values (checked before running) */
    WORD_SERIES,   /* a recorded series or a chart name (completed from the run's metrics) */
} WordKind;

struct Worker;
struct Sandbox;

typedef struct VerbCtx {
    Workspace *ws;
    Out       *out;
    atomic_int *stop;   /* set by SIGINT: long verbs stop after the current step */
    int        quit;               /* set by `quit` */
    int        err_col;            /* column an error points at (0: the verb) */
    int        interrupted;        /* set when a verb stopped early because of *stop */
    /* The dashboard's engine thread (src/worker.h) when verbs run inside the
     * TUI, else NULL: `train` then hands its loop to the worker and returns. */
    struct Worker *worker;
    /* Set by `wait`: the front end holds the commands after it until every
     * training run has reached wait_step (-1: until training ends). Only the
     * TUI trains in the background; elsewhere there is nothing to wait for. */
    int        wait_set;
    long       wait_step;
    /* Set by `note`, `focus` and (in the dashboard) `show CHART`: what the
     * screen should show; the worker publishes them (seq is its business). */
    int        note_set;
    char       note[512];
    int        cue_set;
    TuiCue     cue;
    /* What the commands may touch (src/sandbox.h): set while a scene file
     * plays, NULL for what a person types. */
    const struct Sandbox *sandbox;
} VerbCtx;

typedef int (*VerbFn)(VerbCtx *vc, const Cmd *c, int noun, BlError *e);

typedef struct Verb {
    const char *name;
    const char *const *nouns;   /* NULL-terminated, or NULL: the verb takes no noun */
    int         noun_optional;
    WordKind    word;           /* positional words after the noun */
    int         word_min, word_max;
    const char *word_name;      /* "RANGE", "FILE", "NAME", "VERB" for usage lines */
    const VerbKey *keys;        /* the verb's own keys (terminated by {NULL}), or NULL */
    ArchScope   arch_scope;     /* the arch keys it takes: none, model keys, block keys */
    VerbFn      run;            /* noun: index into nouns, or -1 */
    const char *usage;          /* "block RANGE key=value..." */
    const char *summary;        /* one line for `help` */
    const char *about;          /* a paragraph for `help VERB` */
    const char *examples;       /* lines separated by '\n' */
    const char *const *word_values;   /* WORD_CHOICE: NULL-terminated allowed words */
} Verb;

/* The one verb table, written with designated initialisers as tmux's
 * cmd_entry: {.name = "model", .run = verb_model, .nouns = ..., .usage = ...};
 * a field left out is 0/NULL (no nouns, no words, no keys). Terminated by
 * {.name = NULL}. */
extern const Verb verb_table[];
const Verb *verb_find(const char *name);

/* Checks what can be checked without running: verb, noun, number of words,
 * allowed keys, repeated keys, and values against their types and ranges.
 * On error fills e and *col (the column of the bad token). */
int verb_check(const Cmd *c, BlError *e, int *col);
/* Checks then runs one command. */
int verb_run(VerbCtx *vc, const Cmd *c, BlError *e);

/* Value parsing shared by check and handlers. num gets numbers, *choice the
 * enum index (VK_ENUM) or -2 for "auto" (VK_AUTOINT). */
int verb_key_parse(const VerbKey *k, const char *value, double *num, int *choice, BlError *e);
const VerbKey *verb_key_find(const Verb *v, const char *name);

/* Help text generated from the table. */
void verb_help_list(Out *o);
int  verb_help_verb(Out *o, const char *name, BlError *e);

/* Handlers, one per verb, in verbs_*.c. */
int verb_model(VerbCtx *vc, const Cmd *c, int noun, BlError *e);
int verb_block(VerbCtx *vc, const Cmd *c, int noun, BlError *e);
int verb_arch(VerbCtx *vc, const Cmd *c, int noun, BlError *e);
int verb_params(VerbCtx *vc, const Cmd *c, int noun, BlError *e);
int verb_data(VerbCtx *vc, const Cmd *c, int noun, BlError *e);
int verb_train(VerbCtx *vc, const Cmd *c, int noun, BlError *e);
int verb_sample(VerbCtx *vc, const Cmd *c, int noun, BlError *e);
int verb_save(VerbCtx *vc, const Cmd *c, int noun, BlError *e);
int verb_load(VerbCtx *vc, const Cmd *c, int noun, BlError *e);
int verb_runs(VerbCtx *vc, const Cmd *c, int noun, BlError *e);
int verb_set(VerbCtx *vc, const Cmd *c, int noun, BlError *e);
int verb_helpcmd(VerbCtx *vc, const Cmd *c, int noun, BlError *e);
int verb_quit(VerbCtx *vc, const Cmd *c, int noun, BlError *e);
int verb_probe(VerbCtx *vc, const Cmd *c, int noun, BlError *e);
int verb_show(VerbCtx *vc, const Cmd *c, int noun, BlError *e);
int verb_export(VerbCtx *vc, const Cmd *c, int noun, BlError *e);
int verb_note(VerbCtx *vc, const Cmd *c, int noun, BlError *e);
int verb_wait(VerbCtx *vc, const Cmd *c, int noun, BlError *e);
int verb_mom(VerbCtx *vc, const Cmd *c, int noun, BlError *e);
/* One line per MoM probe in mask (router, knockout, modules) from the latest records. */
void verb_mom_summary(Out *o, Metrics *mt, unsigned mask);
/* `arch` for a MoM: pools, routers, a step's equations, one token's path. */
void verb_mom_draw(Out *o, Run *r);
int verb_distill(VerbCtx *vc, const Cmd *c, int noun, BlError *e);
int verb_eval(VerbCtx *vc, const Cmd *c, int noun, BlError *e);
int verb_focus(VerbCtx *vc, const Cmd *c, int noun, BlError *e);
int verb_report(VerbCtx *vc, const Cmd *c, int noun, BlError *e);
int verb_sweep(VerbCtx *vc, const Cmd *c, int noun, BlError *e);
/* Checks one key=value of `sweep` (lists too) on scratch, before anything runs. */
struct ArchSpec;
int verb_sweep_check_arg(const CmdArg *a, struct ArchSpec *scratch, BlError *e);

/* Key tables of the verbs that have their own keys (for help and completion). */
extern const VerbKey verb_keys_force[], verb_keys_save[], verb_keys_report[];
extern const VerbKey verb_keys_data[], verb_keys_train[], verb_keys_sample[], verb_keys_set[], verb_keys_probe[],
    verb_keys_show[], verb_keys_export[], verb_keys_wait[], verb_keys_distill[], verb_keys_eval[], verb_keys_mom[],
    verb_keys_sweep[];
extern const char *const verb_probe_words[];

/* Shared by handlers: the first positional word after the noun, or NULL. */
const CmdWord *verb_word(const Cmd *c, int noun, int i);
/* Makes the run's task data match the model (encoder models label per position)
 * and, when the model's vocab was not given, sizes it to the data. Says what it
 * changed on o. */
int verb_fit_data(VerbCtx *vc, Run *r, BlError *e);

/* "all", "3", "0..5" → lo, hi within depth blocks; one line naming the range otherwise. */
int verb_parse_range(const char *s, int depth, int *lo, int *hi, BlError *e);
/* 1 when c says force=on. */
int verb_force(const Cmd *c);
/* Builds a model of a for run r, first checking its memory (weights, grads,
 * optimizer moments, activations at the run's batch) against what the machine
 * has; refuses with one line naming both figures unless force. what names the
 * command in that line ("model new"). */
int verb_build_model(const Run *r, const ArchSpec *a, int force, const char *what, Model *m, BlError *e);

/* Parameters of a table (the sum of its tensors' sizes). */
double verb_param_count(const ParamTable *pt);
/* FILE as the command means it (sandbox_path): "~/" is $HOME; too long is an
 * error, never a truncation; in a scene the sandbox resolves and checks it.
 * write: the command writes there. what names the command in the refusal. */
int verb_file(const VerbCtx *vc, const char *what, const char *in, int write, char *out, size_t cap, BlError *e);

#endif
