/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Real input for the UI tests: the X server's XTEST extension moves the
 * pointer, presses its buttons and keys, and GTK receives them as it receives
 * a person's — through the X server, its event queue, its gestures, grabs and
 * focus handling. (Calling an action, or emitting a controller's signal,
 * skips all of that: two defects that lost a chat and froze the window passed
 * such tests.)
 */

#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

/* NULL when real input can be sent here (an X11 display with XTEST), else
 * why not. */
const char *ui_input_unavailable (void);

/* Moves the pointer over the middle of @widget (which must be mapped). */
void ui_input_hover (GtkWidget *widget);

/* Moves the pointer over the middle of @widget and clicks the primary
 * button; returns once GTK has handled the press and the release. */
void ui_input_click (GtkWidget *widget);

/* The same, at a point of @widget given as fractions of its width and
 * height (0.5, 0.5 is its middle). */
void ui_input_click_at (GtkWidget *widget,
                        double     fx,
                        double     fy);

/* Presses and releases the key @keyval with the @mods held (GDK_CONTROL_MASK,
 * GDK_SHIFT_MASK), on the window under the pointer (Xvfb has no window
 * manager: the focus follows the pointer). */
void ui_input_key (guint           keyval,
                   GdkModifierType mods);

/* Types @text (lowercase ASCII letters, digits, spaces and . , - / : ( ) [ ]
 * \\ @ + *) key by key. */
void ui_input_type (const char *text);

/* Drags with the primary button from a point of @from to a point of @to
 * (fractions of each one's width and height, as ui_input_click_at ()), in
 * small steps, as a hand does; returns once GTK has handled the drop. */
void ui_input_drag (GtkWidget *from,
                    double     from_fx,
                    double     from_fy,
                    GtkWidget *to,
                    double     to_fx,
                    double     to_fy);

/* Iterates the main loop for @ms milliseconds. */
void ui_input_spin (guint ms);

G_END_DECLS
