/* SPDX-License-Identifier: GPL-3.0-or-later */

#include "config.h"

#include <pthread.h>
#include <stdlib.h>

#include "ember-threads.h"

struct ember_pool {
  uint32_t n_threads;
  pthread_t *workers;
  pthread_mutex_t lock;
  pthread_cond_t start;
  pthread_cond_t done;

  /* the job in progress, under lock */
  ember_pool_func func;
  void *data;
  uint64_t n_items;
  uint64_t generation;  /* bumped for each job */
  uint32_t pending;     /* workers still busy with this job */
  bool quit;
};

typedef struct {
  ember_pool *pool;
  uint32_t index;       /* 1 .. n_threads - 1; the caller is 0 */
} worker_arg;

static void
share (uint64_t  n_items,
       uint32_t  n_threads,
       uint32_t  index,
       uint64_t *begin,
       uint64_t *end)
{
  *begin = n_items * index / n_threads;
  *end = n_items * (index + 1) / n_threads;
}

static void *
worker_main (void *p)
{
  worker_arg *arg = p;
  ember_pool *pool = arg->pool;
  uint64_t seen = 0;

  pthread_mutex_lock (&pool->lock);
  for (;;)
    {
      while (!pool->quit && pool->generation == seen)
        pthread_cond_wait (&pool->start, &pool->lock);
      if (pool->quit)
        break;
      seen = pool->generation;
      {
        ember_pool_func func = pool->func;
        void *data = pool->data;
        uint64_t begin, end;

        share (pool->n_items, pool->n_threads, arg->index, &begin, &end);
        pthread_mutex_unlock (&pool->lock);
        if (begin < end)
          func (data, begin, end);
        pthread_mutex_lock (&pool->lock);
      }
      if (--pool->pending == 0)
        pthread_cond_signal (&pool->done);
    }
  pthread_mutex_unlock (&pool->lock);
  free (arg);
  return NULL;
}

ember_pool *
ember_pool_new (uint32_t n_threads)
{
  ember_pool *pool = calloc (1, sizeof *pool);

  if (pool == NULL)
    return NULL;
  pool->n_threads = n_threads > 0 ? n_threads : 1;
  pthread_mutex_init (&pool->lock, NULL);
  pthread_cond_init (&pool->start, NULL);
  pthread_cond_init (&pool->done, NULL);

  if (pool->n_threads > 1)
    {
      pool->workers = calloc (pool->n_threads - 1, sizeof *pool->workers);
      if (pool->workers == NULL)
        {
          pool->n_threads = 1;
          return pool;
        }
      for (uint32_t i = 1; i < pool->n_threads; i++)
        {
          worker_arg *arg = malloc (sizeof *arg);

          if (arg == NULL)
            {
              pool->n_threads = i;
              break;
            }
          arg->pool = pool;
          arg->index = i;
          if (pthread_create (&pool->workers[i - 1], NULL, worker_main, arg) != 0)
            {
              free (arg);
              pool->n_threads = i; /* fewer workers: still correct */
              break;
            }
        }
    }
  return pool;
}

void
ember_pool_free (ember_pool *pool)
{
  if (pool == NULL)
    return;
  pthread_mutex_lock (&pool->lock);
  pool->quit = true;
  pthread_cond_broadcast (&pool->start);
  pthread_mutex_unlock (&pool->lock);
  for (uint32_t i = 1; i < pool->n_threads; i++)
    pthread_join (pool->workers[i - 1], NULL);
  free (pool->workers);
  pthread_cond_destroy (&pool->start);
  pthread_cond_destroy (&pool->done);
  pthread_mutex_destroy (&pool->lock);
  free (pool);
}

uint32_t
ember_pool_get_n_threads (const ember_pool *pool)
{
  return pool->n_threads;
}

void
ember_pool_run (ember_pool     *pool,
                ember_pool_func func,
                void           *data,
                uint64_t        n_items)
{
  uint64_t begin, end;

  if (pool->n_threads <= 1 || n_items < 2)
    {
      if (n_items > 0)
        func (data, 0, n_items);
      return;
    }

  pthread_mutex_lock (&pool->lock);
  pool->func = func;
  pool->data = data;
  pool->n_items = n_items;
  pool->pending = pool->n_threads - 1;
  pool->generation++;
  pthread_cond_broadcast (&pool->start);
  pthread_mutex_unlock (&pool->lock);

  share (n_items, pool->n_threads, 0, &begin, &end);
  if (begin < end)
    func (data, begin, end);

  pthread_mutex_lock (&pool->lock);
  while (pool->pending > 0)
    pthread_cond_wait (&pool->done, &pool->lock);
  pthread_mutex_unlock (&pool->lock);
}
