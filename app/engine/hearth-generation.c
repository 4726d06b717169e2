/* SPDX-License-Identifier: GPL-3.0-or-later */

#define G_LOG_DOMAIN "hearth-generation"

#include "config.h"

#include "hearth-generation-private.h"

/* Text reaches the main context in batches at least this far apart. */
#define BATCH_MS 30

struct _HearthGeneration
{
  GObject parent_instance;

  /* main context only */
  GString *text;
  HearthGenerationPhase phase;
  gboolean finished;
  GError *error;
  HearthGenerationStats stats;
  char *device;
  char *notice;
  char *detail;
  GMainContext *context;    /* where the signals are emitted */
  const HearthRequestRules *rules;  /* the request's rules' output side, or NULL */
  gpointer rules_stream;
  GPtrArray *notes;         /* char *, NULL-terminated (g_ptr_array_new_null_terminated ()) */
  GString *unruled;         /* what the model wrote, where the request keeps it */
  char *refusal;
  gboolean refused;

  /* shared with the worker, under lock */
  GMutex lock;
  GString *pending;
  HearthGenerationPhase next_phase;
  gboolean done;
  GError *done_error;
  HearthGenerationStats done_stats;
  char *next_device;
  char *next_notice;
  char *next_detail;
  gboolean scheduled;       /* a delivery is on its way to the main context */

  gint cancelled;           /* atomic */
  GCancellable *cancellable;  /* cancelled with it (main thread) */
  gint64 started;           /* monotonic µs */
};

enum { PROP_0, PROP_PHASE, N_PROPS };
static GParamSpec *props[N_PROPS];

enum { SIGNAL_TEXT, SIGNAL_FINISHED, N_SIGNALS };
static guint signals[N_SIGNALS];

G_DEFINE_FINAL_TYPE (HearthGeneration, hearth_generation, G_TYPE_OBJECT)

G_DEFINE_QUARK (hearth-engine-error-quark, hearth_engine_error)

/* The main context's side: what the worker wrote since the last tick. */
/* @text (taken; NULL: none) through the rules' output side: what may be
 * shown now; at the end (@done) what they held back, and their notes. */
static GString *
filter (HearthGeneration *self,
        GString          *text,
        gboolean          done)
{
  gboolean refused = FALSE;
  GString *out = g_string_new (NULL);

  if (text != NULL)
    {
      g_autofree char *piece = self->rules->output_feed (self->rules_stream, text->str, &refused);

      if (self->unruled != NULL && !self->refused)
        g_string_append_len (self->unruled, text->str, (gssize) text->len);
      g_string_append (out, piece);
      g_string_free (text, TRUE);
    }
  if (done && !refused && !self->refused)
    {
      g_autofree char *tail = self->rules->output_finish (self->rules_stream, &refused);

      g_string_append (out, tail);
    }
  if (refused && !self->refused)
    {
      /* nothing more of the model's is wanted */
      self->refused = TRUE;
      hearth_generation_cancel (self);
    }
  if (done)
    {
      g_free (self->refusal);
      self->refusal = self->rules->output_done (self->rules_stream, self->notes);
      self->rules->output_free (self->rules_stream);
      self->rules_stream = NULL;
    }
  return out;
}

