/*
 * assignment.c — least-loaded assignment that stays fair under concurrent
 * inserts.
 *
 * An agent's load is agents.open_tickets, kept by the triggers on tickets
 * (ticket_80_triaged on insert, counting with AssignmentLoads below;
 * ticket_50_agent_load on a change of assignee or status), so a pick reads one
 * row per agent however long their backlog. Two transactions
 * must never both pick the agent whose count they both see as lowest, so
 * the pick locks the agent's row (FOR UPDATE) until commit, and a
 * concurrent pick SKIPs LOCKED agents and takes the least-loaded of the
 * rest: simultaneous tickets spread over agents instead of queueing on one.
 * When every eligible agent is locked, the pick waits for the least-loaded
 * one (at most ASSIGNMENT_WAIT_LIMIT, then the ticket waits in its tier's
 * queue), recounts its load with a fresh snapshot, and takes instead any
 * agent now unlocked with fewer open tickets. SKIP LOCKED never waits,
 * and a waiting pick holds no other agent lock from this statement's first
 * ticket, so single-ticket inserts cannot deadlock.
 *
 * A statement inserting many tickets keeps a ledger (in the statement's
 * memory): the loads it read plus what it assigned since, so the 2nd and
 * later tickets are spread without reading again. Its first ticket locks
 * one agent; its second locks the other unlocked agents of the group.
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "access/xact.h"
#include "catalog/pg_type.h"
#include "commands/trigger.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/resowner.h"
#include "utils/timestamp.h"

#include "assignment.h"
#include "owner_spi.h"
#include "spi_support.h"
#include "ticket_columns.h"
#include "trigger_guard.h"

typedef struct LedgerAgent
{
	int64		agent_id;
	int64		load;
	bool		has_last_assigned;
	TimestampTz last_assigned;	/* as read from the table */
	int64		assigned_sequence;	/* 0: not yet in this statement */
} LedgerAgent;

typedef struct LedgerGroup
{
	int16		tier;
	char	   *skill;
	int			uses;
	bool		expanded;		/* every unlocked eligible agent is in */
	bool		nobody;			/* no eligible agent at all */
	int			agent_count;
	int		   *agents;			/* indexes into the ledger's agents */
} LedgerGroup;

struct AssignmentLedger
{
	MemoryContext context;
	int			agent_count;
	LedgerAgent agents[64];		/* beyond 64 agents per statement: new ones are ignored */
	int			group_count;
	LedgerGroup groups[32];
	int64		sequence;
	Oid			owner;
};

#define ASSIGNMENT_ELIGIBLE \
	"SELECT a.agent_id, a.last_assigned_at, a.open_tickets::int8" \
	"  FROM support.agents a" \
	" WHERE a.active AND a.on_shift AND a.tier OPERATOR(pg_catalog.=) $1" \
	"   AND $2 OPERATOR(pg_catalog.=) ANY (a.skills)"
#define ASSIGNMENT_ORDER " ORDER BY 3, 2 NULLS FIRST, 1"

/* longest a pick waits for a held agent before the ticket goes to the queue */
#define ASSIGNMENT_WAIT_LIMIT "2s"
#define ASSIGNMENT_CANDIDATES ASSIGNMENT_ELIGIBLE ASSIGNMENT_ORDER

/* support.auto_assign */
bool		assignment_auto_assign = true;

static SPIPlanPtr assignment_skip_locked_plan = NULL;	/* LIMIT $3, SKIP LOCKED */
static SPIPlanPtr assignment_wait_plan = NULL;	/* LIMIT 1, waits */
static SPIPlanPtr assignment_load_plan = NULL;
static SPIPlanPtr assignment_fewer_plan = NULL;	/* after a wait: fewer tickets, SKIP LOCKED */
static SPIPlanPtr assignment_loads_plan = NULL;
static SPIPlanPtr assignment_moved_plan = NULL;

void
assignment_init_settings(void)
{
	DefineCustomBoolVariable("support.auto_assign",
							 "Assign new tickets to the least-loaded eligible agent.",
							 "When off, new tickets without an assignee wait in their tier's queue.",
							 &assignment_auto_assign,
							 true,
							 PGC_USERSET, 0,
							 NULL, NULL, NULL);
}

