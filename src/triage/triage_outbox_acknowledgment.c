/*
 * triage_outbox_acknowledgment.c — the email that tells a client their
 * ticket is in: the handbook's initial_response template (support.templates,
 * cached by triage_rules.c) filled with client_texts.c's variables from what
 * triage decided and what the lookup of the ticket's people found.
 */
#include "postgres.h"

#include "triage/client_texts.h"
#include "triage/triage_outbox.h"

void
triage_outbox_acknowledgment(const OutboxBatch *batch, int ticket, const TriageTemplate *template,
							 const char *tier, OutboxRows *messages)
{
	const OutboxPeople *people = &batch->people[ticket];
	const TriageCategory *category = batch->categories[ticket];
	ClientTextFacts facts = {0};
	ClientTextVariables variables;
	const char *texts[TRIAGE_OUTBOX_MESSAGE_COLUMNS - 2];

	facts.ticket_id = batch->ticket_ids[ticket];
	facts.priority = batch->priorities[ticket];
	facts.tier = batch->tiers[ticket];
	facts.subject = batch->subjects[ticket];
	triage_outbox_people_facts(people, category, &facts);
	client_texts_variables(&facts, &variables);

	texts[0] = "email";
	texts[1] = people->client_email;
	texts[2] = "initial_response";
	texts[3] = client_texts_render("initial_response", template->subject, &variables);
	texts[4] = client_texts_render("initial_response", template->body, &variables);
	texts[5] = "{}";
	triage_outbox_rows_add(messages, DatumGetInt64(batch->account_ids[ticket]), batch->ticket_ids[ticket],
						   texts);
}
