/*
 * triage.c — the handbook's triage step inside the ticket's own INSERT: a
 * BEFORE INSERT trigger on support.tickets, named to fire before the
 * lifecycle and deadline triggers so they see its priority and tier.
 *
 *   priority  as given, else the first matching triage rule's, else the
 *             category's default (priority_source says which)
 *   tier      the matching rule's escalation tier, else the category's
 *   assignee  as given, else the least-loaded eligible agent of that tier
 *             with the category's skill (support.auto_assign), else none:
 *             the ticket waits in its tier's queue
 *
 * Rows a restore inserts (trigger_guard_restoring) are left as they are.
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "commands/trigger.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "utils/builtins.h"
#include "utils/rel.h"
#include "utils/rls.h"

#include "triage/assignment.h"
#include "tickets/ticket_columns.h"
#include "triage/triage_rules.h"
#include "shared/trigger_guard.h"

/*
 * This statement's assignments: fn_extra belongs to the trigger's call site,
 * so the ledger in it lives exactly as long as the statement.
 */
static AssignmentLedger *
triage_ledger(FunctionCallInfo fcinfo)
{
	if (fcinfo->flinfo->fn_extra == NULL)
		fcinfo->flinfo->fn_extra = assignment_ledger_create(fcinfo->flinfo->fn_mcxt);
	return fcinfo->flinfo->fn_extra;
}

PG_FUNCTION_INFO_V1(ticket_triage_trigger);
Datum
ticket_triage_trigger(PG_FUNCTION_ARGS)
{
	TriggerData *trigdata = trigger_guard(fcinfo, "ticket_triage_trigger", "tickets");
	Relation	relation;
	TupleDesc	tupdesc;
	const TicketColumns *columns;
	Datum	   *values;
	bool	   *nulls;
	const TriageCategory *category;
	const TriageRule *rule;
	TriageTicket ticket;
	const char *source;
	int64		agent_id;

	if (!TRIGGER_FIRED_BEFORE(trigdata->tg_event) ||
		!TRIGGER_FIRED_FOR_ROW(trigdata->tg_event) || !TRIGGER_FIRED_BY_INSERT(trigdata->tg_event))
		elog(ERROR, "ticket_triage_trigger must be a BEFORE INSERT row trigger");
	if (trigger_guard_restoring())
		return PointerGetDatum(trigdata->tg_trigtuple);	/* verbatim restore */

	relation = trigdata->tg_relation;
	tupdesc = RelationGetDescr(relation);
	columns = ticket_columns(tupdesc, RelationGetRelid(relation));
	values = palloc(tupdesc->natts * sizeof(Datum));
	nulls = palloc(tupdesc->natts * sizeof(bool));
	heap_deform_tuple(trigdata->tg_trigtuple, tupdesc, values, nulls);

	if (nulls[columns->category] || nulls[columns->channel] || nulls[columns->subject])
		return PointerGetDatum(trigdata->tg_trigtuple);	/* NOT NULL reports it */
	memset(&ticket, 0, sizeof(ticket));
	ticket.category = TextDatumGetCString(values[columns->category]);
	ticket.channel = TextDatumGetCString(values[columns->channel]);
	category = triage_rules_category(ticket.category);
	if (category == NULL)
		return PointerGetDatum(trigdata->tg_trigtuple);	/* the foreign key reports it */

	for (int flag = 0; flag < TRIAGE_FLAG_COUNT; flag++)
		if (!nulls[columns->flags[flag]] && DatumGetBool(values[columns->flags[flag]]))
			ticket.flags |= 1u << flag;
	ticket.subject = DatumGetTextPP(values[columns->subject]);
	ticket.description = nulls[columns->description] ?
		cstring_to_text("") : DatumGetTextPP(values[columns->description]);
	rule = triage_rules_match(&ticket);

	if (!nulls[columns->priority])
		source = "given";
	else if (rule != NULL)
	{
		source = "rule";
		values[columns->priority] = Int16GetDatum(rule->priority);
	}
	else
	{
		source = "category";
		values[columns->priority] = Int16GetDatum(category->default_priority);
	}
	nulls[columns->priority] = false;
	values[columns->priority_source] = CStringGetTextDatum(source);
	nulls[columns->priority_source] = false;
	values[columns->triage_rule_id] = rule != NULL ? Int64GetDatum(rule->rule_id) : (Datum) 0;
	nulls[columns->triage_rule_id] = rule == NULL;
	values[columns->tier] = Int16GetDatum(rule != NULL && rule->tier != 0 ? rule->tier
										  : category->default_tier);
	nulls[columns->tier] = false;

	if (nulls[columns->assignee_id] && assignment_auto_assigns() &&
		assignment_pick(triage_ledger(fcinfo), DatumGetInt16(values[columns->tier]),
						category->required_skill, &agent_id))
	{
		values[columns->assignee_id] = Int64GetDatum(agent_id);
		nulls[columns->assignee_id] = false;
	}

	return PointerGetDatum(heap_form_tuple(tupdesc, values, nulls));
}
