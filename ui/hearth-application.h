/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * HearthApplication: the AdwApplication subclass. It owns the settings and
 * the HearthContext (the engine, the model library, downloads, chats: the
 * services that the CLI uses too), and the app-wide actions. It knows nothing of the
 * widgets in ui/: windows are made by a factory that main.c installs, so that
 * tests can run the application with windows of their own.
 *
 * Everything here runs on the main thread.
 */
#pragma once

#include <adwaita.h>

#include "hearth-app-server.h"
#include "hearth-context.h"

G_BEGIN_DECLS

#define HEARTH_TYPE_APPLICATION (hearth_application_get_type ())
G_DECLARE_FINAL_TYPE (HearthApplication, hearth_application, HEARTH, APPLICATION, AdwApplication)

#define HEARTH_APPLICATION_ERROR (hearth_application_error_quark ())

typedef enum {
  HEARTH_APPLICATION_ERROR_NO_SCHEMA,
} HearthApplicationError;

GQuark hearth_application_error_quark (void);

/* Makes a new, shown or not yet shown, window for @app. Returns a borrowed
 * pointer: the window belongs to the application once added to it. */
typedef GtkWindow *(*HearthWindowFactory) (HearthApplication *app,
                                           gpointer           user_data);

/* Returns a new application, or NULL and @error when the settings schema
 * io.github.hearth.Hearth is not installed (GSettings would abort). */
HearthApplication *hearth_application_new (GApplicationFlags   flags,
                                           GError            **error);

void hearth_application_set_window_factory (HearthApplication   *self,
                                            HearthWindowFactory  factory,
                                            gpointer             user_data);

/* The services every window shares (GTK-free; the getters below are
 * its). Borrowed. */
HearthContext *hearth_application_get_context (HearthApplication *self);

/* The server for other programs ("Let other programs use Hearth"), on the
 * same context; NULL before startup. Borrowed. */
HearthAppServer *hearth_application_get_server (HearthApplication *self);

/* The application's settings. Borrowed. */
GSettings *hearth_application_get_settings (HearthApplication *self);

/* The models in the store ($HEARTH_MODELS, else the default), made on first
 * use. Borrowed. */
HearthLibrary *hearth_application_get_library (HearthApplication *self);

/* The downloads, made on first use (at startup, which goes on with the
 * pulls the store has records of). Borrowed. */
HearthDownloads *hearth_application_get_downloads (HearthApplication *self);

/* The chat history, opened on first use; NULL (and @error, once) when it
 * cannot be opened: a damaged file or one from a newer Hearth is left as it
 * is, and the windows say why. Borrowed. */
HearthChatStore *hearth_application_get_chat_store (HearthApplication  *self,
                                                   GError            **error);

/* The engine (keep-alive from the settings). Borrowed. */
HearthEngine *hearth_application_get_engine (HearthApplication *self);

/* The conversation of chat @chat_id, shared by every window that shows it
 * (a new reference), or NULL without a chat store. */
HearthConversation *hearth_application_get_conversation (HearthApplication *self,
                                                         gint64             chat_id);

/* Ollama's models folder when Hearth should offer, once, to use it: it
 * exists with models, and neither $HEARTH_MODELS nor a chosen folder nor an
 * earlier offer (answered, or still out: two windows opening at once ask
 * once) says otherwise. *@n_models gets how many it has. NULL otherwise. */
char *hearth_application_ollama_offer (HearthApplication *self,
                                       guint             *n_models);

/* Records the answer to the offer: with @use, the store is @root from now
 * on (the models-dir setting) and the library shows it. */
void hearth_application_answer_ollama_offer (HearthApplication *self,
                                             const char        *root,
                                             gboolean           use);

/* Keeps models in @dir from now on (an existing folder Hearth can write
 * to, such as Ollama's ~/.ollama/models), or in Hearth's own folder when
 * @dir is NULL or empty: the models-dir setting, and the library shows the
 * folder's models at once. $HEARTH_MODELS, when set, still wins. */
gboolean hearth_application_set_models_dir (HearthApplication  *self,
                                            const char         *dir,
                                            GError            **error);

/* Opens and presents a new window through the factory. Borrowed, or NULL
 * when no factory is set. */
GtkWindow *hearth_application_open_window (HearthApplication *self);

G_END_DECLS
