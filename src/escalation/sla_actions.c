/*
 * sla_actions.c — the escalation worker's schedule for one ticket: which
 * actions its row calls for and when. The deadline trigger keeps the
 * earliest pending one in tickets.next_action_at (one index probe tells the
 * worker when to wake); support.ticket_actions(ticket) lists them all for
 * the worker's pass, so both read the schedule from this one place.
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "catalog/namespace.h"
#include "catalog/pg_enum.h"
#include "catalog/pg_type.h"
#include "common/int.h"
#include "fmgr.h"
#include "funcapi.h"
#include "utils/builtins.h"
#include "utils/catcache.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/syscache.h"
#include "utils/typcache.h"

#include "escalation/sla_actions.h"
#include "sla/sla_clock.h"
#include "sla/sla_config.h"

/*
 * The actions' names are support.worker_action's labels (extension/schema/escalation.sql), in
 * SlaAction's order, so a name is written once; read again when the type
 * is (a re-created extension).
 */
static Oid	sla_action_type = InvalidOid;
static char *sla_action_names[SLA_ACTION_COUNT];

static int
sla_action_label_order(const void *a, const void *b)
{
	float4		left = ((const Form_pg_enum) GETSTRUCT(*(const HeapTuple *) a))->enumsortorder;
	float4		right = ((const Form_pg_enum) GETSTRUCT(*(const HeapTuple *) b))->enumsortorder;

	return left < right ? -1 : left > right;
}

const char *
sla_action_name(SlaAction action)
{
	Oid			type = GetSysCacheOid2(TYPENAMENSP, Anum_pg_type_oid, CStringGetDatum("worker_action"),
									   ObjectIdGetDatum(get_namespace_oid("support", false)));

	if (type != sla_action_type)
	{
		CatCList   *labels = SearchSysCacheList1(ENUMTYPOIDNAME, ObjectIdGetDatum(type));
		HeapTuple	sorted[SLA_ACTION_COUNT];

		if (!OidIsValid(type) || labels->n_members != SLA_ACTION_COUNT)
		{
			ReleaseSysCacheList(labels);
			elog(ERROR, "support.worker_action must have the %d actions of the escalation worker",
				 SLA_ACTION_COUNT);
		}
		for (int i = 0; i < SLA_ACTION_COUNT; i++)
			sorted[i] = &labels->members[i]->tuple;
		qsort(sorted, SLA_ACTION_COUNT, sizeof(HeapTuple), sla_action_label_order);
		for (int i = 0; i < SLA_ACTION_COUNT; i++)
		{
			if (sla_action_names[i] != NULL)
				pfree(sla_action_names[i]);
			sla_action_names[i] = MemoryContextStrdup(TopMemoryContext,
													  NameStr(((Form_pg_enum) GETSTRUCT(sorted[i]))->enumlabel));
		}
		ReleaseSysCacheList(labels);
		sla_action_type = type;
	}
	return sla_action_names[action];
}

/*
 * The last moment someone moved the ticket forward: a milestone, an
 * escalation, or an event by a person (a reply, a note, a client message).
 */
static TimestampTz
sla_progress_at(const TicketColumns *columns, Datum *values, bool *nulls)
{
	const int	milestones[] = {
		columns->triaged_at, columns->work_started_at, columns->last_public_reply_at,
		columns->reopened_at, columns->escalated_at, columns->last_activity_at,
	};
	TimestampTz progress = DatumGetTimestampTz(values[columns->created_at]);
	TimestampTz at;
	SlaPauses	pauses = sla_pauses_of(columns, values[columns->sla_paused]);

	for (size_t i = 0; i < lengthof(milestones); i++)
		if (sla_timestamp(values, nulls, milestones[i], &at))
			progress = Max(progress, at);
	if (pauses.count > 0)
		progress = Max(progress, pauses.to[pauses.count - 1]);
	return progress;
}

/*
 * from + span of elapsed time, for a span of the policy's (0: none): false
 * when there is none or the sum leaves the timestamp range.
 */
static bool
sla_after(TimestampTz from, int64 span, TimestampTz *at)
{
	return span > 0 && !pg_add_s64_overflow(from, span, at) && IS_VALID_TIMESTAMP(*at);
}

