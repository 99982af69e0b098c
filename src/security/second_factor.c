/*
 * second_factor.c — wrong one-time codes counted per member of staff, with
 * a lockout, in shared memory.
 *
 * A wrong code ends its transaction with an error, so nothing that
 * transaction wrote would stay: the count lives here, outside transactions.
 * The check and the count are one step under one lock, so no cancel and no
 * concurrent attempt gets a code tried uncounted, and enough wrong codes in
 * a row lock the second factor for support.assumption_policy's
 * second_factor_lockout. What happened is written down by the desk's worker
 * (support.record_second_factor_events: security_audit rows, and
 * staff_totp.locked_until so a lockout outlives a restart), woken at once
 * by a wrong code.
 *
 * Without shared_preload_libraries there is no count: second factors are
 * then refused rather than left unlimited.
 */
#include "postgres.h"

#include "access/xact.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "storage/ipc.h"
#include "storage/lwlock.h"
#include "storage/shmem.h"
#include "utils/builtins.h"
#include "utils/memutils.h"
#include "utils/timestamp.h"

#include "security/second_factor.h"
#include "security/totp.h"
#include "operations/worker_shmem.h"

/* staff with counts at once, over all databases */
#define SECOND_FACTOR_SLOTS 1024
/* wrong codes in a row are forgotten after this long without another */
#define SECOND_FACTOR_FORGET_USECS USECS_PER_HOUR
/* a slot not used for this long may be taken whatever it holds (its database may be gone) */
#define SECOND_FACTOR_STALE_USECS (INT64CONST(8) * USECS_PER_DAY)

/* What happened that the audit does not say yet. */
typedef struct SecondFactorEvents
{
	int32		wrong_codes;
	TimestampTz first_at;		/* of the wrong codes; 0: none */
	TimestampTz last_at;
	int32		refused_while_locked;
	TimestampTz locked_until;	/* a lockout begun: its end; 0: none */
} SecondFactorEvents;

typedef struct SecondFactorSlot
{
	Oid			database;		/* InvalidOid: free */
	int64		agent_id;
	int32		failures;		/* wrong codes in a row */
	TimestampTz locked_until;
	TimestampTz last_used;
	SecondFactorEvents unrecorded;
} SecondFactorSlot;

typedef struct SecondFactorShared
{
	LWLock	   *lock;
	SecondFactorSlot slots[SECOND_FACTOR_SLOTS];
} SecondFactorShared;

/* events this transaction took for the audit: given back if it aborts */
typedef struct TakenEvents
{
	int64		agent_id;
	SubTransactionId subtransaction;
	SecondFactorEvents events;
} TakenEvents;

static SecondFactorShared *second_factor = NULL;
static TakenEvents *taken = NULL;
static int	taken_count = 0;
static bool callbacks_registered = false;
static shmem_request_hook_type previous_shmem_request = NULL;
static shmem_startup_hook_type previous_shmem_startup = NULL;

static void
second_factor_on_request(void)
{
	if (previous_shmem_request)
		previous_shmem_request();
	RequestAddinShmemSpace(MAXALIGN(sizeof(SecondFactorShared)));
	RequestNamedLWLockTranche("bedrock_support second factor", 1);
}

static void
second_factor_on_startup(void)
{
	bool		found;

	if (previous_shmem_startup)
		previous_shmem_startup();
	LWLockAcquire(AddinShmemInitLock, LW_EXCLUSIVE);
	second_factor = ShmemInitStruct("bedrock_support second factor", sizeof(SecondFactorShared), &found);
	if (!found)
	{
		memset(second_factor, 0, sizeof(SecondFactorShared));
		second_factor->lock = &(GetNamedLWLockTranche("bedrock_support second factor"))->lock;
	}
	LWLockRelease(AddinShmemInitLock);
}

void
second_factor_request(void)
{
	previous_shmem_request = shmem_request_hook;
	shmem_request_hook = second_factor_on_request;
	previous_shmem_startup = shmem_startup_hook;
	shmem_startup_hook = second_factor_on_startup;
}

