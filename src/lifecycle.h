/*
 * lifecycle.h — the ticket lifecycle state machine.
 */
#ifndef BEDROCK_LIFECYCLE_H
#define BEDROCK_LIFECYCLE_H

#include "postgres.h"

typedef enum TicketStatus
{
	TICKET_NEW,
	TICKET_TRIAGED,
	TICKET_IN_PROGRESS,
	TICKET_PENDING_CLIENT,
	TICKET_RESOLVED,
	TICKET_CLOSED,
	TICKET_STATUS_COUNT
} TicketStatus;

/* Pure state machine, no executor calls. */
extern const char *lifecycle_status_name(TicketStatus status);
extern bool lifecycle_status_from_name(const char *name, TicketStatus *status);
extern bool lifecycle_transition_allowed(TicketStatus from, TicketStatus to);
extern char *lifecycle_allowed_targets(TicketStatus from);

/*
 * Set only by this extension's own C code (ticket_events.c) around the
 * UPDATE that records a first response; while false, milestone columns
 * written by a statement are reverted to the values the trigger owns.
 */
extern bool lifecycle_trusted_milestone_write;

#endif
