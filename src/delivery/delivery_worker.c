/*
 * delivery_worker.c — a database's worker delivering its outbox
 * (desk_worker.c runs it between the deadlines' batches).
 *
 * Triggers and the deadline actions only insert into
 * support.outbound_messages; the worker alone talks to the network, after
 * the transaction that queued a message committed (a rolled-back one queued
 * nothing). It claims due messages with FOR UPDATE SKIP LOCKED, counting
 * the attempt and leasing the message to this worker's life, and commits
 * before sending: a crash or an immediate shutdown mid-send leaves the
 * message pending, and the next delivery worker, at its start, sends again
 * what its predecessors had in flight. A lease also ends on its own, for
 * a worker alive but unable to record an outcome.
 * Delivery is therefore at least once; receivers de-duplicate by the
 * message's idempotency key (the Idempotency-Key header, the email's
 * Message-ID).
 *
 * Outcomes: a 2xx (or SMTP acceptance) delivers; network errors, 408, 5xx
 * and 429 are retried with exponential backoff and jitter (429 and 503
 * honour Retry-After); other 4xx and SMTP 5xx replies, a URL or option
 * libcurl refuses (malformed, an unsupported protocol, over its limits),
 * and running out of attempts, move the message to the dead letters with
 * the reason. Whatever fails, it fails for one message: each claimed
 * message ends its attempt with a recorded outcome.
 */
#include "postgres.h"

#include <math.h>
#include <time.h>

#include "access/xact.h"
#include "catalog/pg_type.h"
#include "commands/dbcommands.h"
#include "commands/extension.h"
#include "common/pg_prng.h"
#include "executor/spi.h"
#include "miscadmin.h"
#include "pgstat.h"
#include "postmaster/bgworker.h"
#include "postmaster/interrupt.h"
#include "storage/ipc.h"
#include "storage/latch.h"
#include "tcop/tcopprot.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/memutils.h"
#include "utils/snapmgr.h"
#include "utils/timestamp.h"

#include "delivery/delivery_curl.h"
#include "delivery/delivery_worker.h"
#include "delivery/send_order.h"
#include "delivery/webhook_signature.h"
#include "operations/worker_shmem.h"
#include "operations/worker_transaction.h"

/* the longest a round waits for transfers in flight: the deadlines are looked at in between */
#define DELIVERY_POLL_MS 50
/* an outcome waits at most this long for others to be recorded with it */
#define DELIVERY_RECORD_DELAY_MS 20
#define DELIVERY_RETRY_CAP_SECONDS 3600
/*
 * A claimed message whose worker is alive but recorded no outcome is sent
 * again after twice the transfer timeout plus this (after a crash, the next
 * worker sends it at once).
 */
#define DELIVERY_LEASE_MARGIN_MS 5000

/* the most messages in flight at once, whatever support.delivery_concurrency says */
#define DELIVERY_MAX_CONCURRENCY 1024
/*
 * The most bytes of messages in flight at once (but one message, up to
 * its 1 MB, always goes): what a message holds once rendered (JSON escapes
 * a control character in six bytes) then stays within a few hundred MB.
 */
#define DELIVERY_MAX_BYTES_IN_FLIGHT (16 * 1024 * 1024)
/* the endpoints are swept again at least this often (a change committed by COMMIT PREPARED wakes nobody) */
#define DELIVERY_SWEEP_INTERVAL_MS 60000

/* support.delivery_* */
static int	delivery_concurrency = 64;
static int	delivery_max_attempts = 8;
static int	delivery_connect_timeout_ms = 5000;
static int	delivery_timeout_ms = 30000;
static int	delivery_backoff_ms = 1000;

/* support.ticket_url: read by support.message_content() for a Slack message's link */
static char *delivery_ticket_url = NULL;

static MemoryContext delivery_requests_context = NULL;
static int64 delivery_bytes_in_flight = 0;	/* claimed, not yet recorded */
static MemoryContext delivery_pass_context = NULL;

