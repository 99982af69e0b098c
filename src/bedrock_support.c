/*
 * bedrock_support.c — module entry point: the library's magic block and
 * its settings under the support.* prefix.
 *
 * The library is meant for shared_preload_libraries (the escalation worker
 * will be registered from here), but every function also works when the
 * library is loaded on first use.
 */
#include "postgres.h"

#include "fmgr.h"
#include "miscadmin.h"
#include "utils/guc.h"

#include "bedrock_support.h"

PG_MODULE_MAGIC;

void		_PG_init(void);

/* The user (agent or client) on whose behalf this transaction acts; 0 = none. */
static int	support_actor_id = 0;

/* Why the next changes are made (a priority override's reason, say). */
static char *support_change_reason = NULL;

bool		bedrock_auto_assign = true;

void
_PG_init(void)
{
	DefineCustomIntVariable("support.actor_id",
							"User id of the agent or client this transaction acts for.",
							"Recorded as the actor of ticket events the triggers write. "
							"The workflow functions set it for the statement they run.",
							&support_actor_id,
							0, 0, PG_INT32_MAX,
							PGC_USERSET, 0,
							NULL, NULL, NULL);
	DefineCustomStringVariable("support.change_reason",
							   "Reason recorded with the ticket change events this transaction causes.",
							   NULL,
							   &support_change_reason,
							   "",
							   PGC_USERSET, 0,
							   NULL, NULL, NULL);
	DefineCustomBoolVariable("support.auto_assign",
							 "Assign new tickets to the least-loaded eligible agent.",
							 "When off, new tickets without an assignee wait in their tier's queue.",
							 &bedrock_auto_assign,
							 true,
							 PGC_USERSET, 0,
							 NULL, NULL, NULL);
	MarkGUCPrefixReserved("support");
}
