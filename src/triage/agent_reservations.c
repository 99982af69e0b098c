/*
 * agent_reservations.c — tickets picked for an agent by transactions still
 * running, counted in shared memory.
 *
 * An agent's load is what committed transactions assigned (agents and
 * support.agent_load_changes); a transaction that picked an agent and has
 * not committed is invisible to the others, and a pick must not hold the
 * agent's row locked until it commits (an open transaction of one account
 * would then stall every other account's tickets). So each pick is counted
 * here instead, per agent, as two ever-growing counters: picks made, and
 * picks whose transaction ended (committed, aborted, or their
 * subtransaction aborted). A pick reads the counters before it reads the
 * committed loads, then, under one lock, counts as still pending every pick
 * not ended by that read, chooses, and counts its own pick: no two picks
 * miss each other, whatever their transactions do, and nobody waits.
 *
 * Without shared_preload_libraries there are no counters: concurrent picks
 * may then choose the same agent.
 */
#include "postgres.h"

#include "access/xact.h"
#include "miscadmin.h"
#include "storage/ipc.h"
#include "storage/lwlock.h"
#include "storage/shmem.h"
#include "utils/memutils.h"

#include "triage/agent_reservations.h"

/* agents with counters at once, over all databases */
#define RESERVATION_SLOTS 1024

typedef struct ReservationSlot
{
	Oid			database;		/* InvalidOid: free */
	int64		agent_id;
	uint64		picks;
	uint64		ends;
} ReservationSlot;

typedef struct ReservationShared
{
	LWLock	   *lock;
	ReservationSlot slots[RESERVATION_SLOTS];
} ReservationShared;

/*
 * this transaction's picks, to end when it ends: one entry per agent and
 * subtransaction, with how many (a statement of 100,000 tickets has as
 * many entries as agents, not picks)
 */
typedef struct OwnPick
{
	int64		agent_id;
	SubTransactionId subtransaction;
	int64		count;
} OwnPick;

static ReservationShared *reservations = NULL;
static OwnPick *own_picks = NULL;
static int	own_pick_count = 0;
static int	own_pick_capacity = 0;
static bool callbacks_registered = false;
static shmem_request_hook_type previous_shmem_request = NULL;
static shmem_startup_hook_type previous_shmem_startup = NULL;

static void
agent_reservations_on_request(void)
{
	if (previous_shmem_request)
		previous_shmem_request();
	RequestAddinShmemSpace(MAXALIGN(sizeof(ReservationShared)));
	RequestNamedLWLockTranche("bedrock_support reservations", 1);
}

static void
agent_reservations_on_startup(void)
{
	bool		found;

	if (previous_shmem_startup)
		previous_shmem_startup();
	LWLockAcquire(AddinShmemInitLock, LW_EXCLUSIVE);
	reservations = ShmemInitStruct("bedrock_support reservations", sizeof(ReservationShared), &found);
	if (!found)
	{
		memset(reservations, 0, sizeof(ReservationShared));
		reservations->lock = &(GetNamedLWLockTranche("bedrock_support reservations"))->lock;
	}
	LWLockRelease(AddinShmemInitLock);
}

void
agent_reservations_request(void)
{
	previous_shmem_request = shmem_request_hook;
	shmem_request_hook = agent_reservations_on_request;
	previous_shmem_startup = shmem_startup_hook;
	shmem_startup_hook = agent_reservations_on_startup;
}

static uint32
agent_reservations_hash(int64 agent_id)
{
	uint64		key = ((uint64) MyDatabaseId << 40) ^ (uint64) agent_id;

	key ^= key >> 33;
	key *= UINT64CONST(0xff51afd7ed558ccd);
	key ^= key >> 33;
	return (uint32) (key % RESERVATION_SLOTS);
}

/* The agent's slot in this database, or NULL; with make, made (or NULL when all are in use). Lock held. */
static ReservationSlot *
agent_reservations_slot(int64 agent_id, bool make)
{
	uint32		start = agent_reservations_hash(agent_id);
	ReservationSlot *free_slot = NULL;

	for (uint32 i = 0; i < RESERVATION_SLOTS; i++)
	{
		ReservationSlot *slot = &reservations->slots[(start + i) % RESERVATION_SLOTS];

		if (slot->database == MyDatabaseId && slot->agent_id == agent_id)
			return slot;
		if (slot->database == InvalidOid)
		{
			/* the probe sequence ends at the first never-used slot */
			if (free_slot == NULL)
				free_slot = slot;
			if (slot->picks == 0)
				break;
		}
	}
	if (!make)
		return NULL;
	if (free_slot == NULL)
	{
		/* full: an agent with nothing pending gives up its counters */
		for (uint32 i = 0; i < RESERVATION_SLOTS && free_slot == NULL; i++)
		{
			ReservationSlot *slot = &reservations->slots[(start + i) % RESERVATION_SLOTS];

			if (slot->picks == slot->ends)
				free_slot = slot;
		}
		if (free_slot == NULL)
			return NULL;
	}
	free_slot->database = MyDatabaseId;
	free_slot->agent_id = agent_id;
	free_slot->picks = free_slot->ends = 0;
	return free_slot;
}

void
agent_reservations_read(AgentCounters *all)
{
	all->count = 0;
	all->agent_ids = NULL;
	all->counters = NULL;
	if (reservations == NULL)
		return;
	/* at most every slot: allocated before the lock is taken */
	all->agent_ids = palloc(RESERVATION_SLOTS * sizeof(int64));
	all->counters = palloc(RESERVATION_SLOTS * sizeof(AgentReservation));
	LWLockAcquire(reservations->lock, LW_SHARED);
	for (int i = 0; i < RESERVATION_SLOTS; i++)
	{
		ReservationSlot *slot = &reservations->slots[i];

		if (slot->database != MyDatabaseId || slot->picks == 0)
			continue;
		all->agent_ids[all->count] = slot->agent_id;
		all->counters[all->count].picks = slot->picks;
		all->counters[all->count].ends = slot->ends;
		all->count++;
	}
	LWLockRelease(reservations->lock);
}

