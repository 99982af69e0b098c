/*
 * lock_guard.c — no session but a superuser's holds the desk's tables or
 * rows by hand.
 *
 * Every role that can connect may hold what it writes until its
 * transaction ends (the worker ends a session that holds a due ticket too
 * long: support.end_ticket_holders). What no role but a superuser may do:
 *   - LOCK TABLE on a table of schema support (a table-level UPDATE or
 *     DELETE grant allows it, and ACCESS EXCLUSIVE froze every account);
 *   - SELECT ... FOR UPDATE / NO KEY UPDATE / SHARE / KEY SHARE of the
 *     desk's rows (an agent held a tier's tickets, and the worker skipped
 *     every due action on them); the workflow functions lock what they
 *     change, as the owner;
 *   - PREPARE TRANSACTION of a transaction that holds any lock on the
 *     desk's tables: a prepared transaction outlives its session and a
 *     restart, and nobody can end it but a superuser.
 * The first two need the library loaded in the session: with
 * shared_preload_libraries it is in every one.
 */
#include "postgres.h"

#include "access/relation.h"
#include "access/xact.h"
#include "catalog/pg_class.h"
#include "catalog/namespace.h"
#include "executor/executor.h"
#include "miscadmin.h"
#include "nodes/nodeFuncs.h"
#include "nodes/parsenodes.h"
#include "nodes/plannodes.h"
#include "parser/parsetree.h"
#include "rewrite/rewriteHandler.h"
#include "storage/lock.h"
#include "storage/proc.h"
#include "tcop/utility.h"
#include "utils/acl.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"

#include "security/lock_guard.h"

static ProcessUtility_hook_type previous_process_utility = NULL;
static ExecutorStart_hook_type previous_executor_start = NULL;
static bool xact_callback_registered = false;
/* the workflow's own lock, as its caller (lock_guard_as_workflow) */
static bool workflow_locking = false;

static bool
lock_guard_is_desk_relation(Oid relid)
{
	Oid			support = get_namespace_oid("support", true);

	return OidIsValid(support) && get_rel_namespace(relid) == support;
}

/* A superuser, or the desk table's owner (a desk owned by a non-superuser role), may lock it. */
static bool
lock_guard_may_lock(Oid relid)
{
	return superuser() || pg_class_ownercheck(relid, GetUserId());
}

static bool lock_guard_view_reaches_desk(Node *node, void *context);

/* What a view's walk carries: the views looked into, and the desk table reached. */
typedef struct LockWalk
{
	List	   *views;
	Oid			desk_table;
} LockWalk;

static bool lock_guard_relation_reaches_desk(Oid relid, LockWalk *walk);

/*
 * Whether LOCK TABLE of relid locks a desk table: the table itself, or, for
 * a view, any table its query reads (LOCK TABLE on a view locks them too,
 * as the view's owner). The view stays locked (AccessShareLock) to the end
 * of the transaction, so its query cannot change before LOCK reads it.
 */
/* The desk table LOCK TABLE of relid would lock (InvalidOid: none). */
static Oid
lock_guard_reaches_desk(Oid relid)
{
	LockWalk	walk = {NIL, InvalidOid};

	(void) lock_guard_relation_reaches_desk(relid, &walk);
	return walk.desk_table;
}

/* walk: the views looked into already (a view's rule names the view itself, as OLD and NEW) */
static bool
lock_guard_relation_reaches_desk(Oid relid, LockWalk *walk)
{
	Relation	view;
	bool		reaches;

	check_stack_depth();
	if (lock_guard_is_desk_relation(relid))
	{
		walk->desk_table = relid;
		return true;
	}
	if (get_rel_relkind(relid) != RELKIND_VIEW || list_member_oid(walk->views, relid))
		return false;
	walk->views = lappend_oid(walk->views, relid);
	view = relation_open(relid, AccessShareLock);
	reaches = lock_guard_view_reaches_desk((Node *) get_view_query(view), walk);
	relation_close(view, NoLock);
	return reaches;
}

static bool
lock_guard_view_reaches_desk(Node *node, void *context)
{
	if (node == NULL)
		return false;
	if (IsA(node, Query))
	{
		ListCell   *cell;

		foreach(cell, ((Query *) node)->rtable)
		{
			RangeTblEntry *entry = lfirst_node(RangeTblEntry, cell);

			if (entry->rtekind == RTE_RELATION && lock_guard_relation_reaches_desk(entry->relid, (LockWalk *) context))
				return true;
		}
		return query_tree_walker((Query *) node, lock_guard_view_reaches_desk, context, 0);
	}
	return expression_tree_walker(node, lock_guard_view_reaches_desk, context);
}

