/*
 * ticket_status.h — the statuses of a ticket and the moves between them
 * (ticket_status.c), in the order of support.ticket_status's labels.
 */
#ifndef BEDROCK_TICKET_STATUS_H
#define BEDROCK_TICKET_STATUS_H

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
extern const char *ticket_status_name(TicketStatus status);
extern bool ticket_status_transition_allowed(TicketStatus from, TicketStatus to);
extern char *ticket_status_allowed_targets(TicketStatus from);

#endif
