/* SPDX-License-Identifier: GPL-3.0-or-later */

#include "config.h"

#include <gdk/x11/gdkx.h>
#include <X11/extensions/XTest.h>
#include <X11/keysym.h>

#include "ui-input.h"

static Display *
x_display (void)
{
  GdkDisplay *display = gdk_display_get_default ();

  return display != NULL && GDK_IS_X11_DISPLAY (display) ? gdk_x11_display_get_xdisplay (display)
                                                         : NULL;
}

const char *
ui_input_unavailable (void)
{
  Display *dpy = x_display ();
  int event, error, major, minor;

  if (dpy == NULL)
    return "real input needs an X11 display (GDK_BACKEND=x11)";
  if (!XTestQueryExtension (dpy, &event, &error, &major, &minor))
    return "the X server has no XTEST extension";
  return NULL;
}

void
ui_input_spin (guint ms)
{
  gint64 end = g_get_monotonic_time () + (gint64) ms * 1000;

  /* (bounded by the clock even when something is always ready: a window
   * that never stops working must fail the test, not hang it) */
  while (g_get_monotonic_time () < end)
    if (!g_main_context_iteration (NULL, FALSE))
      g_usleep (2000);
}

/* The server has the events, and GTK has read and handled them. */
static void
settle (guint ms)
{
  Display *dpy = x_display ();

  XSync (dpy, False);
  ui_input_spin (ms);
}

/* @widget's middle in root-window coordinates. */
static void
root_point (GtkWidget *widget,
            int       *x,
            int       *y)
{
  GtkNative *native = gtk_widget_get_native (widget);
  GdkSurface *surface;
  graphene_rect_t bounds;
  double nx, ny;
  Window child;

  if (!gtk_widget_get_mapped (widget))
    g_error ("cannot click or point at a %s that is not on screen", G_OBJECT_TYPE_NAME (widget));
  g_assert_nonnull (native);
  g_assert_true (gtk_widget_compute_bounds (widget, GTK_WIDGET (native), &bounds));
  gtk_native_get_surface_transform (native, &nx, &ny);
  surface = gtk_native_get_surface (native);
  XTranslateCoordinates (x_display (), gdk_x11_surface_get_xid (surface),
                         DefaultRootWindow (x_display ()),
                         (int) (nx + bounds.origin.x + bounds.size.width / 2),
                         (int) (ny + bounds.origin.y + bounds.size.height / 2), x, y, &child);
}

void
ui_input_hover (GtkWidget *widget)
{
  int x, y;

  root_point (widget, &x, &y);
  /* from one pixel off, so that GTK sees the pointer come in */
  XTestFakeMotionEvent (x_display (), -1, x - 1, y - 1, CurrentTime);
  settle (20);
  XTestFakeMotionEvent (x_display (), -1, x, y, CurrentTime);
  settle (50);
}

void
ui_input_click (GtkWidget *widget)
{
  ui_input_hover (widget);
  XTestFakeButtonEvent (x_display (), 1, True, CurrentTime);
  settle (40);
  XTestFakeButtonEvent (x_display (), 1, False, CurrentTime);
  /* (past GTK's double-click time, so that two clicks stay two) */
  settle (120);
}

static void
press_keysym (KeySym keysym,
              Bool   down)
{
  Display *dpy = x_display ();

  XTestFakeKeyEvent (dpy, XKeysymToKeycode (dpy, keysym), down, CurrentTime);
  XSync (dpy, False);
}

void
ui_input_key (guint           keyval,
              GdkModifierType mods)
{
  /* GDK's key values are X keysyms */
  if (mods & GDK_CONTROL_MASK)
    press_keysym (XK_Control_L, True);
  if (mods & GDK_SHIFT_MASK)
    press_keysym (XK_Shift_L, True);
  press_keysym (keyval, True);
  settle (20);
  press_keysym (keyval, False);
  if (mods & GDK_SHIFT_MASK)
    press_keysym (XK_Shift_L, False);
  if (mods & GDK_CONTROL_MASK)
    press_keysym (XK_Control_L, False);
  settle (60);
}

void
ui_input_type (const char *text)
{
  for (const char *p = text; *p != '\0'; p++)
    {
      g_assert_true (g_ascii_islower (*p) || g_ascii_isdigit (*p) || *p == ' ');
      ui_input_key (*p == ' ' ? XK_space : (guint) *p, 0);
    }
}
