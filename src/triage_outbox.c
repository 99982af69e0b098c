/*
 * triage_outbox.c — what triage leaves behind once new tickets are in: an
 * AFTER INSERT statement trigger on support.tickets reading the statement's
 * transition table.
 *
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
 * Writes run as the inserting role, like the rest of the ticket's history.
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "catalog/pg_type.h"
#include "commands/trigger.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "lib/stringinfo.h"
#include "utils/builtins.h"
#include "utils/memutils.h"
#include "utils/rel.h"
#include "utils/rls.h"
#include "utils/timestamp.h"
#include "utils/tuplestore.h"

#include "priority.h"
#include "template.h"
#include "triage_rules.h"

typedef struct OutboxColumns
{
	int			account_id;
	int			ticket_id;
	int			requester_id;
	int			subject;
	int			channel;
	int			category;
	int			priority;
	int			tier;
	int			assignee_id;
	int			triage_rule_id;
	int			first_response_due;
	int			resolution_due;
} OutboxColumns;

/* What the lookup query returns for one ticket, as text. */
typedef struct OutboxPeople
{
	char	   *client_name;
	char	   *client_email;
	char	   *account_name;
	char	   *time_zone;
	bool		enterprise;
	char	   *slack_channel;
	char	   *agent_name;
	char	   *resolution_local;
	char	   *response_local;
} OutboxPeople;

static SPIPlanPtr outbox_escalation_plan = NULL;
static SPIPlanPtr outbox_alert_plan = NULL;
static SPIPlanPtr outbox_routing_plan = NULL;
static SPIPlanPtr outbox_lookup_plan = NULL;
static SPIPlanPtr outbox_email_plan = NULL;
static SPIPlanPtr outbox_load_plan = NULL;

static SPIPlanPtr
outbox_plan(SPIPlanPtr *cached, const char *query, int count, Oid *types)
{
	if (*cached == NULL)
	{
		SPIPlanPtr	plan = SPI_prepare(query, count, types);

		if (plan == NULL)
			elog(ERROR, "could not prepare \"%s\": %s", query, SPI_result_code_string(SPI_result));
		SPI_keepplan(plan);
		*cached = plan;
	}
	return *cached;
}

static void
outbox_execute(SPIPlanPtr plan, Datum *values, const char *nulls, int expected)
{
	int			result = SPI_execute_plan(plan, values, nulls, false, 0);

	if (result != expected)
		elog(ERROR, "triage outbox statement failed: %s", SPI_result_code_string(result));
}

static int
outbox_column(TupleDesc tupdesc, const char *name)
{
	int			attnum = SPI_fnumber(tupdesc, name);

	if (attnum <= 0)
		elog(ERROR, "support.tickets has no column \"%s\"", name);
	return attnum - 1;
}

/* The variables of the acknowledgment, looked up by template.c. */
typedef struct OutboxVariables
{
	int			count;
	const char *names[16];
	const char *values[16];
} OutboxVariables;

static void
outbox_set(OutboxVariables *variables, const char *name, const char *value)
{
	Assert(variables->count < (int) lengthof(variables->names));
	variables->names[variables->count] = name;
	variables->values[variables->count] = value;
	variables->count++;
}

static bool
outbox_lookup(void *context, const char *name, const char **value, size_t *value_length)
{
	OutboxVariables *variables = context;

	for (int i = 0; i < variables->count; i++)
		if (strcmp(variables->names[i], name) == 0 && variables->values[i] != NULL)
		{
			*value = variables->values[i];
			*value_length = strlen(variables->values[i]);
			return true;
		}
	return false;
}

static void
outbox_append(void *context, const char *text, size_t length)
{
	appendBinaryStringInfo((StringInfo) context, text, (int) length);
}