static gboolean
tick (gpointer user_data)
{
  HearthGeneration *self = user_data;
  g_autoptr (GString) text = NULL;
  g_autoptr (GObject) keep = g_object_ref (G_OBJECT (self));
  HearthGenerationPhase phase;
  gboolean done;

  g_mutex_lock (&self->lock);
  self->scheduled = FALSE;
  if (self->pending->len > 0)
    {
      text = self->pending;
      self->pending = g_string_new (NULL);
    }
  phase = self->next_phase;
  done = self->done;
  if (self->next_device != NULL)
    {
      g_free (self->device);
      self->device = g_steal_pointer (&self->next_device);
    }
  if (self->next_notice != NULL)
    {
      g_free (self->notice);
  g_free (self->detail);
      self->notice = g_steal_pointer (&self->next_notice);
    }
  if (self->next_detail != NULL)
    {
      g_free (self->detail);
      self->detail = g_steal_pointer (&self->next_detail);
    }
  if (done)
    {
      self->error = g_steal_pointer (&self->done_error);
      self->stats = self->done_stats;
    }
  g_mutex_unlock (&self->lock);

  if (phase != self->phase && phase != HEARTH_GENERATION_DONE)
    {
      self->phase = phase;
      g_object_notify_by_pspec (G_OBJECT (self), props[PROP_PHASE]);
    }
  if (self->rules_stream != NULL && (text != NULL || done))
    text = filter (self, text, done);
  if (text != NULL && text->len > 0)
    {
      g_string_append_len (self->text, text->str, (gssize) text->len);
      g_signal_emit (self, signals[SIGNAL_TEXT], 0, text->str);
    }
  if (done && !self->finished)
    {
      self->finished = TRUE;
      if (self->refused)
        self->stats.stop_reason = HEARTH_STOP_REFUSED;
      if (self->phase != HEARTH_GENERATION_DONE)
        {
          self->phase = HEARTH_GENERATION_DONE;
          g_object_notify_by_pspec (G_OBJECT (self), props[PROP_PHASE]);
        }
      g_signal_emit (self, signals[SIGNAL_FINISHED], 0);
    }
  return G_SOURCE_REMOVE;
}

/* With the lock held: a delivery to the main context in @delay_ms, unless
 * one is on its way (whose batch then takes in this change too). */
static void
schedule (HearthGeneration *self,
          guint             delay_ms)
{
  GSource *source;

  if (self->scheduled)
    return;
  self->scheduled = TRUE;
  source = delay_ms > 0 ? g_timeout_source_new (delay_ms) : g_idle_source_new ();
  g_source_set_priority (source, G_PRIORITY_DEFAULT);
  g_source_set_name (source, "[hearth] generation delivery");
  g_source_set_callback (source, tick, g_object_ref (self), g_object_unref);
  g_source_attach (source, self->context);
  g_source_unref (source);
}

HearthGeneration *
hearth_generation_new_internal (void)
{
  HearthGeneration *self = g_object_new (HEARTH_TYPE_GENERATION, NULL);

  self->context = g_main_context_ref_thread_default ();
  return self;
}

void
hearth_generation_set_phase_internal (HearthGeneration      *self,
                                      HearthGenerationPhase  phase)
{
  g_mutex_lock (&self->lock);
  self->next_phase = phase;
  schedule (self, 0);
  g_mutex_unlock (&self->lock);
}

void
hearth_generation_set_device_internal (HearthGeneration *self,
                                       const char       *device)
{
  g_mutex_lock (&self->lock);
  g_free (self->next_device);
  self->next_device = g_strdup (device);
  schedule (self, 0);
  g_mutex_unlock (&self->lock);
}

void
hearth_generation_set_notice_internal (HearthGeneration *self,
                                       const char       *notice)
{
  g_mutex_lock (&self->lock);
  g_free (self->next_notice);
  g_free (self->next_detail);
  self->next_notice = g_strdup (notice);
  schedule (self, 0);
  g_mutex_unlock (&self->lock);
}

void
hearth_generation_set_detail_internal (HearthGeneration *self,
                                       const char       *detail)
{
  g_mutex_lock (&self->lock);
  g_free (self->next_detail);
  self->next_detail = g_strdup (detail);
  g_mutex_unlock (&self->lock);
}

gboolean
hearth_generation_append_internal (HearthGeneration *self,
                                   const char       *text,
                                   gsize             len)
{
  g_mutex_lock (&self->lock);
  g_string_append_len (self->pending, text, (gssize) len);
  self->next_phase = HEARTH_GENERATION_WRITING;
  schedule (self, BATCH_MS);
  g_mutex_unlock (&self->lock);
  return !g_atomic_int_get (&self->cancelled);
}

gboolean
hearth_generation_is_cancelled_internal (HearthGeneration *self)
{
  return g_atomic_int_get (&self->cancelled);
}

