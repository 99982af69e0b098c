/*
 * assignment.h — picking the least-loaded eligible agent for a new ticket.
 */
#ifndef BEDROCK_ASSIGNMENT_H
#define BEDROCK_ASSIGNMENT_H

#include "postgres.h"

/*
 * support.auto_assign, when it counts (transaction_settings.c; else on):
 * new tickets without an assignee get the pick below
 */
extern bool assignment_auto_assigns(void);

/* From _PG_init: support.auto_assign. */
extern void assignment_init_settings(void);

/* What one INSERT statement has assigned so far; lives as long as it. */
typedef struct AssignmentLedger AssignmentLedger;

extern AssignmentLedger *assignment_ledger_create(MemoryContext context);

/*
 * An on-shift, active agent of the tier with the skill and the fewest open
 * tickets, counting picks of transactions not yet ended (ties: the one
 * assigned longest ago, then the lowest id); never waits for a lock. False
 * when no agent is eligible.
 */
extern bool assignment_pick(AssignmentLedger *ledger, int16 tier, const char *skill,
							int64 *agent_id);

/*
 * Tickets one INSERT statement gave each agent, until they are appended to
 * support.agent_load_changes: the triage outbox counts them as it records
 * the routing, and writes them with its last batch's statement.
 */
#define ASSIGNMENT_LOADS_MAX 64

typedef struct AssignmentLoads
{
	int			count;
	int64		agent_ids[ASSIGNMENT_LOADS_MAX];
	int32		tickets[ASSIGNMENT_LOADS_MAX];
} AssignmentLoads;

/*
 * The one writer of the agents' loads: appends to support.agent_load_changes
 * each of the int[] tickets for the agent at the same place in the bigint[]
 * agents, with last_assigned as the time of the assignment (SQL
 * expressions, the arrays as parameters); the escalation worker folds them
 * into agents.open_tickets. The triage outbox puts it in its batch's
 * statement; assignment_loads_write and track_agent_load run it alone.
 */
#define ASSIGNMENT_LOADS_INSERT(agents, tickets, last_assigned) \
	"INSERT INTO support.agent_load_changes (agent_id, open_tickets, assigned_at)" \
	" SELECT l.agent_id, l.tickets, " last_assigned \
	"   FROM unnest(" agents ", " tickets ") AS l(agent_id, tickets)"

/*
 * 1.0's schema, between a package upgrade and ALTER EXTENSION UPDATE, has
 * no support.agent_load_changes: its loads are updated in place, as 1.0
 * did, and its picks read them alone.
 */
#define ASSIGNMENT_LOADS_UPDATE_1_0(agents, tickets, last_assigned) \
	"UPDATE support.agents g" \
	"   SET open_tickets = g.open_tickets + l.tickets, last_assigned_at = " last_assigned \
	"  FROM unnest(" agents ", " tickets ") AS l(agent_id, tickets)" \
	" WHERE g.agent_id OPERATOR(pg_catalog.=) l.agent_id"

/* One more ticket for the agent; a full table first writes its oldest entry. */
extern void assignment_loads_count(AssignmentLoads *loads, int64 agent_id);

/* Appends each entry to support.agent_load_changes, one INSERT each. */
extern void assignment_loads_write(const AssignmentLoads *loads);

#endif