static char *
outbox_render(const char *template, OutboxVariables *variables)
{
	StringInfoData output;
	char		name[TEMPLATE_NAME_MAX + 32];
	TemplateResult result;

	initStringInfo(&output);
	result = template_render(template, strlen(template), outbox_lookup, variables,
							 outbox_append, &output, name, sizeof(name));
	if (result != TEMPLATE_OK)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("the initial_response template uses \"%s\", which ticket creation does not fill", name),
				 errhint("Edit support.templates to use the variables documented in the README, or none.")));
	return output.data;
}


/* Agents given tickets by this statement, and how many each. */
typedef struct OutboxLoads
{
	int			count;
	int64		agent_ids[64];
	int32		tickets[64];
} OutboxLoads;

static void
outbox_write_load(int64 agent_id, int32 tickets)
{
	Oid			types[2] = {INT8OID, INT4OID};
	Datum		values[2] = {Int64GetDatum(agent_id), Int32GetDatum(tickets)};

	outbox_execute(outbox_plan(&outbox_load_plan,
							   "UPDATE support.agents SET open_tickets = open_tickets + $2,"
							   " last_assigned_at = clock_timestamp()"
							   " WHERE agent_id OPERATOR(pg_catalog.=) $1", 2, types),
				   values, NULL, SPI_OK_UPDATE);
}

static void
outbox_count_load(OutboxLoads *loads, int64 agent_id)
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
		outbox_write_load(loads->agent_ids[0], loads->tickets[0]);
		memmove(&loads->agent_ids[0], &loads->agent_ids[1], (loads->count - 1) * sizeof(int64));
		memmove(&loads->tickets[0], &loads->tickets[1], (loads->count - 1) * sizeof(int32));
		loads->count--;
	}
	loads->agent_ids[loads->count] = agent_id;
	loads->tickets[loads->count] = 1;
	loads->count++;
}

/* The requester, account, assignee and local deadlines of one ticket. */
static bool
outbox_people(Datum *row, bool *row_nulls, const OutboxColumns *columns, OutboxPeople *people)
{
	Oid			types[5] = {INT8OID, INT8OID, INT8OID, TIMESTAMPTZOID, TIMESTAMPTZOID};
	Datum		values[5];
	char		nulls[5];
	HeapTuple	tuple;
	TupleDesc	tupdesc;

	values[0] = row[columns->account_id];
	values[1] = row[columns->requester_id];
	values[2] = row[columns->assignee_id];
	values[3] = row[columns->resolution_due];
	values[4] = row[columns->first_response_due];
	nulls[0] = nulls[1] = ' ';
	nulls[2] = row_nulls[columns->assignee_id] ? 'n' : ' ';
	nulls[3] = row_nulls[columns->resolution_due] ? 'n' : ' ';
	nulls[4] = row_nulls[columns->first_response_due] ? 'n' : ' ';
	outbox_execute(outbox_plan(&outbox_lookup_plan,
							   "SELECT u.full_name, u.email, a.name, a.time_zone, a.enterprise::text, a.slack_channel,"
							   "       g.full_name,"
							   "       to_char($4 AT TIME ZONE a.time_zone, 'Dy DD Mon YYYY HH24:MI'),"
							   "       to_char($5 AT TIME ZONE a.time_zone, 'Dy DD Mon YYYY HH24:MI')"
							   "  FROM support.account_users u"
							   "  JOIN support.accounts a ON a.account_id OPERATOR(pg_catalog.=) u.account_id"
							   "  LEFT JOIN support.agents g ON g.agent_id OPERATOR(pg_catalog.=) $3"
							   " WHERE u.account_id OPERATOR(pg_catalog.=) $1"
							   "   AND u.user_id OPERATOR(pg_catalog.=) $2", 5, types),
				   values, nulls, SPI_OK_SELECT);
	if (SPI_processed != 1)
		return false;			/* the foreign key has refused such a row already */
	tuple = SPI_tuptable->vals[0];
	tupdesc = SPI_tuptable->tupdesc;
	people->client_name = SPI_getvalue(tuple, tupdesc, 1);
	people->client_email = SPI_getvalue(tuple, tupdesc, 2);
	people->account_name = SPI_getvalue(tuple, tupdesc, 3);
	people->time_zone = SPI_getvalue(tuple, tupdesc, 4);
	people->enterprise = strcmp(SPI_getvalue(tuple, tupdesc, 5), "true") == 0;
	people->slack_channel = SPI_getvalue(tuple, tupdesc, 6);
	people->agent_name = SPI_getvalue(tuple, tupdesc, 7);
	people->resolution_local = SPI_getvalue(tuple, tupdesc, 8);
	people->response_local = SPI_getvalue(tuple, tupdesc, 9);
	SPI_freetuptable(SPI_tuptable);
	return true;
}