void
delivery_worker_init_settings(void)
{
	DefineCustomStringVariable("support.ticket_url",
							   "Link to a ticket in Slack messages: this followed by the ticket number.",
							   NULL,
							   &delivery_ticket_url,
							   "https://support.bedrockplatform.com/tickets/",
							   PGC_SUSET, 0,
							   NULL, NULL, NULL);
	DefineCustomIntVariable("support.delivery_concurrency",
							"Outbox messages the delivery worker sends at once.",
							NULL,
							&delivery_concurrency,
							64, 1, DELIVERY_MAX_CONCURRENCY,
							PGC_SIGHUP, 0,
							NULL, NULL, NULL);
	DefineCustomIntVariable("support.delivery_max_attempts",
							"Attempts before an undeliverable message becomes a dead letter.",
							NULL,
							&delivery_max_attempts,
							8, 1, 1000,
							PGC_SIGHUP, 0,
							NULL, NULL, NULL);
	DefineCustomIntVariable("support.delivery_connect_timeout",
							"Longest the delivery worker waits for a connection.",
							NULL,
							&delivery_connect_timeout_ms,
							5000, 100, 600000,
							PGC_SIGHUP, GUC_UNIT_MS,
							NULL, NULL, NULL);
	DefineCustomIntVariable("support.delivery_timeout",
							"Longest one delivery may take, connection included.",
							"A message in flight when the delivery worker stopped is sent again as soon as the next one starts; one whose outcome a running worker could not record, twice this long plus 5 s after it was claimed.",
							&delivery_timeout_ms,
							30000, 100, 3600000,
							PGC_SIGHUP, GUC_UNIT_MS,
							NULL, NULL, NULL);
	DefineCustomIntVariable("support.delivery_backoff",
							"First retry delay of a failed delivery; each further retry doubles it (with jitter, at most an hour).",
							NULL,
							&delivery_backoff_ms,
							1000, 1, 3600000,
							PGC_SIGHUP, GUC_UNIT_MS,
							NULL, NULL, NULL);
}

static char *
delivery_text(HeapTuple tuple, TupleDesc tupdesc, int column)
{
	return SPI_getvalue(tuple, tupdesc, column);	/* NULL for NULL */
}

/* A request for one claimed row, in its own memory context. */
/* The claim's result columns (delivery_claim's SELECT list), in their order. */
enum
{
	Anum_claim_account_id = 1,
	Anum_claim_message_id,
	Anum_claim_attempts,
	Anum_claim_destination,
	Anum_claim_target,
	Anum_claim_idempotency_key,
	Anum_claim_url,
	Anum_claim_secret,
	Anum_claim_username,
	Anum_claim_sender,
	Anum_claim_content,
	Anum_claim_require_tls,
	Anum_claim_size,
	Anum_claim_urgent,
	Anum_claim_send_order,
};