static void
second_factor_require_shmem(void)
{
	if (second_factor == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("one-time codes need bedrock_support in shared_preload_libraries"),
				 errdetail("Wrong codes are counted in shared memory; without the count they would be unlimited."),
				 errhint("Add bedrock_support to shared_preload_libraries and restart the server.")));
}

static bool
second_factor_events_empty(const SecondFactorEvents *events)
{
	return events->wrong_codes == 0 && events->refused_while_locked == 0 && events->locked_until == 0;
}

static void
second_factor_events_add(SecondFactorEvents *into, const SecondFactorEvents *more)
{
	into->wrong_codes += more->wrong_codes;
	into->refused_while_locked += more->refused_while_locked;
	if (more->first_at != 0 && (into->first_at == 0 || more->first_at < into->first_at))
		into->first_at = more->first_at;
	into->last_at = Max(into->last_at, more->last_at);
	into->locked_until = Max(into->locked_until, more->locked_until);
}

/*
 * Whether a slot holds nothing anyone needs at now: no lockout running and
 * nothing to record, and no wrong code within the hour; or untouched for
 * longer than any lockout lasts (a dropped database's). Lock held.
 */
static bool
second_factor_slot_idle(const SecondFactorSlot *slot, TimestampTz now)
{
	return slot->database == InvalidOid ||
		(slot->locked_until <= now && second_factor_events_empty(&slot->unrecorded) &&
		 (slot->failures == 0 || slot->last_used < now - SECOND_FACTOR_FORGET_USECS)) ||
		slot->last_used < now - SECOND_FACTOR_STALE_USECS;
}

/* The agent's slot in this database, or NULL; with make, made (NULL when none is idle). Lock held. */
static SecondFactorSlot *
second_factor_slot(int64 agent_id, bool make, TimestampTz now)
{
	SecondFactorSlot *idle = NULL;

	for (int i = 0; i < SECOND_FACTOR_SLOTS; i++)
	{
		SecondFactorSlot *slot = &second_factor->slots[i];

		if (slot->database == MyDatabaseId && slot->agent_id == agent_id)
			return slot;
		if (idle == NULL && make && second_factor_slot_idle(slot, now))
			idle = slot;
	}
	if (idle != NULL)
	{
		memset(idle, 0, sizeof(SecondFactorSlot));
		idle->database = MyDatabaseId;
		idle->agent_id = agent_id;
	}
	return idle;
}

static int64
second_factor_interval_usecs(Interval *span)
{
	int64		usecs = span->time + (int64) span->day * USECS_PER_DAY +
		(int64) span->month * DAYS_PER_MONTH * USECS_PER_DAY;

	if (span->month > 12 || span->month < 0 || span->day > 366 || span->day < 0 ||
		usecs < 0 || usecs > 366 * USECS_PER_DAY)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("a second factor's lockout lasts from 0 to 366 days")));
	return usecs;
}

/*
 * support.check_second_factor(agent_id bigint, secret bytea, code text,
 * last_step bigint, locked_until timestamptz, max_failures integer,
 * lockout interval) RETURNS bigint: the time step of a right code (greater
 * than last_step: each code works once). A wrong one is counted, and the
 * max_failures-th in a row locks the second factor for lockout; while it is
 * locked (here, or by locked_until, the lockout written down) every code is
 * refused. Both are errors; a wrong code wakes the worker to audit it (a
 * refusal while locked is recorded at its next pass). Any NULL is 22004:
 * a missing policy row must not pass for a right code.
 */
