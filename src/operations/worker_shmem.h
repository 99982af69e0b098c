/*
 * worker_shmem.h — the shared memory the launcher, the per-database workers
 * and ordinary backends meet in: a slot per database and duty (who runs
 * there, when it wakes, what it did), and the latches a committing
 * transaction sets to wake the worker.
 */
#ifndef BEDROCK_WORKER_SHMEM_H
#define BEDROCK_WORKER_SHMEM_H

#include "postgres.h"

#include "datatype/timestamp.h"

#define WORKER_MAX_DATABASES 64

/* The duties of each database's one worker, each with its slot. */
typedef enum WorkerKind
{
	WORKER_ESCALATION,			/* acts on ticket deadlines */
	WORKER_DELIVERY,			/* delivers the outbox */
	WORKER_KIND_COUNT
} WorkerKind;

#define WORKER_MAX_SLOTS (WORKER_MAX_DATABASES * WORKER_KIND_COUNT)
#define WORKER_ERROR_LENGTH 256

/* What a worker reports after each pass. */
typedef struct WorkerPassReport
{
	int64		taken;			/* tickets looked at, messages claimed (worker_state's last_pass_tickets) */
	int64		done;			/* actions taken, messages delivered (last_pass_actions) */
	TimestampTz finished_at;
	bool		failed;
	char		error[WORKER_ERROR_LENGTH];
} WorkerPassReport;

/* In _PG_init while shared_preload_libraries are loaded. */
extern void worker_shmem_request(void);

/* true once the library was preloaded and shared memory exists */
extern bool worker_shmem_available(void);

/* Launcher side. */
extern void worker_shmem_register_launcher(void);
extern void worker_shmem_request_rescan(void);
extern bool worker_shmem_take_rescan(void);
extern bool worker_shmem_should_start(Oid database, bool rescan, TimestampTz now);
extern void worker_shmem_forget_databases_except(const Oid *databases, int count);

/* Worker side: claim the database's slots, one per duty (false: another worker has them). */
extern bool worker_shmem_claim(Oid database);
extern void worker_shmem_mark_extension_absent(void);
extern void worker_shmem_set_awake(void);
/* Whether a commit asked for that duty since the last call; clears it. */
extern bool worker_shmem_take_woken(WorkerKind kind);
/*
 * Publishes each duty's wake_at (so commits scheduling something earlier
 * wake the worker) and sleeps until the earliest.
 */
extern void worker_shmem_sleep_until(const TimestampTz *wake_at);
extern void worker_shmem_report_pass(WorkerKind kind, const WorkerPassReport *report);

/* Any backend: stop the database's workers for a while (DROP/RENAME DATABASE). */
extern void worker_shmem_stop_database_worker(Oid database, int holdoff_ms);

/* Any backend: wake this database's worker for its deadlines at commit if it sleeps past time. */
extern void worker_wake_at_commit_if_before(TimestampTz time);
/* Any backend: wake this database's worker for that duty at commit, whatever it waits for. */
extern void worker_wake_kind_at_commit(WorkerKind kind);
/* Any backend: wake this database's worker for that duty now, commit or not. */
extern void worker_wake_now(WorkerKind kind);
/* Any backend: wake all of this database's workers at commit. */
extern void worker_wake_at_commit(void);
/* Any backend: this transaction changed support.delivery_endpoints (counted, and the delivery worker woken, at commit). */
extern void worker_endpoints_changed_at_commit(void);
/* The delivery worker: how many committed changes to the endpoints it was told of. */
extern uint64 worker_shmem_endpoint_changes(void);
/* Any backend: have the launcher look for new databases at commit. */
extern void worker_wake_launcher_at_commit(void);

#endif
