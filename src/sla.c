/*
 * sla.c — the deadlines every ticket carries, kept by a BEFORE INSERT OR
 * UPDATE trigger on support.tickets that fires after the lifecycle trigger
 * (triggers fire in name order), so it sees this statement's milestones.
 *
 * The deadlines are a function of the row: priority, status, creation,
 * first response, last public reply and sla_paused, the periods in which
 * the resolution clock stood still (waiting on the client, or resolved
 * until reopened). So a priority change recomputes every deadline from the
 * ticket's start exactly, pauses included, and nothing can be forged: what
 * a statement writes into these columns is replaced.
 *
 *   first_response_due  creation + response target
 *   resolution_due      creation + resolution target + business time paused
 *                       (NULL while paused, unless already breached)
 *   next_update_due     last agent reply (or creation, or resumption) +
 *                       update cadence, while the ticket is being worked
 *   escalation_due      the "breach imminent" mark: escalation_ratio of the
 *                       target running now (first response, then resolution)
 */
#include "postgres.h"

#include <math.h>

#include "access/htup_details.h"
#include "catalog/pg_type.h"
#include "commands/trigger.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "utils/builtins.h"
#include "utils/datum.h"
#include "utils/fmgrprotos.h"
#include "utils/multirangetypes.h"
#include "utils/rangetypes.h"
#include "utils/rel.h"
#include "utils/timestamp.h"
#include "utils/typcache.h"

#include "lifecycle.h"
#include "sla.h"
#include "sla_config.h"
#include "spi_support.h"
#include "worker_shmem.h"
#include "trigger_guard.h"

SlaPauses
sla_pauses_of(const TicketColumns *columns, Datum paused)
{
	MultirangeType *ranges = DatumGetMultirangeTypeP(paused);
	TypeCacheEntry *range_type = columns->paused_type->rngtype;
	SlaPauses	pauses = {0, NULL, NULL};

	pauses.from = palloc(Max(ranges->rangeCount, 1) * sizeof(TimestampTz));
	pauses.to = palloc(Max(ranges->rangeCount, 1) * sizeof(TimestampTz));
	for (uint32 i = 0; i < ranges->rangeCount; i++)
	{
		RangeBound	lower;
		RangeBound	upper;

		multirange_get_bounds(range_type, ranges, i, &lower, &upper);
		if (lower.infinite || upper.infinite)
			continue;			/* only restored data could hold one; it pauses nothing */
		pauses.from[pauses.count] = DatumGetTimestampTz(lower.val);
		pauses.to[pauses.count] = DatumGetTimestampTz(upper.val);
		pauses.count++;
	}
	return pauses;
}

/* sla_paused plus [from, to) */
static Datum
sla_add_pause(const TicketColumns *columns, Datum paused, TimestampTz from, TimestampTz to)
{
	TypeCacheEntry *range_type = columns->paused_type->rngtype;
	MultirangeType *ranges = DatumGetMultirangeTypeP(paused);
	int32		count;
	RangeType **items;
	RangeType **all;
	RangeBound	lower = {TimestampTzGetDatum(from), false, true, true};
	RangeBound	upper = {TimestampTzGetDatum(to), false, false, false};

	if (to <= from)
		return paused;
	multirange_deserialize(range_type, ranges, &count, &items);
	all = palloc((count + 1) * sizeof(RangeType *));
	memcpy(all, items, count * sizeof(RangeType *));
	all[count] = make_range(range_type, &lower, &upper, false);
	return MultirangeTypePGetDatum(make_multirange(columns->paused_type->type_id, range_type,
												   count + 1, all));
}

/*
 * start + amount of business time, not counting the pauses that began
 * before the deadline they would have extended: a target breached before
 * the ticket paused stays breached.
 */
static TimestampTz
sla_due_with_pauses(BusinessCalendar *calendar, TimestampTz start, int64 amount,
					const SlaPauses *pauses)
{
	TimestampTz due = business_time_add(calendar, start, amount);
	int64		paused = 0;

	for (int i = 0; i < pauses->count; i++)
	{
		if (pauses->from[i] >= due)
			break;
		paused += business_time_diff(calendar, Max(pauses->from[i], start), pauses->to[i]);
		due = business_time_add(calendar, start, amount + paused);
	}
	return due;
}

