-- bedrock_support 1.0 -> 1.1: every change to extension/schema/ since
-- 1.0, in the order it was made (README, "Releases").
\echo Use "ALTER EXTENSION bedrock_support UPDATE TO '1.1'" to load this file. \quit

-- Every running target's "breach imminent" mark, the tier's too (#16).
ALTER TABLE support.tiers ADD COLUMN targets_enforced boolean DEFAULT true NOT NULL;
COMMENT ON COLUMN support.tiers.targets_enforced IS 'true: the tier''s initial_response and resolution_target run from when a ticket enters the tier, beside its priority''s targets, and the earliest "breach imminent" mark of them all escalates; false: they are for reference only';
ALTER TABLE support.tickets
    ADD COLUMN tier_entered_at timestamp with time zone,
    ADD COLUMN tier_response_due timestamp with time zone,
    ADD COLUMN tier_resolution_due timestamp with time zone;
COMMENT ON COLUMN support.tickets.escalation_due IS 'the "SLA breach imminent" mark: the earliest escalation_ratio (the priority''s policy) of every target still running, the priority''s and the tier''s, after the last escalation';
COMMENT ON COLUMN support.tickets.escalated_at IS 'last escalation to a higher tier (or to executives from tier 3); it answers every breach-imminent mark passed by then';
COMMENT ON COLUMN support.tickets.tier_entered_at IS 'when the ticket entered its current tier: the tier''s targets run from here';
COMMENT ON COLUMN support.tickets.tier_response_due IS 'the tier''s initial response target: an agent''s public reply is due by then after the ticket entered the tier; NULL when met or not in force (support.tiers.targets_enforced)';
COMMENT ON COLUMN support.tickets.tier_resolution_due IS 'the tier''s resolution target from when the ticket entered it, paused time excluded; NULL while paused, resolved or not in force';
DROP VIEW support.sla_status;
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
-- the open tickets' deadlines, computed again under the new rule (the
-- trigger fills tier_entered_at from the last escalation)
-- recomputes: tickets.escalation_due, tickets.next_action_at, tickets.actions_checked_at, tickets.updated_at
UPDATE support.tickets SET tier = tier
 WHERE status <> ALL (ARRAY['resolved'::support.ticket_status, 'closed'::support.ticket_status]);

-- functions changed in 1.1 (generated from extension/schema/)
CREATE OR REPLACE FUNCTION support.take_action(ticket support.tickets, action text, due timestamp with time zone, as_of timestamp with time zone) RETURNS boolean
    LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    recorded_as support.worker_actions;
    recorded bigint;
    assignee support.agents;
    -- an escalation answers every escalation trigger that had passed by then
    answered boolean := action IN ('escalation_mark', 'no_progress', 'update_twice_overdue')
                        AND ticket.escalated_at OPERATOR(pg_catalog.>=) due;
BEGIN
    SELECT * INTO recorded_as FROM support.worker_actions w
     WHERE w.action::text OPERATOR(pg_catalog.=) take_action.action;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'unknown ticket action "%"', action
              USING ERRCODE = 'invalid_parameter_value',
                    HINT = 'Actions are the ones support.ticket_actions() lists.';
    END IF;
    IF action = 'auto_close' THEN
        RETURN support.close_after_verification(ticket);    -- a closed ticket is not closed again
    END IF;

    INSERT INTO support.ticket_events AS e
           (account_id, ticket_id, kind, actor_id, actor_kind, visibility, body, details, action_key)
    VALUES (ticket.account_id, ticket.ticket_id, recorded_as.event_kind,
            NULL, 'system', recorded_as.visibility,
            CASE WHEN answered THEN split_part(recorded_as.summary, ':', 1)
                                    || ': answered by the escalation already made'
                 ELSE recorded_as.summary END,
            jsonb_build_object('action', action, 'due', due, 'acted_at', as_of,
                               'tier', ticket.tier, 'assignee_id', ticket.assignee_id)
            || CASE WHEN answered THEN jsonb_build_object('answered_by_escalation_at', ticket.escalated_at)
                    ELSE '{}' END,
            support.action_key(action, due))
    ON CONFLICT (account_id, ticket_id, action_key) WHERE action_key IS NOT NULL DO NOTHING
    RETURNING e.event_id INTO recorded;
    IF recorded IS NULL THEN
        RETURN false;           -- taken already, by this worker or another
    END IF;
    IF answered THEN
        RETURN true;
    END IF;

    CASE action
    WHEN 'escalation_mark' THEN
        PERFORM support.escalate_ticket(ticket, 'SLA breach imminent', as_of);
    WHEN 'no_progress' THEN
        PERFORM support.escalate_ticket(ticket, 'no progress within the tier''s escalation threshold', as_of);
    WHEN 'update_twice_overdue' THEN
        PERFORM support.escalate_ticket(ticket, 'update cadence missed twice', as_of);
    WHEN 'first_response_breach' THEN
        PERFORM support.record_breach(ticket, 'first_response', due);
    WHEN 'resolution_breach' THEN
        PERFORM support.record_breach(ticket, 'resolution', due);
    WHEN 'update_overdue' THEN
        PERFORM support.record_breach(ticket, 'next_update', due);
        SELECT * INTO assignee FROM support.agents g WHERE g.agent_id OPERATOR(pg_catalog.=) ticket.assignee_id;
        PERFORM support.queue_message(ticket,
            CASE WHEN assignee.agent_id IS NULL THEN 'slack' ELSE 'email' END,
            COALESCE(assignee.email, support.slack_channel('general')), NULL,
            format('[Ticket #%s] - Update overdue - %s', ticket.ticket_id, ticket.subject),
            format('The client was due an update on #%s (%s) at %s. Send one now (support.reply_publicly); a second missed update escalates the ticket.',
                   ticket.ticket_id, ticket.priority::text, due),
            jsonb_build_object('kind', 'update_reminder'));
    WHEN 'escalation_call_overdue' THEN
        PERFORM support.alert(ticket, support.slack_channel('escalations'), NULL,
            format('[Ticket #%s] escalation call overdue', ticket.ticket_id),
            format('The client asked for an escalation of #%s at %s; the call was due by %s and has not been recorded.',
                   ticket.ticket_id, ticket.escalation_requested_at, due),
            jsonb_build_object('kind', 'escalation_call_overdue'));
    WHEN 'post_incident_review' THEN
        PERFORM support.alert(ticket, support.slack_channel('critical'), NULL,
            format('[Ticket #%s] post-incident review', ticket.ticket_id),
            format('#%s, escalated to executives, was resolved at %s: schedule its post-incident review. Root cause: %s',
                   ticket.ticket_id, ticket.resolved_at, COALESCE(ticket.root_cause, 'not recorded')),
            jsonb_build_object('kind', 'post_incident_review'));
    WHEN 'follow_up' THEN
        PERFORM support.client_message(ticket, 'follow_up');
    END CASE;
    RETURN true;
END $$;

SELECT support.wake_worker();