AssignmentLedger *
assignment_ledger_create(MemoryContext context)
{
	AssignmentLedger *ledger = MemoryContextAllocZero(context, sizeof(AssignmentLedger));

	ledger->context = context;
	ledger->owner = owner_spi_relation_owner(owner_spi_support_table("agents"));
	return ledger;
}

static int
assignment_agent_index(AssignmentLedger *ledger, int64 agent_id)
{
	for (int i = 0; i < ledger->agent_count; i++)
		if (ledger->agents[i].agent_id == agent_id)
			return i;
	return -1;
}

/* Adds the agents of the last SPI result to the group (those not in it yet). */
static void
assignment_take_rows(AssignmentLedger *ledger, LedgerGroup *group)
{
	for (uint64 row = 0; row < SPI_processed; row++)
	{
		HeapTuple	tuple = SPI_tuptable->vals[row];
		TupleDesc	tupdesc = SPI_tuptable->tupdesc;
		bool		is_null;
		int64		agent_id = DatumGetInt64(SPI_getbinval(tuple, tupdesc, 1, &is_null));
		int			index = assignment_agent_index(ledger, agent_id);
		bool		in_group = false;

		if (index < 0)
		{
			LedgerAgent *agent;
			Datum		last;

			if (ledger->agent_count >= (int) lengthof(ledger->agents))
				continue;
			index = ledger->agent_count++;
			agent = &ledger->agents[index];
			agent->agent_id = agent_id;
			last = SPI_getbinval(tuple, tupdesc, 2, &is_null);
			agent->has_last_assigned = !is_null;
			agent->last_assigned = is_null ? 0 : DatumGetTimestampTz(last);
			agent->load = DatumGetInt64(SPI_getbinval(tuple, tupdesc, 3, &is_null));
		}
		for (int i = 0; i < group->agent_count; i++)
			in_group |= group->agents[i] == index;
		if (!in_group)
		{
			group->agents = group->agents == NULL ?
				MemoryContextAlloc(ledger->context, lengthof(ledger->agents) * sizeof(int)) :
				group->agents;
			group->agents[group->agent_count++] = index;
		}
	}
}

typedef struct AssignmentQuery
{
	AssignmentLedger *ledger;
	LedgerGroup *group;
	bool		all;			/* every unlocked agent, not just the first */
	int64		fewer_than;		/* >= 0: only an agent with fewer open tickets */
} AssignmentQuery;

/* Locks and adds to the group the least-loaded unlocked agent (or all of them). */
static void
assignment_load_candidates(void *argument)
{
	AssignmentQuery *query = argument;
	Oid			types[3] = {INT2OID, TEXTOID, INT8OID};
	Datum		values[3];
	char		nulls[3] = {' ', ' ', ' '};
	SPIPlanPtr	plan;

	values[0] = Int16GetDatum(query->group->tier);
	values[1] = CStringGetTextDatum(query->group->skill);
	if (query->fewer_than >= 0)
	{
		plan = spi_kept_plan(&assignment_fewer_plan,
							 ASSIGNMENT_ELIGIBLE "   AND a.open_tickets OPERATOR(pg_catalog.<) $3"
							 ASSIGNMENT_ORDER " LIMIT 1 FOR UPDATE OF a SKIP LOCKED", 3, types);
		values[2] = Int64GetDatum(query->fewer_than);
	}
	else
	{
		plan = spi_kept_plan(&assignment_skip_locked_plan,
							 ASSIGNMENT_CANDIDATES " LIMIT $3 FOR UPDATE OF a SKIP LOCKED", 3, types);
		values[2] = Int64GetDatum(1);
		if (query->all)
			nulls[2] = 'n';
	}
	if (SPI_execute_plan(plan, values, nulls, false, 0) != SPI_OK_SELECT)
		elog(ERROR, "could not read the agents to assign");
	assignment_take_rows(query->ledger, query->group);
}