static DeliveryRequest *
delivery_request_from(HeapTuple tuple, TupleDesc tupdesc)
{
	MemoryContext context = AllocSetContextCreate(delivery_requests_context, "bedrock_support delivery",
												  ALLOCSET_SMALL_SIZES);
	MemoryContext caller = MemoryContextSwitchTo(context);
	DeliveryRequest *request = palloc0(sizeof(DeliveryRequest));
	bool		is_null;
	char	   *destination;
	char	   *target;
	char	   *key;
	char	   *secret;

	request->context = context;
	request->account_id = DatumGetInt64(SPI_getbinval(tuple, tupdesc, Anum_claim_account_id, &is_null));
	request->message_id = DatumGetInt64(SPI_getbinval(tuple, tupdesc, Anum_claim_message_id, &is_null));
	request->attempts = DatumGetInt32(SPI_getbinval(tuple, tupdesc, Anum_claim_attempts, &is_null));
	destination = delivery_text(tuple, tupdesc, Anum_claim_destination);
	target = delivery_text(tuple, tupdesc, Anum_claim_target);
	key = delivery_text(tuple, tupdesc, Anum_claim_idempotency_key);
	request->url = delivery_text(tuple, tupdesc, Anum_claim_url);
	secret = delivery_text(tuple, tupdesc, Anum_claim_secret);
	request->username = delivery_text(tuple, tupdesc, Anum_claim_username);
	request->mail_from = delivery_text(tuple, tupdesc, Anum_claim_sender);
	request->body = delivery_text(tuple, tupdesc, Anum_claim_content);
	request->body_length = request->body ? strlen(request->body) : 0;
	request->smtp = strcmp(destination, "email") == 0;
	request->require_tls = DatumGetBool(SPI_getbinval(tuple, tupdesc, Anum_claim_require_tls, &is_null)) || is_null;
	request->size = DatumGetInt64(SPI_getbinval(tuple, tupdesc, Anum_claim_size, &is_null));

	if (request->smtp)
	{
		request->password = secret;
		request->recipients = curl_slist_append(NULL, psprintf("<%s>", target));
	}
	else
	{
		char	   *timestamp = psprintf("%ld", (long) time(NULL));

		request->headers = curl_slist_append(NULL, "Content-Type: application/json; charset=utf-8");
		request->headers = curl_slist_append(request->headers, psprintf("Idempotency-Key: %s", key));
		if (strcmp(destination, "webhook") == 0 && secret != NULL)
		{
			request->headers = curl_slist_append(request->headers,
												 psprintf("X-Bedrock-Timestamp: %s", timestamp));
			request->headers = curl_slist_append(request->headers,
												 psprintf("X-Bedrock-Signature: v1=%s",
														  webhook_signature_hex(secret, strlen(secret), timestamp,
																				request->body,
																				request->body_length)));
		}
	}
	MemoryContextSwitchTo(caller);
	return request;
}

/*
 * Once per worker life, before its first claim: what earlier delivery
 * workers had in flight when they stopped (a crash, an immediate shutdown)
 * is due again now, under its own key.
 */
static bool earlier_claims_released = false;

/*
 * A claim parks a message by the endpoints its snapshot saw: one that
 * commits while an endpoint for it is being added has its parking missed
 * by that change's own unparking. So at its start, and after each change to
 * the endpoints commits (counted in shared memory before the worker is
 * woken), the next claim first unparks what an active endpoint serves.
 */
typedef struct EndpointSweep
{
	uint64		changes;		/* worker_shmem_endpoint_changes() when it began */
	TimestampTz at;				/* 0: none yet */
} EndpointSweep;

/* the last sweep that committed and left nothing behind */
static EndpointSweep endpoints_swept;
/* this claim's sweep, which becomes that when the claim commits */
static EndpointSweep endpoints_sweeping;

static void
delivery_unpark_after_endpoint_changes(void)
{
	/* read before the sweep's snapshot: a change counted later is swept next time */
	uint64		changes = worker_shmem_endpoint_changes();
	TimestampTz now = GetCurrentTimestamp();
	bool		is_null;

	if (endpoints_swept.at != 0 && changes == endpoints_swept.changes &&
		now < TimestampTzPlusMilliseconds(endpoints_swept.at, DELIVERY_SWEEP_INTERVAL_MS))
		return;
	if (SPI_execute("SELECT skipped FROM support.unpark_deliverable_messages()", false, 1) != SPI_OK_SELECT ||
		SPI_processed != 1)
		elog(ERROR, "support.unpark_deliverable_messages failed");
	/* a parked row another transaction held is swept for again at the next claim */
	if (DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &is_null)) == 0)
	{
		endpoints_sweeping.changes = changes;
		endpoints_sweeping.at = now;
	}
}

