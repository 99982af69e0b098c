/*
 * spi_support.c — kept plans and column lookups for the C triggers.
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "common/hashfn.h"
#include "nodes/parsenodes.h"
#include "utils/builtins.h"
#include "utils/inval.h"

#include "shared/spi_support.h"

/*
 * Generic plans: these are short statements run per row or per statement,
 * where planning again for each parameter set would cost more than a custom
 * plan could save.
 */
SPIPlanPtr
spi_kept_plan(SPIPlanPtr *cached, const char *query, int argument_count, Oid *argument_types)
{
	if (*cached == NULL)
	{
		SPIPlanPtr	plan = SPI_prepare_cursor(query, argument_count, argument_types,
											  CURSOR_OPT_GENERIC_PLAN);

		if (plan == NULL)
			elog(ERROR, "SPI_prepare failed for \"%s\": %s", query,
				 SPI_result_code_string(SPI_result));
		if (SPI_keepplan(plan) != 0)
			elog(ERROR, "SPI_keepplan failed");
		*cached = plan;
	}
	return *cached;
}

/*
 * Column indexes, cached per backend. Every statement on a ticket looks up
 * some sixty columns by name across its triggers, and SPI_fnumber compares
 * the name with each column in turn: 5 % of a single-ticket INSERT. Entries
 * are keyed by the relation's row type and the name's address (the callers
 * pass string constants), and all are dropped at any relcache invalidation,
 * which ALTER TABLE sends, so a column an upgrade adds or moves is looked
 * up afresh by the next statement.
 */
#define COLUMN_CACHE_SIZE 256	/* a power of two, over twice the names in use */

typedef struct ColumnCacheEntry
{
	uint64		generation;		/* valid while equal to column_cache_generation */
	Oid			row_type;
	const char *name;
	int			index;
} ColumnCacheEntry;

static ColumnCacheEntry column_cache[COLUMN_CACHE_SIZE];
static uint64 column_cache_generation = 1;
static bool column_cache_registered = false;

static void
spi_column_cache_invalidate(Datum argument, Oid relid)
{
	column_cache_generation++;
}

/* SPI_fnumber as a 0-based index; an error if the row has no such column. */
static int
spi_column_lookup(TupleDesc tupdesc, const char *name)
{
	int			attnum = SPI_fnumber(tupdesc, name);

	if (attnum <= 0)
		elog(ERROR, "%s has no column \"%s\"",
			 OidIsValid(tupdesc->tdtypeid) ? format_type_be(tupdesc->tdtypeid) : "the row", name);
	return attnum - 1;
}

int
spi_column(TupleDesc tupdesc, const char *name)
{
	uint32		slot = hash_bytes_uint32((uint32) ((uintptr_t) name ^ tupdesc->tdtypeid)) &
		(COLUMN_CACHE_SIZE - 1);

	if (!column_cache_registered)
	{
		CacheRegisterRelcacheCallback(spi_column_cache_invalidate, (Datum) 0);
		column_cache_registered = true;
	}
	/* a descriptor of no relation (a row type of 0 or record) is not cached */
	if (!OidIsValid(tupdesc->tdtypeid) || tupdesc->tdtypeid == RECORDOID)
		return spi_column_lookup(tupdesc, name);
	for (int probe = 0; probe < COLUMN_CACHE_SIZE; probe++)
	{
		ColumnCacheEntry *entry = &column_cache[(slot + probe) & (COLUMN_CACHE_SIZE - 1)];

		if (entry->generation != column_cache_generation)
		{
			/* a free slot: look the column up and keep it here */
			entry->index = spi_column_lookup(tupdesc, name);
			entry->generation = column_cache_generation;
			entry->row_type = tupdesc->tdtypeid;
			entry->name = name;
			return entry->index;
		}
		if (entry->row_type == tupdesc->tdtypeid && entry->name == name)
			return entry->index;
	}
	return spi_column_lookup(tupdesc, name);	/* a full table: names not constants */
}
