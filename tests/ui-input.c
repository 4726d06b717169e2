/* SPDX-License-Identifier: GPL-3.0-or-later */

#include "config.h"

#include <string.h>

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

/* Where in a widget the next click goes, as fractions of its size. */
static double at_x = 0.5, at_y = 0.5;

/* A point of @widget (at_x, at_y of its size) in root-window coordinates;
 * fails when another widget covers it there (a toast, a popover). */
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
  {
    double px = bounds.origin.x + bounds.size.width * at_x;
    double py = bounds.origin.y + bounds.size.height * at_y;
    GtkWidget *picked = gtk_widget_pick (GTK_WIDGET (native), px, py, GTK_PICK_DEFAULT);

    if (picked == NULL || (picked != widget && !gtk_widget_is_ancestor (picked, widget)))
      g_error ("a %s covers the %s where it would be clicked", picked != NULL ? G_OBJECT_TYPE_NAME (picked) : "nothing",
               G_OBJECT_TYPE_NAME (widget));
    gtk_native_get_surface_transform (native, &nx, &ny);
    surface = gtk_native_get_surface (native);
    XTranslateCoordinates (x_display (), gdk_x11_surface_get_xid (surface),
                           DefaultRootWindow (x_display ()), (int) (nx + px), (int) (ny + py), x, y,
                           &child);
  }
}

void
ui_input_click_at (GtkWidget *widget,
                   double     fx,
                   double     fy)
{
  at_x = fx;
  at_y = fy;
  ui_input_click (widget);
  at_x = at_y = 0.5;
}

/* The X window under the root point (@x, @y) is @widget's own, not another
 * window left over it. */
static void
check_on_top (GtkWidget *widget,
              int        x,
              int        y)
{
  Display *dpy = x_display ();
  Window want = gdk_x11_surface_get_xid (gtk_native_get_surface (gtk_widget_get_native (widget)));
  Window root = DefaultRootWindow (dpy), child = 0, top = 0, r, c;
  int rx, ry, wx, wy;
  unsigned int mask;

  XQueryPointer (dpy, root, &r, &child, &rx, &ry, &wx, &wy, &mask);
  g_assert_cmpint (rx, ==, x);
  g_assert_cmpint (ry, ==, y);
  top = child;
  if (top != want)
    {
      /* a window above @widget's took the pointer: say which */
      XTextProperty name = { 0 };

      if (top != 0)
        XGetWMName (dpy, top, &name);
      g_error ("the pointer at %d,%d is over X window 0x%lx (%s), not over the %s's 0x%lx", x, y,
               (unsigned long) top, name.value != NULL ? (char *) name.value : "no name",
               G_OBJECT_TYPE_NAME (widget), (unsigned long) want);
    }
  (void) c;
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
  check_on_top (widget, x, y);
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

/* Characters typed with Shift held, as on a US keyboard, and the key under
 * each. */
static const struct
{
  char c;
  KeySym key;
  gboolean shift;
} keys[] = {
  { ' ', XK_space, FALSE },        { '/', XK_slash, FALSE },
  { '.', XK_period, FALSE },       { ',', XK_comma, FALSE },
  { '-', XK_minus, FALSE },        { '[', XK_bracketleft, FALSE },
  { ']', XK_bracketright, FALSE }, { '\\', XK_backslash, FALSE },
  { ':', XK_semicolon, TRUE },     { '(', XK_9, TRUE },
  { ')', XK_0, TRUE },             { '@', XK_2, TRUE },
  { '+', XK_equal, TRUE },         { '*', XK_8, TRUE },
};

void
ui_input_type (const char *text)
{
  for (const char *p = text; *p != '\0'; p++)
    {
      gboolean found = FALSE;

      if (g_ascii_islower (*p) || g_ascii_isdigit (*p))
        {
          ui_input_key ((guint) *p, 0);
          continue;
        }
      for (gsize i = 0; i < G_N_ELEMENTS (keys) && !found; i++)
        if (keys[i].c == *p)
          {
            ui_input_key (keys[i].key, keys[i].shift ? GDK_SHIFT_MASK : 0);
            found = TRUE;
          }
      if (!found)
        g_error ("ui_input_type () cannot type “%c”", *p);
    }
}

void
ui_input_drag (GtkWidget *from,
               double     from_fx,
               double     from_fy,
               GtkWidget *to,
               double     to_fx,
               double     to_fy)
{
  const int steps = 24;
  int x0, y0, x1, y1;

  at_x = to_fx;
  at_y = to_fy;
  root_point (to, &x1, &y1);
  at_x = from_fx;
  at_y = from_fy;
  root_point (from, &x0, &y0);
  at_x = at_y = 0.5;
  XTestFakeMotionEvent (x_display (), -1, x0 - 1, y0 - 1, CurrentTime);
  settle (20);
  XTestFakeMotionEvent (x_display (), -1, x0, y0, CurrentTime);
  settle (50);
  check_on_top (from, x0, y0);
  XTestFakeButtonEvent (x_display (), 1, True, CurrentTime);
  settle (60);
  for (int i = 1; i <= steps; i++)
    {
      XTestFakeMotionEvent (x_display (), -1, x0 + (x1 - x0) * i / steps,
                            y0 + (y1 - y0) * i / steps, CurrentTime);
      settle (30);
    }
  /* (a last move in place: the drop target sees where the pointer rests) */
  XTestFakeMotionEvent (x_display (), -1, x1, y1 + 1, CurrentTime);
  settle (60);
  XTestFakeMotionEvent (x_display (), -1, x1, y1, CurrentTime);
  settle (100);
  XTestFakeButtonEvent (x_display (), 1, False, CurrentTime);
  settle (300);
}
