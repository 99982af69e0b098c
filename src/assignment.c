/*
 * assignment.c — least-loaded assignment that stays fair under concurrent
 * inserts, and never waits.
 *
 * An agent's load is agents.open_tickets plus the changes not yet folded
 * into it (support.agent_load_changes): the triggers on tickets append a
 * change (+1 for a new ticket of the agent, -1 and +1 when one changes
 * hands or closes, and the time of each new assignment) and never update
 * the agent's row, which would stay locked until their transaction ends:
 * one account's open transaction would hold every other account's tickets.
 * The escalation worker folds the committed changes into agents, skipping
 * any row another transaction holds (support.fold_agent_loads).
 *
 * Two transactions must not both pick the agent whose load they both see
 * as lowest: picks in progress are counted in shared memory
 * (agent_reservations.c), and each pick counts those of transactions not
 * yet ended as load. So simultaneous tickets spread over the agents, and no
 * pick locks an agent or waits for one. The agent picked is then locked
 * FOR KEY SHARE SKIP LOCKED (the lock the ticket's foreign key takes): an
 * agent a manager is deleting is passed over rather than waited for.
 *
 * A statement inserting many tickets keeps a ledger (in the statement's
 * memory): the loads it read plus what it assigned since, so the 2nd and
 * later tickets are spread without reading again.
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "access/xact.h"
#include "catalog/pg_type.h"
#include "commands/trigger.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "miscadmin.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/timestamp.h"

#include "agent_reservations.h"
#include "assignment.h"
#include "owner_spi.h"
#include "schema_version.h"
#include "spi_support.h"
#include "ticket_columns.h"
#include "transaction_settings.h"
#include "trigger_guard.h"

/* more eligible agents per group than this: the rest are not considered */
#define ASSIGNMENT_GROUP_MAX 256
#define ASSIGNMENT_GROUPS_MAX 32

typedef struct LedgerAgent
{
	int64		agent_id;
	int64		load;			/* committed as read, plus this statement's picks */
	bool		has_last_assigned;
	TimestampTz last_assigned;	/* as read from the table */
	int64		assigned_sequence;	/* 0: not yet in this statement */
	bool		passed_over;	/* being deleted: not picked */
	AgentReservation before;	/* picks in progress, read before the load */
} LedgerAgent;

typedef struct LedgerGroup
{
	int16		tier;
	char	   *skill;
	bool		read;
	int			agent_count;
	LedgerAgent *agents;
} LedgerGroup;

struct AssignmentLedger
{
	MemoryContext context;
	int			group_count;
	LedgerGroup groups[ASSIGNMENT_GROUPS_MAX];
	int64		sequence;
	Oid			owner;
};

/* column numbers of the candidates' query */
enum
{
	CANDIDATE_AGENT_ID = 1,
	CANDIDATE_LAST_ASSIGNED_AT,
	CANDIDATE_LOAD,
};

/* support.auto_assign (assignment_auto_assigns() says whether it counts) */
static bool assignment_auto_assign = true;
static TransactionSetting assignment_auto_assign_setting = TRANSACTION_SETTING("support.auto_assign");

static SPIPlanPtr assignment_candidates_plan = NULL;
static SPIPlanPtr assignment_candidates_1_0_plan = NULL;
static SPIPlanPtr assignment_key_share_plan = NULL;
static SPIPlanPtr assignment_loads_plan = NULL;
static SPIPlanPtr assignment_loads_1_0_plan = NULL;
static SPIPlanPtr assignment_moved_plan = NULL;
static SPIPlanPtr assignment_moved_1_0_plan = NULL;



/* support.auto_assign as this transaction set it (a pooled connection's leftover SET does not count) */
bool
assignment_auto_assigns(void)
{
	return !transaction_setting_counts(&assignment_auto_assign_setting) || assignment_auto_assign;
}

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

/*
 * The group's eligible agents with their committed loads, read as the
 * agents' owner, no row locked. The counters of picks in progress are read
 * first: a transaction that commits in between is counted twice, never
 * missed.
 */
typedef struct GroupRead
{
	AssignmentLedger *ledger;
	LedgerGroup *group;
} GroupRead;

