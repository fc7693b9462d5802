/* verbs_scene.c — `note`, `focus` and `wait`: how a scene talks to the person,
 * points at a pane, and paces itself against training that runs in the
 * background (the dashboard). */
#include "verbs.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int verb_note(VerbCtx *vc, const Cmd *c, int noun, BlError *e)
{
    size_t k = 0;
    vc->note[0] = 0;
    for (int i = 0; i < c->n_words && k < sizeof vc->note; i++)
        k += (size_t)snprintf(vc->note + k, sizeof vc->note - k, "%s%s", i ? " " : "", c->words[i].text);
    vc->note_set = 1;
    out_printf(vc->out, "\u00bb %s\n", vc->note);
    return 0;
}

int verb_focus(VerbCtx *vc, const Cmd *c, int noun, BlError *e)
{
    /* The word is checked against tui_pane_names by the verb table. Batch and
     * the plain prompt have no panes: nothing to do there. */
    memset(&vc->cue, 0, sizeof vc->cue);
    snprintf(vc->cue.pane, sizeof vc->cue.pane, "%s", c->n_words ? c->words[0].text : "all");
    vc->cue_set = 1;
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