PG_FUNCTION_INFO_V1(check_second_factor);
Datum
check_second_factor(PG_FUNCTION_ARGS)
{
	int64		agent_id;
	bytea	   *secret;
	text	   *code;
	int64		last_step;
	TimestampTz written_lock;
	int32		max_failures;
	int64		lockout;
	int64		step = -1;
	TimestampTz now;
	TimestampTz locked_until;
	SecondFactorSlot *slot;
	int32		failures;
	bool		locked_now = false;

	for (int i = 0; i < 7; i++)
		if (PG_ARGISNULL(i))
			ereport(ERROR,
					(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
					 errmsg("support.check_second_factor needs every argument, not a NULL"),
					 errhint("support.assumption_policy must have its row.")));
	agent_id = PG_GETARG_INT64(0);
	secret = PG_GETARG_BYTEA_PP(1);
	code = PG_GETARG_TEXT_PP(2);
	last_step = PG_GETARG_INT64(3);
	written_lock = PG_GETARG_TIMESTAMPTZ(4);
	max_failures = PG_GETARG_INT32(5);
	lockout = second_factor_interval_usecs(PG_GETARG_INTERVAL_P(6));
	second_factor_require_shmem();
	if (max_failures < 1 || max_failures > 1000)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("a second factor locks after 1 to 1000 wrong codes, not %d", max_failures)));
	totp_check_secret(secret);
	/* the work of checking is done before the lock, and every code of a sane length is checked */
	if (VARSIZE_ANY_EXHDR(code) <= 16)
		step = totp_step_matching_code(secret, text_to_cstring(code), GetCurrentTimestamp());

	now = GetCurrentTimestamp();
	LWLockAcquire(second_factor->lock, LW_EXCLUSIVE);
	slot = second_factor_slot(agent_id, true, now);
	if (slot == NULL)
	{
		LWLockRelease(second_factor->lock);
		ereport(ERROR,
				(errcode(ERRCODE_CONFIGURATION_LIMIT_EXCEEDED),
				 errmsg("too many members of staff have wrong one-time codes pending to count another"),
				 errhint("Try again in a moment; the desk's worker records them.")));
	}
	slot->last_used = now;
	locked_until = Max(slot->locked_until, written_lock);
	if (locked_until > now)
	{
		slot->unrecorded.refused_while_locked++;
		LWLockRelease(second_factor->lock);
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_AUTHORIZATION_SPECIFICATION),
				 errmsg("the second factor of user " INT64_FORMAT " is locked until %s", agent_id,
						timestamptz_to_str(locked_until)),
				 errdetail("Too many wrong one-time codes were entered in a row."),
				 errhint("Wait until then, or have a superuser enroll a new second factor (support.enroll_totp).")));
	}
	if (step >= 0 && step > last_step)
	{
		slot->failures = 0;
		LWLockRelease(second_factor->lock);
		PG_RETURN_INT64(step);
	}
	failures = ++slot->failures;
	slot->unrecorded.wrong_codes++;
	if (slot->unrecorded.first_at == 0)
		slot->unrecorded.first_at = now;
	slot->unrecorded.last_at = now;
	if (failures >= max_failures)
	{
		slot->locked_until = now + lockout;
		slot->unrecorded.locked_until = Max(slot->unrecorded.locked_until, slot->locked_until);
		slot->failures = 0;
		locked_now = true;
	}
	locked_until = slot->locked_until;
	LWLockRelease(second_factor->lock);
	worker_wake_now(WORKER_ESCALATION);
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PASSWORD),
			 errmsg("the one-time code is not valid"),
			 locked_now ? errdetail("That was %d wrong codes in a row: the second factor is locked until %s.",
									failures, timestamptz_to_str(locked_until)) : 0,
			 errhint("Use the current code from the authenticator; each code works once.")));
	PG_RETURN_NULL();			/* not reached */
}

/*
 * support.forget_second_factor_failures(agent_id bigint) RETURNS void: a
 * new second factor starts with no wrong codes and no lockout (what
 * happened is still recorded).
 */
PG_FUNCTION_INFO_V1(forget_second_factor_failures);
Datum
forget_second_factor_failures(PG_FUNCTION_ARGS)
{
	SecondFactorSlot *slot;

	second_factor_require_shmem();
	LWLockAcquire(second_factor->lock, LW_EXCLUSIVE);
	slot = second_factor_slot(PG_GETARG_INT64(0), false, GetCurrentTimestamp());
	if (slot != NULL)
	{
		slot->failures = 0;
		slot->locked_until = 0;
	}
	LWLockRelease(second_factor->lock);
	PG_RETURN_VOID();
}