/*
 * Runs the waiting pick with lock_timeout at ASSIGNMENT_WAIT_LIMIT, in a
 * subtransaction: false when the agents stay held that long. Another
 * account's transaction left open must not hold up this one's tickets.
 */
static bool
assignment_wait_bounded(SPIPlanPtr plan, Datum *values)
{
	MemoryContext caller_context = CurrentMemoryContext;
	ResourceOwner caller_owner = CurrentResourceOwner;
	volatile bool got_lock = true;

	BeginInternalSubTransaction(NULL);
	MemoryContextSwitchTo(caller_context);
	PG_TRY();
	{
		int			nest_level = NewGUCNestLevel();

		(void) set_config_option("lock_timeout", ASSIGNMENT_WAIT_LIMIT, PGC_USERSET, PGC_S_SESSION,
								 GUC_ACTION_SAVE, true, 0, false);
		if (SPI_execute_plan(plan, values, NULL, false, 0) != SPI_OK_SELECT)
			elog(ERROR, "could not read the agents to assign");
		AtEOXact_GUC(true, nest_level);
		ReleaseCurrentSubTransaction();
		MemoryContextSwitchTo(caller_context);
		CurrentResourceOwner = caller_owner;
	}
	PG_CATCH();
	{
		ErrorData  *error;

		MemoryContextSwitchTo(caller_context);
		error = CopyErrorData();
		FlushErrorState();
		RollbackAndReleaseCurrentSubTransaction();
		MemoryContextSwitchTo(caller_context);
		CurrentResourceOwner = caller_owner;
		if (error->sqlerrcode != ERRCODE_LOCK_NOT_AVAILABLE)
			ReThrowError(error);
		FreeErrorData(error);
		got_lock = false;
	}
	PG_END_TRY();
	return got_lock;
}

static void
assignment_wait_for_agent(void *argument)
{
	AssignmentQuery *query = argument;
	Oid			types[2] = {INT2OID, TEXTOID};
	Datum		values[2];
	SPIPlanPtr	plan = spi_kept_plan(&assignment_wait_plan,
									   ASSIGNMENT_CANDIDATES " LIMIT 1 FOR UPDATE OF a", 2, types);
	SPIPlanPtr	count_plan;
	Oid			count_type = INT8OID;
	Datum		agent_id;
	bool		is_null;
	int			index;

	values[0] = Int16GetDatum(query->group->tier);
	values[1] = CStringGetTextDatum(query->group->skill);
	if (!assignment_wait_bounded(plan, values))
	{
		query->group->nobody = true;	/* held past the limit: the queue */
		return;
	}
	if (SPI_processed == 0)
	{
		query->group->nobody = true;
		return;
	}
	agent_id = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &is_null);
	assignment_take_rows(query->ledger, query->group);

	/* the load read before the wait is stale: the holder has committed since */
	count_plan = spi_kept_plan(&assignment_load_plan,
								 "SELECT a.open_tickets::int8 FROM support.agents a"
								 " WHERE a.agent_id OPERATOR(pg_catalog.=) $1", 1, &count_type);
	if (SPI_execute_plan(count_plan, &agent_id, NULL, false, 1) != SPI_OK_SELECT)
		elog(ERROR, "could not count the agent's open tickets");
	index = assignment_agent_index(query->ledger, DatumGetInt64(agent_id));
	if (index >= 0 && query->ledger->agents[index].assigned_sequence == 0)
		query->ledger->agents[index].load =
			DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &is_null));
}

/* true when a should get the next ticket rather than b */
static bool
assignment_better(const LedgerAgent *a, const LedgerAgent *b)
{
	if (a->load != b->load)
		return a->load < b->load;
	if ((a->assigned_sequence == 0) != (b->assigned_sequence == 0))
		return a->assigned_sequence == 0;
	if (a->assigned_sequence != b->assigned_sequence)
		return a->assigned_sequence < b->assigned_sequence;
	if (a->has_last_assigned != b->has_last_assigned)
		return !a->has_last_assigned;
	if (a->last_assigned != b->last_assigned)
		return a->last_assigned < b->last_assigned;
	return a->agent_id < b->agent_id;
}