static void
outbox_escalate(int64 account_id, int64 ticket_id, const TriageRule *rule, const char *tier,
				const char *priority, const char *channel, const char *subject,
				const OutboxPeople *people)
{
	Oid			event_types[5] = {INT8OID, INT8OID, TEXTOID, TEXTOID, TEXTOID};
	Datum		event[5];
	Oid			alert_types[9] = {INT8OID, INT8OID, TEXTOID, TEXTOID, TEXTOID, TEXTOID, TEXTOID, TEXTOID, TEXTOID};
	Datum		alert[9];

	event[0] = Int64GetDatum(account_id);
	event[1] = Int64GetDatum(ticket_id);
	event[2] = CStringGetTextDatum(tier);
	event[3] = CStringGetTextDatum(rule->name);
	event[4] = CStringGetTextDatum(rule->alert_channel);
	outbox_execute(outbox_plan(&outbox_escalation_plan,
							   "INSERT INTO support.ticket_events"
							   " (account_id, ticket_id, kind, actor_kind, visibility, body, new_value, details)"
							   " VALUES ($1, $2, 'escalation', 'system', 'internal',"
							   "         format('Escalated on creation to tier %s by rule \"%s\"; %s alerted', $3, $4, $5),"
							   "         $3, jsonb_build_object('rule', $4, 'tier', $3::int, 'alert_channel', $5))",
							   5, event_types),
				   event, NULL, SPI_OK_INSERT);

	alert[0] = Int64GetDatum(account_id);
	alert[1] = Int64GetDatum(ticket_id);
	alert[2] = CStringGetTextDatum(rule->alert_channel);
	alert[3] = CStringGetTextDatum(priority);
	alert[4] = CStringGetTextDatum(people->account_name);
	alert[5] = CStringGetTextDatum(channel);
	alert[6] = CStringGetTextDatum(subject);
	alert[7] = CStringGetTextDatum(tier);
	alert[8] = CStringGetTextDatum(rule->name);
	outbox_execute(outbox_plan(&outbox_alert_plan,
							   "INSERT INTO support.outbound_messages"
							   " (account_id, ticket_id, destination, target, body, payload)"
							   " VALUES ($1, $2, 'slack', $3, format('%s #%s %s (%s): %s', $4, $2, $5, $6, $7),"
							   "         jsonb_build_object('ticket', $2, 'priority', $4, 'account', $5, 'channel', $6,"
							   "                            'tier', $8::int, 'rule', $9, 'subject', $7))",
							   9, alert_types),
				   alert, NULL, SPI_OK_INSERT);
}

static void
outbox_record_routing(int64 account_id, int64 ticket_id, const OutboxPeople *people, const char *tier,
					  const TriageCategory *category, Datum assignee_id)
{
	Oid			types[6] = {INT8OID, INT8OID, TEXTOID, TEXTOID, TEXTOID, INT8OID};
	Datum		values[6];

	values[0] = Int64GetDatum(account_id);
	values[1] = Int64GetDatum(ticket_id);
	values[2] = CStringGetTextDatum(people->agent_name != NULL ? people->agent_name : "");
	values[3] = CStringGetTextDatum(tier);
	values[4] = CStringGetTextDatum(category != NULL ? category->required_skill : "");
	values[5] = assignee_id;
	outbox_execute(outbox_plan(&outbox_routing_plan,
							   "INSERT INTO support.ticket_events"
							   " (account_id, ticket_id, kind, actor_kind, visibility, body, new_value)"
							   " VALUES ($1, $2, 'assignee_change', 'system', 'internal',"
							   "         format('Routed to %s: tier %s, skill %s, fewest open tickets', $3, $4, $5),"
							   "         $6::text)", 6, types),
				   values, NULL, SPI_OK_INSERT);
}

