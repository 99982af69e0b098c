/*
 * lifecycle.c — the ticket lifecycle as a state machine, enforced by a
 * BEFORE trigger on support.tickets.
 *
 *   new -> triaged -> in_progress <-> pending_client
 *   in_progress -> resolved -> closed,   resolved -> in_progress (reopen)
 *
 * The trigger is the only writer of the milestone timestamps (created,
 * triaged, work started, pending since, paused total, resolved, closed,
 * reopened, rated, updated): whatever a statement puts in those columns is
 * replaced, so SLA clocks and KPIs cannot be forged by a client. The one
 * exception is the first-response pair, which ticket_events.c writes when
 * an agent's public reply is recorded.
 *
 * A restore (trigger_guard_restoring) inserts tickets verbatim, so it keeps
 * every ticket exactly as it was.
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "access/xact.h"
#include "commands/trigger.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "lib/stringinfo.h"
#include "utils/builtins.h"
#include "utils/fmgrprotos.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"
#include "utils/rls.h"
#include "utils/timestamp.h"

#include "tickets/lifecycle.h"
#include "tickets/ticket_columns.h"
#include "shared/trigger_guard.h"

bool		lifecycle_trusted_milestone_write = false;

static inline void
lifecycle_set(Datum *values, bool *nulls, int column, Datum value)
{
	values[column] = value;
	nulls[column] = false;
}

static inline void
lifecycle_clear(Datum *values, bool *nulls, int column)
{
	values[column] = (Datum) 0;
	nulls[column] = true;
}

/* The columns only this trigger writes. */
static const size_t lifecycle_owned_offsets[] = {
	offsetof(TicketColumns, created_at),
	offsetof(TicketColumns, triaged_at),
	offsetof(TicketColumns, work_started_at),
	offsetof(TicketColumns, pending_since),
	offsetof(TicketColumns, paused_total),
	offsetof(TicketColumns, resolved_at),
	offsetof(TicketColumns, closed_at),
	offsetof(TicketColumns, reopened_at),
	offsetof(TicketColumns, reopen_count),
	offsetof(TicketColumns, rated_at),
	offsetof(TicketColumns, updated_at),
};

#define LIFECYCLE_COLUMN_AT(columns, offset) (*(int *) ((char *) (columns) + (offset)))

static void
lifecycle_start_new_ticket(const TicketColumns *columns, Datum *values, bool *nulls,
						   TimestampTz now)
{
	TicketStatus status = ticket_status_of(columns, values[columns->status]);

	if (status != TICKET_NEW)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("a new ticket must start in status \"new\", not \"%s\"",
						ticket_status_name(status)),
				 errhint("Insert the ticket, then move it through the lifecycle with support.change_status().")));
	if (!nulls[columns->satisfaction_rating])
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("a new ticket cannot carry a satisfaction rating"),
				 errhint("Clients rate a ticket once it is resolved, with support.rate_ticket().")));

	for (size_t i = 0; i < lengthof(lifecycle_owned_offsets); i++)
		lifecycle_clear(values, nulls, LIFECYCLE_COLUMN_AT(columns, lifecycle_owned_offsets[i]));
	lifecycle_clear(values, nulls, columns->first_response_at);
	lifecycle_clear(values, nulls, columns->last_public_reply_at);
	lifecycle_set(values, nulls, columns->created_at, TimestampTzGetDatum(now));
	lifecycle_set(values, nulls, columns->updated_at, TimestampTzGetDatum(now));
	lifecycle_set(values, nulls, columns->reopen_count, Int32GetDatum(0));
	lifecycle_set(values, nulls, columns->paused_total,
				  IntervalPGetDatum(palloc0(sizeof(Interval))));
}

static inline bool
lifecycle_is_blank(const char *text)
{
	return text[strspn(text, " \t\r\n")] == '\0';
}

static void
lifecycle_apply_transition(const TicketColumns *columns, Datum *values, bool *nulls,
						   int64 ticket_id, TicketStatus from, TicketStatus to,
						   TimestampTz now)
{
	Datum		now_datum = TimestampTzGetDatum(now);

	if (!ticket_status_transition_allowed(from, to))
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("ticket %lld cannot move from \"%s\" to \"%s\"",
						(long long) ticket_id, ticket_status_name(from),
						ticket_status_name(to)),
				 errdetail("From \"%s\" a ticket can move to: %s.",
						   ticket_status_name(from), ticket_status_allowed_targets(from))));

	if (from == TICKET_PENDING_CLIENT && !nulls[columns->pending_since])
	{
		/* the time spent waiting for the client does not count against the SLA */
		Datum		waited = DirectFunctionCall2(timestamp_mi, now_datum,
												 values[columns->pending_since]);

		lifecycle_set(values, nulls, columns->paused_total,
					  DirectFunctionCall2(interval_pl, values[columns->paused_total], waited));
		lifecycle_clear(values, nulls, columns->pending_since);
	}

	switch (to)
	{
		case TICKET_TRIAGED:
			lifecycle_set(values, nulls, columns->triaged_at, now_datum);
			break;
		case TICKET_IN_PROGRESS:
			if (nulls[columns->work_started_at])
				lifecycle_set(values, nulls, columns->work_started_at, now_datum);
			if (from == TICKET_RESOLVED)
			{
				lifecycle_set(values, nulls, columns->reopened_at, now_datum);
				lifecycle_set(values, nulls, columns->reopen_count,
							  Int32GetDatum(DatumGetInt32(values[columns->reopen_count]) + 1));
				lifecycle_clear(values, nulls, columns->resolved_at);
			}
			break;
		case TICKET_PENDING_CLIENT:
			lifecycle_set(values, nulls, columns->pending_since, now_datum);
			break;
		case TICKET_RESOLVED:
			if (nulls[columns->solution] ||
				lifecycle_is_blank(TextDatumGetCString(values[columns->solution])))
				ereport(ERROR,
						(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
						 errmsg("ticket %lld cannot be resolved without a solution",
								(long long) ticket_id),
						 errhint("Use support.resolve_ticket(), which records the root cause, solution, verification and prevention.")));
			lifecycle_set(values, nulls, columns->resolved_at, now_datum);
			break;
		case TICKET_CLOSED:
			lifecycle_set(values, nulls, columns->closed_at, now_datum);
			break;
		case TICKET_NEW:
		case TICKET_STATUS_COUNT:
			break;
	}
}

