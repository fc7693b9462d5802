/* exec.c — parse, check, then run: the one path every front end uses.
 * The check pass is what makes "a line with an error changes nothing" hold. */
#include "exec.h"

#include <stdio.h>
#include <string.h>

static void report_at(ExecReport report, void *ctx, int line, int col, const char *msg)
{
    ExecError err;
    err.line = line;
    err.col = col;
    snprintf(err.msg, sizeof err.msg, "%s", msg);
    if (report) report(ctx, &err);
}

int exec_prepare(const char *text, int keep_going, ExecReport report, void *ctx, CmdList *list)
{
    CmdError pe;
    memset(list, 0, sizeof *list);
    if (cmd_parse(text, 1, list, &pe)) {
        report_at(report, ctx, pe.line, pe.col, pe.msg);
        return -1;
    }
    BlError e;
    int checked = 1;
    for (int i = 0; i < list->n; i++) {
        int col;
        if (verb_check(&list->cmds[i], &e, &col)) {
            report_at(report, ctx, list->cmds[i].verb.line, col, e.msg);
            checked = 0;
            if (!keep_going) break;
        }
    }
    if (!checked) {
        cmd_list_free(list);
        return -1;
    }
    return 0;
}

int exec_one(VerbCtx *vc, const Cmd *c, ExecReport report, void *ctx)
{
    BlError e;
    vc->interrupted = 0;
    vc->wait_set = 0;
    if (verb_run(vc, c, &e)) {
        report_at(report, ctx, c->verb.line, vc->err_col ? vc->err_col : c->verb.col, e.msg);
        return -1;
    }
    return 0;
}

int exec_text(VerbCtx *vc, const char *text, int keep_going, ExecReport report, void *ctx, int *line_out)
{
    CmdList list;
    if (exec_prepare(text, keep_going, report, ctx, &list)) return EXEC_FAILED;
    int rc = EXEC_OK;
    for (int i = 0; i < list.n; i++) {
        const Cmd *c = &list.cmds[i];
        if (exec_one(vc, c, report, ctx)) {
            rc = EXEC_FAILED;
            if (!keep_going) break;
        }
        if (vc->quit) {
            rc = rc == EXEC_FAILED ? rc : EXEC_QUIT;
            break;
        }
        if (vc->interrupted || (vc->stop && *vc->stop)) {
            if (line_out) *line_out = c->verb.line;
            rc = EXEC_INTERRUPTED;
            break;
        }
    }
    cmd_list_free(&list);
    return rc;
}
