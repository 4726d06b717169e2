/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The CLI's command table entries and the handlers that live in their own
 * files (hearth-cli-<command>.c), one per line. Internal to app/.
 */
#pragma once

#include <stdio.h>

#include <glib.h>

#include "hearth-context.h"

#include "hearth-gguf.h"

G_BEGIN_DECLS

typedef struct _HearthCliCommand HearthCliCommand;

/* A command's handler: argv[0] is the command's own name. The FILE pointers
 * are the caller's stdout and stderr. Returns the exit status. */
typedef int (*HearthCliHandler) (HearthContext          *context,
                                 const HearthCliCommand *command,
                                 int                     argc,
                                 char                  **argv,
                                 FILE                   *out,
                                 FILE                   *err);

struct _HearthCliCommand
{
  const char *name;
  const char *arguments;   /* usage after the name, e.g. "[COMMAND]"; untranslated */
  const char *summary;     /* one line, marked N_() */
  const char *description; /* more lines for `hearth help NAME`, N_() or NULL */
  HearthCliHandler handler;
};

/* `hearth bench MODEL [OPTIONS]`: exit 0, 1 (bad model) or 2 (usage). */
int hearth_cli_bench (HearthContext *context, const HearthCliCommand *command, int argc, char **argv, FILE *out, FILE *err);
int hearth_cli_create (HearthContext *context, const HearthCliCommand *command, int argc, char **argv, FILE *out, FILE *err);
int hearth_cli_cp (HearthContext *context, const HearthCliCommand *command, int argc, char **argv, FILE *out, FILE *err);
int hearth_cli_devices (HearthContext *context, const HearthCliCommand *command, int argc, char **argv, FILE *out, FILE *err);
int hearth_cli_import (HearthContext *context, const HearthCliCommand *command, int argc, char **argv, FILE *out, FILE *err);
int hearth_cli_list (HearthContext *context, const HearthCliCommand *command, int argc, char **argv, FILE *out, FILE *err);
int hearth_cli_pull (HearthContext *context, const HearthCliCommand *command, int argc, char **argv, FILE *out, FILE *err);
int hearth_cli_rm (HearthContext *context, const HearthCliCommand *command, int argc, char **argv, FILE *out, FILE *err);
/* `hearth serve`: exit 0 when interrupted, 1 (address taken) or 2 (usage). */
int hearth_cli_serve (HearthContext *context, const HearthCliCommand *command, int argc, char **argv, FILE *out, FILE *err);
int hearth_cli_run_model (HearthContext *context, const HearthCliCommand *command, int argc, char **argv, FILE *out, FILE *err);
int hearth_cli_show (HearthContext *context, const HearthCliCommand *command, int argc, char **argv, FILE *out, FILE *err);
/* `hearth template FILE.jinja --context FILE.json [--now UNIX_SECONDS]`:
 * exit 0, 1 (bad input), 2 (usage) or 3 (the template failed). */
int hearth_cli_run_template (HearthContext *context, const HearthCliCommand *command, int argc, char **argv, FILE *out, FILE *err);
int hearth_cli_tokenize (HearthContext *context, const HearthCliCommand *command, int argc, char **argv, FILE *out, FILE *err);

/* The GGUF file MODEL names for command @command: @arg itself where it is
 * a file (or reads as a path), else the model of that name in @context's
 * store.
 * NULL, said on @err, where it is neither. g_free() the result. */
char *hearth_cli_resolve_model (HearthContext *context,
                                const char    *command,
                                const char    *arg,
                                FILE          *err);

/* A model's chat template: *source (borrowed from @gguf, or static) and
 * *length; Hearth's default (ChatML) where the model has none, or where its
 * template is not text (said on @err). FALSE, said on @err, when the
 * template cannot be used (a NUL byte inside). @path names the model in
 * messages. */
gboolean hearth_cli_gguf_chat_template (HearthGguf  *gguf,
                                        const char  *path,
                                        const char **source,
                                        gsize       *length,
                                        gboolean    *is_default,
                                        FILE        *err);

G_END_DECLS
