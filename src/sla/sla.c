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
 *   tier_response_due   the current tier's initial response target, from
 *                       tier_entered_at until an agent's public reply after it
 *   tier_resolution_due the current tier's resolution target from
 *                       tier_entered_at, pauses after it added
 *                       (both NULL while not in force: tiers.targets_apply_to)
 *   escalation_due      the "breach imminent" mark: the earliest of
 *                       escalation_ratio of every target still running, the
 *                       priority's and the tier's, that is later than the
 *                       last escalation (an escalation answers every mark
 *                       passed by then)
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

#include "tickets/lifecycle.h"
#include "escalation/sla_actions.h"
#include "sla/sla_clock.h"
#include "sla/sla_config.h"
#include "shared/spi_support.h"
#include "operations/worker_shmem.h"
#include "shared/trigger_guard.h"

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
		if (pauses->to[i] <= start)
			continue;			/* over before this target started */
		if (pauses->from[i] >= due)
			break;
		paused += business_time_diff(calendar, Max(pauses->from[i], start), pauses->to[i]);
		due = business_time_add(calendar, start, amount + paused);
	}
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
	if (column < 0)
		return;					/* a 1.1 column on 1.0's schema */
	values[column] = known ? TimestampTzGetDatum(value) : (Datum) 0;
	nulls[column] = !known;
}

/*
 * The marks of the running targets compete for escalation_due: the earliest
 * one after the last escalation wins.
 */
typedef struct SlaMark
{
	bool		found;
	bool		escalated;
	TimestampTz escalated_at;
	TimestampTz earliest;
} SlaMark;

static inline void
sla_mark_consider(SlaMark *mark, TimestampTz at)
{
	if (mark->escalated && at <= mark->escalated_at)
		return;
	if (!mark->found || at < mark->earliest)
		mark->earliest = at;
	mark->found = true;
}

