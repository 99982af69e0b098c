/*
 * worker_transaction.h — what a database's worker does around each piece
 * of work, for its deadlines and its deliveries: a transaction with an SPI connection and a
 * snapshot, shown in pg_stat_activity, and the check that the extension
 * they serve is (still) installed at a version that has what they need.
 */
#ifndef BEDROCK_WORKER_TRANSACTION_H
#define BEDROCK_WORKER_TRANSACTION_H

#include "postgres.h"

#include "datatype/timestamp.h"

#include "operations/worker_shmem.h"

/* From _PG_init: support.worker_lock_timeout and support.max_sleep. */
extern void worker_transaction_init_settings(void);

/* support.max_sleep: the longest either duty of a desk's worker sleeps */
extern int	worker_max_sleep_ms;

/* The start of a worker's main: signals, its slots, its database, its name. */
extern void worker_connect(Oid database, const char *name);

extern void worker_transaction_begin(const char *activity);
extern void worker_transaction_end(void);

/*
 * Inside worker_transaction_begin: unless this database has bedrock_support
 * installed at this library's version, marks the worker's slot, commits,
 * logs why the worker stops and exits cleanly. An extension script wakes
 * the launcher, which starts the worker again.
 */
extern void worker_require_extension(const char *worker);

/* Between steps: applies a reload; stops when support.worker_enabled is off. */
extern void worker_reload_or_stop(const char *worker);

/* The timestamp a one-row SELECT returns, read with a fresh snapshot; 0 for no row or NULL. */
extern TimestampTz worker_query_time(const char *query);

/*
 * Inside worker_transaction_begin: runs query in a subtransaction of its
 * own; an error is logged as a warning and rolls back only that query.
 * Returns the first column of the first row as an int64 (0 without one),
 * or -1 after an error.
 */
extern int64 worker_run_isolated(const char *query);

#endif
