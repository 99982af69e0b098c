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
#include "access/table.h"
#include "access/tableam.h"
#include "access/xact.h"
#include "catalog/pg_type.h"
#include "commands/trigger.h"
#include "executor/spi.h"
#include "executor/tuptable.h"
#include "fmgr.h"
#include "miscadmin.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/snapmgr.h"
#include "utils/timestamp.h"

#include "triage/agent_reservations.h"
#include "triage/assignment.h"
#include "shared/owner_spi.h"
#include "shared/row_probe.h"
#include "operations/schema_version.h"
#include "shared/spi_support.h"
#include "tickets/ticket_columns.h"
#include "security/transaction_settings.h"
#include "shared/trigger_guard.h"

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
	bool		held;			/* key-share locked by this statement already */
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

/* support.auto_assign (assignment_auto_assigns() says whether it counts) */
static bool assignment_auto_assign = true;
static TransactionSetting assignment_auto_assign_setting = TRANSACTION_SETTING("support.auto_assign");

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
							 transaction_setting_check_bool, NULL, NULL);
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
 * The group's eligible agents with their committed loads, read straight
 * from the tables (a pick's planned query cost more than the rest of the
 * pick), no row locked. The counters of picks in progress are read first,
 * and the loads with a snapshot taken after them: a transaction that
 * commits in between is counted twice, never missed.
 */
static int
assignment_agent_order(const void *a, const void *b)
{
	int64		x = ((const LedgerAgent *) a)->agent_id;
	int64		y = ((const LedgerAgent *) b)->agent_id;

	return x < y ? -1 : x > y;
}

/* Whether the text[] skills holds skill. */
static bool
assignment_has_skill(Datum skills, const char *skill)
{
	ArrayType  *array = DatumGetArrayTypeP(skills);
	Datum	   *elements;
	bool	   *nulls;
	int			count;
	size_t		length = strlen(skill);

	deconstruct_array(array, TEXTOID, -1, false, TYPALIGN_INT, &elements, &nulls, &count);
	for (int i = 0; i < count; i++)
		if (!nulls[i] && VARSIZE_ANY_EXHDR(DatumGetPointer(elements[i])) == length &&
			memcmp(VARDATA_ANY(DatumGetPointer(elements[i])), skill, length) == 0)
			return true;
	return false;
}

