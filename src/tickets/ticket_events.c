/*
 * ticket_events.c — the ticket's case history: stamping, its effects on the
 * ticket, and its permanence.
 *
 * support.ticket_events is the full case history the handbook asks to
 * transfer with every escalation, so it is append-only: no role, not even
 * the owner, may rewrite or delete it. Two kinds of event change the
 * ticket they belong to, and doing it here means an application that
 * inserts events directly gets the same behaviour as the workflow
 * functions:
 *   - an agent's public reply, or the resolution they send, records the
 *     first response (once) and the latest public reply, the start of the
 *     next update interval;
 *   - a client's message on a ticket waiting for the client resumes it, and
 *     on a resolved ticket reopens it.
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "access/xact.h"
#include "catalog/pg_type.h"
#include "commands/trigger.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"
#include "utils/timestamp.h"

#include "security/auth.h"
#include "tickets/lifecycle.h"
#include "shared/owner_spi.h"
#include "shared/spi_support.h"
#include "tickets/ticket_events.h"
#include "security/transaction_settings.h"
#include "shared/trigger_guard.h"

/*
 * support.change_reason: why this transaction's changes are made (a
 * priority override's reason, say); log_ticket_changes() writes it into the
 * change events.
 */
static char *ticket_events_change_reason = NULL;
static TransactionSetting ticket_events_change_reason_setting = TRANSACTION_SETTING("support.change_reason");

/*
 * support.change_reason() RETURNS text: the reason, when this transaction
 * set it (transaction_settings.c); else NULL.
 */
PG_FUNCTION_INFO_V1(change_reason);
Datum
change_reason(PG_FUNCTION_ARGS)
{
	if (ticket_events_change_reason == NULL || ticket_events_change_reason[0] == '\0' ||
		!transaction_setting_counts(&ticket_events_change_reason_setting))
		PG_RETURN_NULL();
	PG_RETURN_TEXT_P(cstring_to_text(ticket_events_change_reason));
}

void
ticket_events_init_settings(void)
{
	DefineCustomStringVariable("support.change_reason",
							   "Reason recorded with the ticket change events this transaction causes.",
							   NULL,
							   &ticket_events_change_reason,
							   "",
							   PGC_USERSET, 0,
							   transaction_setting_check_string, NULL, NULL);
}

/* The event's time is the server's, never the client's. */
PG_FUNCTION_INFO_V1(ticket_event_stamp_trigger);
Datum
ticket_event_stamp_trigger(PG_FUNCTION_ARGS)
{
	TriggerData *trigdata = trigger_guard(fcinfo, "ticket_event_stamp_trigger", "ticket_events");
	TupleDesc	tupdesc;
	int			columns[2];
	Datum		values[2];
	bool		nulls[2] = {false, true};
	const Identity *identity;

	if (!TRIGGER_FIRED_BEFORE(trigdata->tg_event) ||
		!TRIGGER_FIRED_BY_INSERT(trigdata->tg_event) ||
		!TRIGGER_FIRED_FOR_ROW(trigdata->tg_event))
		elog(ERROR, "ticket_event_stamp_trigger must be a BEFORE INSERT row trigger");

	if (trigger_guard_restoring())	/* keep the recorded time */
		return PointerGetDatum(trigdata->tg_trigtuple);

	tupdesc = RelationGetDescr(trigdata->tg_relation);
	columns[0] = SPI_fnumber(tupdesc, "created_at");
	if (columns[0] <= 0)
		elog(ERROR, "support.ticket_events has no column \"created_at\"");
	values[0] = TimestampTzGetDatum(GetCurrentTransactionStartTimestamp());

	/*
	 * Who assumed the acting user comes from the key, whatever the INSERT
	 * says, so nobody writing history can hide or invent a super user.
	 */
	columns[1] = SPI_fnumber(tupdesc, "assumed_by");
	if (columns[1] <= 0)
		elog(ERROR, "support.ticket_events has no column \"assumed_by\"");
	identity = auth_current_identity();
	if (identity != NULL && identity->assumed_by != 0)
	{
		values[1] = Int64GetDatum(identity->assumed_by);
		nulls[1] = false;
	}
	else
		values[1] = (Datum) 0;
	return PointerGetDatum(heap_modify_tuple_by_cols(trigdata->tg_trigtuple, tupdesc,
													 2, columns, values, nulls));
}

