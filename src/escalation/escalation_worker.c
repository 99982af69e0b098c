/*
 * escalation_worker.c — a database's worker acting on its ticket deadlines
 * (desk_worker.c runs it between deliveries): every action that is due,
 * then the time of the next one.
 *
 * Each batch is its own transaction calling support.run_due_actions, which
 * locks the due tickets with FOR UPDATE SKIP LOCKED, takes every account's
 * most urgent ticket first, and acts on each ticket in a subtransaction of
 * its own: a ticket whose action fails is set aside, never the batch. A
 * batch starts no ticket after WORKER_BATCH_MS, so its actions commit soon
 * whatever it meets. A killed pass loses only its open batch, whose actions
 * roll back whole, and a racing worker or manual call never acts twice (the
 * action ledger in ticket_events).
 *
 * No wait is unbounded: every statement waits at most
 * support.worker_lock_timeout for a lock, and a session that holds a due
 * ticket past support.lock_hold_limit is ended. The sleep ends at the
 * earliest due action (support.next_action_time, read with a fresh
 * snapshot), at support.max_sleep, or when a commit that schedules an
 * earlier one wakes the worker.
 */
#include "postgres.h"

#include "access/xact.h"
#include "catalog/pg_type.h"
#include "commands/extension.h"
#include "executor/spi.h"
#include "miscadmin.h"
#include "pgstat.h"
#include "postmaster/bgworker.h"
#include "postmaster/interrupt.h"
#include "storage/ipc.h"
#include "storage/latch.h"
#include "tcop/tcopprot.h"
#include "commands/dbcommands.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/memutils.h"
#include "utils/snapmgr.h"
#include "utils/timestamp.h"

#include "escalation/escalation_worker.h"
#include "operations/worker_shmem.h"
#include "operations/worker_transaction.h"

/* after a failed pass, try again this much later */
#define WORKER_RETRY_MS 1000
/* a batch starts no ticket after this much work, then commits */
#define WORKER_BATCH_MS 250

/* support.batch_size */
static int	escalation_worker_batch_size = 500;

/* support.lock_hold_limit: a session holding a due ticket longer is ended (0: never) */
static int	escalation_worker_lock_hold_limit_ms = 1000;

static MemoryContext escalation_worker_pass_context = NULL;

void
escalation_worker_init_settings(void)
{
	DefineCustomIntVariable("support.batch_size",
							"Tickets the escalation worker handles per transaction.",
							NULL,
							&escalation_worker_batch_size,
							500, 1, 100000,
							PGC_SIGHUP, 0,
							NULL, NULL, NULL);
	DefineCustomIntVariable("support.lock_hold_limit",
							"Longest a session may hold a ticket whose action is due before the worker ends it.",
							"The worker skips a ticket another transaction holds; past this it ends that session "
							"(unless a superuser's) and records it in support.security_audit. 0: never.",
							&escalation_worker_lock_hold_limit_ms,
							1000, 0, 3600000,
							PGC_SIGHUP, GUC_UNIT_MS,
							NULL, NULL, NULL);
}

/* One batch; its tickets and actions go into report. */
static int64
escalation_worker_run_batch(WorkerPassReport *report)
{
	Datum		arguments[2] = {Int32GetDatum(escalation_worker_batch_size),
	Int32GetDatum(WORKER_BATCH_MS)};
	Oid			types[2] = {INT4OID, INT4OID};
	bool		is_null;
	int64		tickets;

	worker_transaction_begin("bedrock_support: acting on due tickets");
	worker_require_extension("bedrock_support worker");
	if (SPI_execute_with_args("SELECT tickets, actions, failed FROM support.run_due_actions("
							  "pg_catalog.clock_timestamp(), $1, $2 * interval '1 millisecond')",
							  2, types, arguments, NULL, false, 1) != SPI_OK_SELECT ||
		SPI_processed != 1)
		elog(ERROR, "support.run_due_actions returned no row");
	tickets = DatumGetInt32(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &is_null));
	report->taken += tickets;
	report->done += DatumGetInt32(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 2,
												   &is_null));
	worker_transaction_end();
	return tickets;
}

