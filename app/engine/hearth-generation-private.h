/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * HearthGeneration's side for HearthEngine: created on the main context,
 * then fed from the model's worker thread (the functions marked "worker"
 * take a lock; the main context sees the result at its next tick).
 */
#pragma once

#include "hearth-generation.h"

G_BEGIN_DECLS

/* Main thread: a generation delivering to the thread-default main context. */
HearthGeneration *hearth_generation_new_internal (void);

/* Main thread, before anything else: the reply's text passes through
 * @rules' output side before ::text; @notes (the input side's, taken: a
 * g_ptr_array_new_null_terminated () of char *) are the first notes. */
void hearth_generation_set_rules_internal (HearthGeneration         *self,
                                           const HearthRequestRules *rules,
                                           gpointer                  data,
                                           GPtrArray                *notes,
                                           gboolean                  keep_unruled);
/* Main thread: the rules refused the message; the generation finishes at
 * once with HEARTH_STOP_REFUSED and @message (taken), @notes (taken, as
 * above). */
void hearth_generation_refuse_internal (HearthGeneration *self,
                                        char             *message,
                                        GPtrArray        *notes);

/* Worker: */
void hearth_generation_set_phase_internal (HearthGeneration      *self,
                                           HearthGenerationPhase  phase);
void hearth_generation_set_device_internal (HearthGeneration *self,
                                            const char       *device);
void hearth_generation_set_notice_internal (HearthGeneration *self,
                                            const char       *notice);
/* The engine's own words for the error to come (see
 * hearth_generation_get_error_detail ()). */
void hearth_generation_set_detail_internal (HearthGeneration *self,
                                            const char       *detail);
/* Adds generated text; FALSE once the generation was cancelled. */
gboolean hearth_generation_append_internal (HearthGeneration *self,
                                            const char       *text,
                                            gsize             len);
gboolean hearth_generation_is_cancelled_internal (HearthGeneration *self);
/* Main thread: cancelled by hearth_generation_cancel () (a remote model's
 * HTTP request watches it). Borrowed. */
GCancellable *hearth_generation_get_cancellable_internal (HearthGeneration *self);
/* Seconds since the generation was asked for. */
double hearth_generation_elapsed_internal (HearthGeneration *self);
/* The end: @stats (may be NULL on an error) and @error (taken; NULL: none). */
void hearth_generation_finish_internal (HearthGeneration            *self,
                                        const HearthGenerationStats *stats,
                                        GError                      *error);

G_END_DECLS