static void
outbox_acknowledge(int64 account_id, int64 ticket_id, int16 priority, const char *tier, const char *subject,
				   const TriageCategory *category, const OutboxPeople *people,
				   const TriageTemplate *template)
{
	OutboxVariables variables = {0};
	Oid			types[5] = {INT8OID, INT8OID, TEXTOID, TEXTOID, TEXTOID};
	Datum		values[5];

	outbox_set(&variables, "client_name", people->client_name);
	outbox_set(&variables, "brief_description", subject);
	outbox_set(&variables, "brief_issue_description", subject);
	outbox_set(&variables, "ticket_number", psprintf("%lld", (long long) ticket_id));
	outbox_set(&variables, "priority", psprintf("P%d (%s)", priority, priority_display_label(priority)));
	outbox_set(&variables, "name", people->agent_name != NULL ? people->agent_name
			   : psprintf("to be assigned from the tier %s queue", tier));
	outbox_set(&variables, "timeframe", people->resolution_local != NULL
			   ? psprintf("by %s %s", people->resolution_local, people->time_zone) : "to be confirmed");
	outbox_set(&variables, "specific_action_items",
			   category != NULL && category->first_steps[0] != NULL
			   ? category->first_steps[0] : "Review the details of your request");
	outbox_set(&variables, "investigation_steps",
			   category != NULL && category->first_steps[1] != NULL
			   ? category->first_steps[1] : "Reproduce and investigate the issue");
	outbox_set(&variables, "expected_timeline", people->response_local != NULL
			   ? psprintf("First response by %s %s", people->response_local, people->time_zone)
			   : "First response as soon as an engineer is available");
	outbox_set(&variables, "alternative_channel", people->enterprise && people->slack_channel != NULL
			   ? psprintf("your Slack channel %s", people->slack_channel) : "the Emergency Hotline");
	outbox_set(&variables, "support_engineer_name",
			   people->agent_name != NULL ? people->agent_name : "Bedrock Platform Support");

	values[0] = Int64GetDatum(account_id);
	values[1] = Int64GetDatum(ticket_id);
	values[2] = CStringGetTextDatum(people->client_email);
	values[3] = CStringGetTextDatum(outbox_render(template->subject, &variables));
	values[4] = CStringGetTextDatum(outbox_render(template->body, &variables));
	outbox_execute(outbox_plan(&outbox_email_plan,
							   "INSERT INTO support.outbound_messages"
							   " (account_id, ticket_id, destination, target, template, subject, body)"
							   " VALUES ($1, $2, 'email', $3, 'initial_response', $4, $5)", 5, types),
				   values, NULL, SPI_OK_INSERT);
}

