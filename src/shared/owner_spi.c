/*
 * owner_spi.c — SPI reads as the configuration's owner.
 *
 * The deadline and triage triggers fire for clients and agents, who under
 * row-level security may not read the SLA policies, calendars, rules or
 * agents themselves. Like a SECURITY DEFINER function, the reads run as the
 * owner, in a restricted security context so nothing the owner could be
 * tricked into (temporary objects, SET ROLE) escapes the read. The
 * caller's search_path is replaced for the duration: its pg_temp comes
 * first for types and relations, and a temporary domain named "text" or
 * "int8" would otherwise run the caller's code with the owner's rights.
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "catalog/namespace.h"
#include "catalog/pg_class.h"
#include "executor/spi.h"
#include "miscadmin.h"
#include "utils/guc.h"
#include "utils/lsyscache.h"
#include "utils/syscache.h"

#include "shared/owner_spi.h"

void
owner_spi_run(Oid owner, void (*work) (void *), void *argument)
{
	Oid			saved_user;
	int			saved_security_context;
	int			nest_level;

	GetUserIdAndSecContext(&saved_user, &saved_security_context);
	SetUserIdAndSecContext(owner, saved_security_context | SECURITY_LOCAL_USERID_CHANGE |
						   SECURITY_RESTRICTED_OPERATION);
	/* on error, the (sub)transaction's abort pops the pinned level, as for SECURITY DEFINER */
	nest_level = NewGUCNestLevel();
	(void) set_config_option("search_path", OWNER_SEARCH_PATH, PGC_USERSET, PGC_S_SESSION,
							 GUC_ACTION_SAVE, true, 0, false);
	PG_TRY();
	{
		if (SPI_connect() != SPI_OK_CONNECT)
			elog(ERROR, "SPI_connect failed");
		work(argument);
		SPI_finish();
	}
	PG_FINALLY();
	{
		SetUserIdAndSecContext(saved_user, saved_security_context);
	}
	PG_END_TRY();
	AtEOXact_GUC(true, nest_level);
}

Oid
owner_spi_relation_owner(Oid relid)
{
	HeapTuple	tuple = SearchSysCache1(RELOID, ObjectIdGetDatum(relid));
	Oid			owner;

	if (!HeapTupleIsValid(tuple))
		elog(ERROR, "cache lookup failed for relation %u", relid);
	owner = ((Form_pg_class) GETSTRUCT(tuple))->relowner;
	ReleaseSysCache(tuple);
	return owner;
}

Oid
owner_spi_support_table(const char *name)
{
	Oid			relid = get_relname_relid(name, get_namespace_oid("support", false));

	if (!OidIsValid(relid))
		elog(ERROR, "table support.%s does not exist", name);
	return relid;
}
