/*
 * ticket_columns.c — column indexes of support.tickets, resolved by name
 * once per backend for every trigger that reads or writes a ticket's row.
 *
 * The map is dropped at any relcache invalidation of the table (ALTER
 * TABLE sends one), so a DBA's added column never leaves a stale index.
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "catalog/pg_type.h"
#include "fmgr.h"
#include "utils/builtins.h"
#include "utils/inval.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"

#include "shared/spi_support.h"
#include "tickets/ticket_columns.h"

static TicketColumns *ticket_columns_cached = NULL;
static bool ticket_columns_stale = false;
static bool ticket_columns_callback_registered = false;

/*
 * Only marks the map stale: a trigger that got it may still be reading it
 * (an invalidation arrives whenever a lock is taken, ANALYZE included).
 * The next call rebuilds it in place; while any statement on the table
 * runs, its columns cannot change, so the rebuilt map reads the same.
 */
static void
ticket_columns_invalidate(Datum argument, Oid relid)
{
	if (ticket_columns_cached != NULL &&
		(!OidIsValid(relid) || relid == ticket_columns_cached->relid))
		ticket_columns_stale = true;
}

/* Builds the map aside and copies it in only once complete: a missing column leaves the old one. */
/*
 * A column added by 1.1: -1 while a database still has 1.0's schema under
 * this library (between installing the package and ALTER EXTENSION
 * UPDATE), so its tickets keep working, without the new targets.
 */
static int
ticket_columns_since_1_1(TupleDesc tupdesc, const char *name)
{
	int			attnum = SPI_fnumber(tupdesc, name);

	return attnum > 0 ? attnum - 1 : -1;
}

static void
ticket_columns_build(TupleDesc tupdesc, Oid relid, TicketColumns *kept)
{
	TicketColumns built = {0};
	TicketColumns *columns = &built;
	Oid			status_type;

	columns->relid = relid;
	columns->account_id = spi_column(tupdesc, "account_id");
	columns->ticket_id = spi_column(tupdesc, "ticket_id");
	columns->requester_id = spi_column(tupdesc, "requester_id");
	columns->subject = spi_column(tupdesc, "subject");
	columns->description = spi_column(tupdesc, "description");
	columns->channel = spi_column(tupdesc, "channel");
	columns->category = spi_column(tupdesc, "category");
	columns->priority = spi_column(tupdesc, "priority");
	columns->tier = spi_column(tupdesc, "tier");
	columns->status = spi_column(tupdesc, "status");
	columns->assignee_id = spi_column(tupdesc, "assignee_id");
	for (int flag = 0; flag < TRIAGE_FLAG_COUNT; flag++)
		columns->flags[flag] = spi_column(tupdesc, triage_flag_names[flag]);
	columns->created_at = spi_column(tupdesc, "created_at");
	columns->triaged_at = spi_column(tupdesc, "triaged_at");
	columns->first_response_at = spi_column(tupdesc, "first_response_at");
	columns->last_public_reply_at = spi_column(tupdesc, "last_public_reply_at");
	columns->work_started_at = spi_column(tupdesc, "work_started_at");
	columns->pending_since = spi_column(tupdesc, "pending_since");
	columns->paused_total = spi_column(tupdesc, "paused_total");
	columns->resolved_at = spi_column(tupdesc, "resolved_at");
	columns->closed_at = spi_column(tupdesc, "closed_at");
	columns->reopened_at = spi_column(tupdesc, "reopened_at");
	columns->reopen_count = spi_column(tupdesc, "reopen_count");
	columns->updated_at = spi_column(tupdesc, "updated_at");
	columns->solution = spi_column(tupdesc, "solution");
	columns->satisfaction_rating = spi_column(tupdesc, "satisfaction_rating");
	columns->rated_at = spi_column(tupdesc, "rated_at");
	columns->first_response_due = spi_column(tupdesc, "first_response_due");
	columns->next_update_due = spi_column(tupdesc, "next_update_due");
	columns->resolution_due = spi_column(tupdesc, "resolution_due");
	columns->escalation_due = spi_column(tupdesc, "escalation_due");
	columns->sla_paused = spi_column(tupdesc, "sla_paused");
	columns->triage_rule_id = spi_column(tupdesc, "triage_rule_id");
	columns->priority_source = spi_column(tupdesc, "priority_source");
	columns->escalated_at = spi_column(tupdesc, "escalated_at");
	columns->escalation_requested_at = spi_column(tupdesc, "escalation_requested_at");
	columns->escalation_call_due = spi_column(tupdesc, "escalation_call_due");
	columns->escalation_call_held_at = spi_column(tupdesc, "escalation_call_held_at");
	columns->executive_escalated_at = spi_column(tupdesc, "executive_escalated_at");
	columns->last_activity_at = spi_column(tupdesc, "last_activity_at");
	columns->actions_checked_at = spi_column(tupdesc, "actions_checked_at");
	columns->next_action_at = spi_column(tupdesc, "next_action_at");
	columns->tier_entered_at = ticket_columns_since_1_1(tupdesc, "tier_entered_at");
	columns->tier_response_due = ticket_columns_since_1_1(tupdesc, "tier_response_due");
	columns->tier_resolution_due = ticket_columns_since_1_1(tupdesc, "tier_resolution_due");
	columns->post_incident_review_done_at = ticket_columns_since_1_1(tupdesc, "post_incident_review_done_at");

	status_type = TupleDescAttr(tupdesc, columns->status)->atttypid;
	for (int i = 0; i < TICKET_STATUS_COUNT; i++)
		columns->status_oids[i] =
			DatumGetObjectId(DirectFunctionCall2(enum_in,
												 CStringGetDatum(ticket_status_name((TicketStatus) i)),
												 ObjectIdGetDatum(status_type)));
	columns->paused_type = lookup_type_cache(TSTZMULTIRANGEOID, TYPECACHE_MULTIRANGE_INFO);

	*kept = built;
}

