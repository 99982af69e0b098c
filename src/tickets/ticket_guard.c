/*
 * ticket_guard.c — who may change which column of support.tickets.
 *
 * The lifecycle, SLA, worker, escalation and rating rules own most of a
 * ticket's columns, and the workflow functions that apply those rules run
 * as the extension's owner. A group role's own UPDATE may change only the
 * ticket's description: subject and text for everyone, and for staff its
 * channel, category and classification criteria. Anything else is refused
 * with the function to call, before another trigger can quietly put the
 * old value back.
 *
 * Because the workflow functions run as the owner, row-level security no
 * longer decides which ticket they may touch: support.caller_holds_ticket
 * asks it as the role that called them.
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/datum.h"
#include "utils/rel.h"

#include "security/auth.h"
#include "security/lock_guard.h"
#include "shared/owner_spi.h"
#include "shared/spi_support.h"
#include "tickets/ticket_columns.h"
#include "shared/trigger_guard.h"

typedef enum ColumnWriter
{
	WRITTEN_BY_ANYONE,			/* the ticket's own description */
	WRITTEN_BY_STAFF,			/* its classification, which triage read */
	WRITTEN_BY_WORKFLOW			/* a rule's: only through the function named */
} ColumnWriter;

typedef struct ColumnRule
{
	const char *column;
	ColumnWriter writer;
	const char *how;			/* for WRITTEN_BY_WORKFLOW */
} ColumnRule;

#define STAFF(name) {name, WRITTEN_BY_STAFF, NULL}
#define WORKFLOW(name, how) {name, WRITTEN_BY_WORKFLOW, how}

static const ColumnRule column_rules[] = {
	{"subject", WRITTEN_BY_ANYONE, NULL},
	{"description", WRITTEN_BY_ANYONE, NULL},
	STAFF("channel"), STAFF("category"), STAFF("service_outage"), STAFF("revenue_impact"),
	STAFF("security_or_data_integrity"), STAFF("campaign_delivery_failure"), STAFF("peak_period"),
	STAFF("api_failure"), STAFF("workaround_available"), STAFF("multi_client_impact"),
	WORKFLOW("status", "call support.change_status(), support.resolve_ticket() or support.close_ticket()"),
	WORKFLOW("priority", "call support.change_priority() with a reason"),
	WORKFLOW("tier", "call support.escalate()"),
	WORKFLOW("escalated_at", "call support.escalate()"),
	WORKFLOW("assignee_id", "call support.assign_ticket()"),
	WORKFLOW("executive_escalated_at", "call support.escalate_to_executive()"),
	WORKFLOW("escalation_requested_at", "call support.request_escalation()"),
	WORKFLOW("escalation_call_due", "call support.request_escalation()"),
	WORKFLOW("escalation_call_held_at", "call support.record_escalation_call()"),
	WORKFLOW("root_cause", "call support.resolve_ticket()"),
	WORKFLOW("solution", "call support.resolve_ticket()"),
	WORKFLOW("verification_steps", "call support.resolve_ticket()"),
	WORKFLOW("prevention_measures", "call support.resolve_ticket()"),
	WORKFLOW("revenue_at_risk", "call support.report_revenue_at_risk()"),
	WORKFLOW("revenue_currency", "call support.report_revenue_at_risk()"),
	WORKFLOW("satisfaction_rating", "call support.rate_ticket()"),
	WORKFLOW("satisfaction_comment", "call support.rate_ticket()"),
	WORKFLOW("first_response_at", "call support.reply_publicly()"),
	WORKFLOW("last_public_reply_at", "call support.reply_publicly()"),
	WORKFLOW("last_activity_at", "call support.reply_publicly() or support.add_internal_note()"),
};

/* every column not listed: kept by the lifecycle and SLA triggers or the worker, or fixed at opening */
#define KEPT_BY_THE_DESK "it is kept by the desk's triggers and worker, or fixed when the ticket is opened"

static const ColumnRule *
ticket_guard_column_rule(const char *column)
{
	for (size_t i = 0; i < lengthof(column_rules); i++)
		if (strcmp(column_rules[i].column, column) == 0)
			return &column_rules[i];
	return NULL;
}

/* the owner (the workflow functions, the triggers' own writes) and superusers (the worker, a DBA) */
static bool
ticket_guard_acting_as_the_desk(Relation relation)
{
	return GetUserId() == relation->rd_rel->relowner || superuser();
}

/*
 * support.ticket_column_guard() — BEFORE UPDATE row trigger on
 * support.tickets, named to fire before ticket_30_lifecycle and
 * ticket_40_sla_deadlines change NEW.
 */
