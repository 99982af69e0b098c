/*
 * worker_transaction.c — how a worker starts, the transaction around each
 * of its steps, and the settings it checks between steps.
 */
#include "postgres.h"

#include "access/xact.h"
#include "commands/dbcommands.h"
#include "commands/extension.h"
#include "executor/spi.h"
#include "miscadmin.h"
#include "pgstat.h"
#include "postmaster/bgworker.h"
#include "postmaster/interrupt.h"
#include "storage/ipc.h"
#include "tcop/tcopprot.h"
#include "utils/guc.h"
#include "utils/snapmgr.h"
#include "utils/timestamp.h"

#include "owner_spi.h"
#include "worker_launcher.h"
#include "worker_shmem.h"
#include "worker_transaction.h"

void
worker_connect(Oid database, WorkerKind kind, const char *name)
{
	pqsignal(SIGHUP, SignalHandlerForConfigReload);
	pqsignal(SIGTERM, die);
	BackgroundWorkerUnblockSignals();
	/* a second worker for the database (a restarted launcher's) leaves at once */
	if (!worker_shmem_claim(database, kind))
		proc_exit(0);
	BackgroundWorkerInitializeConnectionByOid(database, InvalidOid, 0);
	/* also in the log (%a), and for triggers that ask current_setting() */
	SetConfigOption("application_name", name, PGC_USERSET, PGC_S_SESSION);
	/* a worker runs as the bootstrap superuser: no schema a user can create in is searched */
	SetConfigOption("search_path", OWNER_SEARCH_PATH, PGC_SUSET, PGC_S_OVERRIDE);
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

void
worker_require_extension(const char *worker)
{
	/* the extension this worker found at its version; a re-created one is checked again */
	static Oid	checked_extension = InvalidOid;
	Oid			extension = get_extension_oid("bedrock_support", true);
	char	   *installed = NULL;
	char	   *name;

	if (OidIsValid(extension) && extension == checked_extension)
		return;
	if (OidIsValid(extension))
	{
		if (SPI_execute("SELECT e.extversion FROM pg_catalog.pg_extension e"
						" WHERE e.extname OPERATOR(pg_catalog.=) 'bedrock_support'",
						true, 1) != SPI_OK_SELECT)
			elog(ERROR, "could not read the version of bedrock_support");
		if (SPI_processed == 1)
			installed = SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1);
		if (installed != NULL && strcmp(installed, BEDROCK_SUPPORT_VERSION) == 0)
		{
			checked_extension = extension;
			return;
		}
	}

	/* not started again until an extension script asks the launcher to look */
	name = get_database_name(MyDatabaseId);
	worker_shmem_mark_extension_absent();
	worker_transaction_end();
	if (installed != NULL)
		ereport(LOG,
				(errmsg("%s: bedrock_support in database \"%s\" is version %s, this library is %s, stopping",
						worker, name ? name : "?", installed, BEDROCK_SUPPORT_VERSION),
				 errhint("Run ALTER EXTENSION bedrock_support UPDATE in that database.")));
	else
		ereport(LOG,
				(errmsg("%s: bedrock_support is not installed in database \"%s\", stopping",
						worker, name ? name : "?")));
	proc_exit(0);
}

TimestampTz
worker_query_time(const char *query)
{
	bool		is_null;
	Datum		value;

	if (SPI_execute(query, true, 1) != SPI_OK_SELECT)
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
	}
	if (!worker_enabled)
	{
		/* not started again until a reload or an extension script asks */
		worker_shmem_mark_extension_absent();
		ereport(LOG, (errmsg("%s: support.worker_enabled is off, stopping", worker)));
		proc_exit(0);
	}
}