static void
delivery_release_earlier_claims(void)
{
	Datum		arguments[2] = {TimestampTzGetDatum(MyStartTimestamp), Int32GetDatum(delivery_max_attempts)};
	Oid			types[2] = {TIMESTAMPTZOID, INT4OID};
	bool		is_null;
	int64		count;

	if (earlier_claims_released)
		return;
	/* the fair queue's clocks begin at its first places still waiting (a restart cleared them) */
	if (SPI_execute("SELECT m.urgent, min(m.send_order) FROM support.outbound_messages m"
					" WHERE m.state OPERATOR(pg_catalog.=) 'pending' AND m.send_order IS NOT NULL"
					" GROUP BY m.urgent", false, 0) != SPI_OK_SELECT)
		elog(ERROR, "could not read the fair queue's first places");
	for (uint64 row = 0; row < SPI_processed; row++)
	{
		bool		is_null;
		bool		urgent = DatumGetBool(SPI_getbinval(SPI_tuptable->vals[row], SPI_tuptable->tupdesc, 1, &is_null));

		send_order_served(urgent, DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[row], SPI_tuptable->tupdesc, 2,
															   &is_null)) - 1);
	}
	if (SPI_execute_with_args("SELECT support.release_earlier_claims($1, $2)",
							  2, types, arguments, NULL, false, 1) != SPI_OK_SELECT || SPI_processed != 1)
		elog(ERROR, "support.release_earlier_claims failed");
	count = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &is_null));
	if (count > 0)
		ereport(LOG,
				(errmsg_plural("bedrock_support worker: %lld message was in flight when the previous worker stopped, sending it again",
							   "bedrock_support worker: %lld messages were in flight when the previous worker stopped, sending them again",
							   count, (long long) count)));
}

/*
 * Claims up to limit due messages (attempt counted, leased to this worker)
 * and commits, then starts sending them. A message that cannot be sent
 * (no endpoint, a URL libcurl refuses) comes back in failed at once.
 */
static int
delivery_claim(int limit, DeliveryRequest **claimed_requests, DeliveryRequest **failed, int *failed_count)
{
	Datum		arguments[4] = {Int32GetDatum(limit),
		Int64GetDatum(Max(DELIVERY_MAX_BYTES_IN_FLIGHT - delivery_bytes_in_flight, 0)),
		Int64GetDatum(2 * (int64) delivery_timeout_ms + DELIVERY_LEASE_MARGIN_MS),
	TimestampTzGetDatum(MyStartTimestamp)};
	Oid			types[4] = {INT4OID, INT8OID, INT8OID, TIMESTAMPTZOID};
	volatile int claimed = 0;

	worker_transaction_begin("bedrock_support: claiming messages to deliver");
	worker_require_extension("bedrock_support worker");
	PG_TRY();
	{
		delivery_release_earlier_claims();
		delivery_unpark_after_endpoint_changes();
		if (SPI_execute_with_args("SELECT account_id, message_id, attempts, destination, target,"
								  "       idempotency_key, url, secret, username, sender, content, require_tls, size,"
								  "       urgent, send_order"
								  "  FROM support.claim_messages($1, $2, $3, $4)",
								  4, types, arguments, NULL, false, 0) != SPI_OK_SELECT)
			elog(ERROR, "support.claim_messages failed");
		for (uint64 row = 0; row < SPI_processed; row++)
		{
			HeapTuple	tuple = SPI_tuptable->vals[row];
			bool		is_null;
			bool		urgent = DatumGetBool(SPI_getbinval(tuple, SPI_tuptable->tupdesc, Anum_claim_urgent, &is_null));
			Datum		place = SPI_getbinval(tuple, SPI_tuptable->tupdesc, Anum_claim_send_order, &is_null);

			/* the class's clock follows what is served */
			if (!is_null)
				send_order_served(urgent, DatumGetInt64(place));
			claimed_requests[claimed++] = delivery_request_from(tuple, SPI_tuptable->tupdesc);
		}
		worker_transaction_end();
	}
	PG_CATCH();
	{
		/* the claim rolled back: nothing was leased, only memory to give back */
		for (int i = 0; i < claimed; i++)
			delivery_curl_free(claimed_requests[i]);
		endpoints_sweeping.at = 0;
		PG_RE_THROW();
	}
	PG_END_TRY();
	/* committed: a failed claim releases and sweeps again */
	earlier_claims_released = true;
	if (endpoints_sweeping.at != 0)
		endpoints_swept = endpoints_sweeping;
	endpoints_sweeping.at = 0;

	/* sent only once the claim is committed: never for a claim that rolled back */
	for (int i = 0; i < claimed; i++)
	{
		DeliveryRequest *request = claimed_requests[i];

		delivery_bytes_in_flight += request->size;

		if (request->url == NULL)
		{
			strlcpy(request->error, "no delivery endpoint is configured for this destination",
					sizeof(request->error));
			request->code = CURLE_OK;
			request->status = -1;
			failed[(*failed_count)++] = request;
		}
		else if (!delivery_curl_add(request, delivery_connect_timeout_ms, delivery_timeout_ms))
			failed[(*failed_count)++] = request;
	}
	return claimed;
}

