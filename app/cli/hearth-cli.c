/* SPDX-License-Identifier: GPL-3.0-or-later */

#define G_LOG_DOMAIN "hearth-cli"

#include "config.h"

#include <glib/gi18n.h>
#include <string.h>

#include "hearth-cli.h"
#include "hearth-cli-commands.h"
#include "hearth-cli-output.h"

static int run_help (HearthContext *, const HearthCliCommand *, int, char **, FILE *, FILE *);
static int run_version (HearthContext *, const HearthCliCommand *, int, char **, FILE *, FILE *);

/* Each later command (list, pull, run, show, create, rm, cp, bench,
 * tokenize, template, serve) is one more row here. Keep the rows sorted. */
static const HearthCliCommand commands[] = {
  {
    "bench", "MODEL [-p 512] [-n 128] [-r 3] [--threads N] [--backend auto|cpu|vulkan] [--json]",
    N_("Measure how fast a model runs"),
    N_("MODEL is a GGUF file or a model in the store. As llama-bench does: after one\n"
       "warm-up, each repetition processes a prompt of -p token ids in one batch, then\n"
       "generates -n tokens one at a time (greedy). Rates are the mean ± the standard\n"
       "deviation over -r repetitions; the prompt's ids are pseudo-random, the same\n"
       "every run.\n"
       "\n"
       "Options:\n"
       "  -p, --n-prompt 512     prompt tokens\n"
       "  -n, --n-gen 128        generated tokens\n"
       "  -r, --repetitions 3    repetitions\n"
       "  --threads N            CPU threads (0, the default: every core)\n"
       "  --backend auto         auto: Vulkan on a GPU, else the CPU; or cpu, vulkan\n"
       "  --json                 one JSON object instead of the table"),
    hearth_cli_bench,
  },
  {
    "cp", "SOURCE DESTINATION",
    N_("Copy a model to a new name"),
    N_("The new name shares the model’s files: nothing is copied on disk."),
    hearth_cli_cp,
  },
  {
    "create", "NAME [-f Modelfile]",
    N_("Make a model from a Modelfile (a profile)"),
    N_("The Modelfile (./Modelfile without -f) says FROM which model or GGUF file,\n"
       "and its PARAMETERs, SYSTEM prompt, TEMPLATE, MESSAGEs and LICENSE, as Ollama\n"
       "reads them. The model is stored as `ollama create` stores it: the base's\n"
       "weights are shared, not copied (a GGUF file is copied into the store once)."),
    hearth_cli_create,
  },
  {
    "devices", "",
    N_("List the Vulkan devices and what each backend uses"),
    NULL,
    hearth_cli_devices,
  },
  {
    "help", "[COMMAND]",
    N_("Show help for Hearth or for one command"),
    NULL,
    run_help,
  },
  {
    "import", "FILE.gguf NAME [--link | --copy]",
    N_("Add a GGUF file to the model store"),
    N_("The store keeps models as Ollama does (HEARTH_MODELS, else\n"
       "~/.local/share/hearth/models). --copy (the default) copies the file into it;\n"
       "--link leaves it where it is (it must stay there) and links to it."),
    hearth_cli_import,
  },
  {
    "list", "",
    N_("List the models in the store"),
    NULL,
    hearth_cli_list,
  },
  {
    "pull", "(NAME | URL.gguf) [--force]",
    N_("Download a model from its registry into the store"),
    N_("NAME as Ollama names models (qwen2.5:0.5b, namespace/model:tag,\n"
       "host/namespace/model:tag, hf.co/user/repo:Q4_K_M), or the https:// address of\n"
       "a GGUF file. A pull that stops keeps what it received: the same command goes\n"
       "on from there. HEARTH_REGISTRY replaces Ollama's registry\n"
       "(https://registry.ollama.ai) with a mirror; HEARTH_HF_ENDPOINT takes\n"
       "hf.co/user/repo:QUANT from a Hugging Face mirror (https://hf-mirror.com).\n"
       "Before downloading, Hearth says whether the model will fit this computer; one\n"
       "that fits nowhere is not downloaded without --force."),
    hearth_cli_pull,
  },
  {
    "rm", "MODEL…",
    N_("Remove models from the store"),
    N_("Files that no other model uses are deleted with them."),
    hearth_cli_rm,
  },
  {
    "run", "MODEL [PROMPT] [OPTIONS]",
    N_("Generate text: answer PROMPT, or chat"),
    N_("MODEL is a GGUF file or a model in the store. With PROMPT, Hearth answers it\n"
       "as a user message through the model's chat template (a model without one\n"
       "continues the text; --raw: PROMPT is plain text to complete) and exits.\n"
       "Without PROMPT it chats on a terminal (/? lists the chat's commands), or reads\n"
       "the prompt from standard input. Only the generated text goes to stdout.\n"
       "\n"
       "Options (Ollama's parameters and defaults):\n"
       "  --temperature 0.8  --top-k 40  --top-p 0.9  --min-p 0  --typical-p 1\n"
       "  --repeat-penalty 1  --repeat-last-n 64  --presence-penalty 0\n"
       "  --frequency-penalty 0  --seed N  --num-predict -1  --num-ctx N\n"
       "  --stop TEXT (repeatable)  --system TEXT  --raw  --backend auto|cpu|vulkan\n"
       "  --format json|SCHEMA (the reply is JSON; of a JSON Schema's text)\n"
       "  --verbose (statistics on stderr)\n"
       "\n"
       "--host URL (or HEARTH_HOST, as OLLAMA_HOST for ollama run): MODEL is a model\n"
       "on that Ollama server (or another Hearth's hearth serve); --openai, or a URL\n"
       "ending in /v1: an OpenAI-compatible server. HEARTH_API_KEY (or\n"
       "OPENAI_API_KEY) is sent as its key."),
    hearth_cli_run_model,
  },
  {
    "serve", "",
    N_("Serve Ollama's and OpenAI's HTTP APIs on this computer's models"),
    N_("Programs written for Ollama or for OpenAI use Hearth's models through it,\n"
       "unchanged: Ollama's /api/chat, /api/generate, /api/tags, /api/show, /api/ps,\n"
       "/api/pull, /api/create …, and OpenAI's /v1/chat/completions, /v1/completions\n"
       "and /v1/models (give those clients http://127.0.0.1:11434/v1). It listens on\n"
       "127.0.0.1:11434 (this computer only); HEARTH_HOST=HOST:PORT changes that, as\n"
       "OLLAMA_HOST does for Ollama (0.0.0.0:11434: every network). It runs until\n"
       "interrupted (Ctrl+C). At most HEARTH_MAX_QUEUE replies (64) are written or\n"
       "wait at once; past them a request gets 503.\n"
       "\n"
       "HEARTH_API_KEY=KEY makes every request but GET / need that key, sent as\n"
       "“Authorization: Bearer KEY” (set it before listening beyond this computer).\n"
       "Web pages may call the server from localhost, 127.0.0.1 and apps' own\n"
       "schemes (app://, file://, tauri://, vscode-webview://); HEARTH_ORIGINS adds\n"
       "others, comma-separated, as OLLAMA_ORIGINS does (https://*.example.com, or *\n"
       "for any). While on 127.0.0.1 it answers only requests for this computer's\n"
       "own names, which web pages cannot fake."),
    hearth_cli_serve,
  },
  {
    "show", "MODEL [--template | --modelfile | --parameters | --system | --license | --json [--verbose]]",
    N_("Show a model's description"),
    N_("MODEL is a GGUF file or a model in the store. --template prints the chat\n"
       "template Hearth uses for it (a profile's own, else the file's), --modelfile\n"
       "the model as a Modelfile (hearth create reads it back), --parameters, --system\n"
       "and --license the model's own layers as Ollama keeps them, --json everything\n"
       "as JSON (--verbose: long arrays in full). For a model of the store, the\n"
       "description ends with the settings a chat with it starts with, and whose each is."),
    hearth_cli_show,
  },
  {
    "template", "(MODEL.gguf | FILE.jinja) (--context FILE.json [--now UNIX_SECONDS] | --ollama)",
    N_("Render a chat template with the variables of a JSON file"),
    N_("The template is FILE.jinja, or the chat template of MODEL.gguf (Hearth’s default,\n"
       "ChatML, when it has none; bos_token and eos_token are the model’s unless\n"
       "FILE.json gives them).\n"
       "FILE.json holds one JSON object; its keys become the template’s variables\n"
       "(messages, tools, add_generation_prompt, bos_token, eos_token …). The\n"
       "template runs as Hugging Face renders chat templates, and the prompt is\n"
       "printed exactly, with no newline added. --now fixes the time that\n"
       "strftime_now() sees. Exit status 3 means the template failed.\n"
       "--ollama prints, as JSON, what Hearth writes into the model library for\n"
       "Ollama: the Go template, the stop strings and the default system prompt\n"
       "(family null: a format Hearth does not know)."),
    hearth_cli_run_template,
  },
  {
    "tokenize", "MODEL TEXT [--no-bos]",
    N_("Print the token ids a model sees for a text"),
    N_("MODEL is a GGUF file or a model in the store. The ids are those of TEXT as a\n"
       "prompt: the model’s BOS token first if it adds one, and special tokens written\n"
       "in TEXT recognised. --no-bos leaves the BOS token out."),
    hearth_cli_tokenize,
  },
  {
    "version", "",
    N_("Print the version of Hearth"),
    NULL,
    run_version,
  },
};

