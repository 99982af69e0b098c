/*
 * ticket_columns.h — the one map of support.tickets that every C trigger
 * and support.ticket_actions read rows through.
 */
#ifndef BEDROCK_TICKET_COLUMNS_H
#define BEDROCK_TICKET_COLUMNS_H

#include "postgres.h"

#include "access/htup.h"
#include "access/tupdesc.h"
#include "utils/typcache.h"

#include "tickets/ticket_status.h"
#include "triage/triage_rules.h"

/* 0-based indexes into a ticket's tuple descriptor */
typedef struct TicketColumns
{
	Oid			relid;
	int			account_id;
	int			ticket_id;
	int			requester_id;
	int			subject;
	int			description;
	int			channel;
	int			category;
	int			priority;
	int			tier;
	int			status;
	int			assignee_id;
	int			flags[TRIAGE_FLAG_COUNT];
	int			created_at;
	int			triaged_at;
	int			first_response_at;
	int			last_public_reply_at;
	int			work_started_at;
	int			pending_since;
	int			paused_total;
	int			resolved_at;
	int			closed_at;
	int			reopened_at;
	int			reopen_count;
	int			updated_at;
	int			solution;
	int			satisfaction_rating;
	int			rated_at;
	int			first_response_due;
	int			next_update_due;
	int			resolution_due;
	int			escalation_due;
	int			sla_paused;
	int			triage_rule_id;
	int			priority_source;
	int			escalated_at;
	int			escalation_requested_at;
	int			escalation_call_due;
	int			escalation_call_held_at;
	int			executive_escalated_at;
	int			last_activity_at;
	int			actions_checked_at;
	int			next_action_at;
	int			tier_entered_at;
	int			tier_response_due;
	int			tier_resolution_due;
	int			post_incident_review_done_at;
	Oid			status_oids[TICKET_STATUS_COUNT];	/* support.ticket_status's labels */
	TypeCacheEntry *paused_type;	/* tstzmultirange */
} TicketColumns;

/*
 * The map of the relation whose rows tupdesc describes (support.tickets),
 * built once per backend and rebuilt after any change to the table.
 */
extern const TicketColumns *ticket_columns(TupleDesc tupdesc, Oid relid);

extern TicketStatus ticket_status_of(const TicketColumns *columns, Datum status);

/* A support.tickets row a SQL function was handed, deformed through the map. */
typedef struct TicketRow
{
	const TicketColumns *columns;
	Datum	   *values;
	bool	   *nulls;
} TicketRow;

/*
 * The row, deformed. Anyone may build one (a ROW constructor,
 * jsonb_populate_record): a column at one of the required offsets into
 * TicketColumns that is NULL, as in no stored ticket, is 22004 naming
 * function and the column.
 */
extern TicketRow ticket_row_argument(HeapTupleHeader row, const char *function,
									 const size_t *required, int required_count);

#endif
