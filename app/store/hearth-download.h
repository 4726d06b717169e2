/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * HearthDownload: one URL into one file, resumable across pauses, failures
 * and restarts of the process.
 *
 * While it runs, the bytes go to DEST.partial and a small JSON file,
 * DEST.partial.json, records what they are (the URL, the expected SHA-256 and
 * size, the server's ETag and Last-Modified, the total size). DEST itself
 * appears, by a rename, only once the whole file is there and its SHA-256 and
 * size are the expected ones. A new HearthDownload for the same DEST picks up
 * the partial file where the last one left it, with an HTTP Range request
 * (If-Range with the validators the server gave); a server that answers 200
 * instead restarts the file from byte 0, but the progress shown never moves
 * backwards.
 *
 * Transient failures (the connection lost or refused, no byte for the stall
 * timeout, 5xx, 408, 429) are retried with exponential backoff (Retry-After
 * honoured), resuming from what was received; an attempt that received data
 * resets the count. After max-retries failed attempts in a row the download
 * goes to PAUSED with the reason in the error property, keeping the partial
 * file: hearth_download_start() resumes it later. 404 and 410, other 4xx,
 * TLS failures, a full disk and a corrupt file fail at once (FAILED). A
 * failed download keeps its partial file, except a corrupt one, which is
 * deleted; hearth_download_cancel() deletes it in any state but DONE.
 *
 * One object per DEST at a time: two downloads into the same file, in one
 * process or two, would write over each other.
 *
 * Everything happens asynchronously on the thread-default main context of
 * the thread that called hearth_download_new(), which must be the thread
 * that calls every other function; properties are notified and signals
 * emitted there. Disk writes are synchronous (one buffer of at most 256 KiB
 * at a time, to the page cache), which keeps the partial file's length and
 * its running SHA-256 in step without ordering asynchronous writes; the one
 * long read, hashing a partial file left by an earlier run, is asynchronous.
 *
 * Dropping the last reference while a transfer runs stops it as
 * hearth_download_pause() does (the partial file stays).
 *
 * One download per DEST: while one runs (or waits to retry) it holds an
 * flock() on DEST.partial.lock, and another HearthDownload of the same DEST,
 * in this process or another, fails at start() with
 * HEARTH_DOWNLOAD_ERROR_BUSY.
 */
#pragma once

#include <gio/gio.h>
#include <libsoup/soup.h>

G_BEGIN_DECLS

#define HEARTH_TYPE_DOWNLOAD (hearth_download_get_type ())
G_DECLARE_FINAL_TYPE (HearthDownload, hearth_download, HEARTH, DOWNLOAD, GObject)

#define HEARTH_TYPE_DOWNLOAD_STATE (hearth_download_state_get_type ())

typedef enum {
  HEARTH_DOWNLOAD_STATE_IDLE,     /* not started, or cancelled */
  HEARTH_DOWNLOAD_STATE_RUNNING,  /* hashing what is there, connecting or receiving */
  HEARTH_DOWNLOAD_STATE_RETRYING, /* waiting to retry after a transient failure */
  HEARTH_DOWNLOAD_STATE_PAUSED,   /* by hearth_download_pause() or after max-retries */
  HEARTH_DOWNLOAD_STATE_FAILED,   /* a failure that retrying will not fix */
  HEARTH_DOWNLOAD_STATE_DONE,     /* DEST is complete and verified */
} HearthDownloadState;

GType hearth_download_state_get_type (void);

#define HEARTH_DOWNLOAD_ERROR (hearth_download_error_quark ())

typedef enum {
  HEARTH_DOWNLOAD_ERROR_NOT_FOUND, /* 404 or 410 */
  HEARTH_DOWNLOAD_ERROR_HTTP,      /* another 4xx, 5xx after retries, a bad URL or redirect */
  HEARTH_DOWNLOAD_ERROR_CORRUPT,   /* SHA-256 or size not the expected ones */
  HEARTH_DOWNLOAD_ERROR_NO_SPACE,  /* not enough free space for the rest */
  HEARTH_DOWNLOAD_ERROR_STALLED,   /* no byte for the stall timeout, after retries */
  HEARTH_DOWNLOAD_ERROR_NETWORK,   /* connection failures, after retries */
  HEARTH_DOWNLOAD_ERROR_TLS,       /* the secure connection failed (certificate, …) */
  HEARTH_DOWNLOAD_ERROR_IO,        /* the partial or final file could not be written */
  HEARTH_DOWNLOAD_ERROR_CANCELLED, /* hearth_download_cancel(); never shown to people */
  HEARTH_DOWNLOAD_ERROR_BUSY,      /* another download (any process) has DEST's lock */
} HearthDownloadError;

GQuark hearth_download_error_quark (void);

/* Returns a new download of @url into @dest_path, in state IDLE; nothing
 * happens until hearth_download_start(). @session is referenced (pass the
 * application's one: its proxy resolver and TLS database are used as they
 * are). @expected_sha256: 64 lowercase hex digits, or NULL when unknown
 * (a precondition: check digests from a manifest before); @expected_size: in
 * bytes, at most G_MAXINT64, or 0 when unknown. Either mismatch fails the
 * download with HEARTH_DOWNLOAD_ERROR_CORRUPT. An @url that is not http(s)
 * fails at start() with HEARTH_DOWNLOAD_ERROR_HTTP. */
HearthDownload *hearth_download_new (SoupSession *session,
                                     const char  *url,
                                     const char  *dest_path,
                                     const char  *expected_sha256,
                                     guint64      expected_size);

/* Starts the download, or resumes it from the partial file (whichever object
 * wrote it). Does nothing while RUNNING, RETRYING or DONE. From FAILED it
 * tries again (from the partial file when one is kept). */
void hearth_download_start (HearthDownload *self);

/* Stops the transfer and any pending retry and goes to PAUSED; the partial
 * file and its state stay for a later start(). Does nothing unless RUNNING
 * or RETRYING. */
void hearth_download_pause (HearthDownload *self);

/* Stops the transfer, deletes the partial file and its state, and goes back
 * to IDLE with no bytes done. Emits ::finished with
 * HEARTH_DOWNLOAD_ERROR_CANCELLED when it was RUNNING or RETRYING. Does
 * nothing once DONE (the final file is never deleted). */
void hearth_download_cancel (HearthDownload *self);

HearthDownloadState hearth_download_get_state (HearthDownload *self);

/* Bytes of the file received so far, as shown to people: it never moves
 * backwards while the download goes on, even when a server that ignores Range
 * makes it start again from byte 0 (it holds the high-water mark until the
 * real count passes it). It goes back to 0 on cancel() and on a CORRUPT
 * failure, whose partial file is deleted. */
guint64 hearth_download_get_bytes_done (HearthDownload *self);

/* The size of the whole file: expected_size, or what the server said; 0 when
 * unknown. */
guint64 hearth_download_get_bytes_total (HearthDownload *self);

/* Receiving speed in bytes per second, smoothed over about a second; 0 when
 * not receiving. */
double hearth_download_get_speed (HearthDownload *self);

/* The last failure (borrowed, or NULL): the reason while RETRYING, when
 * PAUSED after max-retries, and when FAILED. start() clears it; pause() by
 * the caller clears it too. */
const GError *hearth_download_get_error (HearthDownload *self);

/* The lowercase hex SHA-256 of the final file once DONE (borrowed), else
 * NULL. Useful when no expected_sha256 was given. */
const char *hearth_download_get_sha256 (HearthDownload *self);

const char *hearth_download_get_url (HearthDownload *self);
const char *hearth_download_get_dest_path (HearthDownload *self);

/* Tunables (tests use short ones); set them before start().
 * Stall timeout: an attempt that receives no byte for this long (headers
 * included) is aborted and retried. Default 30,000 ms. */
void hearth_download_set_stall_timeout (HearthDownload *self,
                                        guint           msec);

/* Failed attempts in a row, without a byte received, retried before going to
 * PAUSED. Default 5 (six attempts in all). */
void hearth_download_set_max_retries (HearthDownload *self,
                                      guint           max_retries);

/* The first retry waits @msec, each next one twice as long, at most 60 s;
 * a Retry-After header (seconds or a date, at most an hour) replaces it.
 * Default 1,000 ms. */
void hearth_download_set_backoff (HearthDownload *self,
                                  guint           msec);

/* Signals, all on the main context of the download:
 *
 * ::progress (void): bytes-done, bytes-total or speed changed. Emitted at
 * most ten times a second while receiving, plus once when the download
 * starts (with what the partial file already holds) and once when it ends.
 * The properties "bytes-done", "bytes-total" and "speed" are notified at the
 * same moments.
 *
 * ::finished (const GError *error): the download stopped by itself or was
 * cancelled: DONE (error NULL), FAILED, PAUSED after max-retries (the same
 * error as the error property), or cancel() (HEARTH_DOWNLOAD_ERROR_CANCELLED).
 * Not emitted on pause(). The "state" and "error" properties are notified
 * when they change.
 */

G_END_DECLS
