/*
 * triage_outbox_rows.c — the rows a batch of new tickets leaves behind, kept
 * column by column, and the one statement that writes them: the events,
 * the agents' loads and the outbox messages, each table's columns passed as
 * arrays and read back through unnest.
 *
 * One statement per batch, with a kept plan, because it runs for every
 * INSERT into support.tickets: a single-ticket INSERT pays one executor
 * start-up for all it leaves behind.
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"

#include "shared/spi_support.h"
#include "triage/assignment.h"
#include "operations/schema_version.h"
#include "triage/triage_outbox.h"

static SPIPlanPtr triage_outbox_rows_plan = NULL;
static SPIPlanPtr triage_outbox_rows_1_0_plan = NULL;

void
triage_outbox_rows_init(OutboxRows *rows, int width, int per_ticket)
{
	Assert(width <= (int) lengthof(rows->columns));
	rows->count = 0;
	rows->capacity = per_ticket * TRIAGE_OUTBOX_BATCH;
	rows->width = width;
	for (int i = 0; i < width; i++)
	{
		rows->columns[i] = palloc(rows->capacity * sizeof(Datum));
		rows->nulls[i] = palloc(rows->capacity * sizeof(bool));
	}
}

void
triage_outbox_rows_add(OutboxRows *rows, int64 account_id, int64 ticket_id, const char **texts)
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
triage_outbox_rows_array(Datum *values, bool *nulls, int count, Oid type)
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
triage_outbox_rows_arrays(OutboxRows *rows, Datum *arrays, Oid *types)
{
	for (int i = 0; i < rows->width; i++)
	{
		types[i] = i < 2 ? INT8ARRAYOID : TEXTARRAYOID;
		arrays[i] = triage_outbox_rows_array(rows->columns[i], rows->nulls[i], rows->count,
											 i < 2 ? INT8OID : TEXTOID);
	}
}

void
triage_outbox_rows_write(OutboxRows *events, OutboxRows *messages, const AssignmentLoads *loads)
{
	Datum		arrays[20];
	Oid			types[20];
	Datum		load_ids[ASSIGNMENT_LOADS_MAX];
	Datum		load_counts[ASSIGNMENT_LOADS_MAX];
	Datum		load_locked[ASSIGNMENT_LOADS_MAX];
	bool		no_nulls[ASSIGNMENT_LOADS_MAX] = {false};
	int			load_count = loads != NULL ? loads->count : 0;
	int			result;

	Assert(events->width == TRIAGE_OUTBOX_EVENT_COLUMNS && messages->width == TRIAGE_OUTBOX_MESSAGE_COLUMNS);
	{
		Datum		event_arrays[TRIAGE_OUTBOX_EVENT_COLUMNS];
		Oid			event_types[TRIAGE_OUTBOX_EVENT_COLUMNS];

		triage_outbox_rows_arrays(events, event_arrays, event_types);
		memcpy(&arrays[0], event_arrays, 6 * sizeof(Datum));
		memcpy(&types[0], event_types, 6 * sizeof(Oid));
		memcpy(&arrays[16], &event_arrays[6], 3 * sizeof(Datum));
		memcpy(&types[16], &event_types[6], 3 * sizeof(Oid));
	}
	triage_outbox_rows_arrays(messages, &arrays[6], &types[6]);
	for (int i = 0; i < load_count; i++)
	{
		load_ids[i] = Int64GetDatum(loads->agent_ids[i]);
		load_counts[i] = Int32GetDatum(loads->tickets[i]);
	}
	arrays[14] = triage_outbox_rows_array(load_ids, no_nulls, load_count, INT8OID);
	types[14] = INT8ARRAYOID;
	arrays[15] = triage_outbox_rows_array(load_counts, no_nulls, load_count, INT4OID);
	types[15] = INT4ARRAYOID;
	if (!schema_is_1_0())
		assignment_loads_lock(load_count, load_ids, load_locked);
	arrays[19] = triage_outbox_rows_array(load_locked, no_nulls, load_count, BOOLOID);
	types[19] = BOOLARRAYOID;
	/* one statement for a batch's rows (a 1.0 schema's: its loads updated in place, its outbox without an order) */
#define TRIAGE_OUTBOX_ROWS_STATEMENT(loads, order_columns, order_values) \
	"WITH events AS (" \
	"  INSERT INTO support.ticket_events" \
	"   (account_id, ticket_id, kind, actor_id, actor_kind, visibility, body, new_value, details)" \
	"  SELECT e.account_id, e.ticket_id, e.kind::support.event_kind, e.actor_id::int8," \
	"         e.actor_kind::support.actor_kind," \
	"         e.visibility::support.visibility, e.body, e.new_value, e.details::jsonb" \
	"    FROM unnest($1, $2, $3, $4, $5, $6, $17, $18, $19)" \
	"         AS e(account_id, ticket_id, kind, body, new_value, details," \
	"              actor_id, actor_kind, visibility))," \
	loads \
	" INSERT INTO support.outbound_messages" \
	"  (account_id, ticket_id, destination, target, template, subject, body, payload" order_columns ")" \
	" SELECT m.account_id, m.ticket_id, m.destination, m.target, m.template, m.subject," \
	"        m.body, m.payload::jsonb" order_values \
	"   FROM unnest($7, $8, $9, $10, $11, $12, $13, $14)" \
	"        AS m(account_id, ticket_id, destination, target, template, subject, body, payload)"
	if (!schema_is_1_0())
		result = SPI_execute_plan(spi_kept_plan(&triage_outbox_rows_plan,
												TRIAGE_OUTBOX_ROWS_STATEMENT(ASSIGNMENT_LOADS_CTES("$15", "$16", "$20", "clock_timestamp()"),
																			 ", urgent, send_order",
																			 ", m.destination = 'slack',"
																			 " support.next_send_order(m.account_id, m.destination = 'slack')"),
												20, types),
								  arrays, NULL, false, 0);
	else
		result = SPI_execute_plan(spi_kept_plan(&triage_outbox_rows_1_0_plan,
												TRIAGE_OUTBOX_ROWS_STATEMENT(" loads AS (" ASSIGNMENT_LOADS_UPDATE_1_0("$15", "$16", "clock_timestamp()") ")",
																			 "", ""),
												19, types),
								  arrays, NULL, false, 0);
	if (result != SPI_OK_INSERT)
		elog(ERROR, "triage outbox statement failed: %s", SPI_result_code_string(result));
}
