-- SLA: the deadlines every ticket carries (computed in C by
-- ticket_40_sla_deadlines) and their trail of events.

CREATE FUNCTION support.log_sla_activation() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    IF support.restoring() THEN
        RETURN NULL;            -- the dump brings its own trail
    END IF;
    INSERT INTO support.sla_events (account_id, ticket_id, target, kind, due, occurred_at)
    SELECT n.account_id, n.ticket_id, d.target, 'activated', d.due, n.created_at
      FROM new_tickets n
     CROSS JOIN LATERAL (VALUES ('first_response'::support.sla_target, n.first_response_due),
                                ('next_update', n.next_update_due),
                                ('resolution', n.resolution_due)) AS d(target, due)
     WHERE d.due IS NOT NULL;
    RETURN NULL;
END $$;
COMMENT ON FUNCTION support.log_sla_activation() IS 'records the activation of every SLA target of new tickets';
REVOKE ALL ON FUNCTION support.log_sla_activation() FROM PUBLIC;

CREATE FUNCTION support.log_sla_changes() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    changed_at timestamptz := now();
BEGIN
    PERFORM support.record_sla_events(ARRAY(
    SELECT ROW(n.account_id, NULL, n.ticket_id, e.target, e.kind, e.due, e.occurred_at)::support.sla_events
      FROM new_tickets n
      JOIN old_tickets o ON o.account_id OPERATOR(pg_catalog.=) n.account_id
                        AND o.ticket_id OPERATOR(pg_catalog.=) n.ticket_id
     CROSS JOIN LATERAL (VALUES
        ('first_response'::support.sla_target, 'fulfilled'::support.sla_event_kind,
            n.first_response_due, n.first_response_at,
            o.first_response_at IS NULL AND n.first_response_at IS NOT NULL),
        -- a deadline that passed while its target ran is breached at that
        -- deadline, whatever change reveals it (the unique index keeps one)
        ('first_response', 'breached', o.first_response_due, o.first_response_due,
            o.first_response_at IS NULL AND o.first_response_due <= changed_at),
        ('first_response', 'activated', n.first_response_due, changed_at,
            n.first_response_at IS NULL AND o.first_response_due IS DISTINCT FROM n.first_response_due),
        -- an agent's public reply fulfils the running update target and starts the next
        ('next_update', 'fulfilled', o.next_update_due, n.last_public_reply_at,
            o.next_update_due IS NOT NULL AND o.last_public_reply_at IS DISTINCT FROM n.last_public_reply_at),
        ('next_update', 'breached', o.next_update_due, o.next_update_due,
            o.next_update_due <= changed_at),
        ('next_update', 'paused', o.next_update_due, changed_at,
            o.next_update_due IS NOT NULL AND n.next_update_due IS NULL),
        ('next_update', CASE WHEN o.next_update_due IS NULL THEN 'resumed' ELSE 'activated' END::support.sla_event_kind,
            n.next_update_due, changed_at,
            n.next_update_due IS NOT NULL AND (o.next_update_due IS DISTINCT FROM n.next_update_due
                                               OR o.last_public_reply_at IS DISTINCT FROM n.last_public_reply_at)),
        ('resolution', 'fulfilled', n.resolution_due, n.resolved_at,
            o.resolved_at IS NULL AND n.resolved_at IS NOT NULL),
        ('resolution', 'breached', o.resolution_due, o.resolution_due,
            o.resolved_at IS NULL AND o.resolution_due <= changed_at),
        ('resolution', 'paused', o.resolution_due, changed_at,
            o.resolution_due IS NOT NULL AND n.resolution_due IS NULL),
        ('resolution', CASE WHEN o.status IN ('pending_client', 'resolved') THEN 'resumed' ELSE 'activated' END::support.sla_event_kind,
            n.resolution_due, changed_at,
            n.status IN ('new', 'triaged', 'in_progress') AND n.resolution_due IS NOT NULL
            AND (o.resolution_due IS DISTINCT FROM n.resolution_due
                 OR o.status IN ('pending_client', 'resolved')))
        ) AS e(target, kind, due, occurred_at, happened)
     WHERE e.happened
     ORDER BY n.account_id, n.ticket_id, e.target, e.occurred_at));
    RETURN NULL;
END $$;
COMMENT ON FUNCTION support.log_sla_changes() IS 'records SLA targets fulfilled, paused, resumed and re-armed by ticket changes, and the breach of any deadline that passed while its target ran';
REVOKE ALL ON FUNCTION support.log_sla_changes() FROM PUBLIC;

