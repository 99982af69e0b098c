/*
 * worker_shmem.c — shared state of the launcher and the desk workers.
 *
 * Each database's worker has two duties, acting on ticket deadlines and
 * delivering the outbox, and a slot per duty: the worker's pid and latch
 * (the same in both), the time that duty next needs it, whether a commit
 * woke it for that duty, and its last pass. A transaction that schedules a
 * ticket action earlier than that time, or queues a message, marks the
 * duty and sets the worker's latch once it commits (never before: the
 * worker would not see the row), so the worker's reaction does not depend
 * on support.max_sleep.
 */
#include "postgres.h"

#include <signal.h>

#include "access/xact.h"
#include "fmgr.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "port/atomics.h"
#include "storage/ipc.h"
#include "storage/latch.h"
#include "utils/wait_event.h"
#include "storage/lwlock.h"
#include "storage/proc.h"
#include "storage/shmem.h"
#include "utils/builtins.h"
#include "utils/timestamp.h"

#include "operations/worker_shmem.h"

/* next_wakeup while the worker is awake: wake it for anything */
#define WAKEUP_AWAKE 0
/* next_wakeup with nothing scheduled */
#define WAKEUP_NEVER PG_INT64_MAX

typedef struct WorkerSlot
{
	Oid			database;		/* InvalidOid: free */
	WorkerKind	kind;
	pid_t		pid;			/* 0: no worker running */
	Latch	   *latch;
	bool		extension_absent;
	TimestampTz holdoff_until;	/* not started again before */
	pg_atomic_uint64 next_wakeup;
	/* a commit asked for this duty since the worker last looked */
	pg_atomic_uint32 woken;
	/* delivery: commits that changed the endpoints, counted before the wake */
	pg_atomic_uint64 endpoint_changes;
	TimestampTz started_at;
	TimestampTz last_pass_at;
	int64		last_pass_tickets;
	int64		last_pass_actions;
	int64		passes;
	int64		actions_total;
	int64		errors;
	TimestampTz last_error_at;
	char		last_error[WORKER_ERROR_LENGTH];
} WorkerSlot;

typedef struct WorkerShared
{
	LWLock	   *lock;
	pid_t		launcher_pid;
	Latch	   *launcher_latch;
	bool		rescan;			/* a CREATE or ALTER EXTENSION committed */
	WorkerSlot	slots[WORKER_MAX_SLOTS];
} WorkerShared;

static WorkerShared *worker_shared = NULL;
/* in a worker: its slot of each duty */
static WorkerSlot *my_slots[WORKER_KIND_COUNT];
static bool is_worker = false;
static shmem_request_hook_type previous_shmem_request = NULL;
static shmem_startup_hook_type previous_shmem_startup = NULL;

/* what this transaction asks for at commit, per kind of worker */
static bool wake_pending[WORKER_KIND_COUNT];
static TimestampTz wake_before[WORKER_KIND_COUNT];
static bool wake_launcher_pending = false;
static bool endpoints_changed = false;
static bool xact_callback_registered = false;

static void
worker_shmem_on_request(void)
{
	if (previous_shmem_request)
		previous_shmem_request();
	RequestAddinShmemSpace(MAXALIGN(sizeof(WorkerShared)));
	RequestNamedLWLockTranche("bedrock_support", 1);
}

static void
worker_shmem_on_startup(void)
{
	bool		found;

	if (previous_shmem_startup)
		previous_shmem_startup();
	LWLockAcquire(AddinShmemInitLock, LW_EXCLUSIVE);
	worker_shared = ShmemInitStruct("bedrock_support workers", sizeof(WorkerShared), &found);
	if (!found)
	{
		memset(worker_shared, 0, sizeof(WorkerShared));
		worker_shared->lock = &(GetNamedLWLockTranche("bedrock_support"))->lock;
		for (int i = 0; i < WORKER_MAX_SLOTS; i++)
		{
			pg_atomic_init_u64(&worker_shared->slots[i].next_wakeup, WAKEUP_NEVER);
			pg_atomic_init_u32(&worker_shared->slots[i].woken, 0);
			pg_atomic_init_u64(&worker_shared->slots[i].endpoint_changes, 0);
		}
	}
	LWLockRelease(AddinShmemInitLock);
}

static void worker_shmem_xact_callback(XactEvent event, void *argument);

void
worker_shmem_request(void)
{
	previous_shmem_request = shmem_request_hook;
	shmem_request_hook = worker_shmem_on_request;
	previous_shmem_startup = shmem_startup_hook;
	shmem_startup_hook = worker_shmem_on_startup;
}

