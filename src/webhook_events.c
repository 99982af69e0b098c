/*
 * webhook_events.c — ticket events for webhook receivers.
 *
 * An AFTER INSERT statement trigger on support.ticket_events queues each new
 * event for every active webhook endpoint that wants its kind. Most desks
 * have no webhook, and every ticket change writes events, so whether any
 * webhook endpoint exists is cached per backend (dropped when
 * delivery_endpoints changes): without one, the trigger costs a flag test.
 * The outbox is written as its owner, like the other system writes, so an
 * inserting role needs no access to the endpoints and their secrets.
 */
#include "postgres.h"

#include "commands/trigger.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "utils/rls.h"

#include "config_cache.h"
#include "owner_spi.h"

static ConfigCache webhook_cache = {
	.name = "bedrock_support webhook endpoints",
	.tables = {"delivery_endpoints"},
};
static bool webhook_endpoints_exist = false;

static void
webhook_events_load(void *unused)
{
	bool		is_null;

	if (SPI_execute("SELECT EXISTS (SELECT 1 FROM support.delivery_endpoints e"
					" WHERE e.destination = 'webhook' AND e.active)", true, 1) != SPI_OK_SELECT)
		elog(ERROR, "could not read support.delivery_endpoints");
	webhook_endpoints_exist = DatumGetBool(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc,
														 1, &is_null));
}

static bool
webhook_events_wanted(void)
{
	if (!config_cache_is_current(&webhook_cache))
	{
		uint64		generation = config_cache_reload(&webhook_cache);

		owner_spi_run(webhook_cache.owner, webhook_events_load, NULL);
		config_cache_loaded(&webhook_cache, generation);
	}
	return webhook_endpoints_exist;
}

static void
webhook_events_queue(void *argument)
{
	int			result;

	/* the transition table new_events, in this SPI connection */
	if (SPI_register_trigger_data((TriggerData *) argument) != SPI_OK_TD_REGISTER)
		elog(ERROR, "could not register the new ticket events");
	result = SPI_execute("INSERT INTO support.outbound_messages"
						 "       (account_id, ticket_id, destination, target, subject, body, payload)"
						 " SELECT n.account_id, n.ticket_id, 'webhook', e.endpoint, 'ticket.' || n.kind::text,"
						 "        COALESCE(n.body, n.kind::text),"
						 "        jsonb_build_object('kind', 'ticket.' || n.kind::text, 'event_id', n.event_id,"
						 "                           'actor_id', n.actor_id, 'actor_kind', n.actor_kind,"
						 "                           'visibility', n.visibility, 'old_value', n.old_value,"
						 "                           'new_value', n.new_value, 'details', n.details,"
						 "                           'occurred_at', n.created_at)"
						 "   FROM new_events n"
						 "   JOIN support.delivery_endpoints e"
						 "     ON e.destination = 'webhook' AND e.active"
						 "    AND (e.event_kinds IS NULL OR n.kind::text = ANY (e.event_kinds))"
						 "  ORDER BY n.event_id, e.endpoint", false, 0);
	if (result != SPI_OK_INSERT)
		elog(ERROR, "could not queue the webhook events: %s", SPI_result_code_string(result));
}

PG_FUNCTION_INFO_V1(ticket_event_webhooks);
Datum
ticket_event_webhooks(PG_FUNCTION_ARGS)
{
	TriggerData *trigdata = (TriggerData *) fcinfo->context;

	if (!CALLED_AS_TRIGGER(fcinfo) || !TRIGGER_FIRED_AFTER(trigdata->tg_event) ||
		!TRIGGER_FIRED_BY_INSERT(trigdata->tg_event) || !TRIGGER_FIRED_FOR_STATEMENT(trigdata->tg_event) ||
		trigdata->tg_newtable == NULL)
		elog(ERROR, "ticket_event_webhooks must be an AFTER INSERT statement trigger with NEW TABLE AS new_events");
	if (!row_security)
		return PointerGetDatum(NULL);	/* a restore brings its own outbox */
	if (webhook_events_wanted())
		owner_spi_run(webhook_cache.owner, webhook_events_queue, trigdata);
	return PointerGetDatum(NULL);
}