int
sla_ticket_actions(const TicketColumns *columns, Datum *values, bool *nulls,
				   SlaAction *actions, TimestampTz *times)
{
	TicketStatus status;
	bool		open;
	bool		running;
	const SlaPolicy *policy;
	const SlaTier *tier;
	BusinessCalendar *account_calendar;
	BusinessCalendar *clock;
	TimestampTz at;
	TimestampTz resolved;
	TimestampTz since;
	int			count = 0;

#define SLA_SCHEDULE(action, time) \
	do { actions[count] = (action); times[count] = (time); count++; } while (0)

	if (nulls[columns->created_at])
		return 0;
	account_calendar = sla_config_account_calendar(DatumGetInt64(values[columns->account_id]));
	if (account_calendar == NULL)
		return 0;
	policy = sla_config_policy(DatumGetInt16(values[columns->priority]));
	clock = sla_config_target_calendar(SLA_PRIORITY_TARGET, policy, NULL, account_calendar);
	status = ticket_status_of(columns, values[columns->status]);
	open = status != TICKET_RESOLVED && status != TICKET_CLOSED;
	running = status == TICKET_NEW || status == TICKET_TRIAGED || status == TICKET_IN_PROGRESS;

	if (open && sla_timestamp(values, nulls, columns->escalation_due, &at))
		SLA_SCHEDULE(SLA_ACTION_ESCALATION_MARK, at);
	if (open && nulls[columns->first_response_at] &&
		sla_timestamp(values, nulls, columns->first_response_due, &at))
		SLA_SCHEDULE(SLA_ACTION_FIRST_RESPONSE_BREACH, at);
	if (sla_timestamp(values, nulls, columns->next_update_due, &at))
	{
		SLA_SCHEDULE(SLA_ACTION_UPDATE_OVERDUE, at);
		/* a second cadence without an update */
		SLA_SCHEDULE(SLA_ACTION_UPDATE_TWICE_OVERDUE,
					 sla_update_due(columns, values, nulls, policy, account_calendar, at));
	}
	if (open && sla_timestamp(values, nulls, columns->resolution_due, &at))
		SLA_SCHEDULE(SLA_ACTION_RESOLUTION_BREACH, at);
	tier = sla_config_tier(DatumGetInt16(values[columns->tier]));
	if (running && tier != NULL && tier->escalation_threshold > 0)
		SLA_SCHEDULE(SLA_ACTION_NO_PROGRESS,
					 business_time_add(clock, sla_progress_at(columns, values, nulls),
									   tier->escalation_threshold));
	if (open && sla_timestamp(values, nulls, columns->escalation_call_due, &at) &&
		!sla_timestamp(values, nulls, columns->escalation_call_held_at, &since))
		SLA_SCHEDULE(SLA_ACTION_ESCALATION_CALL_OVERDUE, at);
	if (!open && sla_timestamp(values, nulls, columns->resolved_at, &resolved))
	{
		if (sla_timestamp(values, nulls, columns->executive_escalated_at, &since) &&
			since <= resolved)
		{
			/* the review task is set at the resolution, and chased at its deadline until done */
			SLA_SCHEDULE(SLA_ACTION_POST_INCIDENT_REVIEW, resolved);
			/* a review recorded before this resolution (a reopen since) was of another */
			if (!(sla_timestamp(values, nulls, columns->post_incident_review_done_at, &at) && at >= resolved) &&
				sla_after(resolved, policy->post_incident_review_within, &at))
				SLA_SCHEDULE(SLA_ACTION_POST_INCIDENT_REVIEW, at);
		}
		if (sla_after(resolved, policy->follow_up_after, &at))
			SLA_SCHEDULE(SLA_ACTION_FOLLOW_UP, at);
		if (status == TICKET_RESOLVED && sla_after(resolved, policy->auto_close_after, &at))
			SLA_SCHEDULE(SLA_ACTION_AUTO_CLOSE, at);
	}
#undef SLA_SCHEDULE
	return count;
}

bool
sla_next_action(const TicketColumns *columns, Datum *values, bool *nulls, TimestampTz *next)
{
	SlaAction	actions[SLA_MAX_SCHEDULED];
	TimestampTz times[SLA_MAX_SCHEDULED];
	TimestampTz checked;
	bool		has_checked = sla_timestamp(values, nulls, columns->actions_checked_at, &checked);
	int			count = sla_ticket_actions(columns, values, nulls, actions, times);
	bool		found = false;

	for (int i = 0; i < count; i++)
	{
		if (has_checked && times[i] <= checked)
			continue;			/* the worker has been past it */
		if (!found || times[i] < *next)
			*next = times[i];
		found = true;
	}
	return found;
}

/*
 * support.ticket_actions(ticket support.tickets) RETURNS TABLE(action text,
 * due timestamptz): every action the ticket's row schedules, done or not.
 */
PG_FUNCTION_INFO_V1(ticket_actions);
Datum
ticket_actions(PG_FUNCTION_ARGS)
{
	/* the columns the schedule reads as values */
	static const size_t required[] = {
		offsetof(TicketColumns, account_id), offsetof(TicketColumns, priority),
		offsetof(TicketColumns, tier), offsetof(TicketColumns, status),
		offsetof(TicketColumns, created_at), offsetof(TicketColumns, sla_paused),
	};
	TicketRow	ticket = ticket_row_argument(PG_GETARG_HEAPTUPLEHEADER(0), "support.ticket_actions",
											 required, lengthof(required));
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	SlaAction	actions[SLA_MAX_SCHEDULED];
	TimestampTz times[SLA_MAX_SCHEDULED];
	int			count;

	InitMaterializedSRF(fcinfo, 0);
	count = sla_ticket_actions(ticket.columns, ticket.values, ticket.nulls, actions, times);
	for (int i = 0; i < count; i++)
	{
		Datum		result[2] = {CStringGetTextDatum(sla_action_name(actions[i])),
		TimestampTzGetDatum(times[i])};
		bool		result_nulls[2] = {false, false};

		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, result, result_nulls);
	}
	return (Datum) 0;
}