bool
worker_shmem_available(void)
{
	return worker_shared != NULL;
}

/* The slot of database's worker of kind, made if missing and make is set; lock held. */
static WorkerSlot *
worker_shmem_slot_find(Oid database, WorkerKind kind, bool make)
{
	WorkerSlot *free_slot = NULL;

	for (int i = 0; i < WORKER_MAX_SLOTS; i++)
	{
		WorkerSlot *slot = &worker_shared->slots[i];

		if (slot->database == database && slot->kind == kind)
			return slot;
		if (slot->database == InvalidOid && free_slot == NULL)
			free_slot = slot;
	}
	if (!make || free_slot == NULL)
		return NULL;
	memset(free_slot, 0, offsetof(WorkerSlot, next_wakeup));
	free_slot->database = database;
	free_slot->kind = kind;
	pg_atomic_write_u64(&free_slot->next_wakeup, WAKEUP_NEVER);
	pg_atomic_write_u32(&free_slot->woken, 0);
	free_slot->started_at = 0;
	free_slot->last_pass_at = 0;
	free_slot->passes = free_slot->actions_total = free_slot->errors = 0;
	free_slot->last_pass_tickets = free_slot->last_pass_actions = 0;
	free_slot->last_error_at = 0;
	free_slot->last_error[0] = '\0';
	return free_slot;
}

/* ---- launcher ---- */

static void
worker_shmem_launcher_exit(int code, Datum argument)
{
	LWLockAcquire(worker_shared->lock, LW_EXCLUSIVE);
	worker_shared->launcher_pid = 0;
	worker_shared->launcher_latch = NULL;
	LWLockRelease(worker_shared->lock);
}

void
worker_shmem_register_launcher(void)
{
	LWLockAcquire(worker_shared->lock, LW_EXCLUSIVE);
	worker_shared->launcher_pid = MyProcPid;
	worker_shared->launcher_latch = MyLatch;
	worker_shared->rescan = true;
	LWLockRelease(worker_shared->lock);
	before_shmem_exit(worker_shmem_launcher_exit, (Datum) 0);
}

void
worker_shmem_request_rescan(void)
{
	LWLockAcquire(worker_shared->lock, LW_EXCLUSIVE);
	worker_shared->rescan = true;
	LWLockRelease(worker_shared->lock);
}

bool
worker_shmem_take_rescan(void)
{
	bool		rescan;

	LWLockAcquire(worker_shared->lock, LW_EXCLUSIVE);
	rescan = worker_shared->rescan;
	worker_shared->rescan = false;
	LWLockRelease(worker_shared->lock);
	return rescan;
}

/*
 * Whether the launcher should start a worker for database now: none runs
 * there, it is not held off, and the extension was not found there since
 * the last rescan.
 */
bool
worker_shmem_should_start(Oid database, bool rescan, TimestampTz now)
{
	bool		start = true;

	LWLockAcquire(worker_shared->lock, LW_EXCLUSIVE);
	for (int kind = 0; kind < WORKER_KIND_COUNT; kind++)
	{
		WorkerSlot *slot = worker_shmem_slot_find(database, (WorkerKind) kind, true);

		if (slot == NULL)
		{
			ereport(WARNING,
					(errmsg("bedrock_support: no worker slot left for database %u", database),
					 errdetail("At most %d databases can run the worker.", WORKER_MAX_DATABASES)));
			start = false;
			continue;
		}
		if (rescan)
			slot->extension_absent = false;
		start = start && slot->pid == 0 && !slot->extension_absent && now >= slot->holdoff_until;
	}
	LWLockRelease(worker_shared->lock);
	return start;
}

/* Free the slots of databases that no longer exist. */
void
worker_shmem_forget_databases_except(const Oid *databases, int count)
{
	LWLockAcquire(worker_shared->lock, LW_EXCLUSIVE);
	for (int i = 0; i < WORKER_MAX_SLOTS; i++)
	{
		WorkerSlot *slot = &worker_shared->slots[i];
		bool		exists = false;

		if (slot->database == InvalidOid || slot->pid != 0)
			continue;
		for (int j = 0; j < count && !exists; j++)
			exists = databases[j] == slot->database;
		if (!exists)
			slot->database = InvalidOid;
	}
	LWLockRelease(worker_shared->lock);
}

/* ---- worker ---- */

