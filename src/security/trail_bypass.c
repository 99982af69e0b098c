/*
 * trail_bypass.c — the event trigger that records DDL on the trails
 * (support.ticket_events, sla_events, assumption_audit, security_audit):
 * disabling their guards or row-level security is a superuser's bypass,
 * and the trail says so.
 *
 * It fires on every ALTER TABLE, CREATE TRIGGER and policy command in the
 * database, most of them on tables that are not the desk's: the statement's
 * own relation is looked at first, and only a statement on a trail (or one
 * whose relation cannot be told from the statement) runs the recording
 * query, support.record_trail_commands(), as the trails' owner. The same
 * function serves the DROP TRIGGER and DROP POLICY event trigger
 * (sql_drop), with support.record_trail_drops().
 */
#include "postgres.h"

#include "catalog/namespace.h"
#include "commands/event_trigger.h"
#include "commands/extension.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "nodes/makefuncs.h"
#include "nodes/parsenodes.h"
#include "nodes/pg_list.h"
#include "utils/lsyscache.h"

#include "shared/owner_spi.h"

static const char *const trail_tables[] = {"ticket_events", "sla_events", "assumption_audit", "security_audit"};

/* The relation a statement names, when the statement has exactly one. */
static RangeVar *
trail_bypass_statement_relation(Node *statement)
{
	switch (nodeTag(statement))
	{
		case T_AlterTableStmt:
			return ((AlterTableStmt *) statement)->relation;
		case T_CreateTrigStmt:
			return ((CreateTrigStmt *) statement)->relation;
		case T_CreatePolicyStmt:
			return ((CreatePolicyStmt *) statement)->table;
		case T_AlterPolicyStmt:
			return ((AlterPolicyStmt *) statement)->table;
		default:
			/* a rename among them: its old name may now be another table's */
			return NULL;
	}
}

static bool
trail_bypass_is_trail(Oid relid)
{
	Oid			support = get_namespace_oid("support", true);
	char	   *name;

	if (!OidIsValid(support) || get_rel_namespace(relid) != support)
		return false;
	name = get_rel_name(relid);
	for (size_t i = 0; i < lengthof(trail_tables); i++)
		if (name != NULL && strcmp(name, trail_tables[i]) == 0)
			return true;
	return false;
}

static void
trail_bypass_record(void *argument)
{
	if (SPI_execute((const char *) argument, false, 0) != SPI_OK_SELECT)
		elog(ERROR, "%s failed", (const char *) argument);
}

/*
 * Whether a DROP TRIGGER or DROP POLICY names a trail's (or a table that
 * cannot be told now): each object is the table's name and its own.
 */
static bool
trail_bypass_drop_names_trail(DropStmt *drop)
{
	ListCell   *cell;

	foreach(cell, drop->objects)
	{
		List	   *names = lfirst_node(List, cell);
		Oid			relid;

		if (list_length(names) < 2)
			return true;
		relid = RangeVarGetRelid(makeRangeVarFromNameList(list_truncate(list_copy(names), list_length(names) - 1)),
								 NoLock, true);
		if (!OidIsValid(relid) || trail_bypass_is_trail(relid))
			return true;
	}
	return false;
}

/*
 * support.record_trail_bypass() RETURNS event_trigger: see above. A DROP
 * (of a policy) is not among the commands ddl_command_end reports, so it
 * returns at once too, as the recording query would find nothing.
 */
PG_FUNCTION_INFO_V1(record_trail_bypass);
Datum
record_trail_bypass(PG_FUNCTION_ARGS)
{
	EventTriggerData *data;
	RangeVar   *relation;

	if (!CALLED_AS_EVENT_TRIGGER(fcinfo))
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_EVENT_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("support.record_trail_bypass() is an event trigger"),
				 errhint("It is the extension's event trigger bedrock_support_trail_changes, not for calling.")));
	data = (EventTriggerData *) fcinfo->context;
	/* the extension's own script builds the trails: no bypass */
	if (creating_extension)
		PG_RETURN_VOID();
	if (strcmp(data->event, "sql_drop") == 0)
	{
		/* a trail's trigger or policy dropped (bedrock_support_trail_drops) */
		if (IsA(data->parsetree, DropStmt) && trail_bypass_drop_names_trail((DropStmt *) data->parsetree))
			owner_spi_run(owner_spi_relation_owner(owner_spi_support_table("security_audit")),
						  trail_bypass_record, "SELECT support.record_trail_drops()");
		PG_RETURN_VOID();
	}
	if (IsA(data->parsetree, DropStmt))
		PG_RETURN_VOID();		/* ddl_command_end is not told of drops */
	relation = trail_bypass_statement_relation(data->parsetree);
	if (relation != NULL)
	{
		Oid			relid = RangeVarGetRelid(relation, NoLock, true);

		/* a renamed table is gone under its old name: let the query tell */
		if (OidIsValid(relid) && !trail_bypass_is_trail(relid))
			PG_RETURN_VOID();
	}

	/* as the trails' owner: whoever ran the DDL may not call the desk's functions */
	owner_spi_run(owner_spi_relation_owner(owner_spi_support_table("security_audit")),
				  trail_bypass_record, "SELECT support.record_trail_commands()");
	PG_RETURN_VOID();
}
