/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Modelfiles as Ollama reads them (parser/parser.go and the Options of
 * api/types.go are the reference): FROM, PARAMETER, TEMPLATE, SYSTEM,
 * MESSAGE, LICENSE, DRAFT, RENDERER, PARSER, REQUIRES, and ADAPTER, which
 * Hearth refuses for now. Instructions are case-insensitive; values are
 * plain text to the end of the line, "…" or """…""" (both may span lines);
 * a line whose first non-blank character is # is a comment. The file may be
 * UTF-8 (with or without a BOM) or UTF-16 with a BOM; lines may end in LF,
 * CRLF or CR.
 *
 * Where Ollama silently loses or mangles what was written, Hearth refuses
 * with a message that names the line and column (see hearth-modelfile.c).
 */
#pragma once

#include <glib.h>

#include "hearth-rules.h"

G_BEGIN_DECLS

#define HEARTH_MODELFILE_ERROR (hearth_modelfile_error_quark ())

typedef enum {
  HEARTH_MODELFILE_ERROR_IO,          /* the file could not be read */
  HEARTH_MODELFILE_ERROR_ENCODING,    /* not UTF-8 / UTF-16, a NUL byte */
  HEARTH_MODELFILE_ERROR_SYNTAX,      /* instructions, quotes, duplicates, no FROM */
  HEARTH_MODELFILE_ERROR_PARAMETER,   /* an unknown parameter or a wrong value */
  HEARTH_MODELFILE_ERROR_UNSUPPORTED, /* ADAPTER */
} HearthModelfileError;

GQuark hearth_modelfile_error_quark (void);

typedef enum {
  HEARTH_PARAMETER_INT,         /* Go's int: a base-10 int64, optional sign */
  HEARTH_PARAMETER_FLOAT,       /* Go's float32: finite, in float32's range */
  HEARTH_PARAMETER_BOOL,        /* 1 t T TRUE true True 0 f F FALSE false False */
  HEARTH_PARAMETER_STRING,      /* (no Ollama parameter has this type today) */
  HEARTH_PARAMETER_STRING_LIST, /* stop: repeatable, one string a line */
} HearthParameterType;

typedef struct {
  char *name;
  char *value; /* the text as written (unquoted) */
  guint line;  /* where it was read; 0 when made in code */
} HearthModelfileParameter;

typedef struct {
  char *role;    /* "system", "user" or "assistant" */
  char *content;
} HearthModelfileMessage;

typedef struct {
  char *from;           /* as written: "llama3.2", "./model.gguf" */
  char *from_path;      /* absolute, when @from reads as a path; else NULL */
  char *draft;          /* DRAFT (a draft model for speculative decoding) or NULL */
  char *draft_path;
  GPtrArray *parameters; /* of HearthModelfileParameter, in file order */
  char *system;          /* NULL when absent; "" for an empty SYSTEM */
  char *template_text;   /* NULL when absent */
  GPtrArray *messages;   /* of HearthModelfileMessage */
  GPtrArray *licenses;   /* of char *, one per LICENSE */
  char *renderer;        /* RENDERER, PARSER: Ollama's built-in names */
  char *parser;
  char *requires;        /* REQUIRES, without a leading "v" */
  GPtrArray *comments;   /* of char *: each comment line's text after '#',
                            except the rules' lines */
  HearthRules *rules;    /* the "# hearth: RULE" lines (hearth-rules.h), compiled,
                            or NULL when there are none */
} HearthModelfile;

/* An empty Modelfile (no FROM yet); free with hearth_modelfile_free(). */
HearthModelfile *hearth_modelfile_new (void);
void hearth_modelfile_free (HearthModelfile *modelfile);

/* Parses @len bytes of @data (-1: NUL-terminated UTF-8). Relative FROM and
 * DRAFT paths are resolved against the current directory. */
HearthModelfile *hearth_modelfile_parse (const char  *data,
                                         gssize       len,
                                         GError     **error);

/* Reads and parses @path; relative FROM and DRAFT paths are resolved
 * against the folder @path is in. */
HearthModelfile *hearth_modelfile_parse_file (const char  *path,
                                              GError     **error);

/* A Modelfile text that hearth_modelfile_parse() and `ollama create` read
 * back as @modelfile: comments, FROM, DRAFT, REQUIRES, TEMPLATE, SYSTEM,
 * RENDERER, PARSER, PARAMETERs, MESSAGEs, LICENSEs. Values are quoted where
 * they must be. A value that no quoting can carry (hearth_modelfile_check()
 * says which) is written """quoted""" as Ollama would. Free with g_free(). */
char *hearth_modelfile_to_string (const HearthModelfile *modelfile);

/* Checks what a Modelfile made in code holds: a FROM, known parameters with
 * values of their type, message roles, a REQUIRES version, and values that
 * hearth_modelfile_to_string() can write. */
gboolean hearth_modelfile_check (const HearthModelfile  *modelfile,
                                 GError                **error);

/* Appends a parameter (not checked: see hearth_modelfile_check_parameter()). */
void hearth_modelfile_add_parameter (HearthModelfile *modelfile,
                                     const char      *name,
                                     const char      *value);
void hearth_modelfile_add_message (HearthModelfile *modelfile,
                                   const char      *role,
                                   const char      *content);

/* The value of parameter @name (the first, for stop), or NULL. */
const char *hearth_modelfile_get_parameter (const HearthModelfile *modelfile,
                                            const char            *name);

/* Whether Ollama knows @name (case-sensitive, as Ollama matches it), and
 * its type. Names Ollama deprecated (mirostat, penalize_newline …) are
 * known: Ollama warns and ignores them, and so does Hearth's engine. */
gboolean hearth_modelfile_parameter_type (const char          *name,
                                          HearthParameterType *type);

/* Whether @name is one of the parameters Ollama accepts and then ignores. */
gboolean hearth_modelfile_parameter_is_deprecated (const char *name);

/* Checks @value for parameter @name; the message names the parameter and
 * what was expected, without a position. */
gboolean hearth_modelfile_check_parameter (const char  *name,
                                           const char  *value,
                                           GError     **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (HearthModelfile, hearth_modelfile_free)

G_END_DECLS
