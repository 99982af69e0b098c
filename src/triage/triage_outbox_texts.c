/*
 * triage_outbox_texts.c — what a new ticket's history says: its created
 * event, the escalation event and Slack alert of a ticket its triage rule
 * escalates, and the routing event of a ticket given to an agent. Each is
 * a row of texts for triage_outbox_rows.c; details and payloads are JSON
 * objects, written as text for the statement to cast to jsonb.
 */
#include "postgres.h"

#include "lib/stringinfo.h"
#include "utils/json.h"

#include "triage/client_texts.h"
#include "triage/triage_outbox.h"

/*
 * A JSON object, "key": value pairs written in the order given; strings
 * are escaped by escape_json, and NULL is JSON null.
 */
static void
triage_outbox_json_key(StringInfo json, const char *key)
{
	if (json->len > 1)			/* more than the opening brace: a pair before */
		appendStringInfoString(json, ", ");
	escape_json(json, key);
	appendStringInfoString(json, ": ");
}

static void
triage_outbox_json_text(StringInfo json, const char *key, const char *value)
{
	triage_outbox_json_key(json, key);
	if (value == NULL)
		appendStringInfoString(json, "null");
	else
		escape_json(json, value);
}

static void
triage_outbox_json_number(StringInfo json, const char *key, int64 value)
{
	triage_outbox_json_key(json, key);
	appendStringInfo(json, INT64_FORMAT, value);
}

static void
triage_outbox_json_begin(StringInfo json)
{
	initStringInfo(json);
	appendStringInfoChar(json, '{');
}

static const char *
triage_outbox_json_end(StringInfo json)
{
	appendStringInfoChar(json, '}');
	return json->data;
}

void
triage_outbox_created_event(const OutboxBatch *batch, int ticket, int64 acting_user,
							const char *acting_kind, OutboxRows *events)
{
	const TriageRule *rule = batch->rules[ticket];
	StringInfoData details;
	const char *texts[TRIAGE_OUTBOX_EVENT_COLUMNS - 2];

	triage_outbox_json_begin(&details);
	triage_outbox_json_text(&details, "channel", batch->channels[ticket]);
	triage_outbox_json_text(&details, "category", batch->category_names[ticket]);
	triage_outbox_json_text(&details, "priority", psprintf("P%d", batch->priorities[ticket]));
	triage_outbox_json_number(&details, "tier", batch->tiers[ticket]);
	triage_outbox_json_text(&details, "priority_source", batch->priority_sources[ticket]);
	triage_outbox_json_text(&details, "triage_rule", rule != NULL ? rule->name : NULL);

	texts[0] = "created";
	texts[1] = batch->subjects[ticket];
	texts[2] = "new";			/* the lifecycle admits new tickets only in it */
	texts[3] = triage_outbox_json_end(&details);
	/* the acting user (the key's, or support.actor_id), else the requester, a client */
	texts[4] = psprintf("%lld", acting_user != 0 ? (long long) acting_user
						: (long long) DatumGetInt64(batch->requester_ids[ticket]));
	texts[5] = acting_kind;
	texts[6] = "public";
	triage_outbox_rows_add(events, DatumGetInt64(batch->account_ids[ticket]), batch->ticket_ids[ticket],
						   texts);
}

void
triage_outbox_escalation(const OutboxBatch *batch, int ticket, const char *tier,
						 OutboxRows *events, OutboxRows *messages)
{
	const TriageRule *rule = batch->rules[ticket];
	const OutboxPeople *people = &batch->people[ticket];
	char	   *client_text;
	StringInfoData details;
	StringInfoData payload;
	const char *texts[TRIAGE_OUTBOX_EVENT_COLUMNS - 2] = {NULL};

	triage_outbox_json_begin(&details);
	triage_outbox_json_text(&details, "rule", rule->name);
	triage_outbox_json_number(&details, "tier", batch->tiers[ticket]);
	triage_outbox_json_text(&details, "alert_channel", rule->alert_channel);

	triage_outbox_json_begin(&payload);
	triage_outbox_json_number(&payload, "ticket", batch->ticket_ids[ticket]);
	triage_outbox_json_text(&payload, "priority", psprintf("P%d", batch->priorities[ticket]));
	triage_outbox_json_text(&payload, "account", people->account_name);
	triage_outbox_json_text(&payload, "channel", batch->channels[ticket]);
	triage_outbox_json_number(&payload, "tier", batch->tiers[ticket]);
	triage_outbox_json_text(&payload, "rule", rule->name);
	triage_outbox_json_text(&payload, "subject", batch->subjects[ticket]);

	texts[0] = "escalation";
	texts[1] = psprintf("Escalated on creation to tier %s by rule \"%s\"; %s alerted",
						tier, rule->name, rule->alert_channel);
	texts[2] = tier;
	texts[3] = triage_outbox_json_end(&details);
	texts[4] = NULL;
	texts[5] = "system";
	texts[6] = "internal";
	triage_outbox_rows_add(events, DatumGetInt64(batch->account_ids[ticket]), batch->ticket_ids[ticket],
						   texts);

	texts[0] = "slack";
	texts[1] = rule->alert_channel;
	texts[2] = NULL;
	texts[3] = NULL;
	texts[4] = psprintf("P%d #%lld %s (%s): %s", batch->priorities[ticket],
						(long long) batch->ticket_ids[ticket], people->account_name,
						batch->channels[ticket], batch->subjects[ticket]);
	texts[5] = triage_outbox_json_end(&payload);
	triage_outbox_rows_add(messages, DatumGetInt64(batch->account_ids[ticket]), batch->ticket_ids[ticket],
						   texts);

	/* an enterprise client's own channel hears of it too, as support.alert tells it */
	client_text = client_texts_alert("escalation", batch->ticket_ids[ticket], batch->subjects[ticket],
									 batch->tiers[ticket]);
	if (people->enterprise && people->slack_channel != NULL && client_text != NULL &&
		strcmp(people->slack_channel, rule->alert_channel) != 0)
	{
		triage_outbox_json_begin(&payload);
		triage_outbox_json_text(&payload, "kind", "escalation");
		triage_outbox_json_key(&payload, "client_safe");
		appendStringInfoString(&payload, "true");
		texts[1] = people->slack_channel;
		texts[3] = psprintf("[Ticket #%lld] %s", (long long) batch->ticket_ids[ticket], batch->subjects[ticket]);
		texts[4] = client_text;
		texts[5] = triage_outbox_json_end(&payload);
		triage_outbox_rows_add(messages, DatumGetInt64(batch->account_ids[ticket]), batch->ticket_ids[ticket],
							   texts);
	}
}

void
triage_outbox_routing_event(const OutboxBatch *batch, int ticket, const char *tier, OutboxRows *events)
{
	const OutboxPeople *people = &batch->people[ticket];
	const TriageCategory *category = batch->categories[ticket];
	const char *texts[TRIAGE_OUTBOX_EVENT_COLUMNS - 2];

	texts[0] = "assignee_change";
	texts[1] = psprintf("Routed to %s: tier %s, skill %s, fewest open tickets",
						people->agent_name != NULL ? people->agent_name : "",
						tier, category != NULL ? category->required_skill : "");
	texts[2] = psprintf("%lld", (long long) DatumGetInt64(batch->assignee_ids[ticket]));
	texts[3] = "{}";
	texts[4] = NULL;
	texts[5] = "system";
	texts[6] = "internal";
	triage_outbox_rows_add(events, DatumGetInt64(batch->account_ids[ticket]), batch->ticket_ids[ticket],
						   texts);
}
