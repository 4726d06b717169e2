/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The Models window's Profiles page: the profiles of the store (models
 * made from another with a Modelfile), each with its base and what it
 * sets; New, Import a Modelfile…, and per profile Edit, Duplicate, Export
 * Modelfile…, Delete. It follows the library (the store's changes, by
 * anyone). Main thread only.
 */
#pragma once

#include <adwaita.h>

#include "hearth-library.h"

G_BEGIN_DECLS

#define HEARTH_TYPE_PROFILES_PAGE (hearth_profiles_page_get_type ())
G_DECLARE_FINAL_TYPE (HearthProfilesPage, hearth_profiles_page, HEARTH, PROFILES_PAGE, AdwBin)

/* Shows the profiles of @library's store; @toasts (borrowed, may be NULL)
 * says what was done. */
void hearth_profiles_page_set_library (HearthProfilesPage *self,
                                       HearthLibrary      *library,
                                       AdwToastOverlay    *toasts);

/* Reads the store's profiles again. */
void hearth_profiles_page_reload (HearthProfilesPage *self);

G_END_DECLS
