/*
 * config_cache.h — the per-backend caches of configuration tables (SLA
 * policies and calendars; triage rules, categories and templates): when
 * they are stale, and the memory they live in.
 */
#ifndef BEDROCK_CONFIG_CACHE_H
#define BEDROCK_CONFIG_CACHE_H

#include "postgres.h"

#define CONFIG_CACHE_MAX_TABLES 4

typedef struct ConfigCache
{
	const char *name;			/* identifies its memory context */
	const char *tables[CONFIG_CACHE_MAX_TABLES];	/* in schema support; NULL-ended */
	/* set by config_cache_reload */
	MemoryContext context;		/* new on every reload; the old one lives to the transaction's end */
	Oid			owner;			/* owner of the first table: the reads run as them */
	Oid			watched[CONFIG_CACHE_MAX_TABLES];
	/* bumped by every relevant invalidation; the cache is good while it matches */
	uint64		generation;
	uint64		loaded_generation;
	bool		registered;
} ConfigCache;

static inline bool
config_cache_is_current(const ConfigCache *cache)
{
	return cache->registered && cache->loaded_generation == cache->generation;
}

/*
 * Start a reload: a new context for the cache (the old one is freed at
 * the end of the transaction, as callers may still hold what it holds)
 * and the tables looked up again. Returns the generation to pass to config_cache_loaded once the
 * caller has filled the cache, so an invalidation that arrives while
 * loading makes the next use reload again.
 */
extern uint64 config_cache_reload(ConfigCache *cache);

static inline void
config_cache_loaded(ConfigCache *cache, uint64 generation)
{
	cache->loaded_generation = generation;
}

#endif
