/*
 * client_texts.c — what a client reads about a ticket, in one place.
 *
 * The fallbacks, for what is not known when a text is written:
 *   support_engineer_name  "Bedrock Platform Support" while nobody owns it
 *   name                   "to be assigned from the tier <n> queue"
 *   timeframe              "to be confirmed" without a resolution deadline
 *   expected_timeline      "First response as soon as an engineer is available"
 *   specific_action_items, investigation_steps
 *                          the category's first two troubleshooting steps, else
 *                          "Review the details of your request" and
 *                          "Reproduce and investigate the issue"
 *   alternative_channel    the enterprise client's Slack channel, else
 *                          "the Emergency Hotline"
 * Priorities read "P1 (Critical)", tiers by their handbook names, deadlines
 * as "Dy DD Mon YYYY HH24:MI" in the account's time zone, with its name.
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "catalog/pg_collation.h"
#include "catalog/pg_type.h"
#include "utils/array.h"
#include "fmgr.h"
#include "funcapi.h"
#include "lib/stringinfo.h"
#include "utils/builtins.h"
#include "utils/datetime.h"
#include "utils/jsonb.h"
#include "utils/timestamp.h"
#include "utils/lsyscache.h"
#include "utils/typcache.h"

#include "triage/client_texts.h"
#include "shared/text_bounds.h"
#include "tickets/priority.h"
#include "sla/sla_config.h"
#include "triage/template.h"
#include "tickets/ticket_columns.h"
#include "triage/triage_outbox.h"

static void
client_texts_set(ClientTextVariables *variables, const char *name, const char *value)
{
	Assert(variables->count < CLIENT_TEXT_VARIABLES);
	variables->names[variables->count] = name;
	variables->values[variables->count] = value;
	variables->count++;
}

void
client_texts_variables(const ClientTextFacts *facts, ClientTextVariables *variables)
{
	const SlaTier *tier = sla_config_tier(facts->tier);
	const char *tier_name = tier != NULL ? tier->name : psprintf("tier %d", facts->tier);

	variables->count = 0;
	client_texts_set(variables, "client_name", facts->client_name);
	client_texts_set(variables, "brief_description", facts->subject);
	client_texts_set(variables, "brief_issue_description", facts->subject);
	client_texts_set(variables, "ticket_number", psprintf("%lld", (long long) facts->ticket_id));
	client_texts_set(variables, "priority",
					 psprintf("P%d (%s)", facts->priority, priority_display_label(facts->priority)));
	client_texts_set(variables, "support_tier", tier_name);
	client_texts_set(variables, "name", facts->agent_name != NULL ? facts->agent_name
					 : psprintf("to be assigned from the tier %d queue", facts->tier));
	client_texts_set(variables, "support_engineer_name",
					 facts->agent_name != NULL ? facts->agent_name : "Bedrock Platform Support");
	client_texts_set(variables, "timeframe", facts->resolution_local != NULL
					 ? psprintf("by %s", facts->resolution_local)
					 : "to be confirmed");
	client_texts_set(variables, "specific_action_items", facts->first_steps[0] != NULL
					 ? facts->first_steps[0] : "Review the details of your request");
	client_texts_set(variables, "investigation_steps", facts->first_steps[1] != NULL
					 ? facts->first_steps[1] : "Reproduce and investigate the issue");
	client_texts_set(variables, "expected_timeline", facts->response_local != NULL
					 ? psprintf("First response by %s", facts->response_local)
					 : "First response as soon as an engineer is available");
	client_texts_set(variables, "alternative_channel",
					 facts->enterprise && facts->slack_channel != NULL
					 ? psprintf("your Slack channel %s", facts->slack_channel)
					 : "the Emergency Hotline");
}

static bool
client_texts_lookup(void *context, const char *name, const char **value, size_t *value_length)
{
	const ClientTextVariables *variables = context;

	for (int i = 0; i < variables->count; i++)
		if (strcmp(variables->names[i], name) == 0 && variables->values[i] != NULL)
		{
			*value = variables->values[i];
			*value_length = strlen(variables->values[i]);
			return true;
		}
	ereport(LOG,
			(errmsg("bedrock_support: a client template uses \"%s\", which the desk does not fill: left empty", name),
			 errhint("Templates are checked when written; this one was written before (support.templates).")));
	*value = "";
	*value_length = 0;
	return true;
}

/* the variables a template's one caller adds to every client template's */
static const struct
{
	const char *template_name;
	const char *names[6];
}			client_texts_extras[] = {
	{"progress_update", {"detailed_progress_description", "key_discoveries_or_root_cause_identification",
	"planned_actions_and_timeline", "updated_estimate", "any_blocking_factors", "verification_approach"}},
	{"resolution_confirmation", {"explanation_of_underlying_issue", "detailed_description_of_fix",
	"how_resolution_was_confirmed", "steps_to_prevent_recurrence"}},
};