/* Gives back what this transaction took, of subtransaction (InvalidSubTransactionId: all). */
static void
second_factor_give_back(SubTransactionId subtransaction)
{
	int			kept = 0;

	if (taken_count == 0)
		return;
	LWLockAcquire(second_factor->lock, LW_EXCLUSIVE);
	for (int i = 0; i < taken_count; i++)
	{
		SecondFactorSlot *slot;

		if (subtransaction != InvalidSubTransactionId && taken[i].subtransaction != subtransaction)
		{
			taken[kept++] = taken[i];
			continue;
		}
		slot = second_factor_slot(taken[i].agent_id, true, GetCurrentTimestamp());
		if (slot != NULL)
			second_factor_events_add(&slot->unrecorded, &taken[i].events);
	}
	LWLockRelease(second_factor->lock);
	taken_count = kept;
}

static void
second_factor_xact_callback(XactEvent event, void *argument)
{
	switch (event)
	{
		case XACT_EVENT_COMMIT:
		case XACT_EVENT_PARALLEL_COMMIT:
		case XACT_EVENT_PREPARE:
			taken_count = 0;	/* recorded */
			break;
		case XACT_EVENT_ABORT:
		case XACT_EVENT_PARALLEL_ABORT:
			second_factor_give_back(InvalidSubTransactionId);
			break;
		default:
			break;
	}
}

static void
second_factor_subxact_callback(SubXactEvent event, SubTransactionId subtransaction,
							   SubTransactionId parent, void *argument)
{
	if (event == SUBXACT_EVENT_ABORT_SUB)
		second_factor_give_back(subtransaction);
	else if (event == SUBXACT_EVENT_COMMIT_SUB)
	{
		for (int i = 0; i < taken_count; i++)
			if (taken[i].subtransaction == subtransaction)
				taken[i].subtransaction = parent;
	}
}

/*
 * support.take_second_factor_events() RETURNS TABLE (agent_id bigint,
 * wrong_codes integer, first_at timestamptz, last_at timestamptz,
 * refused_while_locked integer, locked_until timestamptz): what happened
 * in this database that the audit does not say yet, taken for the caller to
 * record, and given back if its transaction or subtransaction aborts.
 */
PG_FUNCTION_INFO_V1(take_second_factor_events);
Datum
take_second_factor_events(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *result = (ReturnSetInfo *) fcinfo->resultinfo;
	TakenEvents *mine;
	int			count = 0;

	second_factor_require_shmem();
	InitMaterializedSRF(fcinfo, 0);
	if (!callbacks_registered)
	{
		RegisterXactCallback(second_factor_xact_callback, NULL);
		RegisterSubXactCallback(second_factor_subxact_callback, NULL);
		callbacks_registered = true;
	}
	/* room before the lock is taken: nothing under it may fail */
	if (taken == NULL)
		taken = MemoryContextAlloc(TopMemoryContext, SECOND_FACTOR_SLOTS * sizeof(TakenEvents));
	mine = palloc(SECOND_FACTOR_SLOTS * sizeof(TakenEvents));

	LWLockAcquire(second_factor->lock, LW_EXCLUSIVE);
	for (int i = 0; i < SECOND_FACTOR_SLOTS && taken_count < SECOND_FACTOR_SLOTS; i++)
	{
		SecondFactorSlot *slot = &second_factor->slots[i];

		if (slot->database != MyDatabaseId || second_factor_events_empty(&slot->unrecorded))
			continue;
		mine[count].agent_id = slot->agent_id;
		mine[count].subtransaction = GetCurrentSubTransactionId();
		mine[count].events = slot->unrecorded;
		taken[taken_count++] = mine[count];
		count++;
		memset(&slot->unrecorded, 0, sizeof(SecondFactorEvents));
	}
	LWLockRelease(second_factor->lock);

	for (int i = 0; i < count; i++)
	{
		SecondFactorEvents *events = &mine[i].events;
		Datum		values[6];
		bool		nulls[6] = {false, false, events->first_at == 0, events->last_at == 0,
		false, events->locked_until == 0};

		values[0] = Int64GetDatum(mine[i].agent_id);
		values[1] = Int32GetDatum(events->wrong_codes);
		values[2] = TimestampTzGetDatum(events->first_at);
		values[3] = TimestampTzGetDatum(events->last_at);
		values[4] = Int32GetDatum(events->refused_while_locked);
		values[5] = TimestampTzGetDatum(events->locked_until);
		tuplestore_putvalues(result->setResult, result->setDesc, values, nulls);
	}
	return (Datum) 0;
}
