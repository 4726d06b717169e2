/* SPDX-License-Identifier: GPL-3.0-or-later */

#define G_LOG_DOMAIN "hearth-chat-list"

#include "config.h"

#include <glib/gi18n.h>

#include "hearth-chat-list.h"

struct _HearthChatItem
{
  GObject parent_instance;

  gint64 id;
  char *title;
  gint64 updated;
};

enum { ITEM_PROP_0, ITEM_PROP_TITLE, ITEM_N_PROPS };
static GParamSpec *item_props[ITEM_N_PROPS];

G_DEFINE_FINAL_TYPE (HearthChatItem, hearth_chat_item, G_TYPE_OBJECT)

static void
hearth_chat_item_finalize (GObject *object)
{
  g_free (HEARTH_CHAT_ITEM (object)->title);
  G_OBJECT_CLASS (hearth_chat_item_parent_class)->finalize (object);
}

static void
hearth_chat_item_get_property (GObject    *object,
                               guint       prop_id,
                               GValue     *value,
                               GParamSpec *pspec)
{
  switch (prop_id)
    {
    case ITEM_PROP_TITLE:
      g_value_set_string (value, hearth_chat_item_get_title (HEARTH_CHAT_ITEM (object)));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
hearth_chat_item_class_init (HearthChatItemClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = hearth_chat_item_finalize;
  object_class->get_property = hearth_chat_item_get_property;
  item_props[ITEM_PROP_TITLE] = g_param_spec_string ("title", NULL, NULL, NULL,
                                                     G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, ITEM_N_PROPS, item_props);
}

static void
hearth_chat_item_init (HearthChatItem *self)
{
}

gint64
hearth_chat_item_get_id (HearthChatItem *self)
{
  g_return_val_if_fail (HEARTH_IS_CHAT_ITEM (self), 0);
  return self->id;
}

const char *
hearth_chat_item_get_title (HearthChatItem *self)
{
  g_return_val_if_fail (HEARTH_IS_CHAT_ITEM (self), NULL);
  return self->title != NULL && *self->title != '\0' ? self->title : _("New Chat");
}

gint64
hearth_chat_item_get_updated (HearthChatItem *self)
{
  g_return_val_if_fail (HEARTH_IS_CHAT_ITEM (self), 0);
  return self->updated;
}

/* ---- the list ---------------------------------------------------------------- */

struct _HearthChatList
{
  GObject parent_instance;

  HearthChatStore *store;
  GPtrArray *items;
  char *search;
};

static void list_model_iface_init (GListModelInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (HearthChatList, hearth_chat_list, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (G_TYPE_LIST_MODEL, list_model_iface_init))

static GType
get_item_type (GListModel *model)
{
  return HEARTH_TYPE_CHAT_ITEM;
}

static guint
get_n_items (GListModel *model)
{
  return HEARTH_CHAT_LIST (model)->items->len;
}

static gpointer
get_item (GListModel *model,
          guint       position)
{
  HearthChatList *self = HEARTH_CHAT_LIST (model);

  if (position >= self->items->len)
    return NULL;
  return g_object_ref (self->items->pdata[position]);
}

static void
list_model_iface_init (GListModelInterface *iface)
{
  iface->get_item_type = get_item_type;
  iface->get_n_items = get_n_items;
  iface->get_item = get_item;
}

/* The list again from the store: unchanged items are kept (a row showing
 * one is not rebuilt), and only the span that differs is announced. */
static void
refresh (HearthChatList *self)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) chats = hearth_chat_store_list_chats (self->store, self->search, &error);
  g_autoptr (GPtrArray) items = g_ptr_array_new_with_free_func (g_object_unref);
  guint old_len = self->items->len, first = 0;

  if (chats == NULL)
    {
      g_warning ("cannot list the chats: %s", error->message);
      return;
    }
  for (guint i = 0; i < chats->len; i++)
    {
      HearthChat *chat = chats->pdata[i];
      HearthChatItem *item = NULL;

      if (i < self->items->len)
        {
          HearthChatItem *old = self->items->pdata[i];

          if (old->id == chat->id && old->updated == chat->updated
              && g_strcmp0 (old->title, chat->title) == 0)
            item = g_object_ref (old);
        }
      if (item == NULL)
        {
          item = g_object_new (HEARTH_TYPE_CHAT_ITEM, NULL);
          item->id = chat->id;
          item->title = g_strdup (chat->title);
          item->updated = chat->updated;
        }
      g_ptr_array_add (items, item);
    }
  while (first < old_len && first < items->len && self->items->pdata[first] == items->pdata[first])
    first++;
  if (first == old_len && first == items->len)
    return;
  g_ptr_array_unref (self->items);
  self->items = g_steal_pointer (&items);
  g_list_model_items_changed (G_LIST_MODEL (self), first, old_len - first, self->items->len - first);
}

HearthChatList *
hearth_chat_list_new (HearthChatStore *store)
{
  HearthChatList *self;

  g_return_val_if_fail (HEARTH_IS_CHAT_STORE (store), NULL);

  self = g_object_new (HEARTH_TYPE_CHAT_LIST, NULL);
  self->store = g_object_ref (store);
  g_signal_connect_object (store, "chats-changed", G_CALLBACK (refresh), self, G_CONNECT_SWAPPED);
  refresh (self);
  return self;
}

void
hearth_chat_list_set_search (HearthChatList *self,
                             const char     *search)
{
  g_return_if_fail (HEARTH_IS_CHAT_LIST (self));

  if (g_strcmp0 (search, self->search) == 0)
    return;
  g_free (self->search);
  self->search = search != NULL && *search != '\0' ? g_strdup (search) : NULL;
  refresh (self);
}

int
hearth_chat_list_find (HearthChatList *self,
                       gint64          chat_id)
{
  g_return_val_if_fail (HEARTH_IS_CHAT_LIST (self), -1);

  for (guint i = 0; i < self->items->len; i++)
    if (((HearthChatItem *) self->items->pdata[i])->id == chat_id)
      return (int) i;
  return -1;
}

static void
hearth_chat_list_finalize (GObject *object)
{
  HearthChatList *self = HEARTH_CHAT_LIST (object);

  g_clear_object (&self->store);
  g_ptr_array_unref (self->items);
  g_free (self->search);
  G_OBJECT_CLASS (hearth_chat_list_parent_class)->finalize (object);
}

static void
hearth_chat_list_class_init (HearthChatListClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = hearth_chat_list_finalize;
}

static void
hearth_chat_list_init (HearthChatList *self)
{
  self->items = g_ptr_array_new_with_free_func (g_object_unref);
}