/* every client template's variables, by name (the facts do not matter) */
static const char *const client_texts_names[] = {
	"client_name", "brief_description", "brief_issue_description", "ticket_number", "priority",
	"support_tier", "name", "support_engineer_name", "timeframe", "specific_action_items",
	"investigation_steps", "expected_timeline", "alternative_channel",
};

bool
client_texts_fills(const char *template_name, const char *name)
{
	for (size_t i = 0; i < lengthof(client_texts_names); i++)
		if (strcmp(client_texts_names[i], name) == 0)
			return true;
	for (size_t i = 0; i < lengthof(client_texts_extras); i++)
		if (template_name != NULL && strcmp(client_texts_extras[i].template_name, template_name) == 0)
			for (size_t j = 0; j < lengthof(client_texts_extras[i].names); j++)
				if (client_texts_extras[i].names[j] != NULL && strcmp(client_texts_extras[i].names[j], name) == 0)
					return true;
	return false;
}

/*
 * support.template_variable_names(template_name text) RETURNS text[]: the
 * variables the desk fills for that template.
 */
PG_FUNCTION_INFO_V1(template_variable_names);
Datum
template_variable_names(PG_FUNCTION_ARGS)
{
	const char *template_name = PG_ARGISNULL(0) ? NULL : text_to_cstring(PG_GETARG_TEXT_PP(0));
	Datum		names[lengthof(client_texts_names) + 6];
	int			count = 0;

	for (size_t i = 0; i < lengthof(client_texts_names); i++)
		names[count++] = CStringGetTextDatum(client_texts_names[i]);
	for (size_t i = 0; i < lengthof(client_texts_extras); i++)
		if (template_name != NULL && strcmp(client_texts_extras[i].template_name, template_name) == 0)
			for (size_t j = 0; j < lengthof(client_texts_extras[i].names); j++)
				if (client_texts_extras[i].names[j] != NULL)
					names[count++] = CStringGetTextDatum(client_texts_extras[i].names[j]);
	PG_RETURN_ARRAYTYPE_P(construct_array(names, count, TEXTOID, -1, false, TYPALIGN_INT));
}

static void
client_texts_append(void *context, const char *text, size_t length)
{
	composed_text_append((ComposedText *) context, text, length);
}

/* the template filled, cut at TEXT_COMPOSED_MAX: a long value shortens the message, never stops it */
char *
client_texts_render(const char *template_name, const char *text, const ClientTextVariables *variables)
{
	ComposedText output;
	char		name[TEMPLATE_NAME_MAX + 32];
	TemplateResult result;

	composed_text_init(&output);
	result = template_render(text, strlen(text), client_texts_lookup, (void *) variables,
							 client_texts_append, &output, name, sizeof(name));
	if (result == TEMPLATE_BAD_PLACEHOLDER)
	{
		/* written before templates were checked: sent as written rather than not at all */
		ereport(LOG,
				(errmsg("bedrock_support: the %s template has an invalid placeholder \"%s\": sent unfilled",
						template_name, name),
				 errhint("Templates are checked when written; this one was written before (support.templates).")));
		composed_text_init(&output);
		composed_text_append(&output, text, strlen(text));
	}
	return output.text.data;
}

char *
client_texts_alert(const char *kind, int64 ticket_id, const char *subject, int16 tier)
{
	if (strcmp(kind, "escalation") == 0)
		return psprintf("Ticket #%lld (%s) has been escalated to our tier %d team, who now own it.",
						(long long) ticket_id, subject, tier);
	if (strcmp(kind, "executive_escalation") == 0)
		return psprintf("Ticket #%lld (%s) has been escalated to our executive team. "
						"You will receive hourly updates until it is resolved.",
						(long long) ticket_id, subject);
	if (strcmp(kind, "client_escalation") == 0)
		return psprintf("We received your escalation request for ticket #%lld (%s). "
						"An escalation manager will call you.",
						(long long) ticket_id, subject);
	return NULL;
}