typedef enum DeliveryOutcome
{
	OUTCOME_DELIVERED,
	OUTCOME_RETRY,
	OUTCOME_DEAD
} DeliveryOutcome;

/* The outcome and, for errors, a reason that never quotes the URL. */
static DeliveryOutcome
delivery_outcome(DeliveryRequest *request, char **reason)
{
	if (request->status == -1)
	{
		*reason = pstrdup(request->error);
		return OUTCOME_RETRY;
	}
	if (request->code != CURLE_OK)
	{
		/* libcurl's own message names the host at most, never the path or query */
		if (request->error[0] == '\0')
			*reason = pstrdup(curl_easy_strerror(request->code));
		else
			*reason = psprintf("%s: %s", curl_easy_strerror(request->code),
							   strstr(request->error, request->url) == NULL ? request->error : "(detail withheld)");
		/* a URL libcurl cannot read or will not speak is not fixed by waiting */
		return request->permanent ? OUTCOME_DEAD : OUTCOME_RETRY;
	}
	if (request->smtp)
	{
		if (request->status >= 500)
		{
			*reason = psprintf("SMTP server replied %ld", request->status);
			return OUTCOME_DEAD;
		}
		*reason = NULL;
		return OUTCOME_DELIVERED;
	}
	if (request->status >= 200 && request->status < 300)
	{
		*reason = NULL;
		return OUTCOME_DELIVERED;
	}
	*reason = psprintf("HTTP %ld", request->status);
	if (request->status == 408 || request->status == 429 || request->status >= 500)
		return OUTCOME_RETRY;
	return OUTCOME_DEAD;		/* the receiver refuses this message: retrying will not help */
}

/* Exponential backoff from the base, capped, with jitter; or Retry-After. */
static TimestampTz
delivery_next_attempt(DeliveryRequest *request, TimestampTz now)
{
	double		seconds;

	if (request->retry_after > 0)
		seconds = Min(request->retry_after, DELIVERY_RETRY_CAP_SECONDS);
	else
	{
		seconds = (delivery_backoff_ms / 1000.0) * pow(2.0, Min(request->attempts - 1, 20));
		seconds = Min(seconds, DELIVERY_RETRY_CAP_SECONDS);
		/* half fixed, half random, so receivers are not hit in waves */
		seconds *= 0.5 + 0.5 * pg_prng_double(&pg_global_prng_state);
	}
	return now + (int64) (seconds * USECS_PER_SEC);
}