CREATE FUNCTION support.record_breach(ticket support.tickets, target support.sla_target, due timestamp with time zone) RETURNS void
    LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    -- the row a later change of the ticket would record: the one writer keeps one
    PERFORM support.record_sla_events(ARRAY[
        ROW(ticket.account_id, NULL, ticket.ticket_id, target, 'breached', due, due)::support.sla_events]);
    PERFORM support.alert(ticket, support.alert_channel(ticket), NULL,
        format('[Ticket #%s] SLA breach: %s', ticket.ticket_id, target),
        format('SLA breach on #%s (%s, tier %s): the %s target was due at %s. %s', ticket.ticket_id,
               ticket.priority::text, ticket.tier, replace(target::text, '_', ' '),
               support.client_time(ticket, due), ticket.subject),
        jsonb_build_object('kind', 'sla_breach', 'target', target, 'due', due));
END $$;
COMMENT ON FUNCTION support.record_breach(ticket support.tickets, target support.sla_target, due timestamp with time zone) IS 'marks an SLA target breached at its deadline and alerts the escalation channel';
REVOKE ALL ON FUNCTION support.record_breach(ticket support.tickets, target support.sla_target, due timestamp with time zone) FROM PUBLIC;

CREATE FUNCTION support.ticket_sla_trigger() RETURNS trigger
    LANGUAGE c AS 'MODULE_PATHNAME', 'ticket_sla_trigger';
COMMENT ON FUNCTION support.ticket_sla_trigger() IS 'computes first-response, next-update, resolution and escalation deadlines on business time; the only writer of those columns';
REVOKE ALL ON FUNCTION support.ticket_sla_trigger() FROM PUBLIC;

CREATE SEQUENCE support.sla_event_id_seq;
-- drawn only by the deadline triggers and the worker
REVOKE ALL ON SEQUENCE support.sla_event_id_seq FROM PUBLIC;
-- No foreign key to tickets: rows come only from the triggers below, and
-- ticket_events' key already keeps a ticket from being deleted; a per-row
-- check would double the cost of a bulk ticket insert.
CREATE TABLE support.sla_events (
    account_id bigint NOT NULL,
    sla_event_id bigint NOT NULL,
    ticket_id bigint NOT NULL,
    target support.sla_target NOT NULL,
    kind support.sla_event_kind NOT NULL,
    due timestamp with time zone,
    occurred_at timestamp with time zone NOT NULL
);
ALTER TABLE ONLY support.sla_events ALTER COLUMN sla_event_id SET DEFAULT nextval('support.sla_event_id_seq'::regclass);
ALTER TABLE ONLY support.sla_events
    ADD CONSTRAINT sla_events_pkey PRIMARY KEY (account_id, sla_event_id);
CREATE UNIQUE INDEX sla_events_one_breach_idx ON support.sla_events USING btree (account_id, ticket_id, target, due) WHERE (kind = 'breached'::support.sla_event_kind);
CREATE INDEX sla_events_ticket_idx ON support.sla_events USING btree (account_id, ticket_id, sla_event_id);
ALTER SEQUENCE support.sla_event_id_seq OWNED BY support.sla_events.sla_event_id;
ALTER TABLE support.sla_events ENABLE ROW LEVEL SECURITY;
COMMENT ON TABLE support.sla_events IS 'append-only trail of each ticket''s SLA targets: activated, paused, resumed, fulfilled and breached, with the deadline in force';
COMMENT ON COLUMN support.sla_events.due IS 'the deadline in force when the event happened';
COMMENT ON COLUMN support.sla_events.occurred_at IS 'when it happened; for a breach, the deadline that was missed';
GRANT SELECT ON TABLE support.sla_events TO support_client, support_agent, support_manager;
SELECT pg_catalog.pg_extension_config_dump('support.sla_events', '');
SELECT pg_catalog.pg_extension_config_dump('support.sla_event_id_seq', '');

-- The one writer of the SLA trail's changes and breaches: the trigger's rows
-- in their order, and the worker's breach at a deadline. A breach is kept
-- once, whichever of the two sees it first (sla_events_one_breach_idx).
CREATE FUNCTION support.record_sla_events(events support.sla_events[]) RETURNS void
    LANGUAGE sql SET search_path = pg_catalog, pg_temp AS $$
    INSERT INTO support.sla_events (account_id, ticket_id, target, kind, due, occurred_at)
    SELECT e.account_id, e.ticket_id, e.target, e.kind, e.due, e.occurred_at
      FROM unnest(events) WITH ORDINALITY AS e
     ORDER BY e.ordinality
        ON CONFLICT DO NOTHING
