/*
 * triage_outbox.h — what the AFTER INSERT trigger on support.tickets leaves
 * behind for a batch of new tickets, shared by its files:
 *
 *   triage_outbox.c                 the trigger, reading the tickets in batches
 *   triage_outbox_people.c          the requester, account and agent of each
 *   triage_outbox_texts.c           the created, escalation and routing events
 *                                   and the Slack alert: their texts and details
 *   triage_outbox_acknowledgment.c  the client's acknowledgment, from a template
 *   triage_outbox_rows.c            the rows, column by column, and the one
 *                                   statement per batch that writes them
 *
 * The agents' loads are counted with assignment.h's AssignmentLoads.
 */
#ifndef BEDROCK_TRIAGE_OUTBOX_H
#define BEDROCK_TRIAGE_OUTBOX_H

#include "postgres.h"

#include "triage/assignment.h"
#include "triage/client_texts.h"
#include "triage/triage_rules.h"

/*
 * Tickets are handled in batches: their people are read by primary-key
 * probes, then one statement writes the events, the messages and (with the
 * last batch) the agents' loads, with arrays through unnest, so a bulk
 * INSERT pays the executor's start-up per thousand tickets, not per ticket.
 */
#define TRIAGE_OUTBOX_BATCH 1000

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

typedef struct OutboxBatch
{
	int			count;
	/* per ticket */
	Datum		account_ids[TRIAGE_OUTBOX_BATCH];
	Datum		requester_ids[TRIAGE_OUTBOX_BATCH];
	Datum		assignee_ids[TRIAGE_OUTBOX_BATCH];
	bool		assignee_nulls[TRIAGE_OUTBOX_BATCH];
	Datum		resolution_dues[TRIAGE_OUTBOX_BATCH];
	bool		resolution_nulls[TRIAGE_OUTBOX_BATCH];
	Datum		response_dues[TRIAGE_OUTBOX_BATCH];
	bool		response_nulls[TRIAGE_OUTBOX_BATCH];
	int64		ticket_ids[TRIAGE_OUTBOX_BATCH];
	int16		priorities[TRIAGE_OUTBOX_BATCH];
	int16		tiers[TRIAGE_OUTBOX_BATCH];
	char	   *subjects[TRIAGE_OUTBOX_BATCH];
	char	   *channels[TRIAGE_OUTBOX_BATCH];
	char	   *category_names[TRIAGE_OUTBOX_BATCH];
	char	   *priority_sources[TRIAGE_OUTBOX_BATCH];
	const TriageCategory *categories[TRIAGE_OUTBOX_BATCH];
	const TriageRule *rules[TRIAGE_OUTBOX_BATCH];
	OutboxPeople people[TRIAGE_OUTBOX_BATCH];
	bool		found[TRIAGE_OUTBOX_BATCH];
} OutboxBatch;

/*
 * The requester, account, assignee and local deadlines of each ticket of the
 * batch, into people[]; found[] says whether its requester and account
 * exist. Returns whether the acting user (0 for none) is an agent.
 */
extern bool triage_outbox_people_look_up(OutboxBatch *batch, int64 acting_user);

/* What a client's texts say of a ticket's people and its category, into facts. */
extern void triage_outbox_people_facts(const OutboxPeople *people, const TriageCategory *category,
									   ClientTextFacts *facts);

/* The same for one ticket; false when its requester or account is missing. */
extern bool triage_outbox_people_of_ticket(Datum account_id, Datum requester_id,
										   Datum assignee_id, bool assignee_null,
										   Datum response_due, bool response_null,
										   Datum resolution_due, bool resolution_null,
										   OutboxPeople *people);

/*
 * Rows to insert into one table, column by column: the account and ticket
 * ids, then texts.
 *   events:   kind, body, new_value, details, actor_id, actor_kind, visibility
 *   messages: destination, target, template, subject, body, payload
 */
#define TRIAGE_OUTBOX_EVENT_COLUMNS 9
#define TRIAGE_OUTBOX_MESSAGE_COLUMNS 8

typedef struct OutboxRows
{
	int			count;
	int			capacity;
	int			width;
	Datum	   *columns[TRIAGE_OUTBOX_EVENT_COLUMNS];
	bool	   *nulls[TRIAGE_OUTBOX_EVENT_COLUMNS];
} OutboxRows;

/* Room for per_ticket rows of each ticket of a full batch. */
extern void triage_outbox_rows_init(OutboxRows *rows, int width, int per_ticket);

/* Appends a row: the ids, then width - 2 texts (NULL pointers are NULLs). */
extern void triage_outbox_rows_add(OutboxRows *rows, int64 account_id, int64 ticket_id,
								   const char **texts);

/*
 * The batch's one statement: inserts the events and the messages, and adds
 * loads (NULL: none) to agents.open_tickets.
 */
extern void triage_outbox_rows_write(OutboxRows *events, OutboxRows *messages,
									 const AssignmentLoads *loads);

/* The created event of the batch's ticket, by the acting user or else its requester. */
extern void triage_outbox_created_event(const OutboxBatch *batch, int ticket, int64 acting_user,
										const char *acting_kind, OutboxRows *events);

/* The escalation event of a ticket its triage rule escalates, and the rule's Slack alert. */
extern void triage_outbox_escalation(const OutboxBatch *batch, int ticket, const char *tier,
									 OutboxRows *events, OutboxRows *messages);

/* The routing event of a ticket given to an agent. */
extern void triage_outbox_routing_event(const OutboxBatch *batch, int ticket, const char *tier,
										OutboxRows *events);

/* The client's acknowledgment: the initial_response template, filled. */
extern void triage_outbox_acknowledgment(const OutboxBatch *batch, int ticket,
										 const TriageTemplate *template, const char *tier,
										 OutboxRows *messages);

#endif