GCancellable *
hearth_generation_get_cancellable_internal (HearthGeneration *self)
{
  return self->cancellable;
}

double
hearth_generation_elapsed_internal (HearthGeneration *self)
{
  return (double) (g_get_monotonic_time () - self->started) / G_USEC_PER_SEC;
}

void
hearth_generation_finish_internal (HearthGeneration            *self,
                                   const HearthGenerationStats *stats,
                                   GError                      *error)
{
  g_mutex_lock (&self->lock);
  if (stats != NULL)
    self->done_stats = *stats;
  g_clear_error (&self->done_error);
  self->done_error = error;
  self->next_phase = HEARTH_GENERATION_DONE;
  self->done = TRUE;
  /* the last batch keeps its distance from the one before */
  schedule (self, self->pending->len > 0 ? BATCH_MS : 0);
  g_mutex_unlock (&self->lock);
}

/* ---- public ---------------------------------------------------------------- */

HearthGenerationPhase
hearth_generation_get_phase (HearthGeneration *self)
{
  g_return_val_if_fail (HEARTH_IS_GENERATION (self), HEARTH_GENERATION_DONE);
  return self->phase;
}

const char *
hearth_generation_get_text (HearthGeneration *self)
{
  g_return_val_if_fail (HEARTH_IS_GENERATION (self), NULL);
  return self->text->str;
}

gboolean
hearth_generation_is_finished (HearthGeneration *self)
{
  g_return_val_if_fail (HEARTH_IS_GENERATION (self), TRUE);
  return self->finished;
}

const GError *
hearth_generation_get_error (HearthGeneration *self)
{
  g_return_val_if_fail (HEARTH_IS_GENERATION (self), NULL);
  return self->error;
}

const HearthGenerationStats *
hearth_generation_get_stats (HearthGeneration *self)
{
  g_return_val_if_fail (HEARTH_IS_GENERATION (self), NULL);
  return &self->stats;
}

const char *
hearth_generation_get_device (HearthGeneration *self)
{
  g_return_val_if_fail (HEARTH_IS_GENERATION (self), NULL);
  return self->device;
}

const char *
hearth_generation_get_notice (HearthGeneration *self)
{
  g_return_val_if_fail (HEARTH_IS_GENERATION (self), NULL);
  return self->notice;
}

void
hearth_generation_wait (HearthGeneration *self)
{
  g_return_if_fail (HEARTH_IS_GENERATION (self));

  while (!self->finished)
    g_main_context_iteration (self->context, TRUE);
}

const char *
hearth_generation_get_error_detail (HearthGeneration *self)
{
  g_return_val_if_fail (HEARTH_IS_GENERATION (self), NULL);
  return self->error != NULL ? self->detail : NULL;
}

void
hearth_generation_set_rules_internal (HearthGeneration         *self,
                                      const HearthRequestRules *rules,
                                      gpointer                  data,
                                      GPtrArray                *notes,
                                      gboolean                  keep_unruled)
{
  self->rules = rules;
  if (keep_unruled)
    self->unruled = g_string_new (NULL);
  self->rules_stream = rules->output_new (data);
  g_ptr_array_unref (self->notes);
  self->notes = notes;
}

void
hearth_generation_refuse_internal (HearthGeneration *self,
                                   char             *message,
                                   GPtrArray        *notes)
{
  HearthGenerationStats stats = { 0 };

  g_ptr_array_unref (self->notes);
  self->notes = notes;
  g_free (self->refusal);
  self->refusal = message;
  self->refused = TRUE;
  stats.stop_reason = HEARTH_STOP_REFUSED;
  stats.input_refused = TRUE;
  hearth_generation_finish_internal (self, &stats, NULL);
}

const char *
hearth_generation_get_refusal (HearthGeneration *self)
{
  g_return_val_if_fail (HEARTH_IS_GENERATION (self), NULL);
  if (!self->finished || self->stats.stop_reason != HEARTH_STOP_REFUSED)
    return NULL;
  return self->refusal;
}

