/*
 * send_order.c — the order in which the outbox is delivered: fair across
 * accounts, urgent messages first.
 *
 * Each message queued gets a place in its class's queue (urgent: alerts
 * and staff's escalation emails; bulk: everything else), its send_order,
 * by start-time fair queuing: a class has a virtual clock, the place of
 * the last message claimed; an account's next message goes one place after
 * the later of that clock and the account's own last place. So an account
 * with nothing waiting goes next, and one that queued 10,000 messages at
 * once has them one after the other behind it: another account's message
 * queued later is claimed within a few claims, not after the 10,000. The
 * claim (support.claim_messages) serves urgent places first, each class in
 * order, and advances the clocks.
 *
 * The clocks and the accounts' last places live in shared memory: they are
 * an order, not data, and a restart begins them again from the places
 * still waiting (send_order_start). Without shared_preload_libraries there
 * is no worker to deliver, and a place is the time it was asked for.
 */
#include "postgres.h"

#include "catalog/namespace.h"
#include "fmgr.h"
#include "miscadmin.h"
#include "storage/ipc.h"
#include "storage/lwlock.h"
#include "storage/shmem.h"
#include "utils/timestamp.h"

#include "delivery/send_order.h"
#include "operations/worker_shmem.h"

/* accounts with a last place at once, over every database and class */
#define SEND_ORDER_ACCOUNTS 8192

typedef struct SendClock
{
	Oid			database;		/* InvalidOid: free */
	Oid			extension;		/* the installation they belong to: its schema's OID */
	uint32		generation;		/* of the accounts' places: one per installation */
	int64		clock[2];		/* per class: bulk, urgent */
} SendClock;

typedef struct AccountPlace
{
	Oid			database;		/* InvalidOid: free */
	uint32		generation;
	int64		account_id;
	bool		urgent;
	int64		last;
} AccountPlace;

typedef struct SendOrderShared
{
	LWLock	   *lock;
	SendClock	clocks[WORKER_MAX_DATABASES];
	AccountPlace accounts[SEND_ORDER_ACCOUNTS];
} SendOrderShared;

static SendOrderShared *send_order_shared = NULL;
static shmem_request_hook_type previous_shmem_request = NULL;
static shmem_startup_hook_type previous_shmem_startup = NULL;

static void
send_order_on_request(void)
{
	if (previous_shmem_request)
		previous_shmem_request();
	RequestAddinShmemSpace(MAXALIGN(sizeof(SendOrderShared)));
	RequestNamedLWLockTranche("bedrock_support send order", 1);
}

static void
send_order_on_startup(void)
{
	bool		found;

	if (previous_shmem_startup)
		previous_shmem_startup();
	LWLockAcquire(AddinShmemInitLock, LW_EXCLUSIVE);
	send_order_shared = ShmemInitStruct("bedrock_support send order", sizeof(SendOrderShared), &found);
	if (!found)
	{
		memset(send_order_shared, 0, sizeof(SendOrderShared));
		send_order_shared->lock = &(GetNamedLWLockTranche("bedrock_support send order"))->lock;
	}
	LWLockRelease(AddinShmemInitLock);
}

void
send_order_request(void)
{
	previous_shmem_request = shmem_request_hook;
	shmem_request_hook = send_order_on_request;
	previous_shmem_startup = shmem_startup_hook;
	shmem_startup_hook = send_order_on_startup;
}

/*
 * This database's clocks, made if missing (NULL when every slot is taken).
 * A new installation of the extension (dropped and created again, or
 * restored) begins them again, and its accounts' places. Lock held.
 */
static SendClock *
send_order_clock(void)
{
	SendClock  *clock = NULL;
	/* the schema is made with the extension: a cached catalog probe tells an installation */
	Oid			extension = get_namespace_oid("support", true);

	for (int i = 0; i < WORKER_MAX_DATABASES && clock == NULL; i++)
		if (send_order_shared->clocks[i].database == MyDatabaseId)
			clock = &send_order_shared->clocks[i];
	for (int i = 0; i < WORKER_MAX_DATABASES && clock == NULL; i++)
		if (send_order_shared->clocks[i].database == InvalidOid)
		{
			clock = &send_order_shared->clocks[i];
			clock->database = MyDatabaseId;
			clock->extension = InvalidOid;
		}
	if (clock != NULL && clock->extension != extension)
	{
		clock->extension = extension;
		clock->generation++;
		clock->clock[0] = clock->clock[1] = 0;
	}
	return clock;
}

