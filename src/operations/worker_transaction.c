/*
 * worker_transaction.c — how a worker starts, the transaction around each
 * of its steps, and the settings it checks between steps.
 */
#include "postgres.h"

#include "access/genam.h"
#include "access/htup_details.h"
#include "access/stratnum.h"
#include "access/table.h"
#include "access/xact.h"
#include "catalog/indexing.h"
#include "catalog/pg_extension.h"
#include "commands/dbcommands.h"
#include "executor/spi.h"
#include "miscadmin.h"
#include "pgstat.h"
#include "postmaster/bgworker.h"
#include "postmaster/interrupt.h"
#include "storage/ipc.h"
#include "tcop/tcopprot.h"
#include "utils/builtins.h"
#include "utils/fmgroids.h"
#include "utils/guc.h"
#include "utils/memutils.h"
#include "utils/rel.h"
#include "utils/snapmgr.h"
#include "utils/resowner.h"
#include "utils/timestamp.h"

#include "shared/owner_spi.h"
#include "operations/worker_launcher.h"
#include "operations/worker_shmem.h"
#include "operations/worker_transaction.h"

/*
 * support.worker_lock_timeout: the longest any statement of a worker waits
 * for a lock another transaction holds. The escalation worker then sets
 * that ticket aside for a second and goes on with the others.
 */
static int	worker_lock_timeout_ms = 500;

/* support.max_sleep: each duty of a desk's worker sleeps at most this long */
int			worker_max_sleep_ms = 60000;

void
worker_transaction_init_settings(void)
{
	DefineCustomIntVariable("support.max_sleep",
							"Longest a desk's worker sleeps without looking at its deadlines and its outbox.",
							"It wakes earlier for the next deadline or delivery, and when a commit brings an earlier one.",
							&worker_max_sleep_ms,
							60000, 10, PG_INT32_MAX,
							PGC_SIGHUP, GUC_UNIT_MS,
							NULL, NULL, NULL);
	DefineCustomIntVariable("support.worker_lock_timeout",
							"Longest a worker's statement waits for a lock another transaction holds.",
							"Past it the escalation worker sets that ticket aside for a second and acts on the others; "
							"a session that keeps a due ticket past support.lock_hold_limit is ended.",
							&worker_lock_timeout_ms,
							500, 1, 60000,
							PGC_SIGHUP, GUC_UNIT_MS,
							NULL, NULL, NULL);
}

static void
worker_apply_lock_timeout(void)
{
	char		value[32];

	snprintf(value, sizeof(value), "%d", worker_lock_timeout_ms);
	SetConfigOption("lock_timeout", value, PGC_SUSET, PGC_S_OVERRIDE);
}

void
worker_connect(Oid database, const char *name)
{
	pqsignal(SIGHUP, SignalHandlerForConfigReload);
	pqsignal(SIGTERM, die);
	BackgroundWorkerUnblockSignals();
	/* a second worker for the database (a restarted launcher's) leaves at once */
	if (!worker_shmem_claim(database))
		proc_exit(0);
	BackgroundWorkerInitializeConnectionByOid(database, InvalidOid, 0);
	/* also in the log (%a), and for triggers that ask current_setting() */
	SetConfigOption("application_name", name, PGC_USERSET, PGC_S_SESSION);
	/* a worker runs as the bootstrap superuser: no schema a user can create in is searched */
	SetConfigOption("search_path", OWNER_SEARCH_PATH, PGC_SUSET, PGC_S_OVERRIDE);
	/* no wait of a worker is unbounded: a held lock fails that step, not the worker */
	worker_apply_lock_timeout();
}

void
worker_transaction_begin(const char *activity)
{
	SetCurrentStatementStartTimestamp();
	StartTransactionCommand();
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	PushActiveSnapshot(GetTransactionSnapshot());
	pgstat_report_activity(STATE_RUNNING, activity);
}

void
worker_transaction_end(void)
{
	SPI_finish();
	PopActiveSnapshot();
	CommitTransactionCommand();
	pgstat_report_stat(false);
	pgstat_report_activity(STATE_IDLE, NULL);
}

