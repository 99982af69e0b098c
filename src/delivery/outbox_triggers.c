/*
 * outbox_triggers.c — the triggers that feed the delivery worker.
 *
 * - An AFTER INSERT statement trigger on support.ticket_events queues each
 *   new event for every active webhook endpoint that wants its kind.
 * - An AFTER statement trigger on the outbox (and on the endpoints) wakes
 *   the delivery worker when the transaction commits.
 *
 * Both run for every ticket change, so whether any endpoint (and any
 * webhook endpoint) exists is cached per backend and dropped when
 * delivery_endpoints changes: a desk without webhooks pays a flag test per
 * statement, and one without endpoints does not wake a worker that could
 * deliver nothing. The outbox is written as its owner, like the other
 * system writes, so an inserting role needs no access to the endpoints and
 * their secrets.
 */
#include "postgres.h"

#include "commands/trigger.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "utils/rel.h"

#include "shared/config_cache.h"
#include "shared/owner_spi.h"
#include "operations/schema_version.h"
#include "operations/worker_shmem.h"
#include "shared/trigger_guard.h"

static ConfigCache endpoint_cache = {
	.name = "bedrock_support delivery endpoints",
	.tables = {"delivery_endpoints"},
};
static bool any_endpoint = false;
static bool any_webhook = false;

static void
outbox_endpoint_cache_load(void *unused)
{
	bool		is_null;

	if (SPI_execute("SELECT count(*) > 0, count(*) FILTER (WHERE e.destination = 'webhook') > 0"
					"  FROM support.delivery_endpoints e WHERE e.active", true, 1) != SPI_OK_SELECT)
		elog(ERROR, "could not read support.delivery_endpoints");
	any_endpoint = DatumGetBool(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &is_null));
	any_webhook = DatumGetBool(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 2, &is_null));
}

static void
outbox_endpoint_cache_ensure(void)
{
	if (!config_cache_is_current(&endpoint_cache))
	{
		uint64		generation = config_cache_reload(&endpoint_cache);

		owner_spi_run(endpoint_cache.owner, outbox_endpoint_cache_load, NULL);
		config_cache_loaded(&endpoint_cache, generation);
	}
}

static Oid
outbox_endpoints_relid(void)
{
	outbox_endpoint_cache_ensure();
	return endpoint_cache.watched[0];
}

/*
 * each new event for each webhook endpoint that wants its kind, its text
 * cut to fit (a 1.0 schema has no support.fit_text, and its outbox no order)
 */
#define OUTBOX_WEBHOOK_EVENTS(body, order_column, order_value) \
	"INSERT INTO support.outbound_messages" \
	"       (account_id, ticket_id, destination, target, subject, body, payload" order_column ")" \
	" SELECT n.account_id, n.ticket_id, 'webhook', e.endpoint, 'ticket.' || n.kind::text," \
	"        " body "," \
	"        jsonb_build_object('kind', 'ticket.' || n.kind::text, 'event_id', n.event_id," \
	"                           'actor_id', n.actor_id, 'actor_kind', n.actor_kind," \
	"                           'visibility', n.visibility, 'old_value', n.old_value," \
	"                           'new_value', n.new_value, 'details', n.details," \
	"                           'occurred_at', n.created_at)" order_value \
	"   FROM new_events n" \
	"   JOIN support.delivery_endpoints e" \
	"     ON e.destination = 'webhook' AND e.active" \
	"    AND (e.event_kinds IS NULL OR n.kind::text = ANY (e.event_kinds))" \
	"  ORDER BY n.event_id, e.endpoint"

static void
outbox_queue_webhook_events(void *argument)
{
	int			result;

	/* the transition table new_events, in this SPI connection */
	if (SPI_register_trigger_data((TriggerData *) argument) != SPI_OK_TD_REGISTER)
		elog(ERROR, "could not register the new ticket events");
	result = SPI_execute(schema_is_1_0() ? OUTBOX_WEBHOOK_EVENTS("COALESCE(n.body, n.kind::text)", "", "")
						 : OUTBOX_WEBHOOK_EVENTS("support.fit_text(COALESCE(n.body, n.kind::text))",
												 ", send_order", ", support.next_send_order(n.account_id, false)"),
						 false, 0);
	if (result != SPI_OK_INSERT)
		elog(ERROR, "could not queue the webhook events: %s", SPI_result_code_string(result));
}

PG_FUNCTION_INFO_V1(queue_webhooks);
Datum
queue_webhooks(PG_FUNCTION_ARGS)
{
	TriggerData *trigdata = trigger_guard(fcinfo, "queue_webhooks", "ticket_events");

	if (!TRIGGER_FIRED_AFTER(trigdata->tg_event) ||
		!TRIGGER_FIRED_BY_INSERT(trigdata->tg_event) || !TRIGGER_FIRED_FOR_STATEMENT(trigdata->tg_event) ||
		trigdata->tg_newtable == NULL)
		elog(ERROR, "queue_webhooks must be an AFTER INSERT statement trigger with NEW TABLE AS new_events");
	if (trigger_guard_restoring())
		return PointerGetDatum(NULL);	/* a restore brings its own outbox */
	outbox_endpoint_cache_ensure();
	if (any_webhook)
		owner_spi_run(endpoint_cache.owner, outbox_queue_webhook_events, trigdata);
	return PointerGetDatum(NULL);
}

/*
 * support.outbox_changed() — AFTER statement trigger on the outbox and on
 * the endpoints: the delivery worker wakes when the transaction commits,
 * if it has anywhere to deliver to.
 */
PG_FUNCTION_INFO_V1(outbox_changed);
Datum
outbox_changed(PG_FUNCTION_ARGS)
{
	TriggerData *trigdata = trigger_guard(fcinfo, "outbox_changed", NULL);

	/* an endpoint change wakes it anyway: the cache sees it only from the next command */
	if (RelationGetRelid(trigdata->tg_relation) == outbox_endpoints_relid())
	{
		worker_endpoints_changed_at_commit();
		return PointerGetDatum(NULL);
	}
	outbox_endpoint_cache_ensure();
	if (!any_endpoint)
		return PointerGetDatum(NULL);
	worker_wake_kind_at_commit(WORKER_DELIVERY);
	return PointerGetDatum(NULL);
}
