/*
 * trigger_guard.c — the relation check every C trigger function makes first.
 *
 * The triggers read columns by position and write history as the owner.
 * Anyone who could attach one to a table of their own, shaped like
 * support.tickets but holding NULLs, other types or other accounts' ids,
 * would have it read memory it does not own or write rows in their name.
 * EXECUTE is revoked from PUBLIC, so only the owner can attach them; this
 * check holds even where a DBA grants it back or attaches one by mistake.
 * A relation in schema support is the extension's: the group roles have no
 * CREATE there.
 */
#include "postgres.h"

#include "catalog/namespace.h"
#include "miscadmin.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"
#include "utils/rls.h"

#include "shared/trigger_guard.h"

TriggerData *
trigger_guard(FunctionCallInfo fcinfo, const char *function, const char *table)
{
	TriggerData *trigdata;
	Relation	relation;
	Oid			support_schema;

	if (!CALLED_AS_TRIGGER(fcinfo))
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("support.%s() can only be called as a trigger", function),
				 errhint("The extension attaches it to its own tables; nothing else calls it.")));
	trigdata = (TriggerData *) fcinfo->context;
	relation = trigdata->tg_relation;
	support_schema = get_namespace_oid("support", false);
	if (RelationGetNamespace(relation) != support_schema ||
		(table != NULL && strcmp(RelationGetRelationName(relation), table) != 0))
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("support.%s() fires only on %s, not on %s", function,
						table != NULL ? psprintf("support.%s", table) : "the tables of schema support",
						quote_qualified_identifier(get_namespace_name(RelationGetNamespace(relation)),
												   RelationGetRelationName(relation))),
				 errhint("The extension's trigger functions are not for other tables.")));
	return trigdata;
}

bool
trigger_guard_restoring(void)
{
	Oid			outer;

	if (row_security)
		return false;
	/*
	 * Anyone may SET row_security = off, and the workflow functions run as
	 * the owner, whom it does not stop: only a role that bypasses row-level
	 * security (pg_dump's and pg_restore's) restores.
	 */
	outer = GetOuterUserId();
	return superuser_arg(outer) || has_bypassrls_privilege(outer);
}

PG_FUNCTION_INFO_V1(restoring);
Datum
restoring(PG_FUNCTION_ARGS)
{
	PG_RETURN_BOOL(trigger_guard_restoring());
}