PG_FUNCTION_INFO_V1(ticket_lifecycle_trigger);
Datum
ticket_lifecycle_trigger(PG_FUNCTION_ARGS)
{
	TriggerData *trigdata = trigger_guard(fcinfo, "ticket_lifecycle_trigger", "tickets");
	Relation	relation;
	TupleDesc	tupdesc;
	const TicketColumns *columns;
	HeapTuple	new_tuple;
	Datum	   *values;
	bool	   *nulls;
	TimestampTz now = GetCurrentTransactionStartTimestamp();
	HeapTuple	result;

	if (!TRIGGER_FIRED_BEFORE(trigdata->tg_event) ||
		!TRIGGER_FIRED_FOR_ROW(trigdata->tg_event) ||
		TRIGGER_FIRED_BY_DELETE(trigdata->tg_event))
		elog(ERROR, "ticket_lifecycle_trigger must be a BEFORE INSERT OR UPDATE row trigger");

	relation = trigdata->tg_relation;
	tupdesc = RelationGetDescr(relation);
	columns = ticket_columns(RelationGetDescr(relation), RelationGetRelid(relation));

	if (TRIGGER_FIRED_BY_INSERT(trigdata->tg_event))
	{
		if (trigger_guard_restoring())
			return PointerGetDatum(trigdata->tg_trigtuple);	/* verbatim restore */
		new_tuple = trigdata->tg_trigtuple;
	}
	else
		new_tuple = trigdata->tg_newtuple;

	values = palloc(tupdesc->natts * sizeof(Datum));
	nulls = palloc(tupdesc->natts * sizeof(bool));
	heap_deform_tuple(new_tuple, tupdesc, values, nulls);

	if (TRIGGER_FIRED_BY_INSERT(trigdata->tg_event))
		lifecycle_start_new_ticket(columns, values, nulls, now);
	else
	{
		Datum	   *old_values = palloc(tupdesc->natts * sizeof(Datum));
		bool	   *old_nulls = palloc(tupdesc->natts * sizeof(bool));
		TicketStatus from;
		TicketStatus to;
		bool		rating_changed;

		heap_deform_tuple(trigdata->tg_trigtuple, tupdesc, old_values, old_nulls);

		/* milestones are the trigger's: keep the stored ones, whatever was written */
		for (size_t i = 0; i < lengthof(lifecycle_owned_offsets); i++)
		{
			int			column = LIFECYCLE_COLUMN_AT(columns, lifecycle_owned_offsets[i]);

			values[column] = old_values[column];
			nulls[column] = old_nulls[column];
		}
		if (!lifecycle_trusted_milestone_write)
		{
			values[columns->first_response_at] = old_values[columns->first_response_at];
			nulls[columns->first_response_at] = old_nulls[columns->first_response_at];
			values[columns->last_public_reply_at] = old_values[columns->last_public_reply_at];
			nulls[columns->last_public_reply_at] = old_nulls[columns->last_public_reply_at];
		}

		from = ticket_status_of(columns, old_values[columns->status]);
		to = ticket_status_of(columns, values[columns->status]);
		if (from != to)
			lifecycle_apply_transition(columns, values, nulls,
									   DatumGetInt64(values[columns->ticket_id]),
									   from, to, now);

		rating_changed = nulls[columns->satisfaction_rating] != old_nulls[columns->satisfaction_rating] ||
			(!nulls[columns->satisfaction_rating] &&
			 DatumGetInt16(values[columns->satisfaction_rating]) !=
			 DatumGetInt16(old_values[columns->satisfaction_rating]));
		if (rating_changed)
		{
			if (to != TICKET_RESOLVED && to != TICKET_CLOSED)
				ereport(ERROR,
						(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
						 errmsg("ticket %lld cannot be rated while it is \"%s\"",
								(long long) DatumGetInt64(values[columns->ticket_id]),
								ticket_status_name(to)),
						 errhint("A satisfaction rating is given once the ticket is resolved or closed.")));
			if (nulls[columns->satisfaction_rating])
				lifecycle_clear(values, nulls, columns->rated_at);
			else
				lifecycle_set(values, nulls, columns->rated_at, TimestampTzGetDatum(now));
		}
		lifecycle_set(values, nulls, columns->updated_at, TimestampTzGetDatum(now));
	}

	result = heap_form_tuple(tupdesc, values, nulls);
	return PointerGetDatum(result);
}
