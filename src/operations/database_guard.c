/*
 * database_guard.c — keeps the desk workers out of the way of statements
 * that need a database to themselves.
 *
 * DROP DATABASE, ALTER DATABASE ... RENAME and CREATE DATABASE ... TEMPLATE
 * (of the copied database) refuse to run while another session is
 * connected. Before they run, the database's worker is told to stop
 * (SIGTERM) and held off for a few seconds; the statements wait up to five
 * seconds for other sessions to leave, so they go through (and a worker
 * that comes back while a copy is made waits for it to finish). A dropped
 * extension wakes its worker at commit, which then finds it gone and
 * stops.
 */
#include "postgres.h"

#include "commands/dbcommands.h"
#include "commands/defrem.h"
#include "nodes/parsenodes.h"
#include "tcop/utility.h"
#include "utils/builtins.h"

#include "operations/database_guard.h"
#include "operations/worker_shmem.h"

/* long enough for the statement to finish before the launcher comes back */
#define DATABASE_GUARD_HOLDOFF_MS 2000

static ProcessUtility_hook_type previous_process_utility = NULL;

static bool
database_guard_drops_extension(DropStmt *drop)
{
	ListCell   *cell;

	if (drop->removeType != OBJECT_EXTENSION)
		return false;
	foreach(cell, drop->objects)
	{
		Node	   *name = lfirst(cell);

		if (IsA(name, String) && strcmp(strVal(name), "bedrock_support") == 0)
			return true;
	}
	return false;
}

static void
database_guard_utility(PlannedStmt *statement, const char *query, bool read_only_tree,
					   ProcessUtilityContext context, ParamListInfo params,
					   QueryEnvironment *environment, DestReceiver *destination,
					   QueryCompletion *completion)
{
	Node	   *tree = statement->utilityStmt;
	const char *database = NULL;

	if (IsA(tree, DropdbStmt))
		database = ((DropdbStmt *) tree)->dbname;
	else if (IsA(tree, RenameStmt) && ((RenameStmt *) tree)->renameType == OBJECT_DATABASE)
		database = ((RenameStmt *) tree)->subname;
	else if (IsA(tree, CreatedbStmt))
	{
		ListCell   *cell;

		/* the database copied: template1 unless named */
		foreach(cell, ((CreatedbStmt *) tree)->options)
		{
			DefElem    *option = lfirst_node(DefElem, cell);

			if (strcmp(option->defname, "template") == 0 && option->arg != NULL)
				database = defGetString(option);
		}
	}
	if (database != NULL)
	{
		Oid			oid = get_database_oid(database, true);

		if (OidIsValid(oid))
			worker_shmem_stop_database_worker(oid, DATABASE_GUARD_HOLDOFF_MS);
	}
	else if (IsA(tree, DropStmt) && database_guard_drops_extension((DropStmt *) tree))
		worker_wake_at_commit();

	if (previous_process_utility)
		previous_process_utility(statement, query, read_only_tree, context, params,
								 environment, destination, completion);
	else
		standard_ProcessUtility(statement, query, read_only_tree, context, params,
								environment, destination, completion);
}

void
database_guard_install(void)
{
	previous_process_utility = ProcessUtility_hook;
	ProcessUtility_hook = database_guard_utility;
}
