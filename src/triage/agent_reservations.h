/*
 * agent_reservations.h — tickets picked for an agent by transactions that
 * have not ended yet, counted in shared memory (agent_reservations.c).
 */
#ifndef BEDROCK_AGENT_RESERVATIONS_H
#define BEDROCK_AGENT_RESERVATIONS_H

#include "postgres.h"

/* In _PG_init while shared_preload_libraries are loaded. */
extern void agent_reservations_request(void);

/*
 * What the counters of an agent said when read: picks made, and picks
 * whose transactions ended, since the entry was made.
 */
typedef struct AgentReservation
{
	uint64		picks;
	uint64		ends;
} AgentReservation;

/*
 * Before reading the agents' committed loads: the counters of every agent
 * of this database that has any (zeros for the others, and without shared
 * memory). A transaction that ends after this is still counted as pending,
 * so a commit between this and the read is never missed (counted twice at
 * worst). The counters are palloc'd; agent_reservations_of finds one.
 */
typedef struct AgentCounters
{
	int			count;
	int64	   *agent_ids;
	AgentReservation *counters;
} AgentCounters;

extern void agent_reservations_read(AgentCounters *all);
extern AgentReservation agent_reservations_of(const AgentCounters *all, int64 agent_id);

/*
 * Chooses among count agents and reserves the choice, atomically with
 * every other pick: pending[i] is set to the picks of other transactions
 * not ended by the time of before[i] (never negative), then
 * better(context, i, j, pending) decides; the chosen
 * index is returned (-1 when count is 0) and counted as a pick of this
 * transaction, ended when it commits or aborts (or its subtransaction
 * aborts). Without shared memory, pending is 0 and nothing is counted.
 */
typedef bool (*AgentBetter) (void *context, int a, int b, const int64 *pending);
extern int	agent_reservations_choose(int count, const int64 *agent_ids, const AgentReservation *before,
									  AgentBetter better, void *context);

#endif