static void
sla_compute_deadlines(const TicketColumns *columns, Datum *values, bool *nulls)
{
	int64		account_id = DatumGetInt64(values[columns->account_id]);
	int16		priority = DatumGetInt16(values[columns->priority]);
	TicketStatus status = ticket_status_of(columns, values[columns->status]);
	const SlaPolicy *policy = sla_config_policy(priority);
	const SlaTier *tier = sla_config_tier(DatumGetInt16(values[columns->tier]));
	BusinessCalendar *account_calendar = sla_config_account_calendar(account_id);
	BusinessCalendar *clock;
	BusinessCalendar *tier_clock;
	TimestampTz created;
	TimestampTz tier_entered;
	TimestampTz pending_since = 0;
	TimestampTz last_reply = 0;
	TimestampTz update_from;
	TimestampTz due;
	TimestampTz at;
	bool		responded = !nulls[columns->first_response_at];
	bool		replied = sla_timestamp(values, nulls, columns->last_public_reply_at, &last_reply);
	bool		open = status != TICKET_RESOLVED && status != TICKET_CLOSED;
	bool		running = status == TICKET_NEW || status == TICKET_TRIAGED ||
		status == TICKET_IN_PROGRESS;
	bool		waiting = status == TICKET_PENDING_CLIENT &&
		sla_timestamp(values, nulls, columns->pending_since, &pending_since);
	bool		tier_in_force;
	SlaPauses	pauses;
	SlaMark		mark = {false, false, 0, 0};

	if (account_calendar == NULL || nulls[columns->created_at])
		return;					/* the foreign key check reports the missing account */
	clock = sla_config_target_calendar(SLA_PRIORITY_TARGET, policy, NULL, account_calendar);
	created = DatumGetTimestampTz(values[columns->created_at]);
	if (!sla_timestamp(values, nulls, columns->tier_entered_at, &tier_entered))
		tier_entered = created;
	pauses = sla_pauses_of(columns, values[columns->sla_paused]);
	mark.escalated = sla_timestamp(values, nulls, columns->escalated_at, &mark.escalated_at);

	/* the priority's targets, from creation */
	due = business_time_add(clock, created, policy->response_target);
	sla_set(values, nulls, columns->first_response_due, true, due);
	if (!responded && open)
		sla_mark_consider(&mark, business_time_add(clock, created,
												   sla_share(policy->response_target,
															 policy->escalation_ratio)));

	due = sla_due_with_pauses(clock, created, policy->resolution_target, &pauses);
	sla_set(values, nulls, columns->resolution_due, !waiting || due <= pending_since, due);
	if (running || waiting)
	{
		at = sla_due_with_pauses(clock, created,
								 sla_share(policy->resolution_target, policy->escalation_ratio),
								 &pauses);
		if (!waiting || at <= pending_since)
			sla_mark_consider(&mark, at);
	}

	/* the current tier's targets, from when the ticket entered it */
	tier_in_force = tier != NULL && (tier->target_priorities & (1u << priority)) != 0 &&
		columns->tier_entered_at >= 0;
	tier_clock = tier_in_force ? sla_config_target_calendar(SLA_TIER_TARGET, policy, tier, account_calendar)
		: account_calendar;
	if (tier_in_force && open && tier->response_target > 0 &&
		!(replied && last_reply > tier_entered))
	{
		sla_set(values, nulls, columns->tier_response_due, true,
				business_time_add(tier_clock, tier_entered, tier->response_target));
		sla_mark_consider(&mark, business_time_add(tier_clock, tier_entered,
												   sla_share(tier->response_target,
															 policy->escalation_ratio)));
	}
	else
		sla_set(values, nulls, columns->tier_response_due, false, 0);

	if (tier_in_force && tier->resolution_target > 0 && (running || waiting))
	{
		due = sla_due_with_pauses(tier_clock, tier_entered, tier->resolution_target, &pauses);
		at = sla_due_with_pauses(tier_clock, tier_entered,
								 sla_share(tier->resolution_target, policy->escalation_ratio),
								 &pauses);
		sla_set(values, nulls, columns->tier_resolution_due,
				!waiting || due <= pending_since, due);
		if (!waiting || at <= pending_since)
			sla_mark_consider(&mark, at);
	}
	else
		sla_set(values, nulls, columns->tier_resolution_due, false, 0);

	if (running)
	{
		update_from = created;
		if (replied)
			update_from = Max(update_from, last_reply);
		if (pauses.count > 0)
			update_from = Max(update_from, pauses.to[pauses.count - 1]);
		sla_set(values, nulls, columns->next_update_due, true,
				sla_update_due(columns, values, nulls, policy, account_calendar, update_from));
	}
	else
		sla_set(values, nulls, columns->next_update_due, false, 0);

	sla_set(values, nulls, columns->escalation_due, mark.found, mark.earliest);
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
		if (columns->tier_entered_at >= 0)
		{
			values[columns->tier_entered_at] = values[columns->created_at];
			nulls[columns->tier_entered_at] = nulls[columns->created_at];
		}
	}
	else
	{
		Datum	   *old_values = palloc(tupdesc->natts * sizeof(Datum));
		bool	   *old_nulls = palloc(tupdesc->natts * sizeof(bool));
		static const size_t owned[] = {
			offsetof(TicketColumns, first_response_due), offsetof(TicketColumns, next_update_due),
			offsetof(TicketColumns, resolution_due), offsetof(TicketColumns, escalation_due),
			offsetof(TicketColumns, sla_paused), offsetof(TicketColumns, next_action_at),
			offsetof(TicketColumns, tier_entered_at), offsetof(TicketColumns, tier_response_due),
			offsetof(TicketColumns, tier_resolution_due),
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
			offsetof(TicketColumns, post_incident_review_done_at),
		};
		TicketStatus from;
		TicketStatus to;
		bool		never_computed;

		heap_deform_tuple(trigdata->tg_newtuple, tupdesc, values, nulls);
		heap_deform_tuple(trigdata->tg_trigtuple, tupdesc, old_values, old_nulls);
		for (size_t i = 0; i < lengthof(owned); i++)
		{
			int			column = *(const int *) ((const char *) columns + owned[i]);

			if (column < 0)
				continue;		/* a 1.1 column on 1.0's schema */
			values[column] = old_values[column];
			nulls[column] = old_nulls[column];
		}

		/*
		 * No tier entry: a row imported or restored without deadlines
		 * entered its tier when it was created; a row whose deadlines 1.0
		 * computed has its tier's targets run from its first change under
		 * 1.1 (the upgrade touches every open ticket), not from a past 1.0
		 * never measured them in.
		 */
		never_computed = nulls[columns->first_response_due] ||
			(columns->tier_entered_at >= 0 && nulls[columns->tier_entered_at]);
		if (columns->tier_entered_at >= 0 && nulls[columns->tier_entered_at])
		{
			values[columns->tier_entered_at] = nulls[columns->first_response_due]
				? values[columns->created_at] : TimestampTzGetDatum(now);
			nulls[columns->tier_entered_at] = nulls[columns->first_response_due] &&
				nulls[columns->created_at];
		}
		/*
		 * A new tier's targets run from the move: the escalation's own time
		 * when this statement records one (the worker's as_of), else now.
		 */
		if (columns->tier_entered_at >= 0 &&
			DatumGetInt16(values[columns->tier]) != DatumGetInt16(old_values[columns->tier]))
		{
			bool		escalated_now = !nulls[columns->escalated_at] &&
				sla_datum_changed(columns->escalated_at, values, nulls, old_values, old_nulls, tupdesc);

			values[columns->tier_entered_at] = escalated_now ? values[columns->escalated_at]
				: TimestampTzGetDatum(now);
			nulls[columns->tier_entered_at] = false;
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
		recompute = never_computed || from != to;
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
		{
			int			column = *(const int *) ((const char *) columns + schedule_inputs[i]);

			schedule_changed = column >= 0 &&	/* a 1.1 column on 1.0's schema */
				sla_datum_changed(column, values, nulls, old_values, old_nulls, tupdesc);
		}
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
