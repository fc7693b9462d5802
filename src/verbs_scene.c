/* verbs_scene.c — `note` and `wait`: how a scene talks to the person and paces
 * itself against training that runs in the background (the dashboard). */
#include "verbs.h"

#include <stdlib.h>
#include <string.h>

int verb_note(VerbCtx *vc, const Cmd *c, int noun, BlError *e)
{
    out_puts(vc->out, "\u00bb");
    for (int i = 0; i < c->n_words; i++) {
        out_puts(vc->out, " ");
        out_puts(vc->out, c->words[i].text);
    }
    out_puts(vc->out, "\n");
    return 0;
}

int verb_wait(VerbCtx *vc, const Cmd *c, int noun, BlError *e)
{
    const CmdArg *a = cmd_arg(c, "step");
    /* Only the front end that trains in the background acts on this. */
    vc->wait_set = 1;
    vc->wait_step = a ? atol(a->value) : -1;
    return 0;
}