static TimestampTz
sla_cadence_due(const SlaPolicy *policy, BusinessCalendar *account_calendar, TimestampTz from)
{
	switch (policy->cadence_unit)
	{
		case CADENCE_BUSINESS_HOURS:
			return business_time_add(account_calendar, from, policy->update_cadence);
		case CADENCE_BUSINESS_DAYS:
			return business_time_days_add(account_calendar, from, (int) policy->update_cadence);
		case CADENCE_ELAPSED:
			break;
	}
	return business_time_add(sla_config_around_the_clock(), from, policy->update_cadence);
}

/*
 * A client's escalation request and an executive escalation each bring an
 * elapsed-time cadence; the shortest cadence in force sets the next update.
 */
TimestampTz
sla_update_due(const TicketColumns *columns, Datum *values, bool *nulls,
			   const SlaPolicy *policy, BusinessCalendar *account_calendar, TimestampTz from)
{
	TimestampTz due = sla_cadence_due(policy, account_calendar, from);
	TimestampTz since;

	if (policy->escalated_update_cadence > 0 &&
		sla_timestamp(values, nulls, columns->escalation_requested_at, &since))
		due = Min(due, Max(from, since) + policy->escalated_update_cadence);
	if (policy->executive_update_cadence > 0 &&
		sla_timestamp(values, nulls, columns->executive_escalated_at, &since))
		due = Min(due, Max(from, since) + policy->executive_update_cadence);
	return due;
}

static inline int64
sla_share(int64 amount, double ratio)
{
	return (int64) rint((double) amount * ratio);
}

static inline void
sla_set(Datum *values, bool *nulls, int column, bool known, TimestampTz value)
{
	values[column] = known ? TimestampTzGetDatum(value) : (Datum) 0;
	nulls[column] = !known;
}

/*
 * Once escalated, the ticket runs on its new tier's target: the next mark
 * is escalation_ratio of that tier's resolution target after the
 * escalation. A tier without one (tier 3) keeps the priority's mark.
 */
static TimestampTz
sla_mark_after_escalation(const TicketColumns *columns, Datum *values, bool *nulls,
						  const SlaPolicy *policy, BusinessCalendar *clock, TimestampTz mark)
{
	TimestampTz escalated;
	const SlaTier *tier;

	if (!sla_timestamp(values, nulls, columns->escalated_at, &escalated))
		return mark;
	tier = sla_config_tier(DatumGetInt16(values[columns->tier]));
	if (tier == NULL || tier->resolution_target <= 0)
		return mark;
	return business_time_add(clock, escalated,
							 sla_share(tier->resolution_target, policy->escalation_ratio));
}

