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
#include "ticket_columns.h"


/* A ticket's pauses, in order. */
typedef struct SlaPauses
{
	int			count;
	TimestampTz *from;
	TimestampTz *to;
} SlaPauses;

extern SlaPauses sla_pauses_of(const TicketColumns *columns, Datum paused);

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
extern TimestampTz sla_update_due(const TicketColumns *columns, Datum *values, bool *nulls,
								  const SlaPolicy *policy, BusinessCalendar *account_calendar,
								  TimestampTz from);

/*
 * What the escalation worker does at a ticket's deadlines (sla_actions.c),
 * in the order of support.worker_action's labels, which name them.
 */
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

/* at most every action once, and the post-incident review twice (set, then chased) */
#define SLA_MAX_SCHEDULED (SLA_ACTION_COUNT + 1)

/* Every action the row schedules, with its time; returns how many (at most SLA_MAX_SCHEDULED). */
extern int	sla_ticket_actions(const TicketColumns *columns, Datum *values, bool *nulls,
							   SlaAction *actions, TimestampTz *times);

/* The earliest scheduled action after the row's actions_checked_at. */
extern bool sla_next_action(const TicketColumns *columns, Datum *values, bool *nulls,
							TimestampTz *next);

#endif