/*
 * The sweeps of a pass, each in a subtransaction of its own (one that
 * fails is logged and never stops the escalations): assumed users' keys
 * that went idle or outlived their session or key are ended and audited
 * (they stopped working on their own; this writes down when), the agents'
 * load changes are folded into their rows, wrong one-time codes and
 * lockouts are audited (a wrong code wakes the worker: second_factor.c),
 * and the sessions that hold a due ticket past support.lock_hold_limit are
 * ended.
 * Then the earliest due action, or 0 when none, read with a fresh snapshot.
 */
static TimestampTz
escalation_worker_next_action(void)
{
	TimestampTz next;

	worker_transaction_begin("bedrock_support: looking for the next deadline");
	worker_require_extension("bedrock_support worker");
	(void) worker_run_isolated("SELECT support.expire_assumptions()::int8");
	(void) worker_run_isolated("SELECT support.fold_agent_loads()::int8");
	(void) worker_run_isolated("SELECT support.record_second_factor_events()::int8");
	if (escalation_worker_lock_hold_limit_ms > 0)
	{
		char	   *query = psprintf("SELECT support.end_ticket_holders(pg_catalog.clock_timestamp()"
									 " OPERATOR(pg_catalog.-) interval '%d milliseconds')::int8",
									 escalation_worker_lock_hold_limit_ms);

		(void) worker_run_isolated(query);
		pfree(query);
	}
	next = worker_query_time("SELECT support.next_action_time()");
	worker_transaction_end();
	return next;
}

/*
 * One batch, then the sweeps and the next deadline. Returns when to act
 * again: at once when more was due or came due (after progress), shortly
 * when a due ticket is held by a transaction still running (its holder is
 * ended past support.lock_hold_limit), else the next deadline, at most
 * support.max_sleep away. An error is logged and reported in
 * worker_status, and the pass is tried again a second later: it rolled
 * back, so nothing is half done. acted: whether it took any action (and
 * may have queued messages to deliver).
 */
TimestampTz
escalation_worker_step(bool *acted)
{
	WorkerPassReport report;
	TimestampTz next = 0;
	TimestampTz now;
	MemoryContext caller = CurrentMemoryContext;

	if (escalation_worker_pass_context == NULL)
		escalation_worker_pass_context = AllocSetContextCreate(TopMemoryContext, "bedrock_support worker pass",
															   ALLOCSET_DEFAULT_SIZES);
	memset(&report, 0, sizeof(report));
	MemoryContextReset(escalation_worker_pass_context);
	MemoryContextSwitchTo(escalation_worker_pass_context);
	PG_TRY();
	{
		(void) escalation_worker_run_batch(&report);
		next = escalation_worker_next_action();
	}
	PG_CATCH();
	{
		ErrorData  *error;

		MemoryContextSwitchTo(escalation_worker_pass_context);
		error = CopyErrorData();
		EmitErrorReport();
		FlushErrorState();
		AbortCurrentTransaction();
		report.failed = true;
		strlcpy(report.error, error->message, sizeof(report.error));
		next = TimestampTzPlusMilliseconds(GetCurrentTimestamp(), WORKER_RETRY_MS);
		pgstat_report_activity(STATE_IDLE, NULL);
	}
	PG_END_TRY();
	MemoryContextSwitchTo(caller);
	now = GetCurrentTimestamp();
	report.finished_at = now;
	worker_shmem_report_pass(WORKER_ESCALATION, &report);
	*acted = report.done > 0;

	if (next == 0)
		return TimestampTzPlusMilliseconds(now, worker_max_sleep_ms);
	if (next <= now && !report.failed)
	{
		/*
		 * Due already: more than a batch was due, or an action came due
		 * during the pass (go on at once), or a ticket is locked by a
		 * transaction still running (look again shortly rather than spin).
		 */
		return report.taken > 0 ? now : TimestampTzPlusMilliseconds(now, 100);
	}
	return Min(next, TimestampTzPlusMilliseconds(now, worker_max_sleep_ms));
}