const TicketColumns *
ticket_columns(TupleDesc tupdesc, Oid relid)
{
	if (!ticket_columns_callback_registered)
	{
		CacheRegisterRelcacheCallback(ticket_columns_invalidate, (Datum) 0);
		ticket_columns_callback_registered = true;
	}
	if (ticket_columns_cached == NULL)
		ticket_columns_cached = MemoryContextAllocZero(CacheMemoryContext, sizeof(TicketColumns));
	if (ticket_columns_stale || ticket_columns_cached->relid != relid)
	{
		ticket_columns_build(tupdesc, relid, ticket_columns_cached);
		ticket_columns_stale = false;
	}
	return ticket_columns_cached;
}

TicketStatus
ticket_status_of(const TicketColumns *columns, Datum status)
{
	for (int i = 0; i < TICKET_STATUS_COUNT; i++)
		if (columns->status_oids[i] == DatumGetObjectId(status))
			return (TicketStatus) i;
	elog(ERROR, "unknown ticket status OID %u", DatumGetObjectId(status));
	pg_unreachable();
}

TicketRow
ticket_row_argument(HeapTupleHeader row, const char *function, const size_t *required, int required_count)
{
	Oid			row_type = HeapTupleHeaderGetTypeId(row);
	TupleDesc	tupdesc = lookup_rowtype_tupdesc(row_type, HeapTupleHeaderGetTypMod(row));
	HeapTupleData tuple;
	TicketRow	ticket;

	ticket.columns = ticket_columns(tupdesc, get_typ_typrelid(row_type));
	tuple.t_len = HeapTupleHeaderGetDatumLength(row);
	ItemPointerSetInvalid(&tuple.t_self);
	tuple.t_tableOid = InvalidOid;
	tuple.t_data = row;
	ticket.values = palloc(tupdesc->natts * sizeof(Datum));
	ticket.nulls = palloc(tupdesc->natts * sizeof(bool));
	heap_deform_tuple(&tuple, tupdesc, ticket.values, ticket.nulls);
	for (int i = 0; i < required_count; i++)
	{
		int			column = *(const int *) ((const char *) ticket.columns + required[i]);

		if (ticket.nulls[column])
			ereport(ERROR,
					(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
					 errmsg("%s() needs a stored ticket: its %s is NULL", function,
							NameStr(TupleDescAttr(tupdesc, column)->attname)),
					 errhint("Pass a row read from support.tickets.")));
	}
	ReleaseTupleDesc(tupdesc);
	return ticket;
}
