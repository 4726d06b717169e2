/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The chat window's benchmark (not a test: `meson test` does not run it):
 *
 *  1. While a reply streams at full speed, how long the main loop stalls:
 *     a 1 ms probe on the main context records the longest gap between two
 *     of its runs (the goal: under 16 ms, one frame).
 *  2. How long a chat of 2,000 messages takes to open: from choosing it to
 *     the first frame with its messages laid out (the goal: under 300 ms).
 *
 * Beside each figure, the main thread's own CPU time for the same stretch
 * ("cpu"): on a machine that other work keeps busy the wall-clock figures
 * include waits for a core, and these do not.
 *
 * usage: xvfb-run -a meson devenv -C build tests/bench/bench-chat [MODEL.gguf] [-n TOKENS]
 *
 * MODEL defaults to ../shared/models/stories260K.gguf; the reply is TOKENS
 * long (default 1000). Everything runs in a temporary home, removed after.
 * Time a build without sanitizers.
 */

#include "config.h"

#include <glib/gstdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "hearth-application.h"
#include "hearth-chat-view.h"
#include "hearth-message-row.h"
#include "hearth-ui.h"
#include "hearth-window.h"

static HearthApplication *app;

/* The main thread's CPU time, µs. */
static gint64
thread_cpu (void)
{
  struct timespec t;

  clock_gettime (CLOCK_THREAD_CPUTIME_ID, &t);
  return (gint64) t.tv_sec * G_USEC_PER_SEC + t.tv_nsec / 1000;
}

/* ---- the main loop's stalls ---------------------------------------------- */

typedef struct
{
  gint64 start;
  gint64 last;
  gint64 longest;
  gint64 last_cpu;
  gint64 longest_cpu; /* the main thread's CPU time in the longest-running gap */
  GArray *gaps;     /* µs */
} Probe;

static gboolean
probe_tick (gpointer data)
{
  Probe *probe = data;
  gint64 now = g_get_monotonic_time ();
  gint64 cpu = thread_cpu ();

  if (probe->last != 0)
    {
      gint64 gap = now - probe->last;

      probe->longest_cpu = MAX (probe->longest_cpu, cpu - probe->last_cpu);

      g_array_append_val (probe->gaps, gap);
      probe->longest = MAX (probe->longest, gap);
      if (g_getenv ("BENCH_VERBOSE") != NULL && gap > 16000)
        g_printerr ("stall %.1f ms at +%.1f ms\n", gap / 1000.0, (now - probe->start) / 1000.0);
    }
  probe->last = now;
  probe->last_cpu = cpu;
  return G_SOURCE_CONTINUE;
}

/* With BENCH_VERBOSE: how long each frame's layout and paint take (our
 * handlers run after GTK's own for each phase). */
typedef struct
{
  gint64 update, layout;
  gint64 layout_total, paint_total, layout_max, paint_max;
  guint frames;
} FrameTimes;

static void
frame_update (GdkFrameClock *clock,
              FrameTimes    *f)
{
  f->update = g_get_monotonic_time ();
}

static void
frame_layout (GdkFrameClock *clock,
              FrameTimes    *f)
{
  f->layout = g_get_monotonic_time ();
}

static void
frame_paint (GdkFrameClock *clock,
             FrameTimes    *f)
{
  gint64 now = g_get_monotonic_time ();

  if (f->update == 0 || f->layout < f->update)
    return;
  f->layout_total += f->layout - f->update;
  f->layout_max = MAX (f->layout_max, f->layout - f->update);
  f->paint_total += now - f->layout;
  f->paint_max = MAX (f->paint_max, now - f->layout);
  f->frames++;
  f->update = 0;
}

static int
compare_gaps (gconstpointer a,
              gconstpointer b)
{
  gint64 x = *(const gint64 *) a, y = *(const gint64 *) b;

  return x < y ? -1 : x > y;
}

static gboolean
is_set (gpointer data)
{
  return *(gint64 *) data != 0;
}

static void
mark_painted (gint64 *painted)
{
  *painted = g_get_monotonic_time ();
}