static void
worker_shmem_worker_exit(int code, Datum argument)
{
	LWLockAcquire(worker_shared->lock, LW_EXCLUSIVE);
	for (int kind = 0; kind < WORKER_KIND_COUNT; kind++)
	{
		WorkerSlot *slot = my_slots[kind];

		slot->pid = 0;
		slot->latch = NULL;
		pg_atomic_write_u64(&slot->next_wakeup, WAKEUP_NEVER);
		/* a worker that failed is started again after a pause, not in a loop */
		if (code != 0)
			slot->holdoff_until = GetCurrentTimestamp() + USECS_PER_SEC;
		my_slots[kind] = NULL;
	}
	LWLockRelease(worker_shared->lock);
	is_worker = false;
}

bool
worker_shmem_claim(Oid database)
{
	WorkerSlot *slots[WORKER_KIND_COUNT];

	LWLockAcquire(worker_shared->lock, LW_EXCLUSIVE);
	for (int kind = 0; kind < WORKER_KIND_COUNT; kind++)
	{
		slots[kind] = worker_shmem_slot_find(database, (WorkerKind) kind, true);
		if (slots[kind] == NULL || slots[kind]->pid != 0)
		{
			LWLockRelease(worker_shared->lock);
			return false;
		}
	}
	for (int kind = 0; kind < WORKER_KIND_COUNT; kind++)
	{
		slots[kind]->pid = MyProcPid;
		slots[kind]->latch = MyLatch;
		slots[kind]->started_at = GetCurrentTimestamp();
		pg_atomic_write_u64(&slots[kind]->next_wakeup, WAKEUP_AWAKE);
		my_slots[kind] = slots[kind];
	}
	is_worker = true;
	LWLockRelease(worker_shared->lock);
	before_shmem_exit(worker_shmem_worker_exit, (Datum) 0);
	return true;
}

/* The extension is missing, or the worker disabled, in this database. */
void
worker_shmem_mark_extension_absent(void)
{
	LWLockAcquire(worker_shared->lock, LW_EXCLUSIVE);
	for (int kind = 0; kind < WORKER_KIND_COUNT; kind++)
		my_slots[kind]->extension_absent = true;
	LWLockRelease(worker_shared->lock);
}

/*
 * Awake: every commit that schedules an action or queues a message marks
 * its duty and sets the latch, so one that commits while the worker works
 * is not missed.
 */
void
worker_shmem_set_awake(void)
{
	for (int kind = 0; kind < WORKER_KIND_COUNT; kind++)
		pg_atomic_write_u64(&my_slots[kind]->next_wakeup, WAKEUP_AWAKE);
	pg_memory_barrier();
}

bool
worker_shmem_take_woken(WorkerKind kind)
{
	return pg_atomic_exchange_u32(&my_slots[kind]->woken, 0) != 0;
}

void
worker_shmem_sleep_until(const TimestampTz *wake_at)
{
	TimestampTz now = GetCurrentTimestamp();
	TimestampTz earliest = wake_at[0];
	long		timeout_ms = 0;

	for (int kind = 1; kind < WORKER_KIND_COUNT; kind++)
		earliest = Min(earliest, wake_at[kind]);
	if (earliest > now)
	{
		long		seconds;
		int			microseconds;

		TimestampDifference(now, earliest, &seconds, &microseconds);
		/* rounded up, so the worker never wakes before a deadline */
		timeout_ms = seconds * 1000 + (microseconds + 999) / 1000;
	}
	for (int kind = 0; kind < WORKER_KIND_COUNT; kind++)
		pg_atomic_write_u64(&my_slots[kind]->next_wakeup, (uint64) wake_at[kind]);
	pg_memory_barrier();
	(void) WaitLatch(MyLatch, WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH,
					 timeout_ms, PG_WAIT_EXTENSION);
	ResetLatch(MyLatch);
}

void
worker_shmem_report_pass(WorkerKind kind, const WorkerPassReport *report)
{
	WorkerSlot *slot = my_slots[kind];

	LWLockAcquire(worker_shared->lock, LW_EXCLUSIVE);
	slot->last_pass_at = report->finished_at;
	slot->last_pass_tickets = report->taken;
	slot->last_pass_actions = report->done;
	slot->passes++;
	slot->actions_total += report->done;
	if (report->failed)
	{
		slot->errors++;
		slot->last_error_at = report->finished_at;
		strlcpy(slot->last_error, report->error, sizeof(slot->last_error));
	}
	LWLockRelease(worker_shared->lock);
}

/* ---- any backend ---- */

