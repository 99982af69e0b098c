/*
 * row_locks.c — which sessions hold a row of the desk's tables.
 *
 * The escalation worker skips a due ticket another transaction holds (FOR
 * UPDATE SKIP LOCKED) rather than wait for it; a session that keeps one
 * past support.lock_hold_limit is ended (support.end_ticket_holders). A row
 * lock lives in the tuple's xmax, not in the lock table, and nobody waits
 * for it, so pg_locks cannot name its holder: this reads the xmax (one
 * transaction, or a MultiXact of several) and maps each transaction still
 * running to its backend, as contrib's pgrowlocks does.
 */
#include "postgres.h"

#include "access/heapam.h"
#include "access/htup_details.h"
#include "access/multixact.h"
#include "access/subtrans.h"
#include "access/table.h"
#include "access/transam.h"
#include "access/xact.h"
#include "catalog/namespace.h"
#include "catalog/pg_class.h"
#include "catalog/pg_type.h"
#include "fmgr.h"
#include "miscadmin.h"
#include "storage/bufmgr.h"
#include "storage/itemptr.h"
#include "storage/procarray.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"
#include "utils/snapmgr.h"

/* The backend running xid's top-level transaction; 0 for none (ended, or prepared). */
static int
row_locks_backend_of(TransactionId xid)
{
	if (!TransactionIdIsValid(xid) || !TransactionIdIsInProgress(xid))
		return 0;
	/* a lock taken inside a savepoint carries the subtransaction's xid */
	if (TransactionIdFollowsOrEquals(xid, TransactionXmin))
		xid = SubTransGetTopmostTransaction(xid);
	return BackendXidGetPid(xid);
}

static void
row_locks_add(int **pids, int *count, int pid)
{
	if (pid == 0 || pid == MyProcPid)
		return;
	for (int i = 0; i < *count; i++)
		if ((*pids)[i] == pid)
			return;
	(*pids)[(*count)++] = pid;
}

/*
 * support.row_locker_pids(relation regclass, row_id tid) RETURNS int[]: the
 * backends whose running transactions lock or update that row version of
 * one of the desk's tables (empty: none, or only prepared transactions).
 */
PG_FUNCTION_INFO_V1(row_locker_pids);
Datum
row_locker_pids(PG_FUNCTION_ARGS)
{
	Oid			relid;
	ItemPointer row_id;
	Relation	relation;
	HeapTupleData tuple;
	Buffer		buffer = InvalidBuffer;
	uint16		infomask = 0;
	TransactionId xmax = InvalidTransactionId;
	bool		found;
	int		   *pids;
	int			count = 0;
	Datum	   *elements;

	if (PG_ARGISNULL(0) || PG_ARGISNULL(1))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("support.row_locker_pids needs a relation and a row"),
				 errhint("Pass a table of schema support and a ctid read from it.")));
	relid = PG_GETARG_OID(0);
	row_id = (ItemPointer) PG_GETARG_POINTER(1);

	relation = table_open(relid, AccessShareLock);
	if (relation->rd_rel->relkind != RELKIND_RELATION ||
		get_namespace_oid("support", true) != RelationGetNamespace(relation))
	{
		char	   *name = RelationGetRelationName(relation);

		table_close(relation, AccessShareLock);
		ereport(ERROR,
				(errcode(ERRCODE_WRONG_OBJECT_TYPE),
				 errmsg("\"%s\" is not a table of the support desk", name),
				 errhint("support.row_locker_pids reads only the tables of schema support.")));
	}

	tuple.t_self = *row_id;
	found = ItemPointerIsValid(row_id) &&
		ItemPointerGetBlockNumber(row_id) < RelationGetNumberOfBlocks(relation) &&
		heap_fetch(relation, SnapshotAny, &tuple, &buffer, true);
	if (found)
	{
		LockBuffer(buffer, BUFFER_LOCK_SHARE);
		infomask = tuple.t_data->t_infomask;
		xmax = HeapTupleHeaderGetRawXmax(tuple.t_data);
		LockBuffer(buffer, BUFFER_LOCK_UNLOCK);
	}
	if (BufferIsValid(buffer))
		ReleaseBuffer(buffer);
	table_close(relation, AccessShareLock);

	if (!found || (infomask & HEAP_XMAX_INVALID) || !TransactionIdIsValid(xmax))
		pids = palloc(sizeof(int));
	else if (infomask & HEAP_XMAX_IS_MULTI)
	{
		MultiXactMember *members;
		int			member_count = GetMultiXactIdMembers((MultiXactId) xmax, &members, false,
														 HEAP_XMAX_IS_LOCKED_ONLY(infomask));

		pids = palloc((Max(member_count, 0) + 1) * sizeof(int));
		for (int i = 0; i < member_count; i++)
		{
			CHECK_FOR_INTERRUPTS();
			row_locks_add(&pids, &count, row_locks_backend_of(members[i].xid));
		}
	}
	else
	{
		pids = palloc(sizeof(int));
		row_locks_add(&pids, &count, row_locks_backend_of(xmax));
	}

	elements = palloc((count + 1) * sizeof(Datum));
	for (int i = 0; i < count; i++)
		elements[i] = Int32GetDatum(pids[i]);
	PG_RETURN_ARRAYTYPE_P(construct_array(elements, count, INT4OID, sizeof(int32), true, TYPALIGN_INT));
}