static const HearthCliCommand *
find_command (const char *name)
{
  for (gsize i = 0; i < G_N_ELEMENTS (commands); i++)
    if (g_str_equal (commands[i].name, name))
      return &commands[i];
  return NULL;
}

static void
print_usage (FILE *out)
{
  gsize width = 0;

  fprintf (out, "%s\n\n", _("Hearth runs large language models on your own computer."));
  fprintf (out, "%s\n", _("Usage:"));
  fprintf (out, "  hearth                 %s\n", _("Open the Hearth window"));
  fprintf (out, "  hearth COMMAND [ARGUMENTS…]\n\n");
  fprintf (out, "%s\n", _("Commands:"));

  for (gsize i = 0; i < G_N_ELEMENTS (commands); i++)
    width = MAX (width, strlen (commands[i].name));
  for (gsize i = 0; i < G_N_ELEMENTS (commands); i++)
    fprintf (out, "  %-*s  %s\n", (int) width, commands[i].name, _(commands[i].summary));

  fprintf (out, "\n%s\n", _("Options:"));
  fprintf (out, "  -h, --help     %s\n", _("Show this help"));
  fprintf (out, "  -v, --version  %s\n", _("Print the version of Hearth"));
  fprintf (out, "\n%s\n", _("Run “hearth help COMMAND” for more about a command."));
}