void
worker_shmem_stop_database_worker(Oid database, int holdoff_ms)
{
	pid_t		pids[WORKER_KIND_COUNT] = {0};

	if (worker_shared == NULL)
		return;
	LWLockAcquire(worker_shared->lock, LW_EXCLUSIVE);
	for (int kind = 0; kind < WORKER_KIND_COUNT; kind++)
	{
		WorkerSlot *slot = worker_shmem_slot_find(database, (WorkerKind) kind, false);

		if (slot != NULL)
		{
			slot->holdoff_until = TimestampTzPlusMilliseconds(GetCurrentTimestamp(), holdoff_ms);
			pids[kind] = slot->pid;
		}
	}
	LWLockRelease(worker_shared->lock);
	for (int kind = 0; kind < WORKER_KIND_COUNT; kind++)
		if (pids[kind] != 0)
			kill(pids[kind], SIGTERM);
}

static void
worker_shmem_register_callback(void)
{
	if (!xact_callback_registered)
	{
		RegisterXactCallback(worker_shmem_xact_callback, NULL);
		xact_callback_registered = true;
	}
}

static void
worker_wake_kind_at_commit_if_before(WorkerKind kind, TimestampTz time)
{
	if (worker_shared == NULL || is_worker)
		return;					/* not preloaded, or the worker itself (it looks at its own work) */
	if (!wake_pending[kind] || time < wake_before[kind])
		wake_before[kind] = time;
	wake_pending[kind] = true;
	worker_shmem_register_callback();
}

void
worker_wake_at_commit_if_before(TimestampTz time)
{
	worker_wake_kind_at_commit_if_before(WORKER_ESCALATION, time);
}

void
worker_wake_kind_at_commit(WorkerKind kind)
{
	worker_wake_kind_at_commit_if_before(kind, DT_NOBEGIN);
}

/*
 * Wakes this database's worker for that duty now, whether this transaction
 * commits or not: for what shared memory holds outside transactions (the
 * wrong one-time codes of second_factor.c, whose transactions fail).
 */
void
worker_wake_now(WorkerKind kind)
{
	if (!worker_shmem_available())
		return;
	LWLockAcquire(worker_shared->lock, LW_SHARED);
	for (int i = 0; i < WORKER_MAX_SLOTS; i++)
	{
		WorkerSlot *slot = &worker_shared->slots[i];

		if (slot->database == MyDatabaseId && slot->kind == kind && slot->latch != NULL)
		{
			pg_atomic_write_u32(&slot->woken, 1);
			SetLatch(slot->latch);
		}
	}
	LWLockRelease(worker_shared->lock);
}

void
worker_wake_at_commit(void)
{
	for (int kind = 0; kind < WORKER_KIND_COUNT; kind++)
		worker_wake_kind_at_commit((WorkerKind) kind);
}

void
worker_endpoints_changed_at_commit(void)
{
	if (worker_shared == NULL)
		return;
	endpoints_changed = true;
	worker_wake_kind_at_commit(WORKER_DELIVERY);
}

uint64
worker_shmem_endpoint_changes(void)
{
	return is_worker ? pg_atomic_read_u64(&my_slots[WORKER_DELIVERY]->endpoint_changes) : 0;
}

void
worker_wake_launcher_at_commit(void)
{
	if (worker_shared == NULL)
		return;
	wake_launcher_pending = true;
	worker_shmem_register_callback();
}

static void
worker_shmem_xact_callback(XactEvent event, void *argument)
{
	if (event == XACT_EVENT_COMMIT || event == XACT_EVENT_PARALLEL_COMMIT)
	{
		LWLockAcquire(worker_shared->lock, LW_SHARED);
		for (int i = 0; i < WORKER_MAX_SLOTS; i++)
		{
			WorkerSlot *slot = &worker_shared->slots[i];
			TimestampTz before = wake_before[slot->kind];
			uint64		next;

			if (slot->database != MyDatabaseId || slot->latch == NULL || !wake_pending[slot->kind])
				continue;
			/*
			 * Counted before the wake, and after this transaction became
			 * visible: the invalidations that would also say so are sent
			 * only after these callbacks, too late for the woken worker.
			 */
			if (endpoints_changed && slot->kind == WORKER_DELIVERY)
				pg_atomic_fetch_add_u64(&slot->endpoint_changes, 1);
			next = pg_atomic_read_u64(&slot->next_wakeup);
			if (next == WAKEUP_AWAKE || before == DT_NOBEGIN || (uint64) before < next)
			{
				pg_atomic_write_u32(&slot->woken, 1);
				SetLatch(slot->latch);
			}
		}
		LWLockRelease(worker_shared->lock);
		if (wake_launcher_pending)
		{
			LWLockAcquire(worker_shared->lock, LW_EXCLUSIVE);
			worker_shared->rescan = true;
			if (worker_shared->launcher_latch != NULL)
				SetLatch(worker_shared->launcher_latch);
			LWLockRelease(worker_shared->lock);
		}
	}
	if (event == XACT_EVENT_COMMIT || event == XACT_EVENT_PARALLEL_COMMIT ||
		event == XACT_EVENT_ABORT || event == XACT_EVENT_PARALLEL_ABORT ||
		event == XACT_EVENT_PREPARE)
	{
		memset(wake_pending, 0, sizeof(wake_pending));
		wake_launcher_pending = false;
		endpoints_changed = false;
	}
}

