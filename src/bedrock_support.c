/*
 * bedrock_support.c — module entry point: the library's magic block, and
 * _PG_init calling each file's setup. Each setting is defined by the file
 * whose behaviour it controls, under the support.* prefix.
 *
 * The library is meant for shared_preload_libraries, which registers the
 * escalation launcher and its shared memory; every SQL function also works
 * when the library is loaded on first use, only without the worker.
 */
#include "postgres.h"

#include "fmgr.h"
#include "miscadmin.h"
#include "utils/guc.h"

#include "triage/agent_reservations.h"
#include "triage/assignment.h"
#include "security/auth.h"
#include "operations/database_guard.h"
#include "delivery/delivery_worker.h"
#include "escalation/escalation_worker.h"
#include "security/lock_guard.h"
#include "security/second_factor.h"
#include "delivery/send_order.h"
#include "security/session_registry.h"
#include "tickets/ticket_events.h"
#include "operations/worker_launcher.h"
#include "operations/worker_shmem.h"
#include "operations/worker_transaction.h"

PG_MODULE_MAGIC;

void		_PG_init(void);

void
_PG_init(void)
{
	/* pg_upgrade's new cluster only restores the schema: no worker, hook or setting of ours */
	if (IsBinaryUpgrade)
		return;

	auth_init_settings();
	ticket_events_init_settings();
	assignment_init_settings();
	worker_launcher_init_settings();
	worker_transaction_init_settings();
	escalation_worker_init_settings();
	delivery_worker_init_settings();
	MarkGUCPrefixReserved("support");

	database_guard_install();
	lock_guard_install();
	if (process_shared_preload_libraries_in_progress)
	{
		worker_shmem_request();
		session_registry_request();
		agent_reservations_request();
		send_order_request();
		second_factor_request();
		worker_launcher_register();
	}
}
