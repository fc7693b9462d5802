/* fuzz_scene.c — libFuzzer target: a scene file as an untrusted input. The text
 * is parsed and checked as `blocklab FILE.bl` does before running anything
 * (every error reported with its line), and every word and value that could
 * name a file goes through the scene sandbox: whatever it accepts must resolve
 * inside the scene's folders. Nothing is executed. Seeds: tests/fuzz/scene/. */
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "exec.h"
#include "sandbox.h"

static Sandbox box;
static int ready;

static void report(void *ctx, const ExecError *err)
{
    if (err->line < 1 || !err->msg[0]) abort();   /* every refusal says where and what */
    ++*(int *)ctx;
}

static int below(const char *path, const char *root)
{
    size_t n = strlen(root);
    return !strncmp(path, root, n) && (path[n] == 0 || path[n] == '/');
}

/* An accepted path lies inside the box (relative results are relative to the output folder). */
static void check_path(const char *word)
{
    for (int write = 0; write < 2; write++) {
        char out[PATH_MAX], abs[2 * PATH_MAX + 2];
        BlError e;
        if (sandbox_path(&box, "fuzz", word, write, out, sizeof out, &e)) continue;
        if (out[0] == '/') snprintf(abs, sizeof abs, "%s", out);
        else snprintf(abs, sizeof abs, "%s/%s", box.out_dir, out);
        char real[PATH_MAX];
        /* The part that exists must not lead outside through a symlink. */
        if (realpath(abs, real) == NULL) snprintf(real, sizeof real, "%s", abs);
        if (strstr(real, "/../")) abort();
        if (!below(real, box.out_dir) && (write || !below(real, box.scene_dir))) abort();
    }
}

static void setup(void)
{
    char dir[] = "/tmp/blocklab-fuzz-scene.XXXXXX";
    if (!mkdtemp(dir)) abort();
    char p[PATH_MAX];
    snprintf(p, sizeof p, "%s/out", dir);
    mkdir(p, 0700);
    snprintf(p, sizeof p, "%s/scene", dir);
    mkdir(p, 0700);
    snprintf(p, sizeof p, "%s/out/up", dir);
    if (symlink("..", p)) abort();               /* a symlink that leaves the box */
    snprintf(p, sizeof p, "%s/out/inside", dir);
    if (symlink(".", p)) abort();                /* and one that stays in it */
    snprintf(p, sizeof p, "%s/out", dir);
    BlError e;
    char scene[PATH_MAX];
    snprintf(scene, sizeof scene, "%s/scene/x.bl", dir);
    if (sandbox_init(&box, p, &e) || sandbox_enter(&box, scene, &e)) abort();
    ready = 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!ready) setup();
    char *text = malloc(size + 1);
    memcpy(text, data, size);
    text[size] = 0;
    if (memchr(data, 0, size)) {   /* main refuses a binary scene before parsing */
        free(text);
        return 0;
    }
    CmdList list;
    memset(&list, 0, sizeof list);
    int errors = 0;
    int rc = exec_prepare(text, 1, report, &errors, &list);
    if ((rc != 0) != (errors > 0) || (rc && list.n)) abort();
    for (int i = 0; i < list.n; i++) {
        const Cmd *c = &list.cmds[i];
        for (int k = 0; k < c->n_words; k++) check_path(c->words[k].text);
        for (int k = 0; k < c->n_args; k++) check_path(c->args[k].value);
    }
    cmd_list_free(&list);
    free(text);
    return 0;
}
