/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * A pool of worker threads for data-parallel loops. Decoding one token runs
 * a few hundred short loops, so waking sleeping threads for each (tens of
 * microseconds) would cost more than the work: workers and the caller spin
 * briefly on atomics before they sleep on a condition variable.
 */

#include "config.h"

#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdlib.h>

#include "ember-threads.h"

/* Spins before sleeping: long enough to cover the gap between two loops of
 * one token, short enough not to burn a core while nothing happens. */
#define SPIN_ITERATIONS 20000

struct ember_pool {
  uint32_t n_threads;
  pthread_t *workers;

  /* The job: written by the caller before it bumps generation (release),
   * read by the workers after they see the new generation (acquire). */
  ember_pool_func func;
  void *data;
  uint64_t n_items;
  uint64_t grain;           /* items per piece */
  atomic_uint_fast64_t next; /* the first item no thread has taken */
  atomic_uint_fast64_t generation;
  atomic_uint pending;      /* workers still busy with this job */
  atomic_bool quit;

  /* sleeping, under lock */
  pthread_mutex_t lock;
  pthread_cond_t start;
  pthread_cond_t done;
  uint32_t sleepers;        /* workers waiting on start */
  bool caller_waiting;      /* the caller waiting on done */
};

typedef struct {
  ember_pool *pool;
  uint32_t index;       /* 1 .. n_threads - 1; the caller is 0 */
} worker_arg;

/* One turn of a spin: a pause, and every 64th turn the processor handed to
 * any other thread waiting for it. On a busy machine (more runnable threads
 * than cores) that thread is often the one this spin waits for: a pool
 * thread preempted mid-piece, or the caller with the next job. */
static inline void
cpu_relax (int spin)
{
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause ();
#endif
  if ((spin & 63) == 63)
    sched_yield ();
}

/* Takes pieces of the current job until none is left. Pieces rather than
 * one fixed share per thread: a thread the system preempts (a busy machine,
 * a window drawing) or one with slower items then holds the others up by
 * one piece at most, not by its whole share. */
static void
run_pieces (ember_pool *pool)
{
  for (;;)
    {
      uint64_t begin = atomic_fetch_add_explicit (&pool->next, pool->grain, memory_order_relaxed);

      if (begin >= pool->n_items)
        return;
      pool->func (pool->data, begin,
                  pool->n_items - begin < pool->grain ? pool->n_items : begin + pool->grain);
    }
}

/* Waits until generation differs from @seen (or quit); returns it. */
static uint64_t
wait_for_job (ember_pool *pool,
              uint64_t    seen)
{
  uint64_t g = seen;

  for (int spin = 0; spin < SPIN_ITERATIONS; spin++)
    {
      g = atomic_load_explicit (&pool->generation, memory_order_acquire);
      if (g != seen || atomic_load_explicit (&pool->quit, memory_order_acquire))
        return g;
      cpu_relax (spin);
    }

  pthread_mutex_lock (&pool->lock);
  pool->sleepers++;
  while ((g = atomic_load_explicit (&pool->generation, memory_order_acquire)) == seen
         && !atomic_load_explicit (&pool->quit, memory_order_acquire))
    pthread_cond_wait (&pool->start, &pool->lock);
  pool->sleepers--;
  pthread_mutex_unlock (&pool->lock);
  return g;
}

static void *
worker_main (void *p)
{
  worker_arg *arg = p;
  ember_pool *pool = arg->pool;
  uint64_t seen = 0;

  free (arg);
  for (;;)
    {
      seen = wait_for_job (pool, seen);
      if (atomic_load_explicit (&pool->quit, memory_order_acquire))
        break;

      run_pieces (pool);

      if (atomic_fetch_sub_explicit (&pool->pending, 1, memory_order_acq_rel) == 1)
        {
          /* the last one: wake the caller if it went to sleep */
          pthread_mutex_lock (&pool->lock);
          if (pool->caller_waiting)
            pthread_cond_signal (&pool->done);
          pthread_mutex_unlock (&pool->lock);
        }
    }
  return NULL;
}

ember_pool *
ember_pool_new (uint32_t n_threads)
{
  ember_pool *pool = calloc (1, sizeof *pool);

  if (pool == NULL)
    return NULL;
  pool->n_threads = n_threads > 0 ? n_threads : 1;
  atomic_init (&pool->generation, 0);
  atomic_init (&pool->pending, 0);
  atomic_init (&pool->quit, false);
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
  atomic_store_explicit (&pool->quit, true, memory_order_release);
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
  if (pool->n_threads <= 1 || n_items < 2)
    {
      if (n_items > 0)
        func (data, 0, n_items);
      return;
    }

  pool->func = func;
  pool->data = data;
  pool->n_items = n_items;
  /* four pieces a thread: small enough to even out, big enough that the
   * pieces' counter is not a hot spot */
  pool->grain = n_items / ((uint64_t) pool->n_threads * 4);
  if (pool->grain == 0)
    pool->grain = 1;
  atomic_store_explicit (&pool->next, 0, memory_order_relaxed);
  atomic_store_explicit (&pool->pending, pool->n_threads - 1, memory_order_relaxed);
  atomic_fetch_add_explicit (&pool->generation, 1, memory_order_release);
  pthread_mutex_lock (&pool->lock);
  if (pool->sleepers > 0)
    pthread_cond_broadcast (&pool->start);
  pthread_mutex_unlock (&pool->lock);

  run_pieces (pool);

  for (int spin = 0; spin < SPIN_ITERATIONS; spin++)
    {
      if (atomic_load_explicit (&pool->pending, memory_order_acquire) == 0)
        return;
      cpu_relax (spin);
    }
  pthread_mutex_lock (&pool->lock);
  pool->caller_waiting = true;
  while (atomic_load_explicit (&pool->pending, memory_order_acquire) > 0)
    pthread_cond_wait (&pool->done, &pool->lock);
  pool->caller_waiting = false;
  pthread_mutex_unlock (&pool->lock);
}