const char *
hearth_generation_get_unruled_text (HearthGeneration *self)
{
  g_return_val_if_fail (HEARTH_IS_GENERATION (self), NULL);
  if (!self->finished || self->unruled == NULL || g_str_equal (self->unruled->str, self->text->str))
    return NULL;
  return self->unruled->str;
}

const char *const *
hearth_generation_get_notes (HearthGeneration *self)
{
  static const char *const none[] = { NULL };

  g_return_val_if_fail (HEARTH_IS_GENERATION (self), NULL);
  /* (a NULL-terminated array's pdata is NULL until it holds something) */
  return self->notes->pdata != NULL ? (const char *const *) self->notes->pdata : none;
}

const char *
hearth_stop_reason_to_string (HearthStopReason reason)
{
  switch (reason)
    {
    case HEARTH_STOP_END_OF_GENERATION:
      return "end of generation";
    case HEARTH_STOP_STRING:
      return "stop string";
    case HEARTH_STOP_LIMIT:
      return "token limit";
    case HEARTH_STOP_CONTEXT_FULL:
      return "context full";
    case HEARTH_STOP_CANCELLED:
      return "cancelled";
    case HEARTH_STOP_REFUSED:
      return "refused by a rule";
    default:
      return "unknown";
    }
}

void
hearth_generation_cancel (HearthGeneration *self)
{
  g_return_if_fail (HEARTH_IS_GENERATION (self));
  g_atomic_int_set (&self->cancelled, TRUE);
  g_cancellable_cancel (self->cancellable);
}

static void
hearth_generation_finalize (GObject *object)
{
  HearthGeneration *self = HEARTH_GENERATION (object);

  g_string_free (self->text, TRUE);
  g_string_free (self->pending, TRUE);
  g_clear_error (&self->error);
  g_clear_error (&self->done_error);
  g_free (self->device);
  g_free (self->notice);
  g_free (self->next_device);
  g_free (self->next_notice);
  g_main_context_unref (self->context);
  g_clear_object (&self->cancellable);
  if (self->rules_stream != NULL)
    self->rules->output_free (self->rules_stream);
  g_ptr_array_unref (self->notes);
  if (self->unruled != NULL)
    g_string_free (self->unruled, TRUE);
  g_free (self->refusal);
  g_mutex_clear (&self->lock);

  G_OBJECT_CLASS (hearth_generation_parent_class)->finalize (object);
}

static void
hearth_generation_get_property (GObject    *object,
                                guint       prop_id,
                                GValue     *value,
                                GParamSpec *pspec)
{
  HearthGeneration *self = HEARTH_GENERATION (object);

  switch (prop_id)
    {
    case PROP_PHASE:
      g_value_set_int (value, self->phase);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
hearth_generation_class_init (HearthGenerationClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = hearth_generation_finalize;
  object_class->get_property = hearth_generation_get_property;

  props[PROP_PHASE] = g_param_spec_int ("phase", NULL, NULL, HEARTH_GENERATION_QUEUED,
                                        HEARTH_GENERATION_DONE, HEARTH_GENERATION_QUEUED,
                                        G_PARAM_READABLE | G_PARAM_STATIC_STRINGS
                                          | G_PARAM_EXPLICIT_NOTIFY);
  g_object_class_install_properties (object_class, N_PROPS, props);

  /* ::text (const char *batch): text added since the last ::text */
  signals[SIGNAL_TEXT] = g_signal_new ("text", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                                       NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_STRING);
  signals[SIGNAL_FINISHED] = g_signal_new ("finished", G_TYPE_FROM_CLASS (klass),
                                           G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL, G_TYPE_NONE,
                                           0);
}

static void
hearth_generation_init (HearthGeneration *self)
{
  g_mutex_init (&self->lock);
  self->text = g_string_new (NULL);
  self->pending = g_string_new (NULL);
  self->started = g_get_monotonic_time ();
  self->cancellable = g_cancellable_new ();
  self->notes = g_ptr_array_new_null_terminated (0, g_free, TRUE);
}
