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
#include "catalog/pg_collation.h"
#include "catalog/pg_type.h"
#include "common/hashfn.h"
#include "commands/trigger.h"
#include "executor/executor.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "lib/stringinfo.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/json.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/rel.h"
#include "utils/rls.h"
#include "utils/snapmgr.h"
#include "utils/timestamp.h"
#include "utils/tuplestore.h"

#include "auth.h"
#include "priority.h"
#include "row_probe.h"
#include "template.h"
#include "ticket_columns.h"
#include "triage_rules.h"
#include "spi_support.h"
#include "trigger_guard.h"

/* What the lookup finds for one ticket, as text. */
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

/*
 * Tickets are handled in batches: their people are read by primary-key
 * probes, then one statement writes the events, the messages and (with the
 * last batch) the agents' loads, with arrays through unnest, so a bulk
 * INSERT pays the executor's start-up per thousand tickets, not per ticket.
 */
#define OUTBOX_BATCH 1000

typedef struct OutboxBatch
{
	int			count;
	/* per ticket */
	Datum		account_ids[OUTBOX_BATCH];
	Datum		requester_ids[OUTBOX_BATCH];
	Datum		assignee_ids[OUTBOX_BATCH];
	bool		assignee_nulls[OUTBOX_BATCH];
	Datum		resolution_dues[OUTBOX_BATCH];
	bool		resolution_nulls[OUTBOX_BATCH];
	Datum		response_dues[OUTBOX_BATCH];
	bool		response_nulls[OUTBOX_BATCH];
	int64		ticket_ids[OUTBOX_BATCH];
	int16		priorities[OUTBOX_BATCH];
	int16		tiers[OUTBOX_BATCH];
	char	   *subjects[OUTBOX_BATCH];
	char	   *channels[OUTBOX_BATCH];
	char	   *category_names[OUTBOX_BATCH];
	char	   *priority_sources[OUTBOX_BATCH];
	const TriageCategory *categories[OUTBOX_BATCH];
	const TriageRule *rules[OUTBOX_BATCH];
	OutboxPeople people[OUTBOX_BATCH];
	bool		found[OUTBOX_BATCH];
} OutboxBatch;

/* Rows to insert into one table, column by column. */
typedef struct OutboxRows
{
	int			count;
	int			capacity;
	int			width;
	Datum	   *columns[10];
	bool	   *nulls[10];
} OutboxRows;

static SPIPlanPtr outbox_write_plan = NULL;
static SPIPlanPtr outbox_load_plan = NULL;

