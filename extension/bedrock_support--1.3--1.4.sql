-- bedrock_support 1.3 -> 1.4: the escalation worker.
--
-- Every ticket carries the time of its next scheduled action
-- (next_action_at, kept by the deadline trigger); a background worker per
-- database sleeps until the earliest one and acts on what is due:
-- escalations at the "breach imminent" mark, breaches, missed updates, no
-- progress, a client's escalation call, follow-ups and automatic closing.
-- Each action is an event on the ticket, recorded once (the action ledger).
\echo Use "ALTER EXTENSION bedrock_support UPDATE TO '1.4'" to load this file. \quit

------------------------------------------------------------------------------
-- What the worker records
------------------------------------------------------------------------------

ALTER TYPE support.event_kind ADD VALUE 'sla_breach';
ALTER TYPE support.event_kind ADD VALUE 'reminder';
ALTER TYPE support.event_kind ADD VALUE 'follow_up';
ALTER TYPE support.event_kind ADD VALUE 'review_task';

-- The action ledger: an action the worker takes is an event with a key
-- naming the action and its deadline, unique per ticket, so a second
-- worker, a manual call or a retried pass finds it taken.
ALTER TABLE support.ticket_events ADD COLUMN action_key text;
COMMENT ON COLUMN support.ticket_events.action_key IS
    'for actions of the escalation worker: action@deadline (microseconds since 1970), unique per ticket so each action happens once';
CREATE UNIQUE INDEX ticket_events_action_key_idx ON support.ticket_events (account_id, ticket_id, action_key)
    WHERE action_key IS NOT NULL;

------------------------------------------------------------------------------
-- Configuration: the handbook's escalation and follow-up numbers
------------------------------------------------------------------------------

ALTER TABLE support.sla_policies
    ADD COLUMN follow_up_after interval NOT NULL DEFAULT '24 hours'
        CHECK (follow_up_after > interval '0'),
    ADD COLUMN auto_close_after interval NOT NULL DEFAULT '72 hours'
        CHECK (auto_close_after > interval '0'),
    ADD COLUMN escalation_call_within interval NOT NULL DEFAULT '2 hours'
        CHECK (escalation_call_within > interval '0'),
    ADD COLUMN escalated_update_cadence interval NOT NULL DEFAULT '2 hours'
        CHECK (escalated_update_cadence > interval '0'),
    ADD COLUMN executive_update_cadence interval NOT NULL DEFAULT '1 hour'
        CHECK (executive_update_cadence > interval '0');
COMMENT ON COLUMN support.sla_policies.follow_up_after IS 'after resolution, when the follow-up check-in is due (handbook: 24-48 hours)';
COMMENT ON COLUMN support.sla_policies.auto_close_after IS 'a resolved ticket not reopened within this verification period is closed';
COMMENT ON COLUMN support.sla_policies.escalation_call_within IS 'a client''s escalation request gets a call within this time (handbook: 2 hours)';
COMMENT ON COLUMN support.sla_policies.escalated_update_cadence IS 'update cadence (elapsed) once the client asked for an escalation, when shorter than the usual one';
COMMENT ON COLUMN support.sla_policies.executive_update_cadence IS 'update cadence (elapsed) of an executive escalation (handbook: hourly)';

-- The deadline trigger reads the tiers' targets and thresholds.
CREATE TRIGGER config_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON support.tiers
    FOR EACH STATEMENT EXECUTE FUNCTION support.config_changed();

INSERT INTO support.templates VALUES
 ('escalation_notice', 'Escalation Notice',
  '[Ticket #12345] - Escalated - [Brief Description]',
  $t$Dear [Client Name],

Your support request #12345 ([Brief Description]) has been escalated to our [Support Tier] team so that it is resolved within its [P1/P2/P3/P4] targets.

Your new point of contact is [Support Engineer Name], who has the complete case history and will send you the next update.

Best regards,
Bedrock Platform Support Team$t$),
 ('follow_up', 'Follow-up Check-in',
  '[Ticket #12345] - Follow-up - [Brief Description]',
  $t$Dear [Client Name],

We resolved your support request #12345 ([Brief Description]) recently and wanted to check that everything continues to work as expected.

If the issue has come back, simply reply to this email and we will reopen the ticket. We would also value your feedback on our support.

Best regards,
[Support Engineer Name]
Bedrock Platform Support Team$t$);