/* Records the outcomes of completed requests in one transaction and frees them. */
static int
delivery_record(DeliveryRequest **done, int count)
{
	Datum	   *accounts = palloc(count * sizeof(Datum));
	Datum	   *messages = palloc(count * sizeof(Datum));
	Datum	   *states = palloc(count * sizeof(Datum));
	Datum	   *errors = palloc(count * sizeof(Datum));
	bool	   *error_nulls = palloc(count * sizeof(bool));
	Datum	   *nexts = palloc(count * sizeof(Datum));
	int			dims[1] = {count};
	int			lbs[1] = {1};
	Datum		arguments[5];
	Oid			types[5] = {INT8ARRAYOID, INT8ARRAYOID, TEXTARRAYOID, TEXTARRAYOID, TIMESTAMPTZARRAYOID};
	TimestampTz now = GetCurrentTimestamp();
	volatile int delivered = 0;

	/* whatever fails below, the requests are freed and no longer counted in flight */
	PG_TRY();
	{
		for (int i = 0; i < count; i++)
		{
			char	   *reason;
			DeliveryOutcome outcome = delivery_outcome(done[i], &reason);

			if (outcome == OUTCOME_RETRY && done[i]->attempts >= delivery_max_attempts)
			{
				outcome = OUTCOME_DEAD;
				reason = psprintf("%s (gave up after %d attempts)", reason, done[i]->attempts);
			}
			accounts[i] = Int64GetDatum(done[i]->account_id);
			messages[i] = Int64GetDatum(done[i]->message_id);
			states[i] = CStringGetTextDatum(outcome == OUTCOME_DELIVERED ? "delivered"
											: outcome == OUTCOME_DEAD ? "dead" : "pending");
			errors[i] = reason ? CStringGetTextDatum(reason) : (Datum) 0;
			error_nulls[i] = reason == NULL;
			nexts[i] = TimestampTzGetDatum(outcome == OUTCOME_RETRY ? delivery_next_attempt(done[i], now) : now);
			delivered += outcome == OUTCOME_DELIVERED;
		}
		arguments[0] = PointerGetDatum(construct_array(accounts, count, INT8OID, 8, true, TYPALIGN_DOUBLE));
		arguments[1] = PointerGetDatum(construct_array(messages, count, INT8OID, 8, true, TYPALIGN_DOUBLE));
		arguments[2] = PointerGetDatum(construct_array(states, count, TEXTOID, -1, false, TYPALIGN_INT));
		arguments[3] = PointerGetDatum(construct_md_array(errors, error_nulls, 1, dims, lbs, TEXTOID, -1, false,
														  TYPALIGN_INT));
		arguments[4] = PointerGetDatum(construct_array(nexts, count, TIMESTAMPTZOID, 8, true, TYPALIGN_DOUBLE));
	}
	PG_FINALLY();
	{
		/* before recording, too: a failed transaction cannot leak them */
		for (int i = 0; i < count; i++)
		{
			delivery_bytes_in_flight -= done[i]->size;
			delivery_curl_free(done[i]);
		}
	}
	PG_END_TRY();

	worker_transaction_begin("bedrock_support: recording deliveries");
	if (SPI_execute_with_args("SELECT support.record_deliveries($1, $2, $3, $4, $5)",
							  5, types, arguments, NULL, false, 0) != SPI_OK_SELECT)
		elog(ERROR, "support.record_deliveries failed");
	worker_transaction_end();
	return delivered;
}

/*
 * The earliest pending message's next attempt, or 0 when none; when it is
 * due, whether a due one is free to claim. The claim that just took nothing
 * either parked a batch (then the rest are free: claim again at once) or
 * met only rows another transaction holds (then wait a little, never spin).
 */