/*
 * support.worker_state() — the worker of the current database as the
 * launcher and the worker last left it.
 */
static Datum worker_shmem_state_of(FunctionCallInfo fcinfo, WorkerKind kind);

PG_FUNCTION_INFO_V1(worker_state);
Datum
worker_state(PG_FUNCTION_ARGS)
{
	return worker_shmem_state_of(fcinfo, WORKER_ESCALATION);
}

/* support.delivery_worker_state(): the same for the outbox's delivery worker */
PG_FUNCTION_INFO_V1(delivery_worker_state);
Datum
delivery_worker_state(PG_FUNCTION_ARGS)
{
	return worker_shmem_state_of(fcinfo, WORKER_DELIVERY);
}

static Datum
worker_shmem_state_of(FunctionCallInfo fcinfo, WorkerKind kind)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	WorkerSlot	copy;
	bool		found = false;
	Datum		values[13];
	bool		nulls[13];
	uint64		next;

	InitMaterializedSRF(fcinfo, 0);
	memset(nulls, 0, sizeof(nulls));
	if (worker_shared != NULL)
	{
		LWLockAcquire(worker_shared->lock, LW_SHARED);
		for (int i = 0; i < WORKER_MAX_SLOTS && !found; i++)
			if (worker_shared->slots[i].database == MyDatabaseId &&
				worker_shared->slots[i].kind == kind)
			{
				memcpy(&copy, &worker_shared->slots[i], sizeof(copy));
				next = pg_atomic_read_u64(&worker_shared->slots[i].next_wakeup);
				found = true;
			}
		LWLockRelease(worker_shared->lock);
	}
	values[0] = BoolGetDatum(worker_shared != NULL);
	if (!found)
	{
		for (size_t i = 1; i < lengthof(values); i++)
			nulls[i] = true;
		values[1] = CStringGetTextDatum(worker_shared == NULL ? "not preloaded" : "not started");
		nulls[1] = false;
	}
	else
	{
		values[1] = CStringGetTextDatum(copy.pid == 0 ? (copy.extension_absent ? "stopped" : "not running")
										: next == WAKEUP_AWAKE ? "working" : "sleeping");
		values[2] = Int32GetDatum(copy.pid);
		nulls[2] = copy.pid == 0;
		values[3] = TimestampTzGetDatum(copy.started_at);
		nulls[3] = copy.started_at == 0;
		values[4] = TimestampTzGetDatum(copy.last_pass_at);
		nulls[4] = copy.last_pass_at == 0;
		values[5] = Int64GetDatum(copy.last_pass_tickets);
		values[6] = Int64GetDatum(copy.last_pass_actions);
		values[7] = Int64GetDatum(copy.passes);
		values[8] = Int64GetDatum(copy.actions_total);
		values[9] = TimestampTzGetDatum((TimestampTz) next);
		nulls[9] = copy.pid == 0 || next == WAKEUP_AWAKE || next == WAKEUP_NEVER;
		values[10] = Int64GetDatum(copy.errors);
		values[11] = TimestampTzGetDatum(copy.last_error_at);
		nulls[11] = copy.last_error_at == 0;
		values[12] = CStringGetTextDatum(copy.last_error);
		nulls[12] = copy.last_error[0] == '\0';
	}
	tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	return (Datum) 0;
}

/*
 * support.wake_worker() — called by the extension's scripts, so a worker
 * starts in a database that just got the extension, at commit.
 */
PG_FUNCTION_INFO_V1(wake_worker);
Datum
wake_worker(PG_FUNCTION_ARGS)
{
	worker_wake_at_commit();
	worker_wake_launcher_at_commit();
	PG_RETURN_VOID();
}
