/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The parameters a Modelfile may set, as Ollama's api.Options and Runner
 * define them: their names and types, the ones Ollama accepts and then
 * ignores or no longer knows, and the check of a value as Ollama parses it
 * (Go's strconv.ParseInt, ParseFloat into float32, ParseBool).
 */

#define G_LOG_DOMAIN "hearth-modelfile"

#include "config.h"

#include <glib/gi18n.h>
#include <float.h>
#include <math.h>
#include <string.h>

#include "hearth-modelfile.h"

typedef enum {
  PARAM_CURRENT,
  PARAM_DEPRECATED, /* Ollama warns "parameter … is deprecated" and drops it */
  PARAM_REMOVED,    /* Ollama says "unknown parameter" */
} ParamStatus;

static const struct {
  const char *name;
  HearthParameterType type;
  ParamStatus status;
} parameter_table[] = {
  /* api.Runner: set when the model is loaded */
  { "num_ctx", HEARTH_PARAMETER_INT, PARAM_CURRENT },
  { "num_batch", HEARTH_PARAMETER_INT, PARAM_CURRENT },
  { "num_gpu", HEARTH_PARAMETER_INT, PARAM_CURRENT },
  { "main_gpu", HEARTH_PARAMETER_INT, PARAM_CURRENT },
  { "use_mmap", HEARTH_PARAMETER_BOOL, PARAM_CURRENT },
  { "num_thread", HEARTH_PARAMETER_INT, PARAM_CURRENT },
  { "draft_num_predict", HEARTH_PARAMETER_INT, PARAM_CURRENT },
  /* api.Options: per request */
  { "num_keep", HEARTH_PARAMETER_INT, PARAM_CURRENT },
  { "seed", HEARTH_PARAMETER_INT, PARAM_CURRENT },
  { "num_predict", HEARTH_PARAMETER_INT, PARAM_CURRENT },
  { "top_k", HEARTH_PARAMETER_INT, PARAM_CURRENT },
  { "top_p", HEARTH_PARAMETER_FLOAT, PARAM_CURRENT },
  { "min_p", HEARTH_PARAMETER_FLOAT, PARAM_CURRENT },
  { "typical_p", HEARTH_PARAMETER_FLOAT, PARAM_CURRENT },
  { "repeat_last_n", HEARTH_PARAMETER_INT, PARAM_CURRENT },
  { "temperature", HEARTH_PARAMETER_FLOAT, PARAM_CURRENT },
  { "repeat_penalty", HEARTH_PARAMETER_FLOAT, PARAM_CURRENT },
  { "presence_penalty", HEARTH_PARAMETER_FLOAT, PARAM_CURRENT },
  { "frequency_penalty", HEARTH_PARAMETER_FLOAT, PARAM_CURRENT },
  { "stop", HEARTH_PARAMETER_STRING_LIST, PARAM_CURRENT },
  /* parser.go's deprecatedParameters, with the types they had */
  { "penalize_newline", HEARTH_PARAMETER_BOOL, PARAM_DEPRECATED },
  { "low_vram", HEARTH_PARAMETER_BOOL, PARAM_DEPRECATED },
  { "f16_kv", HEARTH_PARAMETER_BOOL, PARAM_DEPRECATED },
  { "logits_all", HEARTH_PARAMETER_BOOL, PARAM_DEPRECATED },
  { "vocab_only", HEARTH_PARAMETER_BOOL, PARAM_DEPRECATED },
  { "use_mlock", HEARTH_PARAMETER_BOOL, PARAM_DEPRECATED },
  { "mirostat", HEARTH_PARAMETER_INT, PARAM_DEPRECATED },
  { "mirostat_tau", HEARTH_PARAMETER_FLOAT, PARAM_DEPRECATED },
  { "mirostat_eta", HEARTH_PARAMETER_FLOAT, PARAM_DEPRECATED },
  /* gone from Options and not in the deprecated list: an error in Ollama
   * (tfs_z in 0.5.2, num_gqa and rope_frequency_* in 0.1.35, numa and
   * embedding_only in 2024) */
  { "tfs_z", HEARTH_PARAMETER_FLOAT, PARAM_REMOVED },
  { "num_gqa", HEARTH_PARAMETER_INT, PARAM_REMOVED },
  { "rope_frequency_base", HEARTH_PARAMETER_FLOAT, PARAM_REMOVED },
  { "rope_frequency_scale", HEARTH_PARAMETER_FLOAT, PARAM_REMOVED },
  { "numa", HEARTH_PARAMETER_BOOL, PARAM_REMOVED },
  { "embedding_only", HEARTH_PARAMETER_BOOL, PARAM_REMOVED },
};

static int
find_parameter (const char *name)
{
  for (gsize i = 0; i < G_N_ELEMENTS (parameter_table); i++)
    if (g_str_equal (parameter_table[i].name, name))
      return (int) i;
  return -1;
}

static gboolean
parse_int (const char *text)
{
  const char *p = text;
  guint64 limit = (guint64) G_MAXINT64;
  guint64 v = 0;

  if (*p == '+' || *p == '-')
    {
      if (*p == '-')
        limit += 1;
      p++;
    }
  if (!g_ascii_isdigit (*p))
    return FALSE;
  for (; *p != '\0'; p++)
    {
      if (!g_ascii_isdigit (*p))
        return FALSE;
      if (v > (limit - (guint64) (*p - '0')) / 10)
        return FALSE;
      v = v * 10 + (guint64) (*p - '0');
    }
  return TRUE;
}

/* Go's strconv.ParseFloat (…, 32), less NaN and the infinities. */
static gboolean
parse_float (const char *text,
             gboolean   *finite)
{
  char *end = NULL;
  double v;

  *finite = TRUE;
  if (*text == '\0' || g_ascii_isspace (*text))
    return FALSE;
  v = g_ascii_strtod (text, &end);
  if (end == text || *end != '\0')
    return FALSE;
  if (!isfinite (v) || fabs (v) > FLT_MAX)
    {
      *finite = FALSE;
      return FALSE;
    }
  return TRUE;
}

static gboolean
parse_bool (const char *text)
{
  static const char *const words[] = {
    "1", "t", "T", "TRUE", "true", "True", "0", "f", "F", "FALSE", "false", "False",
  };

  for (gsize i = 0; i < G_N_ELEMENTS (words); i++)
    if (g_str_equal (text, words[i]))
      return TRUE;
  return FALSE;
}

gboolean
hearth_modelfile_parameter_type (const char          *name,
                                 HearthParameterType *type)
{
  int i;

  g_return_val_if_fail (name != NULL, FALSE);

  i = find_parameter (name);
  if (i < 0 || parameter_table[i].status == PARAM_REMOVED)
    return FALSE;
  if (type != NULL)
    *type = parameter_table[i].type;
  return TRUE;
}

gboolean
hearth_modelfile_parameter_is_deprecated (const char *name)
{
  int i;

  g_return_val_if_fail (name != NULL, FALSE);

  i = find_parameter (name);
  return i >= 0 && parameter_table[i].status == PARAM_DEPRECATED;
}

gboolean
hearth_modelfile_check_parameter (const char  *name,
                                  const char  *value,
                                  GError     **error)
{
  gboolean finite = TRUE;
  int i;

  g_return_val_if_fail (name != NULL, FALSE);
  g_return_val_if_fail (value != NULL, FALSE);

  i = find_parameter (name);
  if (i < 0)
    {
      g_autofree char *lower = g_ascii_strdown (name, -1);

      if (find_parameter (lower) >= 0)
        g_set_error (error, HEARTH_MODELFILE_ERROR, HEARTH_MODELFILE_ERROR_PARAMETER,
                     _("unknown parameter “%s”; parameter names are in lower case: %s"),
                     name, lower);
      else
        g_set_error (error, HEARTH_MODELFILE_ERROR, HEARTH_MODELFILE_ERROR_PARAMETER,
                     _("unknown parameter “%s”"), name);
      return FALSE;
    }
  if (parameter_table[i].status == PARAM_REMOVED)
    {
      g_set_error (error, HEARTH_MODELFILE_ERROR, HEARTH_MODELFILE_ERROR_PARAMETER,
                   _("Ollama no longer has the parameter “%s”; delete this line"), name);
      return FALSE;
    }

  switch (parameter_table[i].type)
    {
    case HEARTH_PARAMETER_INT:
      if (parse_int (value))
        return TRUE;
      g_set_error (error, HEARTH_MODELFILE_ERROR, HEARTH_MODELFILE_ERROR_PARAMETER,
                   _("%s needs a whole number, not “%s”"), name, value);
      return FALSE;
    case HEARTH_PARAMETER_FLOAT:
      if (parse_float (value, &finite))
        return TRUE;
      if (!finite)
        g_set_error (error, HEARTH_MODELFILE_ERROR, HEARTH_MODELFILE_ERROR_PARAMETER,
                     _("%s needs a finite number, not “%s”"), name, value);
      else
        g_set_error (error, HEARTH_MODELFILE_ERROR, HEARTH_MODELFILE_ERROR_PARAMETER,
                     _("%s needs a number such as 0.7, not “%s”"), name, value);
      return FALSE;
    case HEARTH_PARAMETER_BOOL:
      if (parse_bool (value))
        return TRUE;
      g_set_error (error, HEARTH_MODELFILE_ERROR, HEARTH_MODELFILE_ERROR_PARAMETER,
                   _("%s needs true or false, not “%s”"), name, value);
      return FALSE;
    case HEARTH_PARAMETER_STRING:
    case HEARTH_PARAMETER_STRING_LIST:
    default:
      return TRUE;
    }
}