PG_FUNCTION_INFO_V1(ticket_column_guard);
Datum
ticket_column_guard(PG_FUNCTION_ARGS)
{
	TriggerData *trigdata = trigger_guard(fcinfo, "ticket_column_guard", "tickets");
	Relation	relation = trigdata->tg_relation;
	TupleDesc	tupdesc = RelationGetDescr(relation);
	HeapTuple	old_row = trigdata->tg_trigtuple;
	HeapTuple	new_row = trigdata->tg_newtuple;
	const Identity *identity;
	bool		client;

	if (!TRIGGER_FIRED_BEFORE(trigdata->tg_event) || !TRIGGER_FIRED_FOR_ROW(trigdata->tg_event) ||
		!TRIGGER_FIRED_BY_UPDATE(trigdata->tg_event))
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("support.ticket_column_guard() must be a BEFORE UPDATE row trigger")));
	if (ticket_guard_acting_as_the_desk(relation))
		return PointerGetDatum(new_row);

	identity = auth_current_identity();
	client = identity == NULL || identity->account_id != 0;
	for (int i = 0; i < tupdesc->natts; i++)
	{
		Form_pg_attribute attribute = TupleDescAttr(tupdesc, i);
		bool		old_null;
		bool		new_null;
		Datum		old_value;
		Datum		new_value;
		const ColumnRule *rule;
		const char *column;

		if (attribute->attisdropped || attribute->attgenerated)
			continue;
		old_value = heap_getattr(old_row, i + 1, tupdesc, &old_null);
		new_value = heap_getattr(new_row, i + 1, tupdesc, &new_null);
		if (old_null == new_null &&
			(old_null || datumIsEqual(old_value, new_value, attribute->attbyval, attribute->attlen)))
			continue;

		column = NameStr(attribute->attname);
		rule = ticket_guard_column_rule(column);
		if (rule != NULL && (rule->writer == WRITTEN_BY_ANYONE || (rule->writer == WRITTEN_BY_STAFF && !client)))
			continue;
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("%s of ticket %s cannot be changed by UPDATE", column,
						SPI_getvalue(old_row, tupdesc,
									 ticket_columns(tupdesc, RelationGetRelid(trigdata->tg_relation))->ticket_id + 1)),
				 rule == NULL ? errdetail("The column is not written directly: %s.", KEPT_BY_THE_DESK)
				 : rule->writer == WRITTEN_BY_STAFF ? errdetail("Only support staff reclassify a ticket.")
				 : errdetail("A rule of the desk owns the column."),
				 rule != NULL && rule->writer == WRITTEN_BY_WORKFLOW
				 ? errhint("To change it, %s.", rule->how)
				 : errhint("A ticket's subject and description can be updated directly.")));
	}
	return PointerGetDatum(new_row);
}

typedef struct TicketProbe
{
	int64		ticket_id;
	bool		for_update;
	bool		found;
} TicketProbe;

static void
ticket_guard_probe_ticket(void *argument)
{
	static SPIPlanPtr see_plan = NULL;
	static SPIPlanPtr lock_plan = NULL;
	TicketProbe *probe = argument;
	Oid			types[1] = {INT8OID};
	Datum		values[1] = {Int64GetDatum(probe->ticket_id)};
	SPIPlanPtr	plan = probe->for_update
		? spi_kept_plan(&lock_plan, "SELECT 1 FROM support.tickets t"
						" WHERE t.ticket_id OPERATOR(pg_catalog.=) $1 FOR UPDATE", 1, types)
		: spi_kept_plan(&see_plan, "SELECT 1 FROM support.tickets t"
						" WHERE t.ticket_id OPERATOR(pg_catalog.=) $1", 1, types);

	if (SPI_execute_plan(plan, values, NULL, false, 1) != SPI_OK_SELECT)
		elog(ERROR, "could not look the ticket up as the caller");
	probe->found = SPI_processed > 0;
}

static void
ticket_guard_probe_as_caller(void *argument)
{
	owner_spi_run(GetOuterUserId(), ticket_guard_probe_ticket, argument);
}

/*
 * support.caller_holds_ticket(ticket_id bigint, for_update boolean) RETURNS
 * boolean: whether the role that called the running SECURITY DEFINER
 * function sees the ticket under row-level security (and, for update, may
 * change and has locked it). The owner-rights workflow asks it first.
 */
PG_FUNCTION_INFO_V1(caller_holds_ticket);
Datum
caller_holds_ticket(PG_FUNCTION_ARGS)
{
	TicketProbe probe;

	if (PG_ARGISNULL(0) || PG_ARGISNULL(1))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("support.caller_holds_ticket() needs a ticket id and whether to lock it")));
	probe.ticket_id = PG_GETARG_INT64(0);
	probe.for_update = PG_GETARG_BOOL(1);
	probe.found = false;
	/*
	 * GetOuterUserId: the session's role (or SET ROLE's), whatever definer
	 * runs now. owner_spi_run runs as any role it is given, with the same
	 * pinned search_path and restricted context, so it serves the caller too.
	 */
	lock_guard_as_workflow(ticket_guard_probe_as_caller, &probe);
	PG_RETURN_BOOL(probe.found);
}