------------------------------------------------------------------------------
-- The schedule on every ticket
------------------------------------------------------------------------------

ALTER TABLE support.tickets
    ADD COLUMN escalated_at            timestamptz,
    ADD COLUMN escalation_requested_at timestamptz,
    ADD COLUMN escalation_call_due     timestamptz,
    ADD COLUMN escalation_call_held_at timestamptz,
    ADD COLUMN executive_escalated_at  timestamptz,
    ADD COLUMN last_activity_at        timestamptz,
    ADD COLUMN actions_checked_at      timestamptz,
    ADD COLUMN next_action_at          timestamptz;
COMMENT ON COLUMN support.tickets.escalated_at IS 'last escalation to a higher tier (or to executives from tier 3); the new tier''s targets run from here';
COMMENT ON COLUMN support.tickets.escalation_requested_at IS 'when the client asked for an escalation (support.request_escalation)';
COMMENT ON COLUMN support.tickets.escalation_call_due IS 'the escalation call the client''s request scheduled is due by then';
COMMENT ON COLUMN support.tickets.escalation_call_held_at IS 'when that call took place (support.record_escalation_call)';
COMMENT ON COLUMN support.tickets.executive_escalated_at IS 'executive escalation: hourly updates, and a post-incident review once resolved';
COMMENT ON COLUMN support.tickets.last_activity_at IS 'the last public reply or internal note by an agent: progress, for the no-progress escalation';
COMMENT ON COLUMN support.tickets.actions_checked_at IS 'the escalation worker has acted on everything due up to this time';
COMMENT ON COLUMN support.tickets.next_action_at IS 'the earliest action of the escalation worker still to come (support.ticket_actions), kept by the deadline trigger';

-- An agent's internal note is activity too.
DROP TRIGGER ticket_event_effects ON support.ticket_events;
CREATE TRIGGER ticket_event_effects AFTER INSERT ON support.ticket_events
    FOR EACH ROW WHEN (NEW.kind IN ('public_reply', 'client_message', 'internal_note'))
    EXECUTE FUNCTION support.ticket_event_effects_trigger();
COMMENT ON FUNCTION support.ticket_event_effects_trigger() IS
    'an agent''s public reply records the first response; a client message resumes a ticket pending on the client; an agent''s reply or note records activity';

-- The worker's one probe: the earliest next_action_at.
CREATE INDEX tickets_next_action_idx ON support.tickets (next_action_at)
    WHERE next_action_at IS NOT NULL;
-- superseded by tickets_next_action_idx; one index fewer on every insert
DROP INDEX support.tickets_escalation_due_idx;

CREATE FUNCTION support.ticket_actions(ticket support.tickets)
    RETURNS TABLE (action text, due timestamptz)
    AS 'MODULE_PATHNAME', 'ticket_actions' LANGUAGE C STABLE STRICT;
COMMENT ON FUNCTION support.ticket_actions(support.tickets) IS
    'every action the escalation worker schedules for this ticket row, with its time, whether taken or not';

CREATE FUNCTION support.action_key(action text, due timestamptz) RETURNS text
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE SET search_path = pg_catalog, pg_temp AS $$
    -- microseconds since 1970: the same key whatever the session's time zone
    SELECT action || '@' || (extract(epoch FROM due) * 1000000)::bigint::text
$$;
COMMENT ON FUNCTION support.action_key(text, timestamptz) IS 'the ledger key of an action at a deadline';

------------------------------------------------------------------------------
-- The actions
------------------------------------------------------------------------------

CREATE FUNCTION support.queue_message(
    ticket support.tickets, destination text, target text, template text,
    subject text, body text, payload jsonb DEFAULT '{}'
) RETURNS void
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    IF target IS NULL THEN
        RETURN;                 -- nobody to tell (no assignee, no address)
    END IF;
    INSERT INTO support.outbound_messages
           (account_id, ticket_id, destination, target, template, subject, body, payload)
    VALUES (ticket.account_id, ticket.ticket_id, destination, target, template, subject, body,
            jsonb_build_object('ticket_id', ticket.ticket_id, 'priority', ticket.priority::text,
                               'tier', ticket.tier, 'status', ticket.status::text)
            || COALESCE(payload, '{}'));
