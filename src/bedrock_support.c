/*
 * bedrock_support.c — module entry point: the library's magic block and
 * its settings under the support.* prefix.
 *
 * The library is meant for shared_preload_libraries, which registers the
 * escalation launcher and its shared memory; every SQL function also works
 * when the library is loaded on first use, only without the worker.
 */
#include "postgres.h"

#include "fmgr.h"
#include "miscadmin.h"
#include "utils/guc.h"

#include "auth.h"
#include "bedrock_support.h"
#include "session_registry.h"
#include "worker.h"
#include "worker_shmem.h"

PG_MODULE_MAGIC;

void		_PG_init(void);

/* The user (agent or client) on whose behalf this transaction acts; 0 = none. */
int			bedrock_actor_id = 0;

/* The key that says who this transaction acts for (auth.c); empty = none. */
char	   *bedrock_auth_key = NULL;

/* Why the next changes are made (a priority override's reason, say). */
static char *support_change_reason = NULL;

bool		bedrock_auto_assign = true;
bool		bedrock_require_key = false;
bool		bedrock_worker_enabled = true;
static char *support_ticket_url = NULL;
int			bedrock_max_sleep_ms = 60000;
int			bedrock_batch_size = 500;
int			bedrock_delivery_concurrency = 64;
int			bedrock_delivery_max_attempts = 8;
int			bedrock_delivery_connect_timeout_ms = 5000;
int			bedrock_delivery_timeout_ms = 30000;
int			bedrock_delivery_backoff_ms = 1000;

void
_PG_init(void)
{
	DefineCustomIntVariable("support.actor_id",
							"User id of the agent or client this transaction acts for.",
							"Recorded as the actor of ticket events the triggers write. "
							"The workflow functions set it for the statement they run.",
							&bedrock_actor_id,
							0, 0, PG_INT32_MAX,
							PGC_USERSET, 0,
							NULL, NULL, NULL);
	DefineCustomStringVariable("support.auth_key",
							   "Key of the user this transaction acts for, from support.issue_key() or support.assume_user_role().",
							   "Set it with SET LOCAL (or set_config(..., true)) in each transaction; "
							   "row-level security shows and lets change only what that user may.",
							   &bedrock_auth_key,
							   "",
							   PGC_USERSET, GUC_NO_SHOW_ALL | GUC_NOT_IN_SAMPLE,
							   auth_key_check, NULL, auth_key_show);
	auth_key_setting_found();
	DefineCustomStringVariable("support.change_reason",
							   "Reason recorded with the ticket change events this transaction causes.",
							   NULL,
							   &support_change_reason,
							   "",
							   PGC_USERSET, 0,
							   NULL, NULL, NULL);
	DefineCustomBoolVariable("support.require_key",
							 "Refuse every statement of this role that reads or writes the desk without a key.",
							 "Without it, a statement without support.auth_key sees nothing and changes nothing. "
							 "Set it for an application's role (ALTER ROLE app SET support.require_key = on) to "
							 "have a forgotten key fail loudly (28000). Superusers (the workers, a DBA) are exempt.",
							 &bedrock_require_key,
							 false,
							 PGC_SUSET, 0,
							 NULL, NULL, NULL);
	DefineCustomBoolVariable("support.auto_assign",
							 "Assign new tickets to the least-loaded eligible agent.",
							 "When off, new tickets without an assignee wait in their tier's queue.",
							 &bedrock_auto_assign,
							 true,
							 PGC_USERSET, 0,
							 NULL, NULL, NULL);
	DefineCustomBoolVariable("support.worker_enabled",
							 "Run the escalation worker in every database with the extension.",
							 "Set in postgresql.conf (reloaded on SIGHUP) for all databases, or with "
							 "ALTER DATABASE ... SET for one, from its worker's next start.",
							 &bedrock_worker_enabled,
							 true,
							 PGC_SUSET, 0,
							 NULL, NULL, NULL);
	DefineCustomIntVariable("support.max_sleep",
							"Longest the escalation worker sleeps without looking at the tickets.",
							"It wakes earlier for the next deadline, and when a commit schedules an earlier one.",
							&bedrock_max_sleep_ms,
							60000, 10, PG_INT32_MAX,
							PGC_SIGHUP, GUC_UNIT_MS,
							NULL, NULL, NULL);
	DefineCustomIntVariable("support.batch_size",
							"Tickets the escalation worker handles per transaction.",
							NULL,
							&bedrock_batch_size,
							500, 1, 100000,
							PGC_SIGHUP, 0,
							NULL, NULL, NULL);
	DefineCustomStringVariable("support.ticket_url",
							   "Link to a ticket in Slack messages: this followed by the ticket number.",
							   NULL,
							   &support_ticket_url,
							   "https://support.bedrockplatform.com/tickets/",
							   PGC_SUSET, 0,
							   NULL, NULL, NULL);
	DefineCustomIntVariable("support.delivery_concurrency",
							"Outbox messages the delivery worker sends at once.",
							NULL,
							&bedrock_delivery_concurrency,
							64, 1, DELIVERY_MAX_CONCURRENCY,
							PGC_SIGHUP, 0,
							NULL, NULL, NULL);
	DefineCustomIntVariable("support.delivery_max_attempts",
							"Attempts before an undeliverable message becomes a dead letter.",
							NULL,
							&bedrock_delivery_max_attempts,
							8, 1, 1000,
							PGC_SIGHUP, 0,
							NULL, NULL, NULL);
	DefineCustomIntVariable("support.delivery_connect_timeout",
							"Longest the delivery worker waits for a connection.",
							NULL,
							&bedrock_delivery_connect_timeout_ms,
							5000, 100, 600000,
							PGC_SIGHUP, GUC_UNIT_MS,
							NULL, NULL, NULL);
	DefineCustomIntVariable("support.delivery_timeout",
							"Longest one delivery may take, connection included.",
							"A message whose outcome was not recorded (a crash) is sent again twice this long plus 5 s after it was claimed.",
							&bedrock_delivery_timeout_ms,
							30000, 100, 3600000,
							PGC_SIGHUP, GUC_UNIT_MS,
							NULL, NULL, NULL);
	DefineCustomIntVariable("support.delivery_backoff",
							"First retry delay of a failed delivery; each further retry doubles it (with jitter, at most an hour).",
							NULL,
							&bedrock_delivery_backoff_ms,
							1000, 1, 3600000,
							PGC_SIGHUP, GUC_UNIT_MS,
							NULL, NULL, NULL);
	MarkGUCPrefixReserved("support");

	database_guard_install();
	if (process_shared_preload_libraries_in_progress)
	{
		worker_shmem_request();
		session_registry_request();
		worker_register_launcher();
	}
}
