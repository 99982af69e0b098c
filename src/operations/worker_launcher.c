/*
 * worker_launcher.c — the background worker that starts the worker of
 * every database (desk_worker.c), which acts on its ticket deadlines and
 * delivers its outbox: one process per desk beside the launcher.
 *
 * It is registered from _PG_init, so no setting names a database: every
 * database that accepts connections gets a worker, which stays only where
 * the extension is installed (it marks the others, and the launcher skips
 * them until an extension script asks it to look again at commit). It
 * starts only after recovery, so nothing runs on a hot standby and work
 * begins on promotion.
 */
#include "postgres.h"

#include "access/genam.h"
#include "access/heapam.h"
#include "access/htup_details.h"
#include "access/table.h"
#include "access/tableam.h"
#include "access/xact.h"
#include "catalog/pg_database.h"
#include "miscadmin.h"
#include "pgstat.h"
#include "postmaster/bgworker.h"
#include "postmaster/interrupt.h"
#include "storage/ipc.h"
#include "storage/latch.h"
#include "tcop/tcopprot.h"
#include "utils/guc.h"
#include "utils/memutils.h"
#include "utils/snapmgr.h"
#include "utils/timestamp.h"

#include "operations/worker_launcher.h"
#include "operations/worker_shmem.h"

/* how often the launcher looks for new or crashed workers without a wake-up */
#define LAUNCHER_NAP_MS 5000

typedef struct LaunchedWorker
{
	Oid			database;
	BackgroundWorkerHandle *handle;
	TimestampTz started_at;		/* last start, for the pause between starts */
} LaunchedWorker;

/*
 * A worker that dies before it can report (say, its database refuses
 * connections) is started again no sooner than this.
 */
#define LAUNCHER_RESTART_PAUSE_MS 1000

/* support.worker_enabled */
bool		worker_enabled = true;

/* set when a start was put off: nap only until it is due */
static bool launcher_start_deferred = false;

static LaunchedWorker launched[WORKER_MAX_DATABASES];

void
worker_launcher_init_settings(void)
{
	DefineCustomBoolVariable("support.worker_enabled",
							 "Run the escalation worker in every database with the extension.",
							 "Set in postgresql.conf (reloaded on SIGHUP) for all databases, or with "
							 "ALTER DATABASE ... SET for one, from its worker's next start.",
							 &worker_enabled,
							 true,
							 PGC_SUSET, 0,
							 NULL, NULL, NULL);
}

void
worker_launcher_register(void)
{
	BackgroundWorker worker;

	memset(&worker, 0, sizeof(worker));
	worker.bgw_flags = BGWORKER_SHMEM_ACCESS | BGWORKER_BACKEND_DATABASE_CONNECTION;
	worker.bgw_start_time = BgWorkerStart_RecoveryFinished;
	worker.bgw_restart_time = 1;
	snprintf(worker.bgw_library_name, BGW_MAXLEN, "bedrock_support");
	snprintf(worker.bgw_function_name, BGW_MAXLEN, "worker_launcher_main");
	snprintf(worker.bgw_name, BGW_MAXLEN, "bedrock_support launcher");
	snprintf(worker.bgw_type, BGW_MAXLEN, "bedrock_support launcher");
	RegisterBackgroundWorker(&worker);
}

/* The databases a worker may connect to, in *databases (palloc'd). */
static int
worker_launcher_list_databases(Oid **databases)
{
	Relation	relation;
	TableScanDesc scan;
	HeapTuple	tuple;
	int			count = 0;
	int			size = 16;
	Oid		   *list = palloc(size * sizeof(Oid));
	MemoryContext caller = CurrentMemoryContext;

	StartTransactionCommand();
	(void) GetTransactionSnapshot();
	relation = table_open(DatabaseRelationId, AccessShareLock);
	scan = table_beginscan_catalog(relation, 0, NULL);
	while (HeapTupleIsValid(tuple = heap_getnext(scan, ForwardScanDirection)))
	{
		Form_pg_database database = (Form_pg_database) GETSTRUCT(tuple);

		/* templates are copied by CREATE DATABASE, which a connection would block */
		if (!database->datallowconn || database->datistemplate ||
			database->datconnlimit == DATCONNLIMIT_INVALID_DB)
			continue;
		if (count == size)
		{
			MemoryContext old = MemoryContextSwitchTo(caller);

			size *= 2;
			list = repalloc(list, size * sizeof(Oid));
			MemoryContextSwitchTo(old);
		}
		list[count++] = database->oid;
	}
	table_endscan(scan);
	table_close(relation, AccessShareLock);
	CommitTransactionCommand();
	MemoryContextSwitchTo(caller);
	*databases = list;
	return count;
}