/*
 * The account's last place, made if missing; a full table gives the slot
 * of an account with nothing left waiting (its place is behind its
 * class's clock). NULL when none is free. Lock held.
 */
static AccountPlace *
send_order_account(int64 account_id, bool urgent, const SendClock *clock)
{
	uint64		key = ((uint64) MyDatabaseId << 40) ^ (uint64) account_id ^ (urgent ? UINT64CONST(0x5bd1e995) : 0);
	uint32		start;
	AccountPlace *free_place = NULL;

	key ^= key >> 33;
	key *= UINT64CONST(0xff51afd7ed558ccd);
	key ^= key >> 33;
	start = (uint32) (key % SEND_ORDER_ACCOUNTS);
	for (uint32 i = 0; i < SEND_ORDER_ACCOUNTS; i++)
	{
		AccountPlace *place = &send_order_shared->accounts[(start + i) % SEND_ORDER_ACCOUNTS];

		if (place->database == MyDatabaseId && place->account_id == account_id && place->urgent == urgent)
		{
			if (place->generation != clock->generation)
			{
				/* an earlier installation's: begins again */
				place->generation = clock->generation;
				place->last = clock->clock[urgent ? 1 : 0];
			}
			return place;
		}
		if (place->database == InvalidOid)
		{
			free_place = place;
			break;				/* never used: the probe sequence ends here */
		}
	}
	for (uint32 i = 0; i < SEND_ORDER_ACCOUNTS && free_place == NULL; i++)
	{
		AccountPlace *place = &send_order_shared->accounts[(start + i) % SEND_ORDER_ACCOUNTS];
		SendClock  *owner_clock = NULL;

		for (int j = 0; j < WORKER_MAX_DATABASES; j++)
			if (send_order_shared->clocks[j].database == place->database)
				owner_clock = &send_order_shared->clocks[j];
		if (owner_clock == NULL || place->generation != owner_clock->generation ||
			place->last <= owner_clock->clock[place->urgent ? 1 : 0])
			free_place = place;
	}
	if (free_place != NULL)
	{
		free_place->database = MyDatabaseId;
		free_place->generation = clock->generation;
		free_place->account_id = account_id;
		free_place->urgent = urgent;
		free_place->last = clock->clock[urgent ? 1 : 0];
	}
	return free_place;
}

int64
send_order_next(int64 account_id, bool urgent)
{
	SendClock  *clock;
	AccountPlace *place;
	int64		next;

	if (send_order_shared == NULL)
		return (int64) GetCurrentTimestamp();
	LWLockAcquire(send_order_shared->lock, LW_EXCLUSIVE);
	clock = send_order_clock();
	if (clock == NULL)
	{
		LWLockRelease(send_order_shared->lock);
		return (int64) GetCurrentTimestamp();
	}
	place = send_order_account(account_id, urgent, clock);
	next = Max(clock->clock[urgent ? 1 : 0], place != NULL ? place->last : 0) + 1;
	if (place != NULL)
		place->last = next;
	LWLockRelease(send_order_shared->lock);
	return next;
}

void
send_order_served(bool urgent, int64 place)
{
	SendClock  *clock;

	if (send_order_shared == NULL)
		return;
	LWLockAcquire(send_order_shared->lock, LW_EXCLUSIVE);
	clock = send_order_clock();
	if (clock != NULL && place > clock->clock[urgent ? 1 : 0])
		clock->clock[urgent ? 1 : 0] = place;
	LWLockRelease(send_order_shared->lock);
}

/*
 * support.next_send_order(account_id bigint, urgent boolean) RETURNS
 * bigint: the place of the account's next message of that class.
 */
PG_FUNCTION_INFO_V1(next_send_order);
Datum
next_send_order(PG_FUNCTION_ARGS)
{
	if (PG_ARGISNULL(0) || PG_ARGISNULL(1))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("support.next_send_order needs an account and whether the message is urgent"),
				 errhint("Messages are queued by support.queue_message, which gives both.")));
	PG_RETURN_INT64(send_order_next(PG_GETARG_INT64(0), PG_GETARG_BOOL(1)));
}