PG_FUNCTION_INFO_V1(ticket_triaged_trigger);
Datum
ticket_triaged_trigger(PG_FUNCTION_ARGS)
{
	TriggerData *trigdata = (TriggerData *) fcinfo->context;
	TupleDesc	tupdesc;
	OutboxColumns columns;
	TupleTableSlot *slot;
	OutboxLoads loads = {0};
	const TriageTemplate *acknowledgment;
	MemoryContext row_context;
	MemoryContext outer_context;

	if (!CALLED_AS_TRIGGER(fcinfo) || !TRIGGER_FIRED_AFTER(trigdata->tg_event) ||
		TRIGGER_FIRED_FOR_ROW(trigdata->tg_event) || !TRIGGER_FIRED_BY_INSERT(trigdata->tg_event) ||
		trigdata->tg_newtable == NULL)
		elog(ERROR, "ticket_triaged_trigger must be an AFTER INSERT statement trigger with a NEW TABLE");
	if (!row_security)
		return PointerGetDatum(NULL);	/* a restore brings its own history and outbox */

	tupdesc = RelationGetDescr(trigdata->tg_relation);
	columns.account_id = outbox_column(tupdesc, "account_id");
	columns.ticket_id = outbox_column(tupdesc, "ticket_id");
	columns.requester_id = outbox_column(tupdesc, "requester_id");
	columns.subject = outbox_column(tupdesc, "subject");
	columns.channel = outbox_column(tupdesc, "channel");
	columns.category = outbox_column(tupdesc, "category");
	columns.priority = outbox_column(tupdesc, "priority");
	columns.tier = outbox_column(tupdesc, "tier");
	columns.assignee_id = outbox_column(tupdesc, "assignee_id");
	columns.triage_rule_id = outbox_column(tupdesc, "triage_rule_id");
	columns.first_response_due = outbox_column(tupdesc, "first_response_due");
	columns.resolution_due = outbox_column(tupdesc, "resolution_due");
	acknowledgment = triage_rules_acknowledgment();

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	/* reset per ticket, so a 100,000-row INSERT runs in constant memory */
	row_context = AllocSetContextCreate(CurrentMemoryContext, "bedrock_support triage outbox row",
										ALLOCSET_DEFAULT_SIZES);
	slot = MakeSingleTupleTableSlot(tupdesc, &TTSOpsMinimalTuple);
	tuplestore_rescan(trigdata->tg_newtable);
	while (tuplestore_gettupleslot(trigdata->tg_newtable, true, false, slot))
	{
		Datum	   *row;
		bool	   *row_nulls;
		int64		account_id;
		int64		ticket_id;
		int16		priority;
		const TriageRule *rule = NULL;
		const TriageCategory *category;
		char	   *subject;
		char	   *tier;
		OutboxPeople people;

		outer_context = MemoryContextSwitchTo(row_context);
		slot_getallattrs(slot);
		row = slot->tts_values;
		row_nulls = slot->tts_isnull;
		account_id = DatumGetInt64(row[columns.account_id]);
		ticket_id = DatumGetInt64(row[columns.ticket_id]);
		priority = DatumGetInt16(row[columns.priority]);
		subject = TextDatumGetCString(row[columns.subject]);
		tier = psprintf("%d", DatumGetInt16(row[columns.tier]));
		category = triage_rules_category(TextDatumGetCString(row[columns.category]));
		if (!row_nulls[columns.triage_rule_id])
			rule = triage_rules_by_id(DatumGetInt64(row[columns.triage_rule_id]));

		if (outbox_people(row, row_nulls, &columns, &people))
		{
			if (rule != NULL && rule->alert_channel != NULL)
				outbox_escalate(account_id, ticket_id, rule, tier, psprintf("P%d", priority),
								TextDatumGetCString(row[columns.channel]), subject, &people);
			if (!row_nulls[columns.assignee_id])
			{
				outbox_record_routing(account_id, ticket_id, &people, tier, category,
									  row[columns.assignee_id]);
				outbox_count_load(&loads, DatumGetInt64(row[columns.assignee_id]));
			}
			if (acknowledgment != NULL)
				outbox_acknowledge(account_id, ticket_id, priority, tier, subject, category, &people,
								   acknowledgment);
		}
		MemoryContextSwitchTo(outer_context);
		MemoryContextReset(row_context);
	}
	ExecDropSingleTupleTableSlot(slot);

	for (int i = 0; i < loads.count; i++)
		outbox_write_load(loads.agent_ids[i], loads.tickets[i]);
	SPI_finish();
	return PointerGetDatum(NULL);
}