static LaunchedWorker *
worker_launcher_entry(Oid database)
{
	LaunchedWorker *free_entry = NULL;

	for (int i = 0; i < WORKER_MAX_DATABASES; i++)
	{
		if (launched[i].database == database)
			return &launched[i];
		if (launched[i].database == InvalidOid && free_entry == NULL)
			free_entry = &launched[i];
	}
	if (free_entry != NULL)
	{
		free_entry->database = database;
		free_entry->handle = NULL;
		free_entry->started_at = 0;
	}
	return free_entry;
}

static void
worker_launcher_start_worker(Oid database)
{
	LaunchedWorker *entry = worker_launcher_entry(database);
	BackgroundWorker worker;
	pid_t		pid;

	if (entry == NULL)
		return;
	if (entry->handle != NULL)
	{
		BgwHandleStatus status = GetBackgroundWorkerPid(entry->handle, &pid);

		if (status == BGWH_STARTED || status == BGWH_NOT_YET_STARTED)
			return;				/* still starting: its slot is not claimed yet */
		pfree(entry->handle);
		entry->handle = NULL;
	}
	if (GetCurrentTimestamp() < TimestampTzPlusMilliseconds(entry->started_at, LAUNCHER_RESTART_PAUSE_MS))
	{
		launcher_start_deferred = true;
		return;
	}
	entry->started_at = GetCurrentTimestamp();

	memset(&worker, 0, sizeof(worker));
	worker.bgw_flags = BGWORKER_SHMEM_ACCESS | BGWORKER_BACKEND_DATABASE_CONNECTION;
	worker.bgw_start_time = BgWorkerStart_RecoveryFinished;
	/* the launcher restarts it, after a pause if it failed (worker_shmem.c) */
	worker.bgw_restart_time = BGW_NEVER_RESTART;
	worker.bgw_main_arg = ObjectIdGetDatum(database);
	worker.bgw_notify_pid = MyProcPid;
	snprintf(worker.bgw_library_name, BGW_MAXLEN, "bedrock_support");
	snprintf(worker.bgw_function_name, BGW_MAXLEN, "desk_worker_main");
	snprintf(worker.bgw_name, BGW_MAXLEN, "bedrock_support worker for database %u", database);
	snprintf(worker.bgw_type, BGW_MAXLEN, "bedrock_support worker");
	if (!RegisterDynamicBackgroundWorker(&worker, &entry->handle))
	{
		entry->handle = NULL;
		ereport(LOG,
				(errmsg("bedrock_support: could not start the worker for database %u", database),
				 errhint("Raise max_worker_processes: the extension needs one worker per database plus its launcher.")));
	}
}

/* Drop the handles of workers of databases that are gone. */
static void
worker_launcher_forget_databases_except(const Oid *databases, int count)
{
	for (int i = 0; i < WORKER_MAX_DATABASES; i++)
	{
		bool		exists = false;
		pid_t		pid;

		if (launched[i].database == InvalidOid)
			continue;
		for (int j = 0; j < count && !exists; j++)
			exists = databases[j] == launched[i].database;
		if (exists)
			continue;
		if (launched[i].handle != NULL)
		{
			if (GetBackgroundWorkerPid(launched[i].handle, &pid) != BGWH_STOPPED)
				continue;		/* still leaving */
			pfree(launched[i].handle);
		}
		launched[i].database = InvalidOid;
		launched[i].handle = NULL;
	}
}

static void
worker_launcher_start_workers(void)
{
	Oid		   *databases;
	int			count;
	bool		rescan = worker_shmem_take_rescan();
	TimestampTz now = GetCurrentTimestamp();

	count = worker_launcher_list_databases(&databases);
	for (int i = 0; i < count; i++)
		if (worker_shmem_should_start(databases[i], rescan, now))
			worker_launcher_start_worker(databases[i]);
	worker_shmem_forget_databases_except(databases, count);
	worker_launcher_forget_databases_except(databases, count);
	pfree(databases);
}

void
worker_launcher_main(Datum argument)
{
	pqsignal(SIGHUP, SignalHandlerForConfigReload);
	pqsignal(SIGTERM, die);
	BackgroundWorkerUnblockSignals();
	BackgroundWorkerInitializeConnection(NULL, NULL, 0);
	worker_shmem_register_launcher();

	for (;;)
	{
		CHECK_FOR_INTERRUPTS();
		if (ConfigReloadPending)
		{
			ConfigReloadPending = false;
			ProcessConfigFile(PGC_SIGHUP);
			worker_shmem_request_rescan();	/* support.worker_enabled may be back on */
		}
		launcher_start_deferred = false;
		if (worker_enabled)
			worker_launcher_start_workers();
		(void) WaitLatch(MyLatch, WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH,
						 launcher_start_deferred ? LAUNCHER_RESTART_PAUSE_MS : LAUNCHER_NAP_MS,
						 PG_WAIT_EXTENSION);
		ResetLatch(MyLatch);
	}
}
