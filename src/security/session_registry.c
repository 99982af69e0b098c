/*
 * session_registry.c — which backends are still alive, for keys that must
 * die with the session that made them.
 *
 * An assumed user's key is bound to the backend that issued it: a slot
 * (its BackendId) and a random nonce kept in shared memory while that
 * backend lives. The backend clears its nonce as it exits; a crash
 * reinitialises shared memory. A backend id reused by a later session gets
 * a new nonce, so the old key never matches it.
 */
#include "postgres.h"

#include "miscadmin.h"
#include "port/atomics.h"
#include "storage/backendid.h"
#include "storage/ipc.h"
#include "storage/lwlock.h"
#include "storage/shmem.h"

#include "security/session_registry.h"

static pg_atomic_uint64 *session_nonces = NULL;
static uint64 my_nonce = 0;
static shmem_request_hook_type previous_shmem_request = NULL;
static shmem_startup_hook_type previous_shmem_startup = NULL;

static Size
session_registry_size(void)
{
	return mul_size(MaxBackends, sizeof(pg_atomic_uint64));
}

static void
session_registry_on_request(void)
{
	if (previous_shmem_request)
		previous_shmem_request();
	RequestAddinShmemSpace(MAXALIGN(session_registry_size()));
}

static void
session_registry_on_startup(void)
{
	bool		found;

	if (previous_shmem_startup)
		previous_shmem_startup();
	LWLockAcquire(AddinShmemInitLock, LW_EXCLUSIVE);
	session_nonces = ShmemInitStruct("bedrock_support sessions", session_registry_size(), &found);
	if (!found)
		for (int i = 0; i < MaxBackends; i++)
			pg_atomic_init_u64(&session_nonces[i], 0);
	LWLockRelease(AddinShmemInitLock);
}

void
session_registry_request(void)
{
	previous_shmem_request = shmem_request_hook;
	shmem_request_hook = session_registry_on_request;
	previous_shmem_startup = shmem_startup_hook;
	shmem_startup_hook = session_registry_on_startup;
}

static void
session_registry_forget(int code, Datum argument)
{
	if (my_nonce != 0 && MyBackendId != InvalidBackendId && MyBackendId <= MaxBackends)
		pg_atomic_write_u64(&session_nonces[MyBackendId - 1], 0);
	my_nonce = 0;
}

void
session_registry_current(int32 *slot, int64 *nonce)
{
	if (session_nonces == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("role assumption needs bedrock_support in shared_preload_libraries"),
				 errhint("An assumed user's key ends with the session that issued it, which is tracked in shared memory.")));
	if (MyBackendId == InvalidBackendId || MyBackendId > MaxBackends)
		elog(ERROR, "this process has no backend slot");
	if (my_nonce == 0)
	{
		do
		{
			if (!pg_strong_random(&my_nonce, sizeof(my_nonce)))
				ereport(ERROR,
						(errcode(ERRCODE_INTERNAL_ERROR),
						 errmsg("could not generate a random session nonce")));
			my_nonce &= PG_INT64_MAX;	/* stored in a bigint */
		} while (my_nonce == 0);
		before_shmem_exit(session_registry_forget, (Datum) 0);
		pg_atomic_write_u64(&session_nonces[MyBackendId - 1], my_nonce);
	}
	*slot = MyBackendId;
	*nonce = (int64) my_nonce;
}

bool
session_registry_alive(int32 slot, int64 nonce)
{
	if (session_nonces == NULL || slot < 1 || slot > MaxBackends || nonce == 0)
		return false;
	return pg_atomic_read_u64(&session_nonces[slot - 1]) == (uint64) nonce;
}
