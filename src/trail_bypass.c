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
 * query, support.record_trail_commands().
 */
#include "postgres.h"

#include "catalog/namespace.h"
#include "commands/event_trigger.h"
#include "commands/extension.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "nodes/parsenodes.h"
#include "utils/lsyscache.h"

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
		case T_RenameStmt:
			return ((RenameStmt *) statement)->relation;
		default:
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
	if (creating_extension || IsA(data->parsetree, DropStmt))
		PG_RETURN_VOID();
	relation = trail_bypass_statement_relation(data->parsetree);
	if (relation != NULL)
	{
		Oid			relid = RangeVarGetRelid(relation, NoLock, true);

		/* a renamed table is gone under its old name: let the query tell */
		if (OidIsValid(relid) && !trail_bypass_is_trail(relid))
			PG_RETURN_VOID();
	}

	SPI_connect();
	if (SPI_execute("SELECT support.record_trail_commands()", false, 0) != SPI_OK_SELECT)
		elog(ERROR, "support.record_trail_commands() failed");
	SPI_finish();
	PG_RETURN_VOID();
}