static SPIPlanPtr ticket_events_first_response_plan = NULL;
static SPIPlanPtr ticket_events_status_plan = NULL;
static SPIPlanPtr ticket_events_resume_plan = NULL;

/*
 * A client's message moves the conversation on: a ticket waiting on the
 * client resumes, a resolved one reopens (the lifecycle counts the reopen,
 * and the verification period's follow-up and auto-close go until the next
 * resolution), and a closed one takes no more messages: the workflow's
 * support.post_client_message opens a linked follow-up ticket instead.
 */
static void
ticket_events_client_message(Datum *arguments, Oid *argtypes)
{
	SPIPlanPtr	status_plan = spi_kept_plan(&ticket_events_status_plan,
											"SELECT status::text FROM support.tickets"
											" WHERE account_id OPERATOR(pg_catalog.=) $1"
											"   AND ticket_id OPERATOR(pg_catalog.=) $2",
											2, argtypes);
	char	   *status;
	char	   *reason;
	int			ret;

	ret = SPI_execute_plan(status_plan, arguments, NULL, true, 1);
	if (ret != SPI_OK_SELECT || SPI_processed != 1)
		elog(ERROR, "the ticket of a client message was not found");
	status = SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1);

	if (strcmp(status, "closed") == 0)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("ticket %lld is closed", (long long) DatumGetInt64(arguments[1])),
				 errhint("support.post_client_message() opens a follow-up ticket linked to it.")));
	if (strcmp(status, "pending_client") != 0 && strcmp(status, "resolved") != 0)
		return;

	/* a reopen carries its reason on the status change event (log_ticket_changes) */
	reason = pstrdup(ticket_events_change_reason != NULL ? ticket_events_change_reason : "");
	if (strcmp(status, "resolved") == 0)
		(void) set_config_option("support.change_reason",
								 "reopened: the client wrote after the resolution",
								 PGC_USERSET, PGC_S_SESSION, GUC_ACTION_LOCAL, true, 0, false);
	PG_TRY();
	{
		ret = SPI_execute_plan(spi_kept_plan(&ticket_events_resume_plan,
											 "UPDATE support.tickets SET status = 'in_progress'"
											 " WHERE account_id OPERATOR(pg_catalog.=) $1"
											 "   AND ticket_id OPERATOR(pg_catalog.=) $2",
											 2, argtypes),
							   arguments, NULL, false, 0);
	}
	PG_FINALLY();
	{
		(void) set_config_option("support.change_reason", reason, PGC_USERSET, PGC_S_SESSION,
								 GUC_ACTION_LOCAL, true, 0, false);
	}
	PG_END_TRY();
	if (ret != SPI_OK_UPDATE)
		elog(ERROR, "moving the ticket on failed: %s", SPI_result_code_string(ret));
}

static SPIPlanPtr ticket_events_activity_plan = NULL;

/*
 * AFTER INSERT row trigger on support.ticket_events, declared
 * WHEN (NEW.kind IN ('public_reply', 'client_message', 'internal_note', 'resolution')):
 * an agent's reply records the first response and the last reply, a
 * client's message resumes a ticket waiting on the client, and an agent's
 * reply or note is activity (last_activity_at), which the escalation
 * worker's no-progress rule watches.
 */