bool
assignment_pick(AssignmentLedger *ledger, int16 tier, const char *skill, int64 *agent_id)
{
	LedgerGroup *group = NULL;
	AssignmentQuery query;
	LedgerAgent *best = NULL;

	for (int i = 0; i < ledger->group_count; i++)
		if (ledger->groups[i].tier == tier && strcmp(ledger->groups[i].skill, skill) == 0)
			group = &ledger->groups[i];
	if (group == NULL)
	{
		if (ledger->group_count >= (int) lengthof(ledger->groups))
			return false;		/* a statement touching 32 groups: the rest wait in the queue */
		group = &ledger->groups[ledger->group_count++];
		group->tier = tier;
		group->skill = MemoryContextStrdup(ledger->context, skill);
	}
	if (group->nobody)
		return false;

	query.ledger = ledger;
	query.group = group;
	query.fewer_than = -1;
	group->uses++;
	if (group->agent_count == 0 || (group->uses >= 2 && !group->expanded))
	{
		query.all = group->agent_count > 0;
		owner_spi_run(ledger->owner, assignment_load_candidates, &query);
		if (query.all)
			group->expanded = true;
	}
	if (group->agent_count == 0)
	{
		owner_spi_run(ledger->owner, assignment_wait_for_agent, &query);

		/*
		 * The agent waited for may no longer be the least loaded: other
		 * picks may have queued for it too, and agents locked at the first
		 * look may be free now. An unlocked agent with fewer open tickets
		 * than its fresh count joins the group, and is then picked; the
		 * waited-for agent stays locked, unassigned, until commit. Without
		 * this, picks that waited together all landed on one agent.
		 */
		if (group->agent_count == 1 && ledger->agents[group->agents[0]].load > 0)
		{
			query.fewer_than = ledger->agents[group->agents[0]].load;
			owner_spi_run(ledger->owner, assignment_load_candidates, &query);
		}
	}
	if (group->agent_count == 0)
		return false;

	for (int i = 0; i < group->agent_count; i++)
	{
		LedgerAgent *candidate = &ledger->agents[group->agents[i]];

		if (best == NULL || assignment_better(candidate, best))
			best = candidate;
	}
	best->load++;
	best->assigned_sequence = ++ledger->sequence;
	*agent_id = best->agent_id;
	return true;
}

/*
 * support.pick_agent(tier, skill): the pick above for one ticket, for the
 * escalation worker's new owner, so triage and escalation choose alike:
 * locked until commit; waits for a locked agent rather than skip the only
 * eligible one; NULL when nobody is eligible.
 */
PG_FUNCTION_INFO_V1(pick_agent);
Datum
pick_agent(PG_FUNCTION_ARGS)
{
	int16		tier = PG_GETARG_INT16(0);
	char	   *skill = text_to_cstring(PG_GETARG_TEXT_PP(1));
	int64		agent_id;

	if (!assignment_pick(assignment_ledger_create(CurrentMemoryContext), tier, skill, &agent_id))
		PG_RETURN_NULL();
	PG_RETURN_INT64(agent_id);
}

/*
 * Runs in the caller's SPI connection, as the caller: the triage outbox's
 * trigger, whose other writes go in the same statement as the last batch's
 * loads.
 */
static void
assignment_loads_write_one(int64 agent_id, int32 tickets)
{
	Oid			types[2] = {INT8OID, INT4OID};
	Datum		values[2] = {Int64GetDatum(agent_id), Int32GetDatum(tickets)};
	int			result;

	result = SPI_execute_plan(spi_kept_plan(&assignment_loads_plan,
											ASSIGNMENT_LOADS_UPDATE("ARRAY[$1]", "ARRAY[$2]",
																	"clock_timestamp()"),
											2, types),
							  values, NULL, false, 0);
	if (result != SPI_OK_UPDATE)
		elog(ERROR, "triage outbox statement failed: %s", SPI_result_code_string(result));
}