static void
sla_compute_deadlines(const TicketColumns *columns, Datum *values, bool *nulls)
{
	int64		account_id = DatumGetInt64(values[columns->account_id]);
	int16		priority = DatumGetInt16(values[columns->priority]);
	TicketStatus status = ticket_status_of(columns, values[columns->status]);
	const SlaPolicy *policy = sla_config_policy(priority);
	BusinessCalendar *account_calendar = sla_config_account_calendar(account_id);
	BusinessCalendar *clock;
	TimestampTz created;
	TimestampTz pending_since = 0;
	TimestampTz last_reply;
	TimestampTz update_from;
	TimestampTz resolution_due;
	TimestampTz mark;
	bool		responded = !nulls[columns->first_response_at];
	bool		running = status == TICKET_NEW || status == TICKET_TRIAGED ||
		status == TICKET_IN_PROGRESS;
	bool		waiting = status == TICKET_PENDING_CLIENT &&
		sla_timestamp(values, nulls, columns->pending_since, &pending_since);
	SlaPauses	pauses;

	if (account_calendar == NULL || nulls[columns->created_at])
		return;					/* the foreign key check reports the missing account */
	clock = policy->around_the_clock ? sla_config_around_the_clock() : account_calendar;
	created = DatumGetTimestampTz(values[columns->created_at]);
	pauses = sla_pauses_of(columns, values[columns->sla_paused]);

	sla_set(values, nulls, columns->first_response_due, true,
			business_time_add(clock, created, policy->response_target));

	resolution_due = sla_due_with_pauses(clock, created, policy->resolution_target, &pauses);
	sla_set(values, nulls, columns->resolution_due,
			!waiting || resolution_due <= pending_since, resolution_due);

	if (running)
	{
		update_from = created;
		if (sla_timestamp(values, nulls, columns->last_public_reply_at, &last_reply))
			update_from = Max(update_from, last_reply);
		if (pauses.count > 0)
			update_from = Max(update_from, pauses.to[pauses.count - 1]);
		sla_set(values, nulls, columns->next_update_due, true,
				sla_update_due(columns, values, nulls, policy, account_calendar, update_from));
	}
	else
		sla_set(values, nulls, columns->next_update_due, false, 0);

	if (!responded && status != TICKET_RESOLVED && status != TICKET_CLOSED)
		sla_set(values, nulls, columns->escalation_due, true,
				sla_mark_after_escalation(columns, values, nulls, policy, clock,
										  business_time_add(clock, created,
															sla_share(policy->response_target,
																	  policy->escalation_ratio))));
	else if (running || waiting)
	{
		mark = sla_due_with_pauses(clock, created,
								   sla_share(policy->resolution_target, policy->escalation_ratio),
								   &pauses);
		mark = sla_mark_after_escalation(columns, values, nulls, policy, clock, mark);
		sla_set(values, nulls, columns->escalation_due, !waiting || mark <= pending_since, mark);
	}
	else
		sla_set(values, nulls, columns->escalation_due, false, 0);
}

static bool
sla_datum_changed(int column, Datum *values, bool *nulls,
				  Datum *old_values, bool *old_nulls, TupleDesc tupdesc)
{
	Form_pg_attribute attribute = TupleDescAttr(tupdesc, column);

	if (nulls[column] || old_nulls[column])
		return nulls[column] != old_nulls[column];
	return !datumIsEqual(values[column], old_values[column], attribute->attbyval, attribute->attlen);
}