static void
assignment_read_group(AssignmentLedger *ledger, LedgerGroup *group)
{
	AgentCounters counters;
	Relation	agents;
	TupleDesc	tupdesc;
	TupleTableSlot *slot;
	TableScanDesc scan;
	Snapshot	snapshot;
	int			capacity = 16;
	int			agent_id_column, tier_column, skills_column, active_column, on_shift_column,
				open_tickets_column, last_assigned_column;

	agent_reservations_read(&counters);
	snapshot = RegisterSnapshot(GetLatestSnapshot());
	agents = table_open(owner_spi_support_table("agents"), AccessShareLock);
	tupdesc = RelationGetDescr(agents);
	agent_id_column = spi_column(tupdesc, "agent_id");
	tier_column = spi_column(tupdesc, "tier");
	skills_column = spi_column(tupdesc, "skills");
	active_column = spi_column(tupdesc, "active");
	on_shift_column = spi_column(tupdesc, "on_shift");
	open_tickets_column = spi_column(tupdesc, "open_tickets");
	last_assigned_column = spi_column(tupdesc, "last_assigned_at");

	group->agents = MemoryContextAllocZero(ledger->context, capacity * sizeof(LedgerAgent));
	group->agent_count = 0;
	slot = table_slot_create(agents, NULL);
	scan = table_beginscan(agents, snapshot, 0, NULL);
	while (table_scan_getnextslot(scan, ForwardScanDirection, slot))
	{
		LedgerAgent *agent;
		bool		is_null;
		Datum		value;

		slot_getallattrs(slot);
		if (slot->tts_isnull[active_column] || !DatumGetBool(slot->tts_values[active_column]) ||
			slot->tts_isnull[on_shift_column] || !DatumGetBool(slot->tts_values[on_shift_column]) ||
			slot->tts_isnull[tier_column] || DatumGetInt16(slot->tts_values[tier_column]) != group->tier ||
			slot->tts_isnull[skills_column] ||
			!assignment_has_skill(slot->tts_values[skills_column], group->skill))
			continue;
		if (group->agent_count == capacity)
		{
			capacity *= 2;
			group->agents = repalloc(group->agents, capacity * sizeof(LedgerAgent));
		}
		agent = &group->agents[group->agent_count++];
		memset(agent, 0, sizeof(LedgerAgent));
		agent->agent_id = DatumGetInt64(slot->tts_values[agent_id_column]);
		is_null = slot->tts_isnull[last_assigned_column];
		value = slot->tts_values[last_assigned_column];
		agent->has_last_assigned = !is_null;
		agent->last_assigned = is_null ? 0 : DatumGetTimestampTz(value);
		agent->load = slot->tts_isnull[open_tickets_column] ? 0 : DatumGetInt32(slot->tts_values[open_tickets_column]);
	}
	table_endscan(scan);
	ExecDropSingleTupleTableSlot(slot);
	table_close(agents, AccessShareLock);
	qsort(group->agents, group->agent_count, sizeof(LedgerAgent), assignment_agent_order);
	group->agent_count = Min(group->agent_count, ASSIGNMENT_GROUP_MAX);

	/* the load changes not folded in yet (usually none: the table is empty) */
	if (group->agent_count > 0 && !schema_is_1_0())
	{
		Relation	changes = table_open(owner_spi_support_table("agent_load_changes"), AccessShareLock);
		TupleDesc	change_desc = RelationGetDescr(changes);
		int			change_agent = spi_column(change_desc, "agent_id");
		int			change_tickets = spi_column(change_desc, "open_tickets");
		int			change_assigned = spi_column(change_desc, "assigned_at");

		slot = table_slot_create(changes, NULL);
		scan = table_beginscan(changes, snapshot, 0, NULL);
		while (table_scan_getnextslot(scan, ForwardScanDirection, slot))
		{
			LedgerAgent key;
			LedgerAgent *agent;

			slot_getallattrs(slot);
			key.agent_id = DatumGetInt64(slot->tts_values[change_agent]);
			agent = bsearch(&key, group->agents, group->agent_count, sizeof(LedgerAgent), assignment_agent_order);
			if (agent == NULL)
				continue;
			agent->load += DatumGetInt32(slot->tts_values[change_tickets]);
			if (!slot->tts_isnull[change_assigned])
			{
				TimestampTz assigned = DatumGetTimestampTz(slot->tts_values[change_assigned]);

				if (!agent->has_last_assigned || assigned > agent->last_assigned)
					agent->last_assigned = assigned;
				agent->has_last_assigned = true;
			}
		}
		table_endscan(scan);
		ExecDropSingleTupleTableSlot(slot);
		table_close(changes, AccessShareLock);
	}
	UnregisterSnapshot(snapshot);
	for (int i = 0; i < group->agent_count; i++)
		group->agents[i].before = agent_reservations_of(&counters, group->agents[i].agent_id);
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
static bool
assignment_hold(int64 agent_id)
{
	RowProbe	probe;
	Datum		key = Int64GetDatum(agent_id);
	bool		held;

	row_probe_open(&probe, "agents");
	held = row_probe_lock(&probe, &key, LockTupleKeyShare);
	row_probe_close(&probe);
	return held;
}

void
assignment_loads_lock(int count, const Datum *agent_ids, Datum *locked)
{
	RowProbe	probe;

	if (count == 0)
		return;
	row_probe_open(&probe, "agents");
	for (int i = 0; i < count; i++)
		locked[i] = BoolGetDatum(row_probe_lock(&probe, &agent_ids[i], LockTupleNoKeyExclusive));
	row_probe_close(&probe);
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
		assignment_read_group(ledger, group);

	for (;;)
	{
		Choice		choice = {group, palloc(Max(group->agent_count, 1) * sizeof(int))};
		int64	   *ids = palloc(Max(group->agent_count, 1) * sizeof(int64));
		AgentReservation *before = palloc(Max(group->agent_count, 1) * sizeof(AgentReservation));
		int			count = 0;
		int			chosen;
		LedgerAgent *best;

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
		/* one key-share lock an agent a statement: it lasts until the transaction ends */
		if (!best->held && !assignment_hold(best->agent_id))
		{
			/* being deleted: never waited for; its counted pick ends with the transaction */
			best->passed_over = true;
			continue;
		}
		best->held = true;
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
	Oid			types[3] = {INT8OID, INT4OID, BOOLOID};
	Datum		values[3] = {Int64GetDatum(agent_id), Int32GetDatum(tickets), BoolGetDatum(false)};
	int			result;

	if (!schema_is_1_0())
	{
		assignment_loads_lock(1, &values[0], &values[2]);
		result = SPI_execute_plan(spi_kept_plan(&assignment_loads_plan,
												ASSIGNMENT_LOADS_STATEMENT("ARRAY[$1]", "ARRAY[$2]", "ARRAY[$3]",
																		   "clock_timestamp()"),
												3, types),
								  values, NULL, false, 0);
	}
	else
		result = SPI_execute_plan(spi_kept_plan(&assignment_loads_1_0_plan,
												ASSIGNMENT_LOADS_UPDATE_1_0("ARRAY[$1]", "ARRAY[$2]",
																			"clock_timestamp()"),
												2, types),
								  values, NULL, false, 0);
	if (result != SPI_OK_SELECT && result != SPI_OK_UPDATE)
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
	Oid			types[3] = {INT8ARRAYOID, INT4ARRAYOID, BOOLARRAYOID};
	Datum		arguments[3];
	Datum		locked[2];

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
	if (!schema_is_1_0())
		assignment_loads_lock(count, agents, locked);
	arguments[2] = PointerGetDatum(construct_array(locked, count, BOOLOID, 1, true, TYPALIGN_CHAR));
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	if (!schema_is_1_0()
		? SPI_execute_plan(spi_kept_plan(&assignment_moved_plan,
										 ASSIGNMENT_LOADS_STATEMENT("$1", "$2", "$3", "NULL::timestamptz"), 3, types),
						   arguments, NULL, false, 0) != SPI_OK_SELECT
		: SPI_execute_plan(spi_kept_plan(&assignment_moved_1_0_plan,
										 ASSIGNMENT_LOADS_UPDATE_1_0("$1", "$2", "g.last_assigned_at"), 2, types),
						   arguments, NULL, false, 0) != SPI_OK_UPDATE)
		elog(ERROR, "could not move the ticket between the agents' loads");
	SPI_finish();
	return PointerGetDatum(NULL);
}