END $$;
COMMENT ON FUNCTION support.queue_message(support.tickets, text, text, text, text, text, jsonb) IS
    'puts one message about a ticket into the outbox (nothing when the target is unknown)';

-- Which team channel hears what: a support manager edits these rows.
CREATE TABLE support.slack_routes (
    route        text PRIMARY KEY CHECK (route IN ('critical', 'escalations', 'feedback', 'general')),
    channel      text NOT NULL CHECK (channel ~ '^#[a-z0-9_-]+$'),
    description  text NOT NULL
);
COMMENT ON TABLE support.slack_routes IS
    'the Slack channel of each kind of alert: critical (P1 tickets, executive escalations), escalations (tier 2/3 escalations, breaches, escalation calls), feedback (ratings), general (reminders nobody holds a ticket for)';
INSERT INTO support.slack_routes VALUES
 ('critical', '#critical-issues', 'P1 tickets and executive escalations'),
 ('escalations', '#support-escalations', 'tier 2/3 escalations, SLA breaches, escalation calls'),
 ('feedback', '#client-feedback', 'satisfaction ratings and their comments'),
 ('general', '#client-support', 'update reminders for tickets nobody holds');
CREATE TRIGGER restore_config_row BEFORE INSERT ON support.slack_routes
    FOR EACH ROW EXECUTE FUNCTION support.restore_config_row('route');
SELECT pg_catalog.pg_extension_config_dump('support.slack_routes', '');
ALTER TABLE support.slack_routes ENABLE ROW LEVEL SECURITY;

CREATE FUNCTION support.slack_channel(route text) RETURNS text
LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    channel text;
BEGIN
    SELECT r.channel INTO channel FROM support.slack_routes r WHERE r.route OPERATOR(pg_catalog.=) slack_channel.route;
    IF channel IS NULL THEN
        RAISE EXCEPTION 'no Slack route "%"', route
              USING ERRCODE = 'no_data_found',
                    HINT = 'support.slack_routes needs a row for critical, escalations, feedback and general.';
    END IF;
    RETURN channel;
END $$;
COMMENT ON FUNCTION support.slack_channel(text) IS 'the channel support.slack_routes names for an alert route; P0002 when it has none';

-- An alert goes to the team's channel and, for an enterprise client, to
-- the client's own channel too (the handbook's dedicated channels).
CREATE FUNCTION support.alert(
    ticket support.tickets, channel text, template text, subject text, body text, payload jsonb DEFAULT '{}'
) RETURNS void
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    own_channel text;
BEGIN
    PERFORM support.queue_message(ticket, 'slack', channel, template, subject, body, payload);
    SELECT a.slack_channel INTO own_channel FROM support.accounts a
     WHERE a.account_id OPERATOR(pg_catalog.=) ticket.account_id AND a.enterprise;
    IF own_channel IS NOT NULL AND own_channel OPERATOR(pg_catalog.<>) channel THEN
        PERFORM support.queue_message(ticket, 'slack', own_channel, template, subject, body, payload);
    END IF;
END $$;
COMMENT ON FUNCTION support.alert(support.tickets, text, text, text, text, jsonb) IS
    'queues a Slack alert to a team channel, and to the account''s own channel when it is an enterprise client';

CREATE FUNCTION support.alert_channel(ticket support.tickets) RETURNS text
LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp AS $$
    SELECT CASE WHEN ticket.priority::text = 'P1' OR ticket.executive_escalated_at IS NOT NULL
                THEN support.slack_channel('critical') ELSE support.slack_channel('escalations') END
$$;
COMMENT ON FUNCTION support.alert_channel(support.tickets) IS
    'the Slack channel of a ticket''s escalation alerts: the critical route (#critical-issues) for P1 and executive escalations, the escalations route (#support-escalations) otherwise';

CREATE FUNCTION support.client_message(ticket support.tickets, template_name text, extra jsonb DEFAULT '{}')
RETURNS void
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    client support.account_users;
    chosen support.templates;
    engineer text;
    vars jsonb;
