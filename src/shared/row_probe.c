/*
 * row_probe.c — one row of a support table by its primary key, read
 * straight from the index.
 *
 * The triage outbox looks up each new ticket's requester, account and
 * agent. Through SPI that was a planned join started and ended for every
 * statement, and its generic plan, made from a small table's statistics,
 * could scan every account for one ticket. A primary-key probe costs one
 * index descent whatever the table's size. Callers run as the tables'
 * owner (a SECURITY DEFINER trigger), who is not subject to their row
 * security, so the probe reads what SPI would have read.
 */
#include "postgres.h"

#include "access/genam.h"
#include "access/htup_details.h"
#include "access/skey.h"
#include "access/stratnum.h"
#include "access/table.h"
#include "access/tableam.h"
#include "access/xact.h"
#include "catalog/pg_type.h"
#include "executor/tuptable.h"
#include "storage/lmgr.h"
#include "utils/snapmgr.h"
#include "utils/fmgroids.h"
#include "utils/rel.h"
#include "utils/relcache.h"

#include "shared/owner_spi.h"
#include "shared/row_probe.h"
#include "shared/spi_support.h"

void
row_probe_open(RowProbe *probe, const char *table)
{
	Relation	index;
	TupleDesc	tupdesc;

	probe->relation = table_open(owner_spi_support_table(table), AccessShareLock);
	probe->primary_key = RelationGetPrimaryKeyIndex(probe->relation);
	if (!OidIsValid(probe->primary_key))
		elog(ERROR, "table support.%s has no primary key", table);
	tupdesc = RelationGetDescr(probe->relation);
	index = index_open(probe->primary_key, AccessShareLock);
	probe->key_count = IndexRelationGetNumberOfKeyAttributes(index);
	for (int i = 0; i < probe->key_count; i++)
	{
		AttrNumber	column = index->rd_index->indkey.values[i];

		if (column <= 0 || TupleDescAttr(tupdesc, column - 1)->atttypid != INT8OID)
			elog(ERROR, "the primary key of support.%s is not made of bigint columns", table);
		probe->key_columns[i] = column;
	}
	index_close(index, AccessShareLock);
	probe->values = palloc(tupdesc->natts * sizeof(Datum));
	probe->nulls = palloc(tupdesc->natts * sizeof(bool));
}

int
row_probe_column(RowProbe *probe, const char *name)
{
	return spi_column(RelationGetDescr(probe->relation), name);
}

bool
row_probe_fetch(RowProbe *probe, Snapshot snapshot, const Datum *keys)
{
	ScanKeyData scan_keys[INDEX_MAX_KEYS];
	SysScanDesc scan;
	HeapTuple	tuple;
	bool		found = false;

	for (int i = 0; i < probe->key_count; i++)
		ScanKeyInit(&scan_keys[i], probe->key_columns[i], BTEqualStrategyNumber, F_INT8EQ, keys[i]);
	scan = systable_beginscan(probe->relation, probe->primary_key, true, snapshot,
							  probe->key_count, scan_keys);
	tuple = systable_getnext(scan);
	if (HeapTupleIsValid(tuple))
	{
		/* a copy: the scan's buffer is released below */
		heap_deform_tuple(heap_copytuple(tuple), RelationGetDescr(probe->relation),
						  probe->values, probe->nulls);
		found = true;
	}
	systable_endscan(scan);
	return found;
}

bool
row_probe_lock(RowProbe *probe, const Datum *keys, LockTupleMode mode)
{
	ScanKeyData scan_keys[INDEX_MAX_KEYS];
	SysScanDesc scan;
	HeapTuple	tuple;
	ItemPointerData tid;
	TupleTableSlot *slot;
	TM_FailureData failure;
	TM_Result	result;

	LockRelationOid(RelationGetRelid(probe->relation), RowShareLock);
	for (int i = 0; i < probe->key_count; i++)
		ScanKeyInit(&scan_keys[i], probe->key_columns[i], BTEqualStrategyNumber, F_INT8EQ, keys[i]);
	scan = systable_beginscan(probe->relation, probe->primary_key, true, GetLatestSnapshot(),
							  probe->key_count, scan_keys);
	tuple = systable_getnext(scan);
	if (!HeapTupleIsValid(tuple))
	{
		systable_endscan(scan);
		return false;
	}
	tid = tuple->t_self;
	systable_endscan(scan);
	slot = table_slot_create(probe->relation, NULL);
	result = table_tuple_lock(probe->relation, &tid, GetLatestSnapshot(), slot, GetCurrentCommandId(false),
							  mode, LockWaitSkip, TUPLE_LOCK_FLAG_FIND_LAST_VERSION, &failure);
	ExecDropSingleTupleTableSlot(slot);
	return result == TM_Ok;
}

void
row_probe_close(RowProbe *probe)
{
	table_close(probe->relation, AccessShareLock);
}