/* the columns every client text reads */
static const size_t client_texts_required[] = {
	offsetof(TicketColumns, ticket_id), offsetof(TicketColumns, account_id),
	offsetof(TicketColumns, requester_id), offsetof(TicketColumns, subject),
	offsetof(TicketColumns, priority), offsetof(TicketColumns, tier),
};

/*
 * support.template_variables(ticket support.tickets) RETURNS jsonb: the
 * variables of a client template for the ticket, looked up as the triage
 * outbox looks them up for its acknowledgments.
 */
PG_FUNCTION_INFO_V1(template_variables);
Datum
template_variables(PG_FUNCTION_ARGS)
{
	TicketRow	ticket = ticket_row_argument(PG_GETARG_HEAPTUPLEHEADER(0), "support.template_variables",
											 client_texts_required, lengthof(client_texts_required));
	const TicketColumns *columns = ticket.columns;
	OutboxPeople people;
	const TriageCategory *category;
	ClientTextFacts facts = {0};
	ClientTextVariables variables;
	JsonbParseState *state = NULL;
	JsonbValue *result;

	triage_outbox_people_of_ticket(ticket.values[columns->account_id], ticket.values[columns->requester_id],
								   ticket.values[columns->assignee_id], ticket.nulls[columns->assignee_id],
								   ticket.values[columns->first_response_due],
								   ticket.nulls[columns->first_response_due],
								   ticket.values[columns->resolution_due], ticket.nulls[columns->resolution_due],
								   &people);

	facts.ticket_id = DatumGetInt64(ticket.values[columns->ticket_id]);
	facts.priority = DatumGetInt16(ticket.values[columns->priority]);
	facts.tier = DatumGetInt16(ticket.values[columns->tier]);
	facts.subject = TextDatumGetCString(ticket.values[columns->subject]);
	category = ticket.nulls[columns->category] ? NULL
		: triage_rules_category(TextDatumGetCString(ticket.values[columns->category]));
	triage_outbox_people_facts(&people, category, &facts);
	client_texts_variables(&facts, &variables);

	pushJsonbValue(&state, WJB_BEGIN_OBJECT, NULL);
	for (int i = 0; i < variables.count; i++)
	{
		JsonbValue	key = {.type = jbvString};
		JsonbValue	value = {.type = jbvNull};

		key.val.string.val = (char *) variables.names[i];
		key.val.string.len = strlen(variables.names[i]);
		pushJsonbValue(&state, WJB_KEY, &key);
		if (variables.values[i] != NULL)
		{
			value.type = jbvString;
			value.val.string.val = (char *) variables.values[i];
			value.val.string.len = strlen(variables.values[i]);
		}
		pushJsonbValue(&state, WJB_VALUE, &value);
	}
	result = pushJsonbValue(&state, WJB_END_OBJECT, NULL);
	PG_RETURN_JSONB_P(JsonbValueToJsonb(result));
}

/*
 * support.client_safe_alert(ticket support.tickets, kind text) RETURNS text:
 * client_texts_alert for SQL's alerts.
 */
PG_FUNCTION_INFO_V1(client_safe_alert);
Datum
client_safe_alert(PG_FUNCTION_ARGS)
{
	TicketRow	ticket;
	char	   *alert_text;

	if (PG_ARGISNULL(0) || PG_ARGISNULL(1))
		PG_RETURN_NULL();
	ticket = ticket_row_argument(PG_GETARG_HEAPTUPLEHEADER(0), "support.client_safe_alert",
								 client_texts_required, lengthof(client_texts_required));
	alert_text = client_texts_alert(text_to_cstring(PG_GETARG_TEXT_PP(1)),
							  DatumGetInt64(ticket.values[ticket.columns->ticket_id]),
							  TextDatumGetCString(ticket.values[ticket.columns->subject]),
							  DatumGetInt16(ticket.values[ticket.columns->tier]));
	if (alert_text == NULL)
		PG_RETURN_NULL();
	PG_RETURN_TEXT_P(cstring_to_text(alert_text));
}
