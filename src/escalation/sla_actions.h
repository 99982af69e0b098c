/*
 * sla_actions.h — what the escalation worker does at a ticket's deadlines
 * and when (sla_actions.c): the deadline trigger stores the next of them in
 * the row, the worker takes each when it is due.
 */
#ifndef BEDROCK_SLA_ACTIONS_H
#define BEDROCK_SLA_ACTIONS_H

#include "postgres.h"

#include "utils/timestamp.h"

#include "tickets/ticket_columns.h"

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
