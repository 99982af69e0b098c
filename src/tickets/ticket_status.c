/*
 * ticket_status.c — the ticket lifecycle as a pure state machine: the
 * statuses' names and the moves allowed between them. The trigger that
 * enforces it is lifecycle.c; the column readers (ticket_columns.c) name
 * statuses from here, below both.
 *
 *   new -> triaged -> in_progress <-> pending_client
 *   in_progress -> resolved -> closed,   resolved -> in_progress (reopen)
 */
#include "postgres.h"

#include "lib/stringinfo.h"

#include "tickets/ticket_status.h"

static const char *const ticket_status_names[TICKET_STATUS_COUNT] = {
	"new", "triaged", "in_progress", "pending_client", "resolved", "closed"
};

/* ticket_status_transitions[from][to] */
static const bool ticket_status_transitions[TICKET_STATUS_COUNT][TICKET_STATUS_COUNT] = {
	[TICKET_NEW] = {[TICKET_TRIAGED] = true},
	[TICKET_TRIAGED] = {[TICKET_IN_PROGRESS] = true},
	[TICKET_IN_PROGRESS] = {[TICKET_PENDING_CLIENT] = true, [TICKET_RESOLVED] = true},
	[TICKET_PENDING_CLIENT] = {[TICKET_IN_PROGRESS] = true},
	[TICKET_RESOLVED] = {[TICKET_CLOSED] = true, [TICKET_IN_PROGRESS] = true},
	[TICKET_CLOSED] = {0},
};

const char *
ticket_status_name(TicketStatus status)
{
	return ticket_status_names[status];
}

bool
ticket_status_transition_allowed(TicketStatus from, TicketStatus to)
{
	return ticket_status_transitions[from][to];
}

/* "triaged" or "pending_client, resolved" or "none (closed is final)" */
char *
ticket_status_allowed_targets(TicketStatus from)
{
	StringInfoData targets;

	initStringInfo(&targets);
	for (int to = 0; to < TICKET_STATUS_COUNT; to++)
	{
		if (!ticket_status_transitions[from][to])
			continue;
		if (targets.len > 0)
			appendStringInfoString(&targets, ", ");
		appendStringInfoString(&targets, ticket_status_names[to]);
	}
	if (targets.len == 0)
		appendStringInfo(&targets, "none (%s is final)", ticket_status_names[from]);
	return targets.data;
}