/* The version of bedrock_support installed here, palloc'd; NULL when it is not installed. */
static char *
worker_installed_version(void)
{
	Relation	extensions = table_open(ExtensionRelationId, AccessShareLock);
	ScanKeyData key;
	SysScanDesc scan;
	HeapTuple	tuple;
	char	   *version = NULL;

	ScanKeyInit(&key, Anum_pg_extension_extname, BTEqualStrategyNumber, F_NAMEEQ,
				CStringGetDatum("bedrock_support"));
	scan = systable_beginscan(extensions, ExtensionNameIndexId, true, NULL, 1, &key);
	tuple = systable_getnext(scan);
	if (HeapTupleIsValid(tuple))
	{
		bool		is_null;
		Datum		value = heap_getattr(tuple, Anum_pg_extension_extversion,
										 RelationGetDescr(extensions), &is_null);

		if (!is_null)
			version = text_to_cstring(DatumGetTextPP(value));
	}
	systable_endscan(scan);
	table_close(extensions, AccessShareLock);
	return version;
}

void
worker_require_extension(const char *worker)
{
	/* one index probe of pg_extension a pass: DROP EXTENSION or an update stops the worker */
	char	   *installed = worker_installed_version();
	char	   *database;

	if (installed != NULL && strcmp(installed, BEDROCK_SUPPORT_VERSION) == 0)
		return;

	/* not started again until an extension script asks the launcher to look */
	database = MemoryContextStrdup(TopMemoryContext, get_database_name(MyDatabaseId));
	if (installed != NULL)
		installed = MemoryContextStrdup(TopMemoryContext, installed);
	worker_shmem_mark_extension_absent();
	worker_transaction_end();
	if (installed != NULL)
		ereport(LOG,
				(errmsg("%s: bedrock_support in database \"%s\" is version %s, this library is %s, stopping",
						worker, database, installed, BEDROCK_SUPPORT_VERSION),
				 errhint("Run ALTER EXTENSION bedrock_support UPDATE in that database.")));
	else
		ereport(LOG,
				(errmsg("%s: bedrock_support is not installed in database \"%s\", stopping",
						worker, database)));
	proc_exit(0);
}

TimestampTz
worker_query_time(const char *query)
{
	bool		is_null;
	Datum		value;

	/*
	 * Not read-only: a fresh snapshot. The transaction's first one may be
	 * older than a commit that woke the worker while it waited for a lock
	 * (which resets the latch), and that wake-up would be lost.
	 */
	if (SPI_execute(query, false, 1) != SPI_OK_SELECT)
		elog(ERROR, "\"%s\" failed", query);
	if (SPI_processed != 1)
		return 0;
	value = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &is_null);
	return is_null ? 0 : DatumGetTimestampTz(value);
}

void
worker_reload_or_stop(const char *worker)
{
	if (ConfigReloadPending)
	{
		ConfigReloadPending = false;
		ProcessConfigFile(PGC_SIGHUP);
		worker_apply_lock_timeout();
	}
	if (!worker_enabled)
	{
		/* not started again until a reload or an extension script asks */
		worker_shmem_mark_extension_absent();
		ereport(LOG, (errmsg("%s: support.worker_enabled is off, stopping", worker)));
		proc_exit(0);
	}
}

int64
worker_run_isolated(const char *query)
{
	MemoryContext caller_context = CurrentMemoryContext;
	ResourceOwner caller_owner = CurrentResourceOwner;
	volatile int64 result = 0;

	BeginInternalSubTransaction(NULL);
	MemoryContextSwitchTo(caller_context);
	PG_TRY();
	{
		bool		is_null;

		if (SPI_execute(query, false, 1) != SPI_OK_SELECT)
			elog(ERROR, "\"%s\" failed", query);
		if (SPI_processed == 1)
		{
			Datum		value = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &is_null);

			if (!is_null)
				result = DatumGetInt64(value);
		}
		ReleaseCurrentSubTransaction();
		MemoryContextSwitchTo(caller_context);
		CurrentResourceOwner = caller_owner;
	}
	PG_CATCH();
	{
		ErrorData  *error;

		MemoryContextSwitchTo(caller_context);
		error = CopyErrorData();
		FlushErrorState();
		RollbackAndReleaseCurrentSubTransaction();
		MemoryContextSwitchTo(caller_context);
		CurrentResourceOwner = caller_owner;
		ereport(WARNING,
				(errmsg("bedrock_support worker: %s failed: %s", query, error->message),
				 errdetail("Only this step rolled back; the worker goes on.")));
		FreeErrorData(error);
		result = -1;
	}
	PG_END_TRY();
	return result;
}