static void
assignment_read_group(void *argument)
{
	GroupRead  *read = argument;
	LedgerGroup *group = read->group;
	Oid			types[2] = {INT2OID, TEXTOID};
	Datum		values[2] = {Int16GetDatum(group->tier), CStringGetTextDatum(group->skill)};
	AgentCounters counters;

	SPIPlanPtr	plan;

	agent_reservations_read(&counters);
	if (!schema_is_1_0())
		plan = spi_kept_plan(&assignment_candidates_plan,
							 "SELECT a.agent_id, GREATEST(a.last_assigned_at, c.last_assigned),"
							 "       (a.open_tickets + COALESCE(c.tickets, 0))::int8"
							 "  FROM support.agents a"
							 "  LEFT JOIN LATERAL ("
							 "        SELECT sum(c.open_tickets) AS tickets, max(c.assigned_at) AS last_assigned"
							 "          FROM support.agent_load_changes c"
							 "         WHERE c.agent_id OPERATOR(pg_catalog.=) a.agent_id) c ON true"
							 " WHERE a.active AND a.on_shift AND a.tier OPERATOR(pg_catalog.=) $1"
							 "   AND $2 OPERATOR(pg_catalog.=) ANY (a.skills)"
							 " ORDER BY a.agent_id LIMIT " CppAsString2(ASSIGNMENT_GROUP_MAX),
							 2, types);
	else
		plan = spi_kept_plan(&assignment_candidates_1_0_plan,
							 "SELECT a.agent_id, a.last_assigned_at, a.open_tickets::int8"
							 "  FROM support.agents a"
							 " WHERE a.active AND a.on_shift AND a.tier OPERATOR(pg_catalog.=) $1"
							 "   AND $2 OPERATOR(pg_catalog.=) ANY (a.skills)"
							 " ORDER BY a.agent_id LIMIT " CppAsString2(ASSIGNMENT_GROUP_MAX),
							 2, types);
	if (SPI_execute_plan(plan, values, NULL, false, 0) != SPI_OK_SELECT)
		elog(ERROR, "could not read the agents to assign");

	group->agents = MemoryContextAllocZero(read->ledger->context, Max(SPI_processed, 1) * sizeof(LedgerAgent));
	group->agent_count = 0;
	for (uint64 row = 0; row < SPI_processed; row++)
	{
		HeapTuple	tuple = SPI_tuptable->vals[row];
		TupleDesc	tupdesc = SPI_tuptable->tupdesc;
		LedgerAgent *agent = &group->agents[group->agent_count++];
		bool		is_null;
		Datum		last;

		agent->agent_id = DatumGetInt64(SPI_getbinval(tuple, tupdesc, CANDIDATE_AGENT_ID, &is_null));
		last = SPI_getbinval(tuple, tupdesc, CANDIDATE_LAST_ASSIGNED_AT, &is_null);
		agent->has_last_assigned = !is_null;
		agent->last_assigned = is_null ? 0 : DatumGetTimestampTz(last);
		agent->load = DatumGetInt64(SPI_getbinval(tuple, tupdesc, CANDIDATE_LOAD, &is_null));
		agent->before = agent_reservations_of(&counters, agent->agent_id);
	}
	group->read = true;
}

typedef struct Choice
{
	LedgerGroup *group;
	int		   *candidates;		/* indexes into the group */
} Choice;

