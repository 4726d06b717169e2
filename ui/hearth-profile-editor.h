/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The profile editor: a modal window that makes a profile (New), changes
 * one (Edit: under a new name, the old one is removed once the new one is
 * written) or copies one (Duplicate). Every value is checked as it is
 * typed; Save writes the profile off the main thread with
 * hearth_profile_create (). Main thread only.
 */
#pragma once

#include <adwaita.h>

#include "hearth-library.h"

G_BEGIN_DECLS

#define HEARTH_TYPE_PROFILE_EDITOR (hearth_profile_editor_get_type ())
G_DECLARE_FINAL_TYPE (HearthProfileEditor, hearth_profile_editor, HEARTH, PROFILE_EDITOR,
                      AdwWindow)

typedef enum
{
  HEARTH_PROFILE_EDITOR_NEW,       /* @name: NULL */
  HEARTH_PROFILE_EDITOR_EDIT,      /* profile @name */
  HEARTH_PROFILE_EDITOR_DUPLICATE, /* a copy of profile @name, under another name */
} HearthProfileEditorMode;

/* An editor over @parent for @library's store. Fails (NULL, @error) where
 * profile @name cannot be read. Signal ::saved (const char *name) is
 * emitted on the main thread once the profile is written. */
HearthProfileEditor *hearth_profile_editor_new (GtkWindow                *parent,
                                                HearthLibrary            *library,
                                                HearthProfileEditorMode   mode,
                                                const char               *name,
                                                GError                  **error);

G_END_DECLS

G_BEGIN_DECLS

/* @text as a model name ("mario" → "mario:latest"), or NULL and @error
 * where it is not one; *@exists (may be NULL) whether @library has a model
 * of that name. */
char *hearth_profile_editor_check_name (HearthLibrary  *library,
                                        const char     *text,
                                        gboolean       *exists,
                                        GError        **error);

G_END_DECLS