static void
outbox_execute(SPIPlanPtr plan, Datum *values, const char *nulls, int expected)
{
	int			result = SPI_execute_plan(plan, values, nulls, false, 0);

	if (result != expected)
		elog(ERROR, "triage outbox statement failed: %s", SPI_result_code_string(result));
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

	outbox_execute(spi_kept_plan(&outbox_load_plan,
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

static void
outbox_rows_init(OutboxRows *rows, int width, int per_ticket)
{
	rows->count = 0;
	rows->capacity = per_ticket * OUTBOX_BATCH;
	rows->width = width;
	for (int i = 0; i < width; i++)
	{
		rows->columns[i] = palloc(rows->capacity * sizeof(Datum));
		rows->nulls[i] = palloc(rows->capacity * sizeof(bool));
	}
}

/* Appends a row of text values (NULL pointers are NULLs); ids come first. */
static void
outbox_rows_add(OutboxRows *rows, int64 account_id, int64 ticket_id, const char **texts)
{
	int			row = rows->count++;

	if (row >= rows->capacity)
		elog(ERROR, "more outbox rows than the %d a batch holds", rows->capacity);
	rows->columns[0][row] = Int64GetDatum(account_id);
	rows->nulls[0][row] = false;
	rows->columns[1][row] = Int64GetDatum(ticket_id);
	rows->nulls[1][row] = false;
	for (int i = 2; i < rows->width; i++)
	{
		rows->nulls[i][row] = texts[i - 2] == NULL;
		rows->columns[i][row] = texts[i - 2] == NULL ? (Datum) 0 : CStringGetTextDatum(texts[i - 2]);
	}
}

static Datum
outbox_array(Datum *values, bool *nulls, int count, Oid type)
{
	int			dimensions[1] = {count};
	int			lower_bounds[1] = {1};
	int16		length;
	bool		by_value;
	char		alignment;

	if (count == 0)
		return PointerGetDatum(construct_empty_array(type));
	get_typlenbyvalalign(type, &length, &by_value, &alignment);
	return PointerGetDatum(construct_md_array(values, nulls, 1, dimensions, lower_bounds,
											  type, length, by_value, alignment));
}

/* The rows' columns as arrays (ids int8[], the rest text[]) into arrays[], types[]. */
static void
outbox_rows_arrays(OutboxRows *rows, Datum *arrays, Oid *types)
{
	for (int i = 0; i < rows->width; i++)
	{
		types[i] = i < 2 ? INT8ARRAYOID : TEXTARRAYOID;
		arrays[i] = outbox_array(rows->columns[i], rows->nulls[i], rows->count, i < 2 ? INT8OID : TEXTOID);
	}
}

/* a value starting with this is a JSON number, written bare */
#define OUTBOX_NUMBER '\001'

static const char *
outbox_json(const char **keys_and_values, int pairs)
{
	StringInfoData json;

	initStringInfo(&json);
	appendStringInfoChar(&json, '{');
	for (int i = 0; i < pairs; i++)
	{
		if (i > 0)
			appendStringInfoString(&json, ", ");
		escape_json(&json, keys_and_values[2 * i]);
		appendStringInfoString(&json, ": ");
		if (keys_and_values[2 * i + 1] == NULL)
			appendStringInfoString(&json, "null");
		else if (keys_and_values[2 * i + 1][0] == OUTBOX_NUMBER)
			appendStringInfoString(&json, keys_and_values[2 * i + 1] + 1);
		else
			escape_json(&json, keys_and_values[2 * i + 1]);
	}
	appendStringInfoChar(&json, '}');
	return json.data;
}

/* A deadline as the account reads it: to_char(due AT TIME ZONE zone, ...). */
static char *
outbox_local_time(Datum due, const char *time_zone)
{
	Datum		local = DirectFunctionCall2(timestamptz_zone, CStringGetTextDatum(time_zone), due);

	return TextDatumGetCString(DirectFunctionCall2Coll(timestamp_to_char, DEFAULT_COLLATION_OID, local,
													   CStringGetTextDatum("Dy DD Mon YYYY HH24:MI")));
}

static char *
outbox_text(RowProbe *probe, int column)
{
	return probe->nulls[column] ? NULL : TextDatumGetCString(probe->values[column]);
}

/*
 * The batch's accounts, requesters and agents already looked up: a bulk
 * INSERT names the same few again and again, and each is probed once per
 * batch. An open-addressing table of keys to the first ticket that had them.
 */
typedef struct OutboxSeenEntry
{
	bool		used;
	bool		found;			/* the probe found the row */
	int64		first_key;
	int64		second_key;
	int			ticket;			/* whose people hold what was found */
} OutboxSeenEntry;

typedef struct OutboxSeen
{
	uint32		mask;
	OutboxSeenEntry *entries;
} OutboxSeen;

static void
outbox_seen_init(OutboxSeen *seen, int count)
{
	uint32		size = 4;

	while (size < 2 * (uint32) count)
		size *= 2;
	seen->mask = size - 1;
	seen->entries = palloc0(size * sizeof(OutboxSeenEntry));
}

/* The entry of the key, *is_new when this is its first time in the batch. */
static OutboxSeenEntry *
outbox_seen(OutboxSeen *seen, int64 first_key, int64 second_key, bool *is_new)
{
	uint64		mixed = (uint64) first_key ^ ((uint64) first_key >> 32) ^ ((uint64) second_key * 0x9E3779B1);
	uint32		slot = hash_bytes_uint32((uint32) mixed) & seen->mask;

	for (;;)
	{
		OutboxSeenEntry *entry = &seen->entries[slot];

		if (!entry->used)
		{
			entry->used = true;
			entry->first_key = first_key;
			entry->second_key = second_key;
			*is_new = true;
			return entry;
		}
		if (entry->first_key == first_key && entry->second_key == second_key)
		{
			*is_new = false;
			return entry;
		}
		slot = (slot + 1) & seen->mask;	/* the table is never full: twice the batch */
	}
}

/*
 * The requester, account, assignee and local deadlines of each ticket of the
 * batch, by primary-key probes under a snapshot taken now, as a statement
 * would (a requester committed since the INSERT began is found). Returns
 * whether the acting user (the key's, or support.actor_id; 0 for none) is an
 * agent, read through the same probe.
 */
static bool
outbox_lookup_people(OutboxBatch *batch, int64 acting_user)
{
	Snapshot	snapshot = RegisterSnapshot(GetTransactionSnapshot());
	RowProbe	users;
	RowProbe	accounts;
	RowProbe	agents;
	OutboxSeen	users_seen;
	OutboxSeen	accounts_seen;
	OutboxSeen	agents_seen;
	int			user_name, user_email, account_name, account_zone, account_enterprise, account_slack,
				agent_name;
	bool		acting_is_agent = false;

	row_probe_open(&users, "account_users");
	row_probe_open(&accounts, "accounts");
	row_probe_open(&agents, "agents");
	user_name = row_probe_column(&users, "full_name");
	user_email = row_probe_column(&users, "email");
	account_name = row_probe_column(&accounts, "name");
	account_zone = row_probe_column(&accounts, "time_zone");
	account_enterprise = row_probe_column(&accounts, "enterprise");
	account_slack = row_probe_column(&accounts, "slack_channel");
	agent_name = row_probe_column(&agents, "full_name");
	outbox_seen_init(&users_seen, batch->count);
	outbox_seen_init(&accounts_seen, batch->count);
	outbox_seen_init(&agents_seen, batch->count);
	for (int i = 0; i < batch->count; i++)
	{
		OutboxPeople *people = &batch->people[i];
		int64		account_id = DatumGetInt64(batch->account_ids[i]);
		Datum		user_key[2] = {batch->account_ids[i], batch->requester_ids[i]};
		bool		is_new;
		OutboxSeenEntry *user = outbox_seen(&users_seen, account_id,
											DatumGetInt64(batch->requester_ids[i]), &is_new);
		OutboxSeenEntry *account;

		if (is_new)
		{
			user->found = row_probe_fetch(&users, snapshot, user_key);
			user->ticket = i;
			if (user->found)
			{
				people->client_name = outbox_text(&users, user_name);
				people->client_email = outbox_text(&users, user_email);
			}
		}
		else if (user->found)
		{
			people->client_name = batch->people[user->ticket].client_name;
			people->client_email = batch->people[user->ticket].client_email;
		}
		account = outbox_seen(&accounts_seen, account_id, 0, &is_new);
		if (is_new)
		{
			account->found = row_probe_fetch(&accounts, snapshot, &batch->account_ids[i]);
			account->ticket = i;
			if (account->found)
			{
				people->account_name = outbox_text(&accounts, account_name);
				people->time_zone = outbox_text(&accounts, account_zone);
				people->enterprise = !accounts.nulls[account_enterprise] &&
					DatumGetBool(accounts.values[account_enterprise]);
				people->slack_channel = outbox_text(&accounts, account_slack);
			}
		}
		else if (account->found)
		{
			OutboxPeople *earlier = &batch->people[account->ticket];

			people->account_name = earlier->account_name;
			people->time_zone = earlier->time_zone;
			people->enterprise = earlier->enterprise;
			people->slack_channel = earlier->slack_channel;
		}
		/* a missing requester or account: the foreign keys refuse the row */
		if (!user->found || !account->found)
			continue;
		if (!batch->assignee_nulls[i])
		{
			OutboxSeenEntry *agent = outbox_seen(&agents_seen, DatumGetInt64(batch->assignee_ids[i]), 0,
												 &is_new);

			if (is_new)
			{
				agent->found = row_probe_fetch(&agents, snapshot, &batch->assignee_ids[i]);
				agent->ticket = i;
				if (agent->found)
					people->agent_name = outbox_text(&agents, agent_name);
			}
			else if (agent->found)
				people->agent_name = batch->people[agent->ticket].agent_name;
		}
		if (!batch->resolution_nulls[i] && people->time_zone != NULL)
			people->resolution_local = outbox_local_time(batch->resolution_dues[i], people->time_zone);
		if (!batch->response_nulls[i] && people->time_zone != NULL)
			people->response_local = outbox_local_time(batch->response_dues[i], people->time_zone);
		batch->found[i] = true;
	}
	if (acting_user != 0)
	{
		Datum		key = Int64GetDatum(acting_user);

		acting_is_agent = row_probe_fetch(&agents, snapshot, &key);
	}
	row_probe_close(&agents);
	row_probe_close(&accounts);
	row_probe_close(&users);
	UnregisterSnapshot(snapshot);
	return acting_is_agent;
}

static void
outbox_acknowledgment(OutboxBatch *batch, int i, const TriageTemplate *template, const char *tier,
					  OutboxRows *messages)
{
	OutboxPeople *people = &batch->people[i];
	const TriageCategory *category = batch->categories[i];
	OutboxVariables variables = {0};
	const char *texts[6];

	outbox_set(&variables, "client_name", people->client_name);
	outbox_set(&variables, "brief_description", batch->subjects[i]);
	outbox_set(&variables, "brief_issue_description", batch->subjects[i]);
	outbox_set(&variables, "ticket_number", psprintf("%lld", (long long) batch->ticket_ids[i]));
	outbox_set(&variables, "priority", psprintf("P%d (%s)", batch->priorities[i],
												priority_display_label(batch->priorities[i])));
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

	texts[0] = "email";
	texts[1] = people->client_email;
	texts[2] = "initial_response";
	texts[3] = outbox_render(template->subject, &variables);
	texts[4] = outbox_render(template->body, &variables);
	texts[5] = "{}";
	outbox_rows_add(messages, DatumGetInt64(batch->account_ids[i]), batch->ticket_ids[i], texts);
}

static void
outbox_flush(OutboxBatch *batch, const TriageTemplate *acknowledgment, OutboxLoads *loads, bool last)
{
	Datum		arrays[19];
	Oid			types[19];
	Datum		load_ids[lengthof(loads->agent_ids)];
	Datum		load_counts[lengthof(loads->agent_ids)];
	bool		no_nulls[lengthof(loads->agent_ids)] = {false};
	int			load_count;
	OutboxRows	events;
	OutboxRows	messages;
	int64		acting_user = auth_acting_user();
	const char *acting_kind = outbox_lookup_people(batch, acting_user) ? "agent" : "client";

	/*
	 * account, ticket, kind, body, new_value, details, actor_id, actor_kind,
	 * visibility; per ticket: created, escalated, assigned
	 */
	outbox_rows_init(&events, 9, 3);
	/* the created events first, as the statement's first events */
	for (int i = 0; i < batch->count; i++)
	{
		const TriageRule *rule = batch->rules[i];
		const char *details[] = {"channel", batch->channels[i], "category", batch->category_names[i],
			"priority", psprintf("P%d", batch->priorities[i]),
			"tier", psprintf("%c%d", OUTBOX_NUMBER, batch->tiers[i]),
		"priority_source", batch->priority_sources[i], "triage_rule", rule != NULL ? rule->name : NULL};
		const char *texts[7];

		texts[0] = "created";
		texts[1] = batch->subjects[i];
		texts[2] = "new";		/* the lifecycle admits new tickets only in it */
		texts[3] = outbox_json(details, 6);
		/* the acting user (the key's, or support.actor_id), else the requester, a client */
		texts[4] = psprintf("%lld", acting_user != 0 ? (long long) acting_user
							: (long long) DatumGetInt64(batch->requester_ids[i]));
		texts[5] = acting_kind;
		texts[6] = "public";
		outbox_rows_add(&events, DatumGetInt64(batch->account_ids[i]), batch->ticket_ids[i], texts);
	}
	/* account, ticket, destination, target, template, subject, body, payload; alert and acknowledgment */
	outbox_rows_init(&messages, 8, 2);
	for (int i = 0; i < batch->count; i++)
	{
		const TriageRule *rule = batch->rules[i];
		OutboxPeople *people = &batch->people[i];
		char	   *tier = psprintf("%d", batch->tiers[i]);
		const char *texts[7] = {NULL};

		if (!batch->found[i])
			continue;			/* the foreign key has refused such a row already */
		if (rule != NULL && rule->alert_channel != NULL)
		{
			const char *details[] = {"rule", rule->name, "tier", psprintf("%c%s", OUTBOX_NUMBER, tier),
			"alert_channel", rule->alert_channel};
			const char *payload[] = {"ticket", psprintf("%c%lld", OUTBOX_NUMBER, (long long) batch->ticket_ids[i]),
				"priority", psprintf("P%d", batch->priorities[i]), "account", people->account_name,
				"channel", batch->channels[i], "tier", psprintf("%c%s", OUTBOX_NUMBER, tier), "rule", rule->name,
			"subject", batch->subjects[i]};

			texts[0] = "escalation";
			texts[1] = psprintf("Escalated on creation to tier %s by rule \"%s\"; %s alerted",
								tier, rule->name, rule->alert_channel);
			texts[2] = tier;
			texts[3] = outbox_json(details, 3);
			texts[4] = NULL;
			texts[5] = "system";
			texts[6] = "internal";
			outbox_rows_add(&events, DatumGetInt64(batch->account_ids[i]), batch->ticket_ids[i], texts);

			texts[0] = "slack";
			texts[1] = rule->alert_channel;
			texts[2] = NULL;
			texts[3] = NULL;
			texts[4] = psprintf("P%d #%lld %s (%s): %s", batch->priorities[i],
								(long long) batch->ticket_ids[i], people->account_name,
								batch->channels[i], batch->subjects[i]);
			texts[5] = outbox_json(payload, 7);
			outbox_rows_add(&messages, DatumGetInt64(batch->account_ids[i]), batch->ticket_ids[i], texts);
		}
		if (!batch->assignee_nulls[i])
		{
			texts[0] = "assignee_change";
			texts[1] = psprintf("Routed to %s: tier %s, skill %s, fewest open tickets",
								people->agent_name != NULL ? people->agent_name : "",
								tier, batch->categories[i] != NULL ? batch->categories[i]->required_skill : "");
			texts[2] = psprintf("%lld", (long long) DatumGetInt64(batch->assignee_ids[i]));
			texts[3] = "{}";
			texts[4] = NULL;
			texts[5] = "system";
			texts[6] = "internal";
			outbox_rows_add(&events, DatumGetInt64(batch->account_ids[i]), batch->ticket_ids[i], texts);
			outbox_count_load(loads, DatumGetInt64(batch->assignee_ids[i]));
		}
		if (acknowledgment != NULL)
			outbox_acknowledgment(batch, i, acknowledgment, tier, &messages);
	}
	/* one statement per batch: the events, the agents' loads (with the last batch), the messages */
	{
		Datum		event_arrays[9];
		Oid			event_types[9];

		outbox_rows_arrays(&events, event_arrays, event_types);
		memcpy(&arrays[0], event_arrays, 6 * sizeof(Datum));
		memcpy(&types[0], event_types, 6 * sizeof(Oid));
		memcpy(&arrays[16], &event_arrays[6], 3 * sizeof(Datum));
		memcpy(&types[16], &event_types[6], 3 * sizeof(Oid));
	}
	outbox_rows_arrays(&messages, &arrays[6], &types[6]);
	load_count = last ? loads->count : 0;	/* counted by the loop above */
	for (int i = 0; i < load_count; i++)
	{
		load_ids[i] = Int64GetDatum(loads->agent_ids[i]);
		load_counts[i] = Int32GetDatum(loads->tickets[i]);
	}
	arrays[14] = outbox_array(load_ids, no_nulls, load_count, INT8OID);
	types[14] = INT8ARRAYOID;
	arrays[15] = outbox_array(load_counts, no_nulls, load_count, INT4OID);
	types[15] = INT4ARRAYOID;
	outbox_execute(spi_kept_plan(&outbox_write_plan,
							   "WITH events AS ("
							   "  INSERT INTO support.ticket_events"
							   "   (account_id, ticket_id, kind, actor_id, actor_kind, visibility, body, new_value, details)"
							   "  SELECT e.account_id, e.ticket_id, e.kind::support.event_kind, e.actor_id::int8,"
							   "         e.actor_kind::support.actor_kind,"
							   "         e.visibility::support.visibility, e.body, e.new_value, e.details::jsonb"
							   "    FROM unnest($1, $2, $3, $4, $5, $6, $17, $18, $19)"
							   "         AS e(account_id, ticket_id, kind, body, new_value, details,"
							   "              actor_id, actor_kind, visibility)),"
							   " loads AS ("
							   "  UPDATE support.agents g"
							   "     SET open_tickets = g.open_tickets + l.tickets, last_assigned_at = clock_timestamp()"
							   "    FROM unnest($15, $16) AS l(agent_id, tickets)"
							   "   WHERE g.agent_id OPERATOR(pg_catalog.=) l.agent_id)"
							   " INSERT INTO support.outbound_messages"
							   "  (account_id, ticket_id, destination, target, template, subject, body, payload)"
							   " SELECT m.account_id, m.ticket_id, m.destination, m.target, m.template, m.subject,"
							   "        m.body, m.payload::jsonb"
							   "   FROM unnest($7, $8, $9, $10, $11, $12, $13, $14)"
							   "        AS m(account_id, ticket_id, destination, target, template, subject, body, payload)",
							   19, types),
				   arrays, NULL, SPI_OK_INSERT);
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
	OutboxLoads loads = {0};
	const TriageTemplate *acknowledgment;
	MemoryContext batch_context;
	MemoryContext outer_context;
	OutboxBatch *batch;

	if (!TRIGGER_FIRED_AFTER(trigdata->tg_event) ||
		TRIGGER_FIRED_FOR_ROW(trigdata->tg_event) || !TRIGGER_FIRED_BY_INSERT(trigdata->tg_event) ||
		trigdata->tg_newtable == NULL)
		elog(ERROR, "ticket_triaged_trigger must be an AFTER INSERT statement trigger with a NEW TABLE");
	if (!row_security)
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
		if (!more || batch->count == OUTBOX_BATCH)
		{
			if (batch->count > 0)
				outbox_flush(batch, acknowledgment, &loads, !more);
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

	for (int i = 0; i < loads.count; i++)
		outbox_write_load(loads.agent_ids[i], loads.tickets[i]);
	SPI_finish();
	return PointerGetDatum(NULL);
}
