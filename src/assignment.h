/*
 * assignment.h — picking the least-loaded eligible agent for a new ticket.
 */
#ifndef BEDROCK_ASSIGNMENT_H
#define BEDROCK_ASSIGNMENT_H

#include "postgres.h"

/* support.auto_assign: new tickets without an assignee get the pick below */
extern bool assignment_auto_assign;

/* From _PG_init: support.auto_assign. */
extern void assignment_init_settings(void);

/* What one INSERT statement has assigned so far; lives as long as it. */
typedef struct AssignmentLedger AssignmentLedger;

extern AssignmentLedger *assignment_ledger_create(MemoryContext context);

/*
 * An on-shift, active agent of the tier with the skill and the fewest open
 * tickets (ties: the one assigned longest ago, then the lowest id), locked
 * for the rest of the transaction; false when no agent is eligible.
 */
extern bool assignment_pick(AssignmentLedger *ledger, int16 tier, const char *skill,
							int64 *agent_id);

/*
 * Tickets one INSERT statement gave each agent, until they are added to
 * agents.open_tickets: the triage outbox counts them as it records the
 * routing, and adds them with its last batch's statement.
 */
#define ASSIGNMENT_LOADS_MAX 64

typedef struct AssignmentLoads
{
	int			count;
	int64		agent_ids[ASSIGNMENT_LOADS_MAX];
	int32		tickets[ASSIGNMENT_LOADS_MAX];
} AssignmentLoads;

/*
 * The one writer of agents.open_tickets: adds each of the int[] tickets to
 * the open_tickets of the agent at the same place in the bigint[] agents,
 * and sets last_assigned_at to last_assigned (SQL expressions, the arrays
 * as parameters). The triage outbox puts it in its batch's statement;
 * assignment_loads_write and track_agent_load run it alone.
 */
#define ASSIGNMENT_LOADS_UPDATE(agents, tickets, last_assigned) \
	"UPDATE support.agents g" \
	"   SET open_tickets = g.open_tickets + l.tickets, last_assigned_at = " last_assigned \
	"  FROM unnest(" agents ", " tickets ") AS l(agent_id, tickets)" \
	" WHERE g.agent_id OPERATOR(pg_catalog.=) l.agent_id"

/* One more ticket for the agent; a full table first writes its oldest entry. */
extern void assignment_loads_count(AssignmentLoads *loads, int64 agent_id);

/* Adds each entry to its agent's open_tickets, one UPDATE each. */
extern void assignment_loads_write(const AssignmentLoads *loads);

#endif
