/*
 * client_texts.h — the one place that says what a client reads about a
 * ticket: the variables of every client template, with one set of
 * fallbacks, and the text an enterprise client's own Slack channel gets
 * for an alert. Used by the triage outbox in C and, through
 * support.template_variables and support.client_safe_alert, by SQL.
 */
#ifndef BEDROCK_CLIENT_TEXTS_H
#define BEDROCK_CLIENT_TEXTS_H

#include "postgres.h"

#include "datatype/timestamp.h"

/* What a client's text about a ticket is made of (NULL: not known yet). */
typedef struct ClientTextFacts
{
	int64		ticket_id;
	int16		priority;
	int16		tier;
	const char *subject;
	const char *client_name;
	const char *agent_name;
	const char *response_local; /* the deadlines in the account's zone */
	const char *resolution_local;
	bool		enterprise;
	const char *slack_channel;
	const char *first_steps[2]; /* the category's first troubleshooting steps */
} ClientTextFacts;

#define CLIENT_TEXT_VARIABLES 16

typedef struct ClientTextVariables
{
	int			count;
	const char *names[CLIENT_TEXT_VARIABLES];
	const char *values[CLIENT_TEXT_VARIABLES];
} ClientTextVariables;

/* Every variable a client template may use, each with its fallback. */
extern void client_texts_variables(const ClientTextFacts *facts, ClientTextVariables *variables);

/*
 * text filled from variables, cut to fit (text_bounds.h). A variable the
 * desk does not fill (a template from before they were checked when
 * written) is left empty and logged: it never stops the message.
 */
extern char *client_texts_render(const char *template_name, const char *text,
								 const ClientTextVariables *variables);

/*
 * Whether the desk fills variable name for the template of that name: every
 * client template's variables, and those its one caller adds (the
 * resolution confirmation's and the progress update's, which
 * support.resolve_ticket and support.send_progress_update pass).
 */
extern bool client_texts_fills(const char *template_name, const char *name);

/*
 * What an enterprise client's own channel reads for an alert of kind
 * (escalation, executive_escalation, client_escalation); NULL for a kind
 * the client does not hear of (breaches, reminders, root causes).
 */
extern char *client_texts_alert(const char *kind, int64 ticket_id, const char *subject, int16 tier);

#endif