/* true when candidate a should get the next ticket rather than b */
static bool
assignment_better(void *context, int a_index, int b_index, const int64 *pending)
{
	Choice	   *choice = context;
	const LedgerAgent *a = &choice->group->agents[choice->candidates[a_index]];
	const LedgerAgent *b = &choice->group->agents[choice->candidates[b_index]];
	int64		a_load = a->load + pending[a_index];
	int64		b_load = b->load + pending[b_index];

	if (a_load != b_load)
		return a_load < b_load;
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

/* Whether the agent can be held by a key-share lock now (not being deleted). */
static void
assignment_hold(void *argument)
{
	int64	   *agent_id = argument;
	Oid			type = INT8OID;
	Datum		value = Int64GetDatum(*agent_id);

	if (SPI_execute_plan(spi_kept_plan(&assignment_key_share_plan,
									   "SELECT 1 FROM support.agents a WHERE a.agent_id OPERATOR(pg_catalog.=) $1"
									   " FOR KEY SHARE OF a SKIP LOCKED", 1, &type),
						 &value, NULL, false, 1) != SPI_OK_SELECT)
		elog(ERROR, "could not hold the agent to assign");
	if (SPI_processed == 0)
		*agent_id = 0;
}

bool
assignment_pick(AssignmentLedger *ledger, int16 tier, const char *skill, int64 *agent_id)
{
	LedgerGroup *group = NULL;

	for (int i = 0; i < ledger->group_count; i++)
		if (ledger->groups[i].tier == tier && strcmp(ledger->groups[i].skill, skill) == 0)
			group = &ledger->groups[i];
	if (group == NULL)
	{
		if (ledger->group_count >= ASSIGNMENT_GROUPS_MAX)
			return false;		/* a statement touching 32 groups: the rest wait in the queue */
		group = &ledger->groups[ledger->group_count++];
		group->tier = tier;
		group->skill = MemoryContextStrdup(ledger->context, skill);
	}
	if (!group->read)
	{
		GroupRead	read = {ledger, group};

		owner_spi_run(ledger->owner, assignment_read_group, &read);
	}

	for (;;)
	{
		Choice		choice = {group, palloc(Max(group->agent_count, 1) * sizeof(int))};
		int64	   *ids = palloc(Max(group->agent_count, 1) * sizeof(int64));
		AgentReservation *before = palloc(Max(group->agent_count, 1) * sizeof(AgentReservation));
		int			count = 0;
		int			chosen;
		LedgerAgent *best;
		int64		held;

		CHECK_FOR_INTERRUPTS();
		for (int i = 0; i < group->agent_count; i++)
			if (!group->agents[i].passed_over)
			{
				choice.candidates[count] = i;
				ids[count] = group->agents[i].agent_id;
				before[count] = group->agents[i].before;
				count++;
			}
		chosen = agent_reservations_choose(count, ids, before, assignment_better, &choice);
		if (chosen < 0)
			return false;		/* nobody eligible: the tier's queue */
		best = &group->agents[choice.candidates[chosen]];
		held = best->agent_id;
		owner_spi_run(ledger->owner, assignment_hold, &held);
		if (held == 0)
		{
			/* being deleted: never waited for; its counted pick ends with the transaction */
			best->passed_over = true;
			continue;
		}
		best->load++;
		best->assigned_sequence = ++ledger->sequence;
		*agent_id = best->agent_id;
		return true;
	}
}

/*
 * support.pick_agent(tier, skill): the pick above for one ticket, for the
 * escalation worker's new owner, so triage and escalation choose alike:
 * counted until the transaction ends, never waiting; NULL when nobody is
 * eligible.
 */
PG_FUNCTION_INFO_V1(pick_agent);
Datum
pick_agent(PG_FUNCTION_ARGS)
{
	int16		tier;
	char	   *skill;
	int64		agent_id;

	if (PG_ARGISNULL(0) || PG_ARGISNULL(1))
		PG_RETURN_NULL();
	tier = PG_GETARG_INT16(0);
	skill = text_to_cstring(PG_GETARG_TEXT_PP(1));
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

	if (!schema_is_1_0())
		result = SPI_execute_plan(spi_kept_plan(&assignment_loads_plan,
												ASSIGNMENT_LOADS_INSERT("ARRAY[$1]", "ARRAY[$2]",
																		"clock_timestamp()"),
												2, types),
								  values, NULL, false, 0);
	else
		result = SPI_execute_plan(spi_kept_plan(&assignment_loads_1_0_plan,
												ASSIGNMENT_LOADS_UPDATE_1_0("ARRAY[$1]", "ARRAY[$2]",
																			"clock_timestamp()"),
												2, types),
								  values, NULL, false, 0);
	if (result != SPI_OK_INSERT && result != SPI_OK_UPDATE)
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
 * assignee's load to the new one's, as changes appended for the worker to
 * fold (the new tickets' counts are the triage outbox's, in its statement).
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
	if (!schema_is_1_0()
		? SPI_execute_plan(spi_kept_plan(&assignment_moved_plan,
										 ASSIGNMENT_LOADS_INSERT("$1", "$2", "NULL::timestamptz"), 2, types),
						   arguments, NULL, false, 0) != SPI_OK_INSERT
		: SPI_execute_plan(spi_kept_plan(&assignment_moved_1_0_plan,
										 ASSIGNMENT_LOADS_UPDATE_1_0("$1", "$2", "g.last_assigned_at"), 2, types),
						   arguments, NULL, false, 0) != SPI_OK_UPDATE)
		elog(ERROR, "could not move the ticket between the agents' loads");
	SPI_finish();
	return PointerGetDatum(NULL);
}