static void
print_command_help (const HearthCliCommand *command,
                    FILE                   *out)
{
  fprintf (out, "%s\n  hearth %s%s%s\n\n%s\n",
           _("Usage:"), command->name,
           command->arguments[0] != '\0' ? " " : "", command->arguments,
           _(command->summary));
  if (command->description != NULL)
    fprintf (out, "\n%s\n", _(command->description));
}

static int
run_help (HearthContext          *context,
          const HearthCliCommand *command,
          int                     argc,
          char                  **argv,
          FILE                   *out,
          FILE                   *err)
{
  const HearthCliCommand *topic;

  if (argc < 2)
    {
      print_usage (out);
      return 0;
    }
  if (hearth_cli_is_option (argv[1]))
    return hearth_cli_unknown_option (err, "help", argv[1]);
  if (argc > 2)
    {
      fprintf (err, _("hearth help: too many arguments; usage: hearth help [COMMAND]\n"));
      return 2;
    }

  topic = find_command (argv[1]);
  if (topic == NULL)
    {
      fprintf (err, _("hearth help: unknown command “%s”. Run “hearth help” for the list of commands.\n"),
               argv[1]);
      return 2;
    }

  print_command_help (topic, out);
  return 0;
}

static int
run_version (HearthContext          *context,
             const HearthCliCommand *command,
             int                     argc,
             char                  **argv,
             FILE                   *out,
             FILE                   *err)
{
  if (argc > 1 && hearth_cli_is_option (argv[1]))
    return hearth_cli_unknown_option (err, "version", argv[1]);
  if (argc > 1)
    {
      fprintf (err, _("hearth version: this command takes no arguments\n"));
      return 2;
    }
  fprintf (out, "hearth %s\n", PACKAGE_VERSION);
  return 0;
}

static gboolean
is_help_flag (const char *arg)
{
  return g_str_equal (arg, "--help") || g_str_equal (arg, "-h");
}

gboolean
hearth_cli_wants (int    argc,
                  char **argv)
{
  return argc > 1;
}

/* The services the commands share, with the application's settings where
 * its schema is installed (a command run from a plain build has none: the
 * environment and the defaults decide). */
static HearthContext *
new_context (void)
{
  GSettingsSchemaSource *source = g_settings_schema_source_get_default ();
  g_autoptr (GSettingsSchema) schema = NULL;
  g_autoptr (GSettings) settings = NULL;

  if (source != NULL && (schema = g_settings_schema_source_lookup (source, APPLICATION_ID, TRUE)) != NULL)
    settings = g_settings_new (APPLICATION_ID);
  return hearth_context_new (settings);
}

int
hearth_cli_run (int    argc,
                char **argv,
                FILE  *out,
                FILE  *err)
{
  g_autoptr (HearthContext) context = NULL;
  const HearthCliCommand *command;
  const char *name;

  g_return_val_if_fail (argc >= 1 && argv != NULL, 2);
  g_return_val_if_fail (out != NULL && err != NULL, 2);

  if (argc < 2 || is_help_flag (argv[1]))
    {
      print_usage (out);
      return 0;
    }

  name = argv[1];
  if (g_str_equal (name, "--version") || g_str_equal (name, "-v"))
    name = "version";

  command = find_command (name);
  if (command == NULL)
    {
      if (name[0] == '-')
        fprintf (err, _("hearth: unknown option “%s”. Run “hearth help” for usage.\n"), name);
      else
        fprintf (err, _("hearth: unknown command “%s”. Run “hearth help” for the list of commands.\n"),
                 name);
      return 2;
    }

  /* `hearth COMMAND --help` is `hearth help COMMAND`. */
  for (int i = 2; i < argc; i++)
    if (is_help_flag (argv[i]))
      {
        print_command_help (command, out);
        return 0;
      }

  context = new_context ();
  return command->handler (context, command, argc - 1, argv + 1, out, err);
}
