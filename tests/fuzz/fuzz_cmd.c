/* fuzz_cmd.c — libFuzzer target: the command language's parser and the checks
 * every command passes before it runs (verb, nouns, words, keys, values, the
 * arch keys' ranges). Any text is input: it must parse or be refused with a
 * line and a column inside the text, never crash. Seeds: tests/fuzz/cmd/. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "verbs.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = malloc(size + 1);
    memcpy(text, data, size);
    text[size] = 0;
    CmdList list;
    memset(&list, 0, sizeof list);
    CmdError err;
    if (cmd_parse(text, 1, &list, &err) == 0) {
        for (int i = 0; i < list.n; i++) {
            BlError e;
            int col = 0;
            if (verb_check(&list.cmds[i], &e, &col) && (!e.msg[0] || col < 0)) abort();   /* a refusal says what */
        }
    } else if (!err.msg[0] || err.line < 1 || list.n != 0) {
        abort();
    }
    cmd_list_free(&list);
    free(text);
    return 0;
}
