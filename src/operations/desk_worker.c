/*
 * desk_worker.c — the one background worker of each database with the
 * extension: it acts on the tickets' deadlines (escalation_worker.c) and
 * delivers the outbox (delivery_worker.c), in turns.
 *
 * One process per desk, beside the launcher, so three desks leave the
 * default max_worker_processes room for parallel queries. Neither duty
 * holds up the other for long: a batch of deadline actions starts no ticket
 * after a quarter second, and a round of delivery waits for its transfers
 * in flight at most DESK_DELIVERY_POLL_MS, and never past the next
 * deadline. A commit wakes the worker for the duty it concerns
 * (worker_shmem.c); otherwise it sleeps until the earlier of the two
 * duties' next times, at most support.max_sleep.
 */
#include "postgres.h"

#include "miscadmin.h"
#include "postmaster/bgworker.h"
#include "utils/timestamp.h"

#include "delivery/delivery_worker.h"
#include "operations/desk_worker.h"
#include "escalation/escalation_worker.h"
#include "operations/worker_shmem.h"
#include "operations/worker_transaction.h"

/* the longest a delivery round waits on transfers in flight */
#define DESK_DELIVERY_POLL_MS 50

/* milliseconds from now to at, at least 0 and at most limit */
static int
desk_worker_ms_until(TimestampTz at, int limit)
{
	long		ms = TimestampDifferenceMilliseconds(GetCurrentTimestamp(), at);

	return (int) Min(Max(ms, 0), limit);
}

void
desk_worker_main(Datum argument)
{
	Oid			database = DatumGetObjectId(argument);
	TimestampTz wake_at[WORKER_KIND_COUNT] = {0, 0};	/* both due at the start */

	worker_connect(database, "bedrock_support worker");
	delivery_worker_start();

	for (;;)
	{
		TimestampTz now;

		CHECK_FOR_INTERRUPTS();
		worker_reload_or_stop("bedrock_support worker");
		worker_shmem_set_awake();

		now = GetCurrentTimestamp();
		if (worker_shmem_take_woken(WORKER_ESCALATION) || wake_at[WORKER_ESCALATION] <= now)
		{
			bool		acted;

			wake_at[WORKER_ESCALATION] = escalation_worker_step(&acted);
			/* its own commits wake nobody: what the actions queued is delivered now */
			if (acted)
				wake_at[WORKER_DELIVERY] = 0;
		}
		now = GetCurrentTimestamp();
		if (worker_shmem_take_woken(WORKER_DELIVERY) || wake_at[WORKER_DELIVERY] <= now)
			wake_at[WORKER_DELIVERY] =
				delivery_worker_step(desk_worker_ms_until(wake_at[WORKER_ESCALATION], DESK_DELIVERY_POLL_MS));

		now = GetCurrentTimestamp();
		if (Min(wake_at[WORKER_ESCALATION], wake_at[WORKER_DELIVERY]) <= now)
			continue;			/* more to do: go on at once */
		worker_shmem_sleep_until(wake_at);
	}
}
