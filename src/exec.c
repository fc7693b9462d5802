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

int exec_text(VerbCtx *vc, const char *text, int keep_going, ExecReport report, void *ctx, int *line_out)
{
    CmdList list;
    CmdError pe;
    if (cmd_parse(text, 1, &list, &pe)) {
        report_at(report, ctx, pe.line, pe.col, pe.msg);
        return EXEC_FAILED;
    }
    BlError e;
    int rc = EXEC_OK, checked = 1;
    for (int i = 0; i < list.n; i++) {
        int col;
        if (verb_check(&list.cmds[i], &e, &col)) {
            report_at(report, ctx, list.cmds[i].verb.line, col, e.msg);
            checked = 0;
            if (!keep_going) break;
        }
    }
    if (!checked) {
        cmd_list_free(&list);
        return EXEC_FAILED;
    }
    for (int i = 0; i < list.n; i++) {
        const Cmd *c = &list.cmds[i];
        vc->interrupted = 0;
        if (verb_run(vc, c, &e)) {
            report_at(report, ctx, c->verb.line, vc->err_col ? vc->err_col : c->verb.col, e.msg);
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