AgentReservation
agent_reservations_of(const AgentCounters *all, int64 agent_id)
{
	AgentReservation none = {0, 0};

	for (int i = 0; i < all->count; i++)
		if (all->agent_ids[i] == agent_id)
			return all->counters[i];
	return none;
}

/* Ends this transaction's picks of subtransaction (InvalidSubTransactionId: all). */
static void
agent_reservations_end(SubTransactionId subtransaction)
{
	int			kept = 0;

	if (own_pick_count == 0 || reservations == NULL)
		return;
	LWLockAcquire(reservations->lock, LW_EXCLUSIVE);
	for (int i = 0; i < own_pick_count; i++)
	{
		if (subtransaction != InvalidSubTransactionId && own_picks[i].subtransaction != subtransaction)
		{
			own_picks[kept++] = own_picks[i];
			continue;
		}
		{
			ReservationSlot *slot = agent_reservations_slot(own_picks[i].agent_id, false);

			if (slot != NULL)
				slot->ends += Min((uint64) own_picks[i].count, slot->picks - slot->ends);
		}
	}
	LWLockRelease(reservations->lock);
	own_pick_count = kept;
}

static void
agent_reservations_xact_callback(XactEvent event, void *argument)
{
	switch (event)
	{
		case XACT_EVENT_COMMIT:
		case XACT_EVENT_PARALLEL_COMMIT:
		case XACT_EVENT_ABORT:
		case XACT_EVENT_PARALLEL_ABORT:
		case XACT_EVENT_PREPARE:
			agent_reservations_end(InvalidSubTransactionId);
			break;
		default:
			break;
	}
}

static void
agent_reservations_subxact_callback(SubXactEvent event, SubTransactionId subtransaction,
									SubTransactionId parent, void *argument)
{
	if (event == SUBXACT_EVENT_ABORT_SUB)
		agent_reservations_end(subtransaction);
	else if (event == SUBXACT_EVENT_COMMIT_SUB)
	{
		/* the parent ends them now: merged into its entry for the agent */
		int			kept = 0;

		for (int i = 0; i < own_pick_count; i++)
		{
			if (own_picks[i].subtransaction == subtransaction)
			{
				int			j;

				for (j = 0; j < kept; j++)
					if (own_picks[j].subtransaction == parent && own_picks[j].agent_id == own_picks[i].agent_id)
						break;
				if (j < kept)
				{
					own_picks[j].count += own_picks[i].count;
					continue;
				}
				own_picks[i].subtransaction = parent;
			}
			own_picks[kept++] = own_picks[i];
		}
		own_pick_count = kept;
	}
}

int
agent_reservations_choose(int count, const int64 *agent_ids, const AgentReservation *before,
						  AgentBetter better, void *context)
{
	int64	   *pending;
	int			best = -1;

	if (count == 0)
		return -1;
	pending = palloc0(count * sizeof(int64));
	if (reservations == NULL)
	{
		for (int i = 0; i < count; i++)
			if (best < 0 || better(context, i, best, pending))
				best = i;
		return best;
	}

	if (!callbacks_registered)
	{
		RegisterXactCallback(agent_reservations_xact_callback, NULL);
		RegisterSubXactCallback(agent_reservations_subxact_callback, NULL);
		callbacks_registered = true;
	}
	/* room for the pick before the lock is taken: nothing below may fail */
	if (own_pick_count == own_pick_capacity)
	{
		own_pick_capacity = Max(16, own_pick_capacity * 2);
		own_picks = own_picks == NULL
			? MemoryContextAlloc(TopMemoryContext, own_pick_capacity * sizeof(OwnPick))
			: repalloc(own_picks, own_pick_capacity * sizeof(OwnPick));
	}

	LWLockAcquire(reservations->lock, LW_EXCLUSIVE);
	for (int i = 0; i < count; i++)
	{
		ReservationSlot *slot = agent_reservations_slot(agent_ids[i], false);
		int64		own = 0;

		for (int j = 0; j < own_pick_count; j++)
			if (own_picks[j].agent_id == agent_ids[i])
				own += own_picks[j].count;
		if (slot != NULL && slot->picks >= before[i].picks)
		{
			/* made since before[i], or not ended by then; this transaction's own are counted by the caller */
			int64		others = (int64) (slot->picks - before[i].ends) - own;

			pending[i] = Max(others, 0);
		}
		if (best < 0 || better(context, i, best, pending))
			best = i;
	}
	{
		ReservationSlot *slot = agent_reservations_slot(agent_ids[best], true);

		if (slot != NULL)
		{
			SubTransactionId subtransaction = GetCurrentSubTransactionId();
			int			j;

			slot->picks++;
			for (j = 0; j < own_pick_count; j++)
				if (own_picks[j].agent_id == agent_ids[best] && own_picks[j].subtransaction == subtransaction)
					break;
			if (j < own_pick_count)
				own_picks[j].count++;
			else
			{
				own_picks[own_pick_count].agent_id = agent_ids[best];
				own_picks[own_pick_count].subtransaction = subtransaction;
				own_picks[own_pick_count].count = 1;
				own_pick_count++;
			}
		}
	}
	LWLockRelease(reservations->lock);
	return best;
}
