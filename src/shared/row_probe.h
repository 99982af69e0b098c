/*
 * row_probe.h — one row of a support table by its primary key, read
 * straight from the index, without planning or starting an executor.
 */
#ifndef BEDROCK_ROW_PROBE_H
#define BEDROCK_ROW_PROBE_H

#include "postgres.h"

#include "nodes/lockoptions.h"
#include "utils/rel.h"
#include "utils/snapshot.h"

typedef struct RowProbe
{
	Relation	relation;
	Oid			primary_key;
	int			key_count;
	AttrNumber	key_columns[INDEX_MAX_KEYS];
	Datum	   *values;			/* the last row found, deformed */
	bool	   *nulls;
} RowProbe;

/* Opens support.<table> (AccessShareLock); its primary key must be bigint columns. */
extern void row_probe_open(RowProbe *probe, const char *table);

/* The 0-based index of a column in values[] (name a string constant); an error if missing. */
extern int	row_probe_column(RowProbe *probe, const char *name);

/*
 * Finds the row whose primary key is keys[] (in the key's column order) as
 * snapshot sees it, into
 * probe->values and probe->nulls (copied into the current memory context).
 */
extern bool row_probe_fetch(RowProbe *probe, Snapshot snapshot, const Datum *keys);

/*
 * Locks the row whose primary key is keys[] in mode, never waiting: true
 * when this transaction now holds it (or already did), false when another
 * transaction holds it in a conflicting mode or the row is gone. The
 * relation is locked RowShareLock first, as SELECT ... FOR UPDATE does.
 */
extern bool row_probe_lock(RowProbe *probe, const Datum *keys, LockTupleMode mode);

extern void row_probe_close(RowProbe *probe);

#endif