static TimestampTz
delivery_next_due(bool *due_and_free)
{
	TimestampTz next;

	worker_transaction_begin("bedrock_support: looking for the next message");
	worker_require_extension("bedrock_support worker");
	next = worker_query_time("SELECT support.next_delivery()");
	*due_and_free = false;
	if (next != 0 && next <= GetCurrentTimestamp())
	{
		/* in the fair queue, or due for another attempt (it joins the queue at the claim) */
		if (SPI_execute("SELECT 1 FROM support.outbound_messages m"
						" WHERE m.state OPERATOR(pg_catalog.=) 'pending' AND m.send_order IS NOT NULL"
						" ORDER BY m.urgent DESC, m.send_order LIMIT 1 FOR UPDATE SKIP LOCKED", false, 1) != SPI_OK_SELECT)
			elog(ERROR, "could not look for a free due message");
		*due_and_free = SPI_processed > 0;
		if (!*due_and_free)
		{
			if (SPI_execute("SELECT 1 FROM support.outbound_messages m"
							" WHERE m.state OPERATOR(pg_catalog.=) 'pending' AND m.send_order IS NULL"
							"   AND m.next_attempt_at OPERATOR(pg_catalog.<=) pg_catalog.statement_timestamp()"
							" ORDER BY m.next_attempt_at LIMIT 1 FOR UPDATE SKIP LOCKED", false, 1) != SPI_OK_SELECT)
				elog(ERROR, "could not look for a free due message");
			*due_and_free = SPI_processed > 0;
		}
	}
	worker_transaction_end();
	return next;
}

static void
delivery_report_error(WorkerPassReport *report)
{
	ErrorData  *error;

	MemoryContextSwitchTo(delivery_pass_context);
	error = CopyErrorData();
	EmitErrorReport();
	FlushErrorState();
	AbortCurrentTransaction();
	report->failed = true;
	strlcpy(report->error, error->message, sizeof(report->error));
	pgstat_report_activity(STATE_IDLE, NULL);
}

/* the arrays of requests, made once per worker life */
static DeliveryRequest **delivery_done = NULL;
static DeliveryRequest **delivery_failed = NULL;
static DeliveryRequest **delivery_claimed = NULL;

/* completed, outcome not yet written, and since when */
static int	delivery_unrecorded = 0;
static TimestampTz delivery_first_unrecorded_at = 0;
/* after a failed claim, not before */
static TimestampTz delivery_claims_resume_at = 0;

void
delivery_worker_start(void)
{
	delivery_requests_context = AllocSetContextCreate(TopMemoryContext, "bedrock_support deliveries",
													  ALLOCSET_DEFAULT_SIZES);
	delivery_pass_context = AllocSetContextCreate(TopMemoryContext, "bedrock_support delivery pass",
												  ALLOCSET_DEFAULT_SIZES);
	delivery_done = MemoryContextAlloc(TopMemoryContext, 2 * DELIVERY_MAX_CONCURRENCY * sizeof(DeliveryRequest *));
	delivery_failed = MemoryContextAlloc(TopMemoryContext, DELIVERY_MAX_CONCURRENCY * sizeof(DeliveryRequest *));
	delivery_claimed = MemoryContextAlloc(TopMemoryContext, DELIVERY_MAX_CONCURRENCY * sizeof(DeliveryRequest *));
	delivery_curl_start();
}

/*
 * One round of delivery: claims what there is room for, waits at most
 * poll_ms for transfers in flight, records outcomes in batches. Returns
 * when delivery next needs the worker: now while transfers are in flight
 * or a claim took messages (the next round's poll is the wait), else the
 * next message's attempt (at most support.max_sleep away), shortly after a
 * failure or while a due message is held by another transaction.
 */