static void
iterate_until (gboolean (*done) (gpointer),
               gpointer   data,
               double     seconds)
{
  gint64 end = g_get_monotonic_time () + (gint64) (seconds * G_USEC_PER_SEC);

  while (!done (data) && g_get_monotonic_time () < end)
    g_main_context_iteration (NULL, TRUE);
}

static gboolean
idle_conversation (gpointer data)
{
  return !hearth_conversation_is_generating (data);
}

static gboolean
rows_mapped (gpointer data)
{
  GtkWidget *view = data;

  for (GtkWidget *w = gtk_widget_get_first_child (view); w != NULL;)
    {
      /* a row of the long chat (its messages begin so), on screen */
      if (GTK_IS_LABEL (w) && gtk_widget_get_mapped (w) && gtk_widget_has_css_class (w, "message-text")
          && g_str_has_prefix (gtk_label_get_text (GTK_LABEL (w)), "Message "))
        return TRUE;
      /* depth first */
      if (gtk_widget_get_first_child (w) != NULL)
        w = gtk_widget_get_first_child (w);
      else
        {
          while (w != NULL && w != view && gtk_widget_get_next_sibling (w) == NULL)
            w = gtk_widget_get_parent (w);
          w = (w == NULL || w == view) ? NULL : gtk_widget_get_next_sibling (w);
        }
    }
  return FALSE;
}

typedef struct
{
  GtkWidget *view;
  gint64 opened;
  gint64 opened_cpu;
} Opening;

/* After a frame is painted: does it show the long chat? */
static void
after_paint (GdkFrameClock *clock,
             Opening       *o)
{
  if (o->opened == 0 && rows_mapped (o->view))
    {
      o->opened = g_get_monotonic_time ();
      o->opened_cpu = thread_cpu ();
    }
}

/* The sidebar's list of chats in @window: the list view outside @view. */
static GtkWidget *
sidebar_list (GtkWidget *widget,
              GtkWidget *view)
{
  if (GTK_IS_LIST_VIEW (widget) && !gtk_widget_is_ancestor (widget, view))
    return widget;
  for (GtkWidget *c = gtk_widget_get_first_child (widget); c != NULL; c = gtk_widget_get_next_sibling (c))
    {
      GtkWidget *found = sidebar_list (c, view);

      if (found != NULL)
        return found;
    }
  return NULL;
}


