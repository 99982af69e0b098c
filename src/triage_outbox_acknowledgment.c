/*
 * triage_outbox_acknowledgment.c — the email that tells a client their
 * ticket is in: the handbook's initial_response template (support.templates,
 * cached by triage_rules.c) filled by template.c with what triage decided
 * and what the lookup of the ticket's people found; what is not known yet
 * (no agent, no deadline) is said in words.
 */
#include "postgres.h"

#include "lib/stringinfo.h"

#include "priority.h"
#include "template.h"
#include "triage_outbox.h"

/* The variables of the acknowledgment, looked up by template.c. */
typedef struct AcknowledgmentVariables
{
	int			count;
	const char *names[16];
	const char *values[16];
} AcknowledgmentVariables;

static void
triage_outbox_acknowledgment_set(AcknowledgmentVariables *variables, const char *name, const char *value)
{
	Assert(variables->count < (int) lengthof(variables->names));
	variables->names[variables->count] = name;
	variables->values[variables->count] = value;
	variables->count++;
}

static bool
triage_outbox_acknowledgment_lookup(void *context, const char *name, const char **value,
									size_t *value_length)
{
	AcknowledgmentVariables *variables = context;

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
triage_outbox_acknowledgment_append(void *context, const char *text, size_t length)
{
	appendBinaryStringInfo((StringInfo) context, text, (int) length);
}

static char *
triage_outbox_acknowledgment_render(const char *template, AcknowledgmentVariables *variables)
{
	StringInfoData output;
	char		name[TEMPLATE_NAME_MAX + 32];
	TemplateResult result;

	initStringInfo(&output);
	result = template_render(template, strlen(template), triage_outbox_acknowledgment_lookup, variables,
							 triage_outbox_acknowledgment_append, &output, name, sizeof(name));
	if (result != TEMPLATE_OK)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("the initial_response template uses \"%s\", which ticket creation does not fill", name),
				 errhint("Edit support.templates to use the variables documented in the README, or none.")));
	return output.data;
}

void
triage_outbox_acknowledgment(const OutboxBatch *batch, int ticket, const TriageTemplate *template,
							 const char *tier, OutboxRows *messages)
{
	const OutboxPeople *people = &batch->people[ticket];
	const TriageCategory *category = batch->categories[ticket];
	AcknowledgmentVariables variables = {0};
	const char *texts[TRIAGE_OUTBOX_MESSAGE_COLUMNS - 2];

	triage_outbox_acknowledgment_set(&variables, "client_name", people->client_name);
	triage_outbox_acknowledgment_set(&variables, "brief_description", batch->subjects[ticket]);
	triage_outbox_acknowledgment_set(&variables, "brief_issue_description", batch->subjects[ticket]);
	triage_outbox_acknowledgment_set(&variables, "ticket_number",
									 psprintf("%lld", (long long) batch->ticket_ids[ticket]));
	triage_outbox_acknowledgment_set(&variables, "priority",
									 psprintf("P%d (%s)", batch->priorities[ticket],
											  priority_display_label(batch->priorities[ticket])));
	triage_outbox_acknowledgment_set(&variables, "name", people->agent_name != NULL ? people->agent_name
									 : psprintf("to be assigned from the tier %s queue", tier));
	triage_outbox_acknowledgment_set(&variables, "timeframe", people->resolution_local != NULL
									 ? psprintf("by %s %s", people->resolution_local, people->time_zone)
									 : "to be confirmed");
	triage_outbox_acknowledgment_set(&variables, "specific_action_items",
									 category != NULL && category->first_steps[0] != NULL
									 ? category->first_steps[0] : "Review the details of your request");
	triage_outbox_acknowledgment_set(&variables, "investigation_steps",
									 category != NULL && category->first_steps[1] != NULL
									 ? category->first_steps[1] : "Reproduce and investigate the issue");
	triage_outbox_acknowledgment_set(&variables, "expected_timeline", people->response_local != NULL
									 ? psprintf("First response by %s %s", people->response_local,
												people->time_zone)
									 : "First response as soon as an engineer is available");
	triage_outbox_acknowledgment_set(&variables, "alternative_channel",
									 people->enterprise && people->slack_channel != NULL
									 ? psprintf("your Slack channel %s", people->slack_channel)
									 : "the Emergency Hotline");
	triage_outbox_acknowledgment_set(&variables, "support_engineer_name",
									 people->agent_name != NULL ? people->agent_name : "Bedrock Platform Support");

	texts[0] = "email";
	texts[1] = people->client_email;
	texts[2] = "initial_response";
	texts[3] = triage_outbox_acknowledgment_render(template->subject, &variables);
	texts[4] = triage_outbox_acknowledgment_render(template->body, &variables);
	texts[5] = "{}";
	triage_outbox_rows_add(messages, DatumGetInt64(batch->account_ids[ticket]), batch->ticket_ids[ticket],
						   texts);
}