PG_FUNCTION_INFO_V1(ticket_event_effects_trigger);
Datum
ticket_event_effects_trigger(PG_FUNCTION_ARGS)
{
	TriggerData *trigdata = trigger_guard(fcinfo, "ticket_event_effects_trigger", "ticket_events");
	TupleDesc	tupdesc;
	HeapTuple	event;
	bool		isnull;
	Datum		arguments[3];
	char	   *kind;
	char	   *actor_kind;
	Oid			argtypes[3] = {INT8OID, INT8OID, TIMESTAMPTZOID};
	int			ret;

	if (!TRIGGER_FIRED_AFTER(trigdata->tg_event) ||
		!TRIGGER_FIRED_BY_INSERT(trigdata->tg_event) ||
		!TRIGGER_FIRED_FOR_ROW(trigdata->tg_event))
		elog(ERROR, "ticket_event_effects_trigger must be an AFTER INSERT row trigger");

	if (trigger_guard_restoring())	/* the restored ticket already shows it */
		return PointerGetDatum(NULL);

	tupdesc = RelationGetDescr(trigdata->tg_relation);
	event = trigdata->tg_trigtuple;
	arguments[0] = SPI_getbinval(event, tupdesc, SPI_fnumber(tupdesc, "account_id"), &isnull);
	arguments[1] = SPI_getbinval(event, tupdesc, SPI_fnumber(tupdesc, "ticket_id"), &isnull);
	arguments[2] = SPI_getbinval(event, tupdesc, SPI_fnumber(tupdesc, "created_at"), &isnull);
	kind = SPI_getvalue(event, tupdesc, SPI_fnumber(tupdesc, "kind"));
	actor_kind = SPI_getvalue(event, tupdesc, SPI_fnumber(tupdesc, "actor_kind"));

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");

	/* the resolution, written to the client, answers them too */
	if ((strcmp(kind, "public_reply") == 0 || strcmp(kind, "resolution") == 0) && actor_kind != NULL &&
		strcmp(actor_kind, "agent") == 0)
	{
		SPIPlanPtr	plan = spi_kept_plan(&ticket_events_first_response_plan,
												 "UPDATE support.tickets"
												 "   SET first_response_at = COALESCE(first_response_at, $3),"
												 "       last_public_reply_at = $3, last_activity_at = $3"
												 " WHERE account_id OPERATOR(pg_catalog.=) $1"
												 "   AND ticket_id OPERATOR(pg_catalog.=) $2",
												 3, argtypes);

		lifecycle_trusted_milestone_write = true;
		PG_TRY();
		{
			ret = SPI_execute_plan(plan, arguments, NULL, false, 0);
		}
		PG_FINALLY();
		{
			lifecycle_trusted_milestone_write = false;
		}
		PG_END_TRY();
		if (ret != SPI_OK_UPDATE)
			elog(ERROR, "recording the first response failed: %s", SPI_result_code_string(ret));
	}
	else if (strcmp(kind, "client_message") == 0)
		ticket_events_client_message(arguments, argtypes);
	else if (strcmp(kind, "internal_note") == 0 && actor_kind != NULL &&
			 strcmp(actor_kind, "agent") == 0)
	{
		SPIPlanPtr	plan = spi_kept_plan(&ticket_events_activity_plan,
										 "UPDATE support.tickets SET last_activity_at = $3"
										 " WHERE account_id OPERATOR(pg_catalog.=) $1"
										 "   AND ticket_id OPERATOR(pg_catalog.=) $2",
										 3, argtypes);

		ret = SPI_execute_plan(plan, arguments, NULL, false, 0);
		if (ret != SPI_OK_UPDATE)
			elog(ERROR, "recording the activity failed: %s", SPI_result_code_string(ret));
	}

	SPI_finish();
	return PointerGetDatum(NULL);
}

/* BEFORE UPDATE OR DELETE (row) and BEFORE TRUNCATE (statement). */
PG_FUNCTION_INFO_V1(refuse_history_change_trigger);
Datum
refuse_history_change_trigger(PG_FUNCTION_ARGS)
{
	TriggerData *trigdata = trigger_guard(fcinfo, "refuse_history_change_trigger", NULL);
	const char *action;


	if (TRIGGER_FIRED_BY_UPDATE(trigdata->tg_event))
		action = "updated";
	else if (TRIGGER_FIRED_BY_DELETE(trigdata->tg_event))
		action = "deleted";
	else
		action = "truncated";

	ereport(ERROR,
			(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
			 errmsg("%s is append-only", RelationGetRelationName(trigdata->tg_relation)),
			 errdetail("Rows of %s.%s cannot be %s: the case history is permanent.",
					   get_namespace_name(RelationGetNamespace(trigdata->tg_relation)),
					   RelationGetRelationName(trigdata->tg_relation), action),
			 errhint("Record a correction as a new event, for example an internal note.")));
	pg_unreachable();
}