TimestampTz
delivery_worker_step(int poll_ms)
{
	/* static: changed inside PG_TRY and read after a longjmp */
	static WorkerPassReport report;
	static int	completed;
	static int	failed_count;
	static bool due_and_free;
	static TimestampTz next;
	int			concurrency = Min(delivery_concurrency, DELIVERY_MAX_CONCURRENCY);
	/* claims and outcomes go in batches: two transactions per message would cap the rate */
	int			batch = Max(1, concurrency / 4);
	int			room;
	TimestampTz now;

	memset(&report, 0, sizeof(report));
	completed = 0;
	failed_count = 0;
	MemoryContextReset(delivery_pass_context);
	MemoryContextSwitchTo(delivery_pass_context);

	/* a claim that fails neither stops the transfers in flight nor repeats at once */
	room = concurrency - delivery_curl_in_flight();
	if ((room >= batch || (room > 0 && delivery_curl_in_flight() == 0)) &&
		(delivery_bytes_in_flight < DELIVERY_MAX_BYTES_IN_FLIGHT || delivery_unrecorded + delivery_curl_in_flight() == 0) &&
		GetCurrentTimestamp() >= delivery_claims_resume_at)
	{
		PG_TRY();
		{
			report.taken = delivery_claim(room, delivery_claimed, delivery_failed, &failed_count);
		}
		PG_CATCH();
		{
			delivery_report_error(&report);
			delivery_claims_resume_at = TimestampTzPlusMilliseconds(GetCurrentTimestamp(), 1000);
		}
		PG_END_TRY();
		MemoryContextSwitchTo(delivery_pass_context);
	}
	/* the requests that could not start are complete: kept before anything else can fail */
	if (delivery_unrecorded == 0 && failed_count > 0)
		delivery_first_unrecorded_at = GetCurrentTimestamp();
	for (int i = 0; i < failed_count; i++)
		delivery_done[delivery_unrecorded++] = delivery_failed[i];

	PG_TRY();
	{
		completed = delivery_curl_poll(delivery_curl_in_flight() == 0 ? 0
									   : delivery_unrecorded > 0 ? Min(DELIVERY_RECORD_DELAY_MS, poll_ms) : poll_ms,
									   delivery_done + delivery_unrecorded, DELIVERY_MAX_CONCURRENCY);
		now = GetCurrentTimestamp();
		if (delivery_unrecorded == 0 && completed > 0)
			delivery_first_unrecorded_at = now;
		delivery_unrecorded += completed;
		if (delivery_unrecorded > 0 &&
			(delivery_unrecorded >= batch || delivery_curl_in_flight() == 0 ||
			 now >= TimestampTzPlusMilliseconds(delivery_first_unrecorded_at, DELIVERY_RECORD_DELAY_MS)))
		{
			int			count = delivery_unrecorded;

			delivery_unrecorded = 0;	/* freed by delivery_record, even if it fails */
			report.done = delivery_record(delivery_done, count);
		}
	}
	PG_CATCH();
	{
		/* requests already freed or still in flight stay consistent: a
		 * message whose outcome was not recorded is sent again after its lease */
		delivery_report_error(&report);
	}
	PG_END_TRY();
	MemoryContextSwitchTo(TopMemoryContext);
	if (report.taken > 0 || completed > 0 || failed_count > 0 || report.failed)
	{
		report.finished_at = GetCurrentTimestamp();
		worker_shmem_report_pass(WORKER_DELIVERY, &report);
	}

	now = GetCurrentTimestamp();
	if (delivery_curl_in_flight() > 0 || delivery_unrecorded > 0 || report.taken > 0)
		return now;
	/* idle: a failed pass waits its second, due messages or not */
	if (report.failed)
		return TimestampTzPlusMilliseconds(now, 1000);
	if (now < delivery_claims_resume_at)
		return delivery_claims_resume_at;
	next = 0;
	due_and_free = false;
	PG_TRY();
	{
		next = delivery_next_due(&due_and_free);
	}
	PG_CATCH();
	{
		delivery_report_error(&report);
	}
	PG_END_TRY();
	MemoryContextSwitchTo(TopMemoryContext);
	now = GetCurrentTimestamp();
	if (report.failed)
		return TimestampTzPlusMilliseconds(now, 1000);
	if (next != 0 && next <= now)
	{
		/* due: a parked batch is claimed again at once, a held row waited for */
		return due_and_free ? now : TimestampTzPlusMilliseconds(now, DELIVERY_POLL_MS);
	}
	return next != 0 ? Min(next, TimestampTzPlusMilliseconds(now, worker_max_sleep_ms))
		: TimestampTzPlusMilliseconds(now, worker_max_sleep_ms);
}
