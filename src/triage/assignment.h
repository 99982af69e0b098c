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
 * The one writer of the agents' loads, as CTEs of a statement: each of the
 * int[] tickets for the agent at the same place in the bigint[] agents,
 * with last_assigned as the time of an assignment (SQL expressions, the
 * arrays as parameters). An agent this transaction could lock
 * (assignment_loads_lock: the boolean[] locked) is updated in place; for
 * one another transaction holds, a row is appended to
 * support.agent_load_changes instead, which the escalation worker folds
 * into the agent later (support.fold_agent_loads). Nothing waits, and the
 * ledger a pick sums stays short. The statement that uses them names
 * load_updated or load_changes; the triage outbox puts them in its batch's
 * statement.
 */
#define ASSIGNMENT_LOADS_CTES(agents, tickets, locked, last_assigned) \
	" load_updated AS (" \
	"  UPDATE support.agents g" \
	"     SET open_tickets = g.open_tickets OPERATOR(pg_catalog.+) l.tickets," \
	"         last_assigned_at = GREATEST(g.last_assigned_at, " last_assigned ")" \
	"    FROM unnest(" agents ", " tickets ", " locked ") AS l(agent_id, tickets, locked)" \
	"   WHERE g.agent_id OPERATOR(pg_catalog.=) l.agent_id AND l.locked" \
	"  RETURNING 1)," \
	" load_changes AS (" \
	"  INSERT INTO support.agent_load_changes (agent_id, open_tickets, assigned_at)" \
	"  SELECT l.agent_id, l.tickets, " last_assigned \
	"    FROM unnest(" agents ", " tickets ", " locked ") AS l(agent_id, tickets, locked)" \
	"   WHERE NOT l.locked" \
	"  RETURNING 1)"

/* The loads alone: a statement of the CTEs above. */
#define ASSIGNMENT_LOADS_STATEMENT(agents, tickets, locked, last_assigned) \
	"WITH" ASSIGNMENT_LOADS_CTES(agents, tickets, locked, last_assigned) \
	" SELECT (SELECT pg_catalog.count(*) FROM load_updated) OPERATOR(pg_catalog.+)" \
	"        (SELECT pg_catalog.count(*) FROM load_changes)"

/*
 * Locks each agent's row for a load update (FOR NO KEY UPDATE), never
 * waiting: locked[i], a boolean Datum, says whether agent_ids[i] is this
 * transaction's now.
 */
extern void assignment_loads_lock(int count, const Datum *agent_ids, Datum *locked);

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

/* Writes each entry's load (ASSIGNMENT_LOADS_STATEMENT), one statement each. */
extern void assignment_loads_write(const AssignmentLoads *loads);

#endif