BEGIN
    SELECT * INTO client FROM support.account_users u
     WHERE u.account_id OPERATOR(pg_catalog.=) ticket.account_id
       AND u.user_id OPERATOR(pg_catalog.=) ticket.requester_id;
    SELECT * INTO chosen FROM support.templates t WHERE t.template OPERATOR(pg_catalog.=) template_name;
    IF client.user_id IS NULL OR chosen.template IS NULL THEN
        RETURN;
    END IF;
    SELECT g.full_name INTO engineer FROM support.agents g
     WHERE g.agent_id OPERATOR(pg_catalog.=) ticket.assignee_id;
    vars := jsonb_build_object(
        'client_name', client.full_name,
        'brief_description', ticket.subject,
        'ticket_number', ticket.ticket_id::text,
        'priority', ticket.priority::text,
        'support_tier', (SELECT t.name FROM support.tiers t WHERE t.tier OPERATOR(pg_catalog.=) ticket.tier),
        'support_engineer_name', COALESCE(engineer, 'Your support engineer')) || COALESCE(extra, '{}');
    PERFORM support.queue_message(ticket, 'email', client.email, chosen.template,
                                  support.render_template(chosen.subject, vars),
                                  support.render_template(chosen.body, vars));
END $$;
COMMENT ON FUNCTION support.client_message(support.tickets, text, jsonb) IS
    'renders a template for the ticket''s requester and queues it as an email';