int
main (int    argc,
      char **argv)
{
  g_autofree char *home = g_dir_make_tmp ("hearth-bench-chat-XXXXXX", NULL);
  g_autofree char *model = NULL;
  g_autoptr (GError) error = NULL;
  HearthChatStore *chats;
  HearthWindow *window;
  GtkWidget *view;
  int tokens = 1000;

  for (int i = 1; i < argc; i++)
    {
      if (g_str_equal (argv[i], "-n") && i + 1 < argc)
        tokens = atoi (argv[++i]);
      else
        model = g_canonicalize_filename (argv[i], NULL);
    }
  if (model == NULL)
    model = g_canonicalize_filename ("../shared/models/stories260K.gguf", NULL);
  if (!g_file_test (model, G_FILE_TEST_IS_REGULAR))
    {
      g_printerr ("bench-chat: no model at %s\n", model);
      return 2;
    }
  g_setenv ("HOME", home, TRUE);
  g_setenv ("XDG_DATA_HOME", home, TRUE);
  g_setenv ("XDG_CACHE_HOME", home, TRUE);
  g_setenv ("XDG_CONFIG_HOME", home, TRUE);
  g_setenv ("GSETTINGS_BACKEND", "memory", TRUE);
  if (!gtk_init_check ())
    {
      g_printerr ("bench-chat: no display (run it under xvfb-run)\n");
      return 2;
    }
  g_object_set (gtk_settings_get_default (), "gtk-enable-animations", FALSE, NULL);
  app = hearth_application_new (G_APPLICATION_NON_UNIQUE, &error);
  if (app == NULL)
    {
      g_printerr ("bench-chat: %s\n", error->message);
      return 2;
    }
  hearth_ui_install (app);
  g_application_register (G_APPLICATION (app), NULL, &error);
  if (!hearth_store_import (hearth_library_get_store (hearth_application_get_library (app)), model,
                            "bench", TRUE, NULL, &error))
    {
      g_printerr ("bench-chat: %s\n", error->message);
      return 2;
    }
  hearth_library_refresh (hearth_application_get_library (app));
  chats = hearth_application_get_chat_store (app, &error);
  window = HEARTH_WINDOW (hearth_application_open_window (app));
  gtk_window_set_default_size (GTK_WINDOW (window), 1000, 700);
  view = hearth_window_get_chat_view (window);
  for (int i = 0; i < 50; i++)
    g_main_context_iteration (NULL, FALSE);

  /* 1. a reply at full speed, the main loop watched */
  {
    g_autoptr (HearthConversation) conversation = NULL;
    HearthOptions options;
    Probe probe = { 0, 0, 0, 0, 0, g_array_new (FALSE, FALSE, sizeof (gint64)) };
    const HearthGenerationStats *stats;
    guint source;
    gint64 p99;

    gtk_widget_activate_action (GTK_WIDGET (window), "win.new-chat", NULL);
    /* The window's first frame (~100 ms with the cairo renderer: every
     * widget's first snapshot, the glyphs' first rendering) is painted
     * before the reply starts: it is the window opening, not the reply. */
    {
      gint64 painted = 0;
      GdkFrameClock *clock = gtk_widget_get_frame_clock (view);
      gulong handler = g_signal_connect_swapped (clock, "after-paint", G_CALLBACK (mark_painted),
                                                 &painted);

      gtk_widget_queue_draw (view);
      iterate_until (is_set, &painted, 10);
      g_signal_handler_disconnect (clock, handler);
    }
    conversation = hearth_application_get_conversation (
      app, hearth_chat_view_get_chat_id (HEARTH_CHAT_VIEW (view)));
    hearth_options_init (&options);
    options.temperature = 0;
    options.num_predict = tokens;
    options.num_ctx = 4096;
    hearth_conversation_set_options (conversation, &options);
    if (!hearth_conversation_send (conversation, "Once upon a time", &error))
      {
        g_printerr ("bench-chat: %s\n", error->message);
        return 1;
      }
    FrameTimes frames = { 0 };
    GdkFrameClock *clock = gtk_widget_get_frame_clock (view);
    gulong handlers[3] = { 0 };

    if (g_getenv ("BENCH_VERBOSE") != NULL)
      {
        handlers[0] = g_signal_connect (clock, "update", G_CALLBACK (frame_update), &frames);
        handlers[1] = g_signal_connect (clock, "layout", G_CALLBACK (frame_layout), &frames);
        handlers[2] = g_signal_connect (clock, "paint", G_CALLBACK (frame_paint), &frames);
      }
    probe.start = g_get_monotonic_time ();
    source = g_timeout_add (1, probe_tick, &probe);
    iterate_until (idle_conversation, conversation, 600);
    g_source_remove (source);
    for (guint i = 0; i < G_N_ELEMENTS (handlers); i++)
      if (handlers[i] != 0)
        g_signal_handler_disconnect (clock, handlers[i]);
    if (frames.frames > 0)
      g_printerr ("%s: ", G_OBJECT_TYPE_NAME (gtk_native_get_renderer (GTK_NATIVE (window))));
    if (frames.frames > 0)
      g_printerr ("%u frames: layout %.1f ms on average (longest %.1f), paint %.1f ms (longest %.1f)\n",
                  frames.frames, frames.layout_total / 1000.0 / frames.frames, frames.layout_max / 1000.0,
                  frames.paint_total / 1000.0 / frames.frames, frames.paint_max / 1000.0);
    stats = hearth_generation_get_stats (hearth_conversation_get_generation (conversation));
    g_array_sort (probe.gaps, compare_gaps);
    p99 = probe.gaps->len > 0 ? g_array_index (probe.gaps, gint64, probe.gaps->len * 99 / 100) : 0;
    g_print ("| streaming a reply | %u tokens at %.1f tokens/s | longest main-loop stall %.1f ms "
             "(99th percentile %.1f ms; goal < 16 ms; cpu %.1f ms) |\n",
             stats->generated_tokens, stats->tokens_per_second, probe.longest / 1000.0, p99 / 1000.0,
             probe.longest_cpu / 1000.0);
    g_array_unref (probe.gaps);
  }

  /* 2. a chat of 2,000 messages, opened */
  {
    gint64 chat = hearth_chat_store_create_chat (chats, "bench", NULL);
    gint64 parent = 0, started, opened, started_cpu, opened_cpu;

    for (int i = 0; i < 2000; i++)
      {
        g_autofree char *text = g_strdup_printf (
          "Message %d. Lily and her dog **Max** went to the park, where they found a `red ball` and "
          "played until the sun went down over the hills.", i);

        parent = hearth_chat_store_add_message (chats, chat, parent, i % 2 == 0 ? "user" : "assistant",
                                                text, i % 2 == 0 ? NULL : "bench", NULL, TRUE, NULL);
      }
    for (int i = 0; i < 50; i++)
      g_main_context_iteration (NULL, FALSE);
    {
      Opening o = { view, 0, 0 };
      GdkFrameClock *clock = gtk_widget_get_frame_clock (view);
      gulong handler = g_signal_connect (clock, "after-paint", G_CALLBACK (after_paint), &o);

      GtkWidget *sidebar = sidebar_list (GTK_WIDGET (window), view);

      /* a click on it in the sidebar (the newest chat, at the top) */
      started = g_get_monotonic_time ();
      started_cpu = thread_cpu ();
      g_signal_emit_by_name (sidebar, "activate", 0);
      if (hearth_chat_view_get_chat_id (HEARTH_CHAT_VIEW (view)) != chat)
        {
          g_printerr ("bench-chat: the sidebar did not open the chat\n");
          return 1;
        }
      gtk_widget_queue_draw (view);
      iterate_until (is_set, &o.opened, 30);
      g_signal_handler_disconnect (clock, handler);
      opened = o.opened;
      opened_cpu = o.opened_cpu;
    }
    g_print ("| opening a chat | 2000 messages | %.1f ms to the first painted frame with them "
             "(goal < 300 ms; cpu %.1f ms) |\n", (opened - started) / 1000.0,
             (opened_cpu - started_cpu) / 1000.0);

    /* the same in a new window: every row made anew */
    {
      HearthWindow *second = HEARTH_WINDOW (hearth_application_open_window (app));
      GtkWidget *second_view = hearth_window_get_chat_view (second);
      Opening o = { second_view, 0, 0 };
      GdkFrameClock *clock;
      gulong handler;

      gtk_window_set_default_size (GTK_WINDOW (second), 1000, 700);
      for (int i = 0; i < 50; i++)
        g_main_context_iteration (NULL, FALSE);
      clock = gtk_widget_get_frame_clock (second_view);
      handler = g_signal_connect (clock, "after-paint", G_CALLBACK (after_paint), &o);
      started = g_get_monotonic_time ();
      started_cpu = thread_cpu ();
      hearth_chat_view_set_chat (HEARTH_CHAT_VIEW (second_view), app, 0);
      hearth_chat_view_set_chat (HEARTH_CHAT_VIEW (second_view), app, chat);
      gtk_widget_queue_draw (second_view);
      iterate_until (is_set, &o.opened, 30);
      g_signal_handler_disconnect (clock, handler);
      g_print ("| opening it in a new window | 2000 messages | %.1f ms (goal < 300 ms; cpu %.1f ms) |\n",
               (o.opened - started) / 1000.0, (o.opened_cpu - started_cpu) / 1000.0);
      gtk_window_destroy (GTK_WINDOW (second));
    }
  }

  gtk_window_destroy (GTK_WINDOW (window));
  g_clear_object (&app);
  {
    g_autofree char *cmd = g_strdup_printf ("rm -rf '%s'", home);

    if (system (cmd) != 0)
      g_printerr ("bench-chat: could not remove %s\n", home);
  }
  return 0;
}
