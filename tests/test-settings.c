/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * How a reply's settings resolve: Ollama's defaults < the model's params
 * layer < the chat's settings < one reply's; where each value comes from;
 * bad values refused whole, with the parameter and the level named.
 */

#include "config.h"

#include <glib.h>
#include <string.h>

#include "hearth-settings.h"

static void
test_precedence (void)
{
  g_autoptr (HearthSettings) s = hearth_settings_new ();
  g_autoptr (GError) error = NULL;
  const HearthOptions *o = hearth_settings_get_options (s);
  HearthOptions defaults;

  hearth_options_init (&defaults);
  g_assert_cmpfloat (o->temperature, ==, defaults.temperature);
  g_assert_cmpint (hearth_settings_get_source (s, "temperature"), ==, HEARTH_SETTING_DEFAULT);
  g_assert_null (hearth_settings_get_system (s));
  g_assert_null (hearth_settings_get_stop (s)[0]);

  /* the model's params layer, as Ollama writes it (num_gpu: not Hearth's) */
  g_assert_true (hearth_settings_apply_text (s, "{\"num_gpu\":99,\"stop\":[\"<|im_end|>\",\"<|endoftext|>\"],"
                                                "\"temperature\":0.7,\"top_k\":20}",
                                             HEARTH_SETTING_MODEL, &error));
  g_assert_no_error (error);
  g_assert_cmpfloat_with_epsilon (o->temperature, 0.7, 1e-6);
  g_assert_cmpint (o->top_k, ==, 20);
  g_assert_cmpstr (hearth_settings_get_stop (s)[1], ==, "<|endoftext|>");
  g_assert_cmpint (hearth_settings_get_source (s, "stop"), ==, HEARTH_SETTING_MODEL);

  /* the chat over the model */
  g_assert_true (hearth_settings_apply_text (s, "{\"temperature\":0.3,\"system\":\"Be brief.\"}",
                                             HEARTH_SETTING_CHAT, &error));
  g_assert_cmpfloat_with_epsilon (o->temperature, 0.3, 1e-6);
  g_assert_cmpint (o->top_k, ==, 20);
  g_assert_cmpint (hearth_settings_get_source (s, "temperature"), ==, HEARTH_SETTING_CHAT);
  g_assert_cmpint (hearth_settings_get_source (s, "top_k"), ==, HEARTH_SETTING_MODEL);
  g_assert_cmpstr (hearth_settings_get_system (s), ==, "Be brief.");

  /* one reply over the chat */
  g_assert_true (hearth_settings_apply_text (s, "{\"seed\":42,\"temperature\":1}", HEARTH_SETTING_REPLY,
                                             &error));
  g_assert_cmpint (o->seed, ==, 42);
  g_assert_cmpfloat (o->temperature, ==, 1);
  g_assert_cmpint (hearth_settings_get_source (s, "temperature"), ==, HEARTH_SETTING_REPLY);
  g_assert_cmpint (hearth_settings_get_source (s, "system"), ==, HEARTH_SETTING_CHAT);
}

static void
test_refusals (void)
{
  const struct
  {
    const char *json;
    const char *said;
  } cases[] = {
    { "{\"temperature\":\"warm\"}", "temperature" },
    { "{\"top_p\":2}", "top_p" },
    { "{\"top_k\":1.5}", "top_k" },
    { "{\"stop\":[1,2]}", "stop" },
    { "{\"system\":3}", "system" },
    { "[1,2]", "not a JSON object" },
    { "{\"temperature\":", "not JSON" },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr (HearthSettings) s = hearth_settings_new ();
      g_autoptr (GError) error = NULL;
      g_autofree char *with_good = NULL;
      HearthOptions defaults;

      hearth_options_init (&defaults);
      g_assert_false (hearth_settings_apply_text (s, cases[i].json, HEARTH_SETTING_CHAT, &error));
      g_assert_nonnull (error);
      g_test_message ("%s → %s", cases[i].json, error->message);
      g_assert_nonnull (strstr (error->message, cases[i].said));
      /* nothing of it applied, not even the good values beside the bad */
      g_clear_error (&error);
      if (cases[i].json[0] == '{' && cases[i].json[strlen (cases[i].json) - 1] == '}')
        {
          with_good = g_strdup_printf ("{\"num_predict\":7,%s", cases[i].json + 1);
          g_assert_false (hearth_settings_apply_text (s, with_good, HEARTH_SETTING_CHAT, &error));
          g_assert_cmpint (hearth_settings_get_options (s)->num_predict, ==, defaults.num_predict);
          g_assert_cmpint (hearth_settings_get_source (s, "num_predict"), ==, HEARTH_SETTING_DEFAULT);
        }
    }
}

static void
test_apply_to_request (void)
{
  g_autoptr (HearthSettings) s = hearth_settings_new ();
  g_autoptr (HearthRequest) request = hearth_request_new ("m.gguf", NULL);
  g_autoptr (HearthRequest) has_system = hearth_request_new ("m.gguf", NULL);

  g_assert_true (hearth_settings_apply_text (s, "{\"system\":\"你是一个乐于助人的助手。\",\"temperature\":0.2,"
                                                "\"stop\":[\"User:\"],\"num_ctx\":2048}",
                                             HEARTH_SETTING_CHAT, NULL));
  hearth_request_add_message (request, "user", "你好");
  hearth_settings_apply_to (s, request);
  g_assert_cmpuint (request->roles->len, ==, 2);
  g_assert_cmpstr (request->roles->pdata[0], ==, "system");
  g_assert_cmpstr (request->contents->pdata[0], ==, "你是一个乐于助人的助手。");
  g_assert_cmpfloat_with_epsilon (request->options.temperature, 0.2, 1e-6);
  g_assert_cmpuint (request->options.num_ctx, ==, 2048);
  g_assert_cmpstr (request->stop[0], ==, "User:");
  g_assert_null (request->stop[1]);

  /* a conversation with its own system message keeps it */
  hearth_request_add_message (has_system, "system", "Mine.");
  hearth_request_add_message (has_system, "user", "hi");
  hearth_settings_apply_to (s, has_system);
  g_assert_cmpuint (has_system->roles->len, ==, 2);
  g_assert_cmpstr (has_system->contents->pdata[0], ==, "Mine.");
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/settings/precedence", test_precedence);
  g_test_add_func ("/settings/refusals", test_refusals);
  g_test_add_func ("/settings/apply-to-request", test_apply_to_request);
  return g_test_run ();
}
