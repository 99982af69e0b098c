/*
 * sla.h — what the deadline trigger (sla.c) and the worker's action
 * schedule (sla_actions.c) share: where the columns of support.tickets
 * are, and the pieces of deadline arithmetic both need.
 */
#ifndef BEDROCK_SLA_H
#define BEDROCK_SLA_H

#include "postgres.h"

#include "access/tupdesc.h"
#include "utils/timestamp.h"
#include "utils/typcache.h"

#include "business_time.h"
#include "lifecycle.h"
#include "sla_config.h"

/* 0-based column indexes; -1 for a column an older schema lacks */
typedef struct SlaColumns
{
	Oid			relid;
	int			account_id;
	int			priority;
	int			tier;
	int			status;
	int			created_at;
	int			triaged_at;
	int			first_response_at;
	int			last_public_reply_at;
	int			work_started_at;
	int			pending_since;
	int			resolved_at;
	int			reopened_at;
	int			first_response_due;
	int			next_update_due;
	int			resolution_due;
	int			escalation_due;
	int			sla_paused;
	/* 1.4: the worker's schedule */
	int			escalated_at;
	int			escalation_requested_at;
	int			escalation_call_due;
	int			escalation_call_held_at;
	int			executive_escalated_at;
	int			last_activity_at;
	int			actions_checked_at;
	int			next_action_at;
	Oid			status_oids[TICKET_STATUS_COUNT];
	TypeCacheEntry *paused_type;	/* tstzmultirange */
} SlaColumns;

/* A ticket's pauses, in order. */
typedef struct SlaPauses
{
	int			count;
	TimestampTz *from;
	TimestampTz *to;
} SlaPauses;

extern SlaColumns *sla_columns_create(MemoryContext context, TupleDesc tupdesc, Oid relid);
extern TicketStatus sla_status_of(const SlaColumns *columns, Datum status);
extern SlaPauses sla_pauses_of(const SlaColumns *columns, Datum paused);

/* the timestamp in column (false when NULL or the column is missing) */
static inline bool
sla_timestamp(Datum *values, bool *nulls, int column, TimestampTz *value)
{
	if (column < 0 || nulls[column])
		return false;
	*value = DatumGetTimestampTz(values[column]);
	return true;
}

/* the update cadence in force: the policy's, shortened by an escalation */
extern TimestampTz sla_update_due(const SlaColumns *columns, Datum *values, bool *nulls,
								  const SlaPolicy *policy, BusinessCalendar *account_calendar,
								  TimestampTz from);

/* What the escalation worker does at a ticket's deadlines (sla_actions.c). */
typedef enum SlaAction
{
	SLA_ACTION_ESCALATION_MARK,
	SLA_ACTION_FIRST_RESPONSE_BREACH,
	SLA_ACTION_UPDATE_OVERDUE,
	SLA_ACTION_UPDATE_TWICE_OVERDUE,
	SLA_ACTION_RESOLUTION_BREACH,
	SLA_ACTION_NO_PROGRESS,
	SLA_ACTION_ESCALATION_CALL_OVERDUE,
	SLA_ACTION_POST_INCIDENT_REVIEW,
	SLA_ACTION_FOLLOW_UP,
	SLA_ACTION_AUTO_CLOSE,
	SLA_ACTION_COUNT
} SlaAction;

extern const char *sla_action_name(SlaAction action);

/* Every action the row schedules, with its time; returns how many. */
extern int	sla_ticket_actions(const SlaColumns *columns, Datum *values, bool *nulls,
							   SlaAction *actions, TimestampTz *times);

/* The earliest scheduled action after the row's actions_checked_at. */
extern bool sla_next_action(const SlaColumns *columns, Datum *values, bool *nulls,
							TimestampTz *next);

#endif
