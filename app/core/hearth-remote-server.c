/* SPDX-License-Identifier: GPL-3.0-or-later */

#define G_LOG_DOMAIN "hearth-remote-server"

#include "config.h"

#include "hearth-remote-server.h"

struct _HearthRemoteServer
{
  GObject parent_instance;

  char *id;
  char *name;
  HearthRemoteKind kind;
  char *url;
};

enum { PROP_0, PROP_ID, PROP_NAME, PROP_KIND, PROP_URL, N_PROPS };
static GParamSpec *props[N_PROPS];

G_DEFINE_FINAL_TYPE (HearthRemoteServer, hearth_remote_server, G_TYPE_OBJECT)

static void
hearth_remote_server_finalize (GObject *object)
{
  HearthRemoteServer *self = HEARTH_REMOTE_SERVER (object);

  g_free (self->id);
  g_free (self->name);
  g_free (self->url);

  G_OBJECT_CLASS (hearth_remote_server_parent_class)->finalize (object);
}

static void
hearth_remote_server_get_property (GObject    *object,
                                   guint       prop_id,
                                   GValue     *value,
                                   GParamSpec *pspec)
{
  HearthRemoteServer *self = HEARTH_REMOTE_SERVER (object);

  switch (prop_id)
    {
    case PROP_ID:
      g_value_set_string (value, self->id);
      break;
    case PROP_NAME:
      g_value_set_string (value, self->name);
      break;
    case PROP_KIND:
      g_value_set_int (value, self->kind);
      break;
    case PROP_URL:
      g_value_set_string (value, self->url);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
hearth_remote_server_class_init (HearthRemoteServerClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = hearth_remote_server_finalize;
  object_class->get_property = hearth_remote_server_get_property;

  props[PROP_ID] = g_param_spec_string ("id", NULL, NULL, NULL,
                                        G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  props[PROP_NAME] = g_param_spec_string ("name", NULL, NULL, NULL,
                                          G_PARAM_READABLE | G_PARAM_STATIC_STRINGS
                                            | G_PARAM_EXPLICIT_NOTIFY);
  props[PROP_KIND] = g_param_spec_int ("kind", NULL, NULL, HEARTH_REMOTE_OLLAMA,
                                       HEARTH_REMOTE_OPENAI, HEARTH_REMOTE_OLLAMA,
                                       G_PARAM_READABLE | G_PARAM_STATIC_STRINGS
                                         | G_PARAM_EXPLICIT_NOTIFY);
  props[PROP_URL] = g_param_spec_string ("url", NULL, NULL, NULL,
                                         G_PARAM_READABLE | G_PARAM_STATIC_STRINGS
                                           | G_PARAM_EXPLICIT_NOTIFY);
  g_object_class_install_properties (object_class, N_PROPS, props);
}

static void
hearth_remote_server_init (HearthRemoteServer *self)
{
}

HearthRemoteServer *
hearth_remote_server_new (const char       *id,
                          const char       *name,
                          HearthRemoteKind  kind,
                          const char       *url)
{
  HearthRemoteServer *self;

  g_return_val_if_fail (id != NULL && name != NULL && url != NULL, NULL);

  self = g_object_new (HEARTH_TYPE_REMOTE_SERVER, NULL);
  self->id = g_strdup (id);
  self->name = g_strdup (name);
  self->kind = kind;
  self->url = g_strdup (url);
  return self;
}

void
hearth_remote_server_set (HearthRemoteServer *self,
                          const char         *name,
                          HearthRemoteKind    kind,
                          const char         *url)
{
  g_return_if_fail (HEARTH_IS_REMOTE_SERVER (self));

  g_object_freeze_notify (G_OBJECT (self));
  if (g_strcmp0 (self->name, name) != 0)
    {
      g_free (self->name);
      self->name = g_strdup (name);
      g_object_notify_by_pspec (G_OBJECT (self), props[PROP_NAME]);
    }
  if (self->kind != kind)
    {
      self->kind = kind;
      g_object_notify_by_pspec (G_OBJECT (self), props[PROP_KIND]);
    }
  if (g_strcmp0 (self->url, url) != 0)
    {
      g_free (self->url);
      self->url = g_strdup (url);
      g_object_notify_by_pspec (G_OBJECT (self), props[PROP_URL]);
    }
  g_object_thaw_notify (G_OBJECT (self));
}

const char *
hearth_remote_server_get_id (HearthRemoteServer *self)
{
  g_return_val_if_fail (HEARTH_IS_REMOTE_SERVER (self), NULL);
  return self->id;
}

const char *
hearth_remote_server_get_name (HearthRemoteServer *self)
{
  g_return_val_if_fail (HEARTH_IS_REMOTE_SERVER (self), NULL);
  return self->name;
}

HearthRemoteKind
hearth_remote_server_get_kind (HearthRemoteServer *self)
{
  g_return_val_if_fail (HEARTH_IS_REMOTE_SERVER (self), HEARTH_REMOTE_OLLAMA);
  return self->kind;
}

const char *
hearth_remote_server_get_url (HearthRemoteServer *self)
{
  g_return_val_if_fail (HEARTH_IS_REMOTE_SERVER (self), NULL);
  return self->url;
}
