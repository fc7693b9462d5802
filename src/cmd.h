/* cmd.h — the command language's one parser, shared by the REPL, `-c`, script
 * files and stdin: text → a list of commands {verb, words, key=value args}.
 * It knows the grammar only; which verbs, nouns and keys exist is verbs.h's job.
 *
 * Grammar: a command is `verb word... key=value... key~=value...` (words and
 * args may mix); `;` or a newline ends a command; `#` at the start of a word
 * begins a comment to the end of the line; "double quotes" make one word or
 * value of text with spaces, `;` or `#` (escapes: \" and \\). No spaces around
 * `=`. `key~=value` marks a gain trainable. Example:
 *     model new depth=4 width=64   # a comment
 *     block 0..3 preset=sas beta.ff~=0.1; sample prompt="12 34" */
#ifndef BL_CMD_H
#define BL_CMD_H

typedef struct CmdWord {
    char *text;          /* owned; quotes removed */
    int   line, col;     /* 1-based, columns in characters */
} CmdWord;

typedef struct CmdArg {
    char *key, *value;   /* owned */
    int   trainable;     /* written key~=value */
    int   line, col;     /* of the key */
    int   vcol;          /* of the value */
} CmdArg;

typedef struct Cmd {
    CmdWord  verb;
    CmdWord *words;      /* positional words in order: noun, range, file name... */
    int      n_words, cap_words;
    CmdArg  *args;
    int      n_args, cap_args;
} Cmd;

typedef struct CmdList {
    Cmd *cmds;
    int  n, cap;
} CmdList;

typedef struct CmdError {
    int  line, col;      /* where the bad token starts */
    char msg[400];       /* what was expected, e.g. "expected key=value after 'width', got '='" */
} CmdError;

/* Parses all of text (lines numbered from first_line) into out (zeroed by the
 * caller or freshly freed). On a syntax error returns -1, fills err and leaves
 * out empty: a text with an error yields no command at all. */
int  cmd_parse(const char *text, int first_line, CmdList *out, CmdError *err);
void cmd_list_free(CmdList *l);   /* frees every string; l is zeroed */

/* The arg named key in c, or NULL (the last one wins when repeated). */
const CmdArg *cmd_arg(const Cmd *c, const char *key);

#endif