PG_FUNCTION_INFO_V1(ticket_sla_trigger);
Datum
ticket_sla_trigger(PG_FUNCTION_ARGS)
{
	TriggerData *trigdata = trigger_guard(fcinfo, "ticket_sla_trigger", "tickets");
	Relation	relation;
	TupleDesc	tupdesc;
	const TicketColumns *columns;
	Datum	   *values;
	bool	   *nulls;
	TimestampTz now = GetCurrentTransactionStartTimestamp();
	bool		recompute = true;
	bool		checked_changed = false;
	bool		schedule_changed = false;

	if (!TRIGGER_FIRED_BEFORE(trigdata->tg_event) ||
		!TRIGGER_FIRED_FOR_ROW(trigdata->tg_event) ||
		TRIGGER_FIRED_BY_DELETE(trigdata->tg_event))
		elog(ERROR, "ticket_sla_trigger must be a BEFORE INSERT OR UPDATE row trigger");

	relation = trigdata->tg_relation;
	tupdesc = RelationGetDescr(relation);
	columns = ticket_columns(tupdesc, RelationGetRelid(relation));

	if (TRIGGER_FIRED_BY_INSERT(trigdata->tg_event) && trigger_guard_restoring())
		return PointerGetDatum(trigdata->tg_trigtuple);	/* verbatim restore */

	values = palloc(tupdesc->natts * sizeof(Datum));
	nulls = palloc(tupdesc->natts * sizeof(bool));

	if (TRIGGER_FIRED_BY_INSERT(trigdata->tg_event))
	{
		heap_deform_tuple(trigdata->tg_trigtuple, tupdesc, values, nulls);
		values[columns->sla_paused] =
			MultirangeTypePGetDatum(make_empty_multirange(columns->paused_type->type_id,
														  columns->paused_type->rngtype));
		nulls[columns->sla_paused] = false;
	}
	else
	{
		Datum	   *old_values = palloc(tupdesc->natts * sizeof(Datum));
		bool	   *old_nulls = palloc(tupdesc->natts * sizeof(bool));
		static const size_t owned[] = {
			offsetof(TicketColumns, first_response_due), offsetof(TicketColumns, next_update_due),
			offsetof(TicketColumns, resolution_due), offsetof(TicketColumns, escalation_due),
			offsetof(TicketColumns, sla_paused), offsetof(TicketColumns, next_action_at),
		};
		static const size_t inputs[] = {
			offsetof(TicketColumns, account_id), offsetof(TicketColumns, priority),
			offsetof(TicketColumns, status), offsetof(TicketColumns, first_response_at),
			offsetof(TicketColumns, last_public_reply_at), offsetof(TicketColumns, pending_since),
			offsetof(TicketColumns, tier), offsetof(TicketColumns, escalated_at),
			offsetof(TicketColumns, escalation_requested_at),
			offsetof(TicketColumns, executive_escalated_at),
		};
		static const size_t schedule_inputs[] = {
			offsetof(TicketColumns, last_activity_at), offsetof(TicketColumns, escalation_call_due),
			offsetof(TicketColumns, escalation_call_held_at),
		};
		TicketStatus from;
		TicketStatus to;

		heap_deform_tuple(trigdata->tg_newtuple, tupdesc, values, nulls);
		heap_deform_tuple(trigdata->tg_trigtuple, tupdesc, old_values, old_nulls);
		for (size_t i = 0; i < lengthof(owned); i++)
		{
			int			column = *(const int *) ((const char *) columns + owned[i]);

			values[column] = old_values[column];
			nulls[column] = old_nulls[column];
		}

		from = ticket_status_of(columns, old_values[columns->status]);
		to = ticket_status_of(columns, values[columns->status]);
		if (from == TICKET_PENDING_CLIENT && to != TICKET_PENDING_CLIENT &&
			!old_nulls[columns->pending_since])
			values[columns->sla_paused] =
				sla_add_pause(columns, values[columns->sla_paused],
							  DatumGetTimestampTz(old_values[columns->pending_since]), now);
		if (from == TICKET_RESOLVED && to == TICKET_IN_PROGRESS && !old_nulls[columns->resolved_at])
			values[columns->sla_paused] =
				sla_add_pause(columns, values[columns->sla_paused],
							  DatumGetTimestampTz(old_values[columns->resolved_at]), now);

		/* unchanged inputs, unchanged deadlines; a row never computed is computed */
		recompute = nulls[columns->first_response_due] || from != to;
		for (size_t i = 0; i < lengthof(inputs) && !recompute; i++)
			recompute = sla_datum_changed(*(const int *) ((const char *) columns + inputs[i]),
										  values, nulls, old_values, old_nulls, tupdesc);

		/*
		 * A change can move a deadline behind the worker's mark, so the
		 * worker looks at all of the ticket's past actions again (the
		 * action ledger keeps each one once) unless this statement is the
		 * worker's own bookkeeping, which sets the mark itself.
		 */
		checked_changed = sla_datum_changed(columns->actions_checked_at,
											values, nulls, old_values, old_nulls, tupdesc);
		/* inputs of the worker's schedule only */
		for (size_t i = 0; i < lengthof(schedule_inputs) && !schedule_changed; i++)
			schedule_changed = sla_datum_changed(*(const int *) ((const char *) columns +
																  schedule_inputs[i]),
												 values, nulls, old_values, old_nulls, tupdesc);
		if (recompute && !checked_changed)
			nulls[columns->actions_checked_at] = true;
	}

	if (recompute)
		sla_compute_deadlines(columns, values, nulls);
	if (recompute || checked_changed || schedule_changed)
	{
		TimestampTz next = 0;
		bool		scheduled = sla_next_action(columns, values, nulls, &next);

		values[columns->next_action_at] = TimestampTzGetDatum(next);
		nulls[columns->next_action_at] = !scheduled;
		if (scheduled)
			worker_wake_at_commit_if_before(next);
	}
	return PointerGetDatum(heap_form_tuple(tupdesc, values, nulls));
}