-- Escalates one tier up with a fresh owner of that tier (as routing picks
-- one: on shift, with the category's skill, least loaded, waiting longest);
-- from tier 3 it brings in the executives. Ownership moves with the case
-- history, the deadlines move to the new tier's targets (the trigger), and
-- the new owner, the client and the escalation channel are told.
CREATE FUNCTION support.escalate_ticket(ticket support.tickets, reason text, as_of timestamptz)
RETURNS support.tickets
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    new_tier smallint := LEAST(ticket.tier + 1, 3);
    owner support.agents;
    history_count bigint;
BEGIN
    PERFORM set_config('support.actor_id', '0', true),
            set_config('support.change_reason', 'escalated: ' || reason, true);
    IF ticket.tier >= 3 THEN
        UPDATE support.tickets t
           SET executive_escalated_at = COALESCE(t.executive_escalated_at, as_of), escalated_at = as_of
         WHERE t.account_id OPERATOR(pg_catalog.=) ticket.account_id
           AND t.ticket_id OPERATOR(pg_catalog.=) ticket.ticket_id
        RETURNING t.* INTO ticket;
        PERFORM support.alert(ticket, support.slack_channel('critical'), NULL,
            format('[Ticket #%s] executive escalation', ticket.ticket_id),
            format('Executive escalation of #%s (%s, tier 3): %s. %s', ticket.ticket_id,
                   ticket.priority::text, reason, ticket.subject),
            jsonb_build_object('kind', 'executive_escalation'));
    ELSE
        SELECT g.* INTO owner
          FROM support.agents g
          JOIN support.categories c ON c.category OPERATOR(pg_catalog.=) ticket.category
         WHERE g.active AND g.on_shift AND g.tier OPERATOR(pg_catalog.=) new_tier
           AND c.required_skill OPERATOR(pg_catalog.=) ANY (g.skills)
         ORDER BY g.open_tickets, g.last_assigned_at NULLS FIRST, g.agent_id
         LIMIT 1
           FOR UPDATE OF g SKIP LOCKED;
        IF owner.agent_id IS NOT NULL THEN
            UPDATE support.agents g SET last_assigned_at = as_of
             WHERE g.agent_id OPERATOR(pg_catalog.=) owner.agent_id;
        END IF;
        UPDATE support.tickets t
           SET tier = new_tier, assignee_id = owner.agent_id, escalated_at = as_of
         WHERE t.account_id OPERATOR(pg_catalog.=) ticket.account_id
           AND t.ticket_id OPERATOR(pg_catalog.=) ticket.ticket_id
        RETURNING t.* INTO ticket;
        SELECT count(*) INTO history_count FROM support.ticket_events e
         WHERE e.account_id OPERATOR(pg_catalog.=) ticket.account_id
           AND e.ticket_id OPERATOR(pg_catalog.=) ticket.ticket_id;
        PERFORM support.queue_message(ticket, 'email', owner.email, NULL,
            format('[Ticket #%s] - Escalated to you - %s', ticket.ticket_id, ticket.subject),
            format(E'Ticket #%s (%s) was escalated to tier %s and is now yours: %s.\n'
                   'Its complete case history (%s events) is in support.ticket_events.',
                   ticket.ticket_id, ticket.priority::text, new_tier, reason, history_count),
            jsonb_build_object('kind', 'escalation_owner'));
        PERFORM support.client_message(ticket, 'escalation_notice');
        PERFORM support.alert(ticket, support.alert_channel(ticket), NULL,
            format('[Ticket #%s] escalated to tier %s', ticket.ticket_id, new_tier),
            format('#%s (%s) escalated to tier %s: %s. Owner: %s. %s', ticket.ticket_id,
                   ticket.priority::text, new_tier, reason,
                   COALESCE(owner.full_name, 'none on shift, waiting in the queue'), ticket.subject),
            jsonb_build_object('kind', 'escalation'));
    END IF;
    PERFORM set_config('support.change_reason', '', true);
    RETURN ticket;
END $$;
COMMENT ON FUNCTION support.escalate_ticket(support.tickets, text, timestamptz) IS
    'moves a ticket one tier up to a fresh owner (or to executives from tier 3) and queues the owner''s, the client''s and the channel''s notices';

CREATE FUNCTION support.record_breach(ticket support.tickets, target support.sla_target, due timestamptz)
RETURNS void
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    -- the same row a later ticket change would write: the unique index keeps one
    INSERT INTO support.sla_events (account_id, ticket_id, target, kind, due, occurred_at)
    VALUES (ticket.account_id, ticket.ticket_id, target, 'breached', due, due)
    ON CONFLICT DO NOTHING;
    PERFORM support.alert(ticket, support.alert_channel(ticket), NULL,
        format('[Ticket #%s] SLA breach: %s', ticket.ticket_id, target),
        format('SLA breach on #%s (%s, tier %s): the %s target was due at %s. %s', ticket.ticket_id,
               ticket.priority::text, ticket.tier, replace(target::text, '_', ' '), due, ticket.subject),
        jsonb_build_object('kind', 'sla_breach', 'target', target, 'due', due));
END $$;
COMMENT ON FUNCTION support.record_breach(support.tickets, support.sla_target, timestamptz) IS
    'marks an SLA target breached at its deadline and alerts the escalation channel';

CREATE FUNCTION support.close_after_verification(ticket support.tickets) RETURNS boolean
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    closed integer;
BEGIN
    PERFORM set_config('support.actor_id', '0', true),
            set_config('support.change_reason',
                       'closed automatically: resolved and not reopened within the verification period', true);
    UPDATE support.tickets t SET status = 'closed'
     WHERE t.account_id OPERATOR(pg_catalog.=) ticket.account_id
       AND t.ticket_id OPERATOR(pg_catalog.=) ticket.ticket_id
       AND t.status OPERATOR(pg_catalog.=) 'resolved';
    GET DIAGNOSTICS closed = ROW_COUNT;
    PERFORM set_config('support.change_reason', '', true);
    RETURN closed > 0;
END $$;
COMMENT ON FUNCTION support.close_after_verification(support.tickets) IS
    'closes a resolved ticket whose verification period passed (its status change is the event)';

CREATE FUNCTION support.take_action(ticket support.tickets, action text, due timestamptz, as_of timestamptz)
RETURNS boolean
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    recorded bigint;
    assignee support.agents;
    summary text;
BEGIN
    IF action = 'auto_close' THEN
        RETURN support.close_after_verification(ticket);    -- a closed ticket is not closed again
    END IF;
    summary := CASE action
        WHEN 'escalation_mark' THEN 'SLA breach imminent: escalated'
        WHEN 'no_progress' THEN 'No progress within the tier''s escalation threshold: escalated'
        WHEN 'update_twice_overdue' THEN 'Update cadence missed twice: escalated'
        WHEN 'first_response_breach' THEN 'First response target breached'
        WHEN 'resolution_breach' THEN 'Resolution target breached'
        WHEN 'update_overdue' THEN 'Update overdue: assignee reminded'
        WHEN 'escalation_call_overdue' THEN 'The escalation call the client asked for is overdue'
        WHEN 'post_incident_review' THEN 'Post-incident review of the executive escalation is due'
        WHEN 'follow_up' THEN 'Follow-up check-in after resolution'
    END;
    IF summary IS NULL THEN
        RAISE EXCEPTION 'unknown ticket action "%"', action
              USING ERRCODE = 'invalid_parameter_value',
                    HINT = 'Actions are the ones support.ticket_actions() lists.';
    END IF;

    INSERT INTO support.ticket_events AS e
           (account_id, ticket_id, kind, actor_id, actor_kind, visibility, body, details, action_key)
    VALUES (ticket.account_id, ticket.ticket_id,
            (CASE WHEN action IN ('escalation_mark', 'no_progress', 'update_twice_overdue') THEN 'escalation'
                  WHEN action = 'update_overdue' THEN 'reminder'
                  WHEN action = 'post_incident_review' THEN 'review_task'
                  WHEN action = 'follow_up' THEN 'follow_up'
                  ELSE 'sla_breach' END)::support.event_kind,
            NULL, 'system', CASE WHEN action = 'follow_up' THEN 'public' ELSE 'internal' END::support.visibility,
            summary,
            jsonb_build_object('action', action, 'due', due, 'acted_at', as_of,
                               'tier', ticket.tier, 'assignee_id', ticket.assignee_id),
            support.action_key(action, due))
    ON CONFLICT (account_id, ticket_id, action_key) WHERE action_key IS NOT NULL DO NOTHING
    RETURNING e.event_id INTO recorded;
    IF recorded IS NULL THEN
        RETURN false;           -- taken already, by this worker or another
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
COMMENT ON FUNCTION support.take_action(support.tickets, text, timestamptz, timestamptz) IS
    'takes one scheduled action on a locked ticket, once: false when the ledger shows it taken';

CREATE FUNCTION support.run_due_actions(
    as_of timestamptz DEFAULT now(), max_tickets integer DEFAULT 500,
    OUT tickets integer, OUT actions integer)
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    ticket support.tickets;
    next record;
    done text[];
BEGIN
    IF as_of IS NULL OR max_tickets IS NULL OR max_tickets < 1 THEN
        RAISE EXCEPTION 'run_due_actions needs a time and a positive batch size'
              USING ERRCODE = 'invalid_parameter_value',
                    HINT = 'Call support.run_due_actions(now(), 500).';
    END IF;
    tickets := 0;
    actions := 0;
    -- tickets another session holds are left to the next pass
    FOR ticket IN
        SELECT * FROM support.tickets t
         WHERE t.next_action_at OPERATOR(pg_catalog.<=) as_of
         ORDER BY t.next_action_at
         LIMIT max_tickets
           FOR UPDATE SKIP LOCKED
    LOOP
        tickets := tickets + 1;
        done := '{}';
        -- one action at a time, re-reading the schedule: an escalation
        -- changes what else is due (its new tier's targets start now)
        LOOP
            SELECT a.action, a.due INTO next
              FROM support.ticket_actions(ticket) a
             WHERE a.due OPERATOR(pg_catalog.<=) as_of
               AND (ticket.actions_checked_at IS NULL
                    OR a.due OPERATOR(pg_catalog.>) ticket.actions_checked_at)
               AND support.action_key(a.action, a.due) OPERATOR(pg_catalog.<>) ALL (done)
             ORDER BY a.due, a.action
             LIMIT 1;
            EXIT WHEN NOT FOUND;
            done := done || support.action_key(next.action, next.due);
            IF support.take_action(ticket, next.action, next.due, as_of) THEN
                actions := actions + 1;
            END IF;
            SELECT * INTO ticket FROM support.tickets t
             WHERE t.account_id OPERATOR(pg_catalog.=) ticket.account_id
               AND t.ticket_id OPERATOR(pg_catalog.=) ticket.ticket_id;
        END LOOP;
        UPDATE support.tickets t SET actions_checked_at = as_of
         WHERE t.account_id OPERATOR(pg_catalog.=) ticket.account_id
           AND t.ticket_id OPERATOR(pg_catalog.=) ticket.ticket_id;
    END LOOP;
    PERFORM set_config('support.actor_id', '0', true);
END $$;
COMMENT ON FUNCTION support.run_due_actions(timestamptz, integer) IS
    'one batch of the escalation worker: takes every action due by as_of on up to max_tickets tickets (locked, SKIP LOCKED); safe to call by hand next to the worker';

------------------------------------------------------------------------------
-- Escalations people ask for
------------------------------------------------------------------------------

CREATE FUNCTION support.require_open(ticket support.tickets) RETURNS void
LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    IF ticket.status IN ('resolved', 'closed') THEN
        RAISE EXCEPTION 'ticket % is %', ticket.ticket_id, ticket.status
              USING ERRCODE = 'object_not_in_prerequisite_state',
                    HINT = 'Escalations are for open tickets; a client message reopens a resolved one.';
    END IF;
END $$;
COMMENT ON FUNCTION support.require_open(support.tickets) IS 'raises 55000 for a resolved or closed ticket';

CREATE FUNCTION support.request_escalation(ticket_id bigint, user_id bigint, reason text)
RETURNS support.tickets
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    ticket support.tickets := support.locked_ticket(request_escalation.ticket_id);
    policy support.sla_policies;
    call_pending boolean;
BEGIN
    PERFORM support.require_client(ticket.account_id, user_id);
    PERFORM support.require_text(reason, 'reason for the escalation');
    PERFORM support.require_open(ticket);
    SELECT * INTO policy FROM support.sla_policies p WHERE p.priority::text OPERATOR(pg_catalog.=) ticket.priority::text;
    call_pending := ticket.escalation_call_due IS NOT NULL AND ticket.escalation_call_held_at IS NULL;
    PERFORM support.set_actor(user_id, reason);
    -- a request while a call is pending is acknowledged again; the call stays
    UPDATE support.tickets t
       SET escalation_requested_at = CASE WHEN call_pending THEN t.escalation_requested_at ELSE now() END,
           escalation_call_due = CASE WHEN call_pending THEN t.escalation_call_due
                                      ELSE now() + policy.escalation_call_within END,
           escalation_call_held_at = CASE WHEN call_pending THEN t.escalation_call_held_at END
     WHERE t.account_id OPERATOR(pg_catalog.=) ticket.account_id
       AND t.ticket_id OPERATOR(pg_catalog.=) ticket.ticket_id
    RETURNING t.* INTO ticket;
    PERFORM support.add_event(ticket, 'escalation', user_id, 'public', reason,
        jsonb_build_object('requested_by', 'client', 'call_due', ticket.escalation_call_due));
    PERFORM support.queue_message(ticket, 'email',
        (SELECT u.email FROM support.account_users u
          WHERE u.account_id OPERATOR(pg_catalog.=) ticket.account_id
            AND u.user_id OPERATOR(pg_catalog.=) request_escalation.user_id), NULL,
        format('[Ticket #%s] - Escalation received - %s', ticket.ticket_id, ticket.subject),
        format(E'We have received your escalation request for ticket #%s.\n'
               'A support manager will call you by %s with a detailed status and action plan, '
               'and you will get an update at least every %s until the issue is resolved.',
               ticket.ticket_id, ticket.escalation_call_due,
               LEAST(policy.escalated_update_cadence, policy.update_cadence)),
        jsonb_build_object('kind', 'escalation_acknowledgment'));
    PERFORM support.alert(ticket, support.slack_channel('escalations'), NULL,
        format('[Ticket #%s] client escalation', ticket.ticket_id),
        format('The client escalated #%s (%s, tier %s): %s. Escalation call due by %s.',
               ticket.ticket_id, ticket.priority::text, ticket.tier, reason, ticket.escalation_call_due),
        jsonb_build_object('kind', 'client_escalation'));
    PERFORM support.set_actor(NULL);
    RETURN ticket;
END $$;
COMMENT ON FUNCTION support.request_escalation(bigint, bigint, text) IS
    'a client''s escalation request: acknowledged at once, an escalation call due within the policy''s escalation_call_within, updates on the enhanced cadence';

CREATE FUNCTION support.record_escalation_call(ticket_id bigint, agent_id bigint, notes text)
RETURNS support.tickets
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    ticket support.tickets := support.locked_ticket(record_escalation_call.ticket_id);
BEGIN
    PERFORM support.require_agent(agent_id);
    PERFORM support.require_text(notes, 'notes of the escalation call');
    IF ticket.escalation_call_due IS NULL OR ticket.escalation_call_held_at IS NOT NULL THEN
        RAISE EXCEPTION 'ticket % has no escalation call pending', ticket.ticket_id
              USING ERRCODE = 'object_not_in_prerequisite_state',
                    HINT = 'A call is scheduled by the client''s support.request_escalation().';
    END IF;
    PERFORM support.set_actor(agent_id);
    UPDATE support.tickets t SET escalation_call_held_at = now()
     WHERE t.account_id OPERATOR(pg_catalog.=) ticket.account_id
       AND t.ticket_id OPERATOR(pg_catalog.=) ticket.ticket_id
    RETURNING t.* INTO ticket;
    PERFORM support.add_event(ticket, 'escalation', agent_id, 'internal', notes,
        jsonb_build_object('escalation_call_held_at', ticket.escalation_call_held_at));
    RETURN ticket;
END $$;
COMMENT ON FUNCTION support.record_escalation_call(bigint, bigint, text) IS
    'records that the escalation call a client asked for took place';

CREATE FUNCTION support.escalate_to_executive(ticket_id bigint, agent_id bigint, reason text)
RETURNS support.tickets
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    ticket support.tickets := support.locked_ticket(escalate_to_executive.ticket_id);
BEGIN
    PERFORM support.require_agent(agent_id);
    PERFORM support.require_text(reason, 'reason for the executive escalation');
    PERFORM support.require_open(ticket);
    IF ticket.executive_escalated_at IS NOT NULL THEN
        RAISE EXCEPTION 'ticket % is already escalated to executives', ticket.ticket_id
              USING ERRCODE = 'object_not_in_prerequisite_state';
    END IF;
    PERFORM support.set_actor(agent_id, reason);
    UPDATE support.tickets t SET executive_escalated_at = now()
     WHERE t.account_id OPERATOR(pg_catalog.=) ticket.account_id
       AND t.ticket_id OPERATOR(pg_catalog.=) ticket.ticket_id
    RETURNING t.* INTO ticket;
    PERFORM support.add_event(ticket, 'escalation', agent_id, 'internal', reason,
        jsonb_build_object('level', 'executive'));
    PERFORM support.alert(ticket, support.slack_channel('critical'), NULL,
        format('[Ticket #%s] executive escalation', ticket.ticket_id),
        format('Executive escalation of #%s (%s, tier %s): %s. Hourly updates until resolved; a post-incident review follows.',
               ticket.ticket_id, ticket.priority::text, ticket.tier, reason),
        jsonb_build_object('kind', 'executive_escalation'));
    RETURN ticket;
END $$;
COMMENT ON FUNCTION support.escalate_to_executive(bigint, bigint, text) IS
    'executive escalation for critical business impact: hourly updates, and a post-incident review task once resolved';

------------------------------------------------------------------------------
-- The worker's state
------------------------------------------------------------------------------

CREATE FUNCTION support.worker_state(
    OUT preloaded boolean, OUT state text, OUT pid integer, OUT started_at timestamptz,
    OUT last_pass_at timestamptz, OUT last_pass_tickets bigint, OUT last_pass_actions bigint,
    OUT passes bigint, OUT actions_taken bigint, OUT next_wakeup timestamptz,
    OUT errors bigint, OUT last_error_at timestamptz, OUT last_error text)
    RETURNS SETOF record
    AS 'MODULE_PATHNAME', 'worker_status' LANGUAGE C VOLATILE;
COMMENT ON FUNCTION support.worker_state() IS 'the escalation worker of this database, from shared memory';

CREATE VIEW support.worker_status WITH (security_invoker = true) AS
SELECT w.*,
       (SELECT min(t.next_action_at) FROM support.tickets t) AS next_deadline
  FROM support.worker_state() w;
COMMENT ON VIEW support.worker_status IS
    'the escalation worker of this database: running or not, last pass, actions taken, next wake-up, errors, and the earliest scheduled action';

CREATE FUNCTION support.wake_worker() RETURNS void
    AS 'MODULE_PATHNAME', 'wake_worker' LANGUAGE C VOLATILE;
COMMENT ON FUNCTION support.wake_worker() IS
    'at commit, wakes this database''s escalation worker and has the launcher look for databases that gained the extension';

------------------------------------------------------------------------------
-- Existing tickets: the schedule starts now
------------------------------------------------------------------------------

-- Deadlines already past were the old version's business; marking them
-- checked keeps an upgrade from sending follow-ups for every old ticket.
ALTER TABLE support.tickets DISABLE TRIGGER ticket_lifecycle;
UPDATE support.tickets SET actions_checked_at = now();
ALTER TABLE support.tickets ENABLE TRIGGER ticket_lifecycle;

SELECT support.wake_worker();