void
assignment_loads_count(AssignmentLoads *loads, int64 agent_id)
{
	for (int i = 0; i < loads->count; i++)
		if (loads->agent_ids[i] == agent_id)
		{
			loads->tickets[i]++;
			return;
		}
	if (loads->count == (int) lengthof(loads->agent_ids))
	{
		/* a full table: write the first entry now to make room */
		assignment_loads_write_one(loads->agent_ids[0], loads->tickets[0]);
		memmove(&loads->agent_ids[0], &loads->agent_ids[1], (loads->count - 1) * sizeof(int64));
		memmove(&loads->tickets[0], &loads->tickets[1], (loads->count - 1) * sizeof(int32));
		loads->count--;
	}
	loads->agent_ids[loads->count] = agent_id;
	loads->tickets[loads->count] = 1;
	loads->count++;
}

void
assignment_loads_write(const AssignmentLoads *loads)
{
	for (int i = 0; i < loads->count; i++)
		assignment_loads_write_one(loads->agent_ids[i], loads->tickets[i]);
}

/* Whether the ticket counts in its assignee's open_tickets. */
static bool
assignment_counts(const TicketColumns *columns, Datum *values, bool *nulls, int64 *agent_id)
{
	TicketStatus status;

	if (nulls[columns->assignee_id])
		return false;
	status = ticket_status_of(columns, values[columns->status]);
	*agent_id = DatumGetInt64(values[columns->assignee_id]);
	return status != TICKET_RESOLVED && status != TICKET_CLOSED;
}

/*
 * AFTER UPDATE row trigger on support.tickets, declared WHEN the assignee
 * changes or the ticket opens or closes: moves the ticket from the old
 * assignee's open_tickets to the new one's (the new tickets' counts are
 * the triage outbox's, in its statement).
 */
PG_FUNCTION_INFO_V1(track_agent_load);
Datum
track_agent_load(PG_FUNCTION_ARGS)
{
	TriggerData *trigdata = trigger_guard(fcinfo, "track_agent_load", "tickets");
	TupleDesc	tupdesc;
	const TicketColumns *columns;
	Datum	   *values;
	bool	   *nulls;
	Datum		agents[2];
	Datum		tickets[2];
	int			count = 0;
	int64		agent_id;
	Oid			types[2] = {INT8ARRAYOID, INT4ARRAYOID};
	Datum		arguments[2];

	if (!TRIGGER_FIRED_AFTER(trigdata->tg_event) || !TRIGGER_FIRED_FOR_ROW(trigdata->tg_event) ||
		!TRIGGER_FIRED_BY_UPDATE(trigdata->tg_event))
		elog(ERROR, "track_agent_load must be an AFTER UPDATE row trigger");

	tupdesc = RelationGetDescr(trigdata->tg_relation);
	columns = ticket_columns(tupdesc, RelationGetRelid(trigdata->tg_relation));
	values = palloc(tupdesc->natts * sizeof(Datum));
	nulls = palloc(tupdesc->natts * sizeof(bool));
	heap_deform_tuple(trigdata->tg_trigtuple, tupdesc, values, nulls);
	if (assignment_counts(columns, values, nulls, &agent_id))
	{
		agents[count] = Int64GetDatum(agent_id);
		tickets[count++] = Int32GetDatum(-1);
	}
	heap_deform_tuple(trigdata->tg_newtuple, tupdesc, values, nulls);
	if (assignment_counts(columns, values, nulls, &agent_id))
	{
		agents[count] = Int64GetDatum(agent_id);
		tickets[count++] = Int32GetDatum(1);
	}
	if (count == 0)
		return PointerGetDatum(NULL);

	arguments[0] = PointerGetDatum(construct_array(agents, count, INT8OID, sizeof(int64), FLOAT8PASSBYVAL, TYPALIGN_DOUBLE));
	arguments[1] = PointerGetDatum(construct_array(tickets, count, INT4OID, sizeof(int32), true, TYPALIGN_INT));
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	if (SPI_execute_plan(spi_kept_plan(&assignment_moved_plan,
									   ASSIGNMENT_LOADS_UPDATE("$1", "$2", "g.last_assigned_at"), 2, types),
						 arguments, NULL, false, 0) != SPI_OK_UPDATE)
		elog(ERROR, "could not move the ticket between the agents' loads");
	SPI_finish();
	return PointerGetDatum(NULL);
}
