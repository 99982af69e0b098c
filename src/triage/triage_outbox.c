/*
 * triage_outbox.c — what triage leaves behind once new tickets are in: an
 * AFTER INSERT statement trigger on support.tickets reading the statement's
 * transition table, a batch of tickets at a time (triage_outbox.h).
 *
 *   - a created event for each ticket;
 *   - an escalation event and a Slack alert (outbox) for each ticket whose
 *     triage rule escalates, to the channel the rule names;
 *   - a routing event for each ticket given to an agent, and the agents'
 *     open_tickets raised by what they got;
 *   - the client's acknowledgment in the outbox: the handbook's
 *     initial-response template rendered with template.c.
 *
 * Written in C with kept plans because it runs for every INSERT: a
 * statement trigger in PL/pgSQL plans its transition-table queries again on
 * each call, which cost a single-ticket INSERT more than the insert itself.
 * The function is SECURITY DEFINER: its probes and writes run as the
 * tables' owner.
 */
#include "postgres.h"

#include "commands/trigger.h"
#include "executor/executor.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "utils/builtins.h"
#include "utils/memutils.h"
#include "utils/rel.h"
#include "utils/tuplestore.h"

#include "triage/assignment.h"
#include "security/auth.h"
#include "tickets/ticket_columns.h"
#include "triage/triage_outbox.h"
#include "triage/triage_rules.h"
#include "shared/trigger_guard.h"

/* Everything the batch's tickets leave behind, in one statement. */
static void
triage_outbox_flush(OutboxBatch *batch, const TriageTemplate *acknowledgment, AssignmentLoads *loads,
					bool last)
{
	OutboxRows	events;
	OutboxRows	messages;
	int64		acting_user = auth_acting_user();
	const char *acting_kind = triage_outbox_people_look_up(batch, acting_user) ? "agent" : "client";

	/* per ticket: created, escalated, assigned */
	triage_outbox_rows_init(&events, TRIAGE_OUTBOX_EVENT_COLUMNS, 3);
	/* the created events first, as the statement's first events */
	for (int i = 0; i < batch->count; i++)
		triage_outbox_created_event(batch, i, acting_user, acting_kind, &events);
	/* per ticket: the team's alert, the client channel's copy and the acknowledgment */
	triage_outbox_rows_init(&messages, TRIAGE_OUTBOX_MESSAGE_COLUMNS, 3);
	for (int i = 0; i < batch->count; i++)
	{
		const TriageRule *rule = batch->rules[i];
		char	   *tier = psprintf("%d", batch->tiers[i]);

		if (!batch->found[i])
			continue;			/* the foreign key has refused such a row already */
		if (rule != NULL && rule->alert_channel != NULL)
			triage_outbox_escalation(batch, i, tier, &events, &messages);
		if (!batch->assignee_nulls[i])
		{
			triage_outbox_routing_event(batch, i, tier, &events);
			assignment_loads_count(loads, DatumGetInt64(batch->assignee_ids[i]));
		}
		if (acknowledgment != NULL)
			triage_outbox_acknowledgment(batch, i, acknowledgment, tier, &messages);
	}
	/* the agents' loads go with the last batch, counted in full by then */
	triage_outbox_rows_write(&events, &messages, last ? loads : NULL);
	if (last)
		loads->count = 0;
	batch->count = 0;
}

