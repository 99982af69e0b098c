/*
 * schema_version.c — which schema the library finds in this database:
 * 1.1's, or 1.0's between a package upgrade and ALTER EXTENSION UPDATE.
 *
 * The one test is a table 1.1 added (support.agent_load_changes): two
 * catalog cache probes, no query.
 */
#include "postgres.h"

#include "catalog/namespace.h"
#include "utils/lsyscache.h"

#include "operations/schema_version.h"

bool
schema_is_1_0(void)
{
	Oid			support = get_namespace_oid("support", true);

	return OidIsValid(support) && !OidIsValid(get_relname_relid("agent_load_changes", support));
}
