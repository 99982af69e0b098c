/*
 * config_cache.c — invalidation of the per-backend configuration caches.
 *
 * A bulk INSERT of tickets must not query the configuration once per row,
 * so the triggers cache it per backend. Statement triggers on the tables
 * call support.config_changed(), which queues a relcache invalidation of
 * the changed table; every backend (this one at its next command, others
 * at their next transaction, and this one on rollback too) then sees the
 * cache watching that table as stale.
 */
#include "postgres.h"

#include "access/xact.h"
#include "commands/trigger.h"
#include "fmgr.h"
#include "nodes/pg_list.h"
#include "utils/inval.h"
#include "utils/memutils.h"
#include "utils/rel.h"

#include "shared/config_cache.h"
#include "shared/owner_spi.h"
#include "shared/trigger_guard.h"

static void
config_cache_invalidate(Datum argument, Oid relid)
{
	ConfigCache *cache = (ConfigCache *) DatumGetPointer(argument);

	if (relid == InvalidOid)
	{
		cache->generation++;
		return;
	}
	for (int i = 0; i < CONFIG_CACHE_MAX_TABLES && cache->tables[i] != NULL; i++)
		if (cache->watched[i] == relid)
		{
			cache->generation++;
			return;
		}
}

/*
 * The contexts of replaced caches. A reload can come in the middle of a
 * statement that still holds what the old load returned (a calendar, a
 * rule), because loading takes locks and so takes in invalidations: the old
 * context is kept to the end of the transaction, when nothing holds it.
 */
static List *config_cache_retired = NIL;
static bool config_cache_xact_callback_registered = false;

static void
config_cache_free_retired(XactEvent event, void *argument)
{
	ListCell   *cell;

	if (event != XACT_EVENT_COMMIT && event != XACT_EVENT_ABORT &&
		event != XACT_EVENT_PARALLEL_COMMIT && event != XACT_EVENT_PARALLEL_ABORT &&
		event != XACT_EVENT_PREPARE)
		return;
	foreach(cell, config_cache_retired)
		MemoryContextDelete((MemoryContext) lfirst(cell));
	list_free(config_cache_retired);
	config_cache_retired = NIL;
}

uint64
config_cache_reload(ConfigCache *cache)
{
	uint64		generation = cache->generation;

	if (!cache->registered)
	{
		CacheRegisterRelcacheCallback(config_cache_invalidate, PointerGetDatum(cache));
		cache->registered = true;
	}
	if (!config_cache_xact_callback_registered)
	{
		RegisterXactCallback(config_cache_free_retired, NULL);
		config_cache_xact_callback_registered = true;
	}
	if (cache->context != NULL)
	{
		MemoryContext caller = MemoryContextSwitchTo(TopMemoryContext);

		config_cache_retired = lappend(config_cache_retired, cache->context);
		MemoryContextSwitchTo(caller);
	}
	cache->context = AllocSetContextCreate(TopMemoryContext, "bedrock_support configuration cache",
										   ALLOCSET_SMALL_SIZES);
	MemoryContextSetIdentifier(cache->context, cache->name);
	for (int i = 0; i < CONFIG_CACHE_MAX_TABLES && cache->tables[i] != NULL; i++)
		cache->watched[i] = owner_spi_support_table(cache->tables[i]);
	cache->owner = owner_spi_relation_owner(cache->watched[0]);
	return generation;
}

/* Statement trigger on a cached table: every backend's copy is dropped once this commits. */
PG_FUNCTION_INFO_V1(config_changed);
Datum
config_changed(PG_FUNCTION_ARGS)
{
	TriggerData *trigdata = trigger_guard(fcinfo, "config_changed", NULL);

	CacheInvalidateRelcache(trigdata->tg_relation);
	return PointerGetDatum(NULL);
}