PG_FUNCTION_INFO_V1(ticket_triaged_trigger);
Datum
ticket_triaged_trigger(PG_FUNCTION_ARGS)
{
	TriggerData *trigdata = trigger_guard(fcinfo, "ticket_triaged_trigger", "tickets");
	TupleDesc	tupdesc;
	const TicketColumns *columns;
	TupleTableSlot *slot;
	AssignmentLoads loads = {0};
	const TriageTemplate *acknowledgment;
	MemoryContext batch_context;
	MemoryContext outer_context;
	OutboxBatch *batch;

	if (!TRIGGER_FIRED_AFTER(trigdata->tg_event) ||
		TRIGGER_FIRED_FOR_ROW(trigdata->tg_event) || !TRIGGER_FIRED_BY_INSERT(trigdata->tg_event) ||
		trigdata->tg_newtable == NULL)
		elog(ERROR, "ticket_triaged_trigger must be an AFTER INSERT statement trigger with a NEW TABLE");
	if (trigger_guard_restoring())
		return PointerGetDatum(NULL);	/* a restore brings its own history and outbox */

	tupdesc = RelationGetDescr(trigdata->tg_relation);
	columns = ticket_columns(tupdesc, RelationGetRelid(trigdata->tg_relation));
	acknowledgment = triage_rules_acknowledgment();

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	/* reset per batch, so a 100,000-row INSERT runs in bounded memory */
	batch_context = AllocSetContextCreate(CurrentMemoryContext, "bedrock_support triage outbox batch",
										  ALLOCSET_DEFAULT_SIZES);
	/* 176 kB: zeroed row by row as they are filled, not whole per batch */
	batch = palloc(sizeof(OutboxBatch));
	batch->count = 0;
	slot = MakeSingleTupleTableSlot(tupdesc, &TTSOpsMinimalTuple);
	/* our own read pointer: other triggers of the statement read the same store */
	tuplestore_select_read_pointer(trigdata->tg_newtable,
								   tuplestore_alloc_read_pointer(trigdata->tg_newtable, EXEC_FLAG_REWIND));
	tuplestore_rescan(trigdata->tg_newtable);
	outer_context = MemoryContextSwitchTo(batch_context);
	for (;;)
	{
		bool		more;
		Datum	   *row;
		bool	   *row_nulls;
		int			i = batch->count;

		/*
		 * A store spilled to disk reads each tuple into memory the slot then
		 * owns and frees: not the batch's, which the flush below resets.
		 */
		MemoryContextSwitchTo(outer_context);
		more = tuplestore_gettupleslot(trigdata->tg_newtable, true, false, slot);
		MemoryContextSwitchTo(batch_context);
		if (!more || batch->count == TRIAGE_OUTBOX_BATCH)
		{
			if (batch->count > 0)
				triage_outbox_flush(batch, acknowledgment, &loads, !more);
			MemoryContextReset(batch_context);
			if (!more)
				break;
			i = 0;
		}
		slot_getallattrs(slot);
		row = slot->tts_values;
		row_nulls = slot->tts_isnull;
		batch->found[i] = false;
		memset(&batch->people[i], 0, sizeof(OutboxPeople));
		batch->account_ids[i] = row[columns->account_id];
		batch->requester_ids[i] = row[columns->requester_id];
		batch->assignee_ids[i] = row[columns->assignee_id];
		batch->assignee_nulls[i] = row_nulls[columns->assignee_id];
		batch->resolution_dues[i] = row[columns->resolution_due];
		batch->resolution_nulls[i] = row_nulls[columns->resolution_due];
		batch->response_dues[i] = row[columns->first_response_due];
		batch->response_nulls[i] = row_nulls[columns->first_response_due];
		batch->ticket_ids[i] = DatumGetInt64(row[columns->ticket_id]);
		batch->priorities[i] = DatumGetInt16(row[columns->priority]);
		batch->tiers[i] = DatumGetInt16(row[columns->tier]);
		batch->subjects[i] = TextDatumGetCString(row[columns->subject]);
		batch->channels[i] = TextDatumGetCString(row[columns->channel]);
		batch->category_names[i] = TextDatumGetCString(row[columns->category]);
		batch->categories[i] = triage_rules_category(batch->category_names[i]);
		batch->priority_sources[i] = row_nulls[columns->priority_source] ? NULL
			: TextDatumGetCString(row[columns->priority_source]);
		batch->rules[i] = row_nulls[columns->triage_rule_id] ? NULL
			: triage_rules_by_id(DatumGetInt64(row[columns->triage_rule_id]));
		batch->count++;
	}
	MemoryContextSwitchTo(outer_context);
	ExecDropSingleTupleTableSlot(slot);

	/* the last batch wrote the loads: a guard, should one be left */
	assignment_loads_write(&loads);
	SPI_finish();
	return PointerGetDatum(NULL);
}