static void
lock_guard_utility(PlannedStmt *statement, const char *query, bool read_only_tree,
				   ProcessUtilityContext context, ParamListInfo params,
				   QueryEnvironment *environment, DestReceiver *destination,
				   QueryCompletion *completion)
{
	Node	   *tree = statement->utilityStmt;

	if (IsA(tree, LockStmt) && !superuser())
	{
		ListCell   *cell;

		/*
		 * Each name is checked as it resolves now, then written with its
		 * schema, so LOCK cannot resolve it again to another table (one
		 * dropped meanwhile that shadowed a desk table on the search_path).
		 */
		if (read_only_tree)
		{
			statement = copyObject(statement);
			tree = statement->utilityStmt;
			read_only_tree = false;
		}
		foreach(cell, ((LockStmt *) tree)->relations)
		{
			RangeVar   *relation = lfirst_node(RangeVar, cell);
			Oid			relid = RangeVarGetRelid(relation, NoLock, true);
			Oid			desk_table;

			if (!OidIsValid(relid))
				continue;		/* LOCK says it does not exist */
			desk_table = lock_guard_reaches_desk(relid);
			if (OidIsValid(desk_table) && !lock_guard_may_lock(desk_table))
				ereport(ERROR,
						(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
						 lock_guard_is_desk_relation(relid)
						 ? errmsg("only a superuser may lock table support.%s", get_rel_name(relid))
						 : errmsg("only a superuser may lock view %s: it reads the desk's tables", get_rel_name(relid)),
						 errdetail("A lock on a table of the desk holds up every account's tickets and the worker."),
						 errhint("The workflow functions lock the rows they change; nothing else needs a lock.")));
			relation->schemaname = get_namespace_name(get_rel_namespace(relid));
		}
	}
	if (previous_process_utility)
		previous_process_utility(statement, query, read_only_tree, context, params,
								 environment, destination, completion);
	else
		standard_ProcessUtility(statement, query, read_only_tree, context, params,
								environment, destination, completion);
}

static void
lock_guard_executor_start(QueryDesc *query, int flags)
{
	PlannedStmt *plan = query->plannedstmt;

	if (plan->rowMarks != NIL && !(flags & EXEC_FLAG_EXPLAIN_ONLY) && !workflow_locking && !superuser())
	{
		ListCell   *cell;

		foreach(cell, plan->rowMarks)
		{
			PlanRowMark *mark = lfirst_node(PlanRowMark, cell);
			RangeTblEntry *entry;

			if (!RowMarkRequiresRowShareLock(mark->markType))
				continue;		/* the rows an UPDATE or DELETE reads beside its target */
			entry = rt_fetch(mark->rti, plan->rtable);
			if (entry->rtekind == RTE_RELATION && lock_guard_is_desk_relation(entry->relid) &&
				!pg_class_ownercheck(entry->relid, GetUserId()))
				ereport(ERROR,
						(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
						 errmsg("only a superuser may lock rows of support.%s", get_rel_name(entry->relid)),
						 errdetail("A row of the desk held by hand holds up the worker's deadline actions and other accounts' tickets."),
						 errhint("Read without FOR UPDATE or FOR SHARE; the workflow functions lock the rows they change.")));
		}
	}
	if (previous_executor_start)
		previous_executor_start(query, flags);
	else
		standard_ExecutorStart(query, flags);
}

/* Whether this backend holds any lock on a relation of schema support. */
static bool
lock_guard_holds_desk_locks(void)
{
	LockData   *locks = GetLockStatusData();

	for (int i = 0; i < locks->nelements; i++)
	{
		LockInstanceData *lock = &locks->locks[i];

		if (lock->pid == MyProcPid && lock->holdMask != 0 &&
			lock->locktag.locktag_type == LOCKTAG_RELATION &&
			lock->locktag.locktag_field1 == MyDatabaseId &&
			lock_guard_is_desk_relation((Oid) lock->locktag.locktag_field2))
			return true;
	}
	return false;
}

static void
lock_guard_xact_callback(XactEvent event, void *argument)
{
	if (event == XACT_EVENT_PRE_PREPARE && !superuser_arg(GetSessionUserId()) &&
		lock_guard_holds_desk_locks())
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("a transaction that used the support desk cannot be prepared"),
				 errdetail("A prepared transaction keeps its locks past its session and a restart, and only a superuser can end it."),
				 errhint("Commit or roll back the desk's work; keep two-phase commit to other tables.")));
}

void
lock_guard_as_workflow(void (*work) (void *), void *argument)
{
	bool		was = workflow_locking;

	workflow_locking = true;
	PG_TRY();
	{
		work(argument);
	}
	PG_FINALLY();
	{
		workflow_locking = was;
	}
	PG_END_TRY();
}

void
lock_guard_install(void)
{
	previous_process_utility = ProcessUtility_hook;
	ProcessUtility_hook = lock_guard_utility;
	previous_executor_start = ExecutorStart_hook;
	ExecutorStart_hook = lock_guard_executor_start;
	if (!xact_callback_registered)
	{
		RegisterXactCallback(lock_guard_xact_callback, NULL);
		xact_callback_registered = true;
	}
}