$$;
COMMENT ON FUNCTION support.record_sla_events(events support.sla_events[]) IS 'inserts SLA events in the order given, a breach once (the trail''s one writer of changes and breaches)';
REVOKE ALL ON FUNCTION support.record_sla_events(events support.sla_events[]) FROM PUBLIC;

CREATE VIEW support.sla_status WITH (security_invoker='true') AS
 SELECT t.account_id,
    t.ticket_id,
    t.priority,
    t.status,
    t.tier,
    t.assignee_id,
    d.target,
    d.source,
    d.due,
    support.business_diff(now(), d.due,
        CASE
            WHEN d.around_the_clock THEN '24x7'::support.business_hours
            ELSE c.hours
        END,
        CASE
            WHEN d.around_the_clock THEN '{}'::date[]
            ELSE c.holidays
        END) AS remaining,
    (d.due <= now()) AS breached
   FROM support.tickets t
     JOIN support.accounts a ON a.account_id = t.account_id
     JOIN support.calendar c ON c.calendar_id = a.calendar_id
     JOIN support.sla_policies p ON p.priority = t.priority
     JOIN support.tiers r ON r.tier = t.tier
     CROSS JOIN LATERAL ( VALUES
        ('first_response'::support.sla_target, 'priority'::text,
            CASE WHEN t.first_response_at IS NULL THEN t.first_response_due END, p.clock = '24x7'),
        ('first_response', 'tier', t.tier_response_due, NOT r.business_hours_only),
        ('next_update', 'priority', t.next_update_due, p.update_cadence_unit = 'elapsed'),
        ('resolution', 'priority', t.resolution_due, p.clock = '24x7'),
        ('resolution', 'tier', t.tier_resolution_due, NOT r.business_hours_only)
        ) d(target, source, due, around_the_clock)
  WHERE t.status <> ALL (ARRAY['resolved'::support.ticket_status, 'closed'::support.ticket_status])
    AND d.due IS NOT NULL;
COMMENT ON VIEW support.sla_status IS 'one row per running SLA target of each open ticket, the priority''s and the current tier''s (source): its deadline, the business time remaining (negative when overdue) and whether it is breached';
GRANT SELECT ON TABLE support.sla_status TO support_client, support_agent, support_manager;

CREATE TRIGGER sla_events_append_only BEFORE DELETE OR UPDATE ON support.sla_events FOR EACH ROW EXECUTE FUNCTION support.refuse_history_change_trigger();

CREATE TRIGGER sla_events_no_truncate BEFORE TRUNCATE ON support.sla_events FOR EACH STATEMENT EXECUTE FUNCTION support.refuse_history_change_trigger();

CREATE TRIGGER ticket_70_sla_activated AFTER INSERT ON support.tickets REFERENCING NEW TABLE AS new_tickets FOR EACH STATEMENT EXECUTE FUNCTION support.log_sla_activation();

CREATE TRIGGER ticket_70_sla_changed AFTER UPDATE ON support.tickets REFERENCING OLD TABLE AS old_tickets NEW TABLE AS new_tickets FOR EACH STATEMENT EXECUTE FUNCTION support.log_sla_changes();

CREATE TRIGGER ticket_40_sla_deadlines BEFORE INSERT OR UPDATE ON support.tickets FOR EACH ROW EXECUTE FUNCTION support.ticket_sla_trigger();

CREATE POLICY agent_sla_history ON support.sla_events
    FOR SELECT TO support_agent
    USING (((SELECT support.current_key_kind()) = 'agent') AND (EXISTS ( SELECT 1
   FROM support.tickets t
  WHERE ((t.account_id = sla_events.account_id) AND (t.ticket_id = sla_events.ticket_id)))));
CREATE POLICY client_sla_history ON support.sla_events
    FOR SELECT TO support_client
    USING (((SELECT support.current_key_kind()) = 'client') AND (account_id = (SELECT support.current_account_id())));
CREATE POLICY manager_sla_history ON support.sla_events
    FOR SELECT TO support_manager
    USING (((SELECT support.current_key_kind()) = 'manager') AND (SELECT support.current_is_manager()));
