-- Escalation: the worker's actions at a ticket's deadlines (what each does
-- and how it is recorded), the escalations people ask for (a client's
-- request, an executive escalation, dissatisfaction, revenue at risk),
-- their rules and thresholds, war rooms. (C: src/escalation/; reference:
-- doc/escalation.md.)

--@section types

-- The escalation worker's actions, in the order of SlaAction in src/sla.h:
-- the C schedule names its actions by these labels, and SQL
-- (support.worker_actions, take_action) by the same, so a name is written once.
CREATE TYPE support.worker_action AS ENUM (
    'escalation_mark', 'first_response_breach', 'update_overdue', 'update_twice_overdue',
    'resolution_breach', 'no_progress', 'escalation_call_overdue', 'post_incident_review',
    'follow_up', 'auto_close'
);
COMMENT ON TYPE support.worker_action IS 'what the escalation worker does at a ticket''s deadlines (support.ticket_actions lists a ticket''s, support.worker_actions how each is recorded)';
--@section configuration

-- The handbook's escalation triggers besides the SLA marks: "client
-- expresses dissatisfaction with progress" and "revenue impact exceeds
-- predefined thresholds". A support manager tunes them here.
CREATE TABLE support.escalation_triggers (
    singleton boolean DEFAULT true NOT NULL,
    dissatisfied_rating smallint DEFAULT 2 NOT NULL,
    executive_priorities support.priority[] DEFAULT '{P1}'::support.priority[] NOT NULL,
    war_rooms_a_day smallint DEFAULT 3 NOT NULL,
    client_pages_an_hour smallint DEFAULT 5 NOT NULL,
    CONSTRAINT escalation_triggers_singleton_check CHECK (singleton),
    CONSTRAINT page_limits_are_not_negative CHECK ((war_rooms_a_day >= 0) AND (client_pages_an_hour >= 0)),
    CONSTRAINT escalation_triggers_dissatisfied_rating_check CHECK ((dissatisfied_rating >= 0) AND (dissatisfied_rating <= 5)),
    CONSTRAINT escalation_triggers_pkey PRIMARY KEY (singleton)
);
ALTER TABLE support.escalation_triggers ENABLE ROW LEVEL SECURITY;
COMMENT ON TABLE support.escalation_triggers IS 'when a client''s dissatisfaction escalates a ticket, which priorities go to the executives from the top tier, and how often an account may page them and the managers (one row)';
COMMENT ON COLUMN support.escalation_triggers.executive_priorities IS 'the priorities of "critical business impact": escalating such a ticket from the top tier brings in the executives (a war room); others go to the support managers';
COMMENT ON COLUMN support.escalation_triggers.war_rooms_a_day IS 'war rooms an account''s tickets may open in 24 hours without staff deciding it (the worker''s marks, a client''s dissatisfaction or revenue at risk); beyond it the escalation goes to the support managers, who may still escalate to the executives (support.escalate_to_executive)';
COMMENT ON COLUMN support.escalation_triggers.client_pages_an_hour IS 'times an account''s clients may page the support managers in an hour (escalation requests and dissatisfaction); beyond it each request or complaint is still recorded, acknowledged and escalated, and #support-escalations hears once that the limit was reached';
COMMENT ON COLUMN support.escalation_triggers.dissatisfied_rating IS 'a satisfaction rating at or below this (1-5) is dissatisfaction: the ticket reopens and escalates; 0 turns it off';
GRANT SELECT,UPDATE ON TABLE support.escalation_triggers TO support_manager;
GRANT SELECT ON TABLE support.escalation_triggers TO support_agent;
SELECT pg_catalog.pg_extension_config_dump('support.escalation_triggers', '');

CREATE SEQUENCE support.dissatisfaction_rule_id_seq;

CREATE TABLE support.dissatisfaction_rules (
    rule_id bigint DEFAULT nextval('support.dissatisfaction_rule_id_seq'::regclass) NOT NULL,
    name text NOT NULL,
    keywords text NOT NULL,
    active boolean DEFAULT true NOT NULL,
    CONSTRAINT dissatisfaction_rules_keywords_check CHECK (btrim(keywords) <> ''),
    CONSTRAINT keywords_match_something CHECK (CASE WHEN (length(keywords) > 1000) THEN false ELSE (querytree(websearch_to_tsquery('english'::regconfig, keywords)) <> ALL (ARRAY['T', ''])) END),
    CONSTRAINT dissatisfaction_rules_name_check CHECK (btrim(name) <> ''),
    CONSTRAINT dissatisfaction_rules_pkey PRIMARY KEY (rule_id)
);
ALTER SEQUENCE support.dissatisfaction_rule_id_seq OWNED BY support.dissatisfaction_rules.rule_id;
ALTER TABLE support.dissatisfaction_rules ENABLE ROW LEVEL SECURITY;
COMMENT ON TABLE support.dissatisfaction_rules IS 'words in a client''s message that express dissatisfaction with progress, matched as triage''s keyword rules are (websearch syntax, English stemming): a match escalates the ticket. Keywords are at most 1,000 characters and must require some word (not only stop words or negations)';
GRANT SELECT,INSERT,DELETE,UPDATE ON TABLE support.dissatisfaction_rules TO support_manager;
GRANT SELECT ON TABLE support.dissatisfaction_rules TO support_agent;
GRANT USAGE ON SEQUENCE support.dissatisfaction_rule_id_seq TO support_manager;
SELECT pg_catalog.pg_extension_config_dump('support.dissatisfaction_rules', '');
SELECT pg_catalog.pg_extension_config_dump('support.dissatisfaction_rule_id_seq', '');

-- How take_action records each of the worker's actions in the case history:
-- the event's kind, visibility and text. Adding an action is a label of
-- support.worker_action (and SlaAction), a row here, its deadline in
-- src/sla_actions.c and its effect in take_action.
CREATE TABLE support.worker_actions (
    action support.worker_action NOT NULL,
    event_kind support.event_kind,  -- NULL for auto_close: the lifecycle records the closing
    visibility support.visibility,
    summary text,
    CONSTRAINT worker_actions_pkey PRIMARY KEY (action),
    CONSTRAINT actions_record_whole_events CHECK
        ((event_kind IS NULL) = (visibility IS NULL) AND (event_kind IS NULL) = (summary IS NULL))
);
ALTER TABLE support.worker_actions ENABLE ROW LEVEL SECURITY;
COMMENT ON TABLE support.worker_actions IS 'how the escalation worker records each of its actions in the case history';
GRANT SELECT ON TABLE support.worker_actions TO support_manager;
SELECT pg_catalog.pg_extension_config_dump('support.worker_actions', '');
--@section tables

CREATE SEQUENCE support.revenue_threshold_id_seq;

CREATE TABLE support.revenue_thresholds (
    threshold_id bigint DEFAULT nextval('support.revenue_threshold_id_seq'::regclass) NOT NULL,
    account_id bigint,
    priority support.priority,
    currency text NOT NULL,
    amount numeric(14,2) NOT NULL,
    CONSTRAINT revenue_thresholds_amount_check CHECK (amount > (0)::numeric),
    CONSTRAINT revenue_thresholds_currency_check CHECK (currency ~ '^[A-Z]{3}$'),
    CONSTRAINT revenue_thresholds_pkey PRIMARY KEY (threshold_id),
    CONSTRAINT revenue_thresholds_scope_key UNIQUE NULLS NOT DISTINCT (account_id, priority, currency)
);
ALTER SEQUENCE support.revenue_threshold_id_seq OWNED BY support.revenue_thresholds.threshold_id;
ALTER TABLE support.revenue_thresholds ENABLE ROW LEVEL SECURITY;
COMMENT ON TABLE support.revenue_thresholds IS 'revenue at risk (in a currency) above which a ticket escalates; the most specific row applies: the account''s for the priority, the account''s, the priority''s, then everyone''s (NULL account and priority)';
GRANT SELECT,INSERT,DELETE,UPDATE ON TABLE support.revenue_thresholds TO support_manager;
GRANT SELECT ON TABLE support.revenue_thresholds TO support_agent;
GRANT USAGE ON SEQUENCE support.revenue_threshold_id_seq TO support_manager;
SELECT pg_catalog.pg_extension_config_dump('support.revenue_thresholds', '');
SELECT pg_catalog.pg_extension_config_dump('support.revenue_threshold_id_seq', '');

-- an account's own revenue threshold (support.revenue_thresholds, above)
ALTER TABLE ONLY support.revenue_thresholds
    ADD CONSTRAINT revenue_thresholds_account_id_fkey FOREIGN KEY (account_id) REFERENCES support.accounts(account_id);

-- A ticket whose action fails is set aside, never the batch: the failure is
-- kept here, the ticket's actions wait until retry_at (a lock that stayed
-- held: a second; any other error: 10 s, doubling up to 15 minutes), and
-- the support managers hear of it once the ticket has failed three times or
-- for a minute. The next successful pass over the ticket removes the row.
CREATE TABLE support.action_failures (
    account_id bigint NOT NULL,
    ticket_id bigint NOT NULL,
    action text NOT NULL,
    due timestamp with time zone NOT NULL,
    attempts integer DEFAULT 1 NOT NULL,
    first_failed_at timestamp with time zone NOT NULL,
    last_failed_at timestamp with time zone NOT NULL,
    retry_at timestamp with time zone NOT NULL,
    error_code text NOT NULL,
    error text NOT NULL,
    managers_told_at timestamp with time zone,
    CONSTRAINT action_failures_pkey PRIMARY KEY (account_id, ticket_id)
);

CREATE INDEX action_failures_retry_idx ON support.action_failures USING btree (retry_at);
ALTER TABLE support.action_failures ENABLE ROW LEVEL SECURITY;
COMMENT ON TABLE support.action_failures IS 'tickets whose scheduled action failed: the action, the error (SQLSTATE and message), how often and since when, and when the worker tries again; the other tickets went on';
COMMENT ON COLUMN support.action_failures.attempts IS 'failures other than a lock held past support.worker_lock_timeout, which is retried after a second';
COMMENT ON COLUMN support.action_failures.managers_told_at IS 'when the support managers were emailed and #support-escalations alerted (after three failures, or a minute of them)';
GRANT SELECT ON TABLE support.action_failures TO support_manager;
SELECT pg_catalog.pg_extension_config_dump('support.action_failures', '');

-- Executive escalation: "VP/C-level participation, a dedicated war room and
-- resources, hourly updates, a post-incident review". The war room is a
-- row; its tasks are the ticket's deadlines the worker enforces (the hourly
-- update cadence, the review after resolution).
CREATE TABLE support.war_rooms (
    account_id bigint NOT NULL,
    ticket_id bigint NOT NULL,
    opened_at timestamp with time zone NOT NULL,
    reason text NOT NULL,
    channel text NOT NULL,
    executive_ids bigint[] DEFAULT '{}'::bigint[] NOT NULL,
    executives text[] DEFAULT '{}' NOT NULL,
    CONSTRAINT war_rooms_pkey PRIMARY KEY (account_id, ticket_id),
    CONSTRAINT war_rooms_ticket_fkey FOREIGN KEY (account_id, ticket_id) REFERENCES support.tickets(account_id, ticket_id)
);
ALTER TABLE support.war_rooms ENABLE ROW LEVEL SECURITY;
COMMENT ON TABLE support.war_rooms IS 'the war room of each executive escalation: when and why it opened, its Slack channel, and the executives seated in it';
GRANT SELECT ON TABLE support.war_rooms TO support_agent, support_manager;
SELECT pg_catalog.pg_extension_config_dump('support.war_rooms', '');
--@section functions

-- Escalation: the actions the escalation worker takes when a deadline
-- comes (src/escalation_worker.c calls run_due_actions), and the
-- escalations staff and clients ask for.
CREATE FUNCTION support.action_key(action text, due timestamp with time zone) RETURNS text
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE SET search_path = pg_catalog, pg_temp AS $$
    -- microseconds since 1970: the same key whatever the session's time zone
    SELECT action || '@' || (extract(epoch FROM due) * 1000000)::bigint::text
$$;
COMMENT ON FUNCTION support.action_key(action text, due timestamp with time zone) IS 'the ledger key of an action at a deadline';
REVOKE ALL ON FUNCTION support.action_key(action text, due timestamp with time zone) FROM PUBLIC;

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
COMMENT ON FUNCTION support.close_after_verification(ticket support.tickets) IS 'closes a resolved ticket whose verification period passed (its status change is the event)';
REVOKE ALL ON FUNCTION support.close_after_verification(ticket support.tickets) FROM PUBLIC;

-- An agent escalating by hand moves the ticket out of their own tier, and so
-- out of what row-level security lets them update; the move runs as the
-- owner once the agent is shown to hold the ticket.
CREATE FUNCTION support.escalate(ticket_id bigint, agent_id bigint, reason text) RETURNS support.tickets
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    ticket support.tickets := support.locked_ticket(escalate.ticket_id);
    agent support.agents := support.require_agent(agent_id);
BEGIN
    PERFORM support.require_acting_user(agent_id);
    IF support.current_user_id() IS NOT NULL AND NOT support.current_is_manager()
       AND ticket.tier OPERATOR(pg_catalog.<>) agent.tier
       AND ticket.assignee_id IS DISTINCT FROM agent.agent_id THEN
        RAISE EXCEPTION 'ticket % does not exist', ticket_id     -- as row-level security would say
              USING ERRCODE = 'no_data_found', HINT = 'Ticket numbers are shown as #N in every message.';
    END IF;
    PERFORM support.require_text(reason, 'reason for the escalation');
    PERFORM support.require_open(ticket);
    RETURN support.escalate_ticket(ticket, reason, now());
END $$;
COMMENT ON FUNCTION support.escalate(ticket_id bigint, agent_id bigint, reason text) IS 'an agent escalates a ticket of their tier (or assigned to them) one tier up, as the worker does at the mark: new owner, notices, alert; from tier 3, to the executives';

CREATE FUNCTION support.escalate(ticket_id bigint, reason text) RETURNS support.tickets
    LANGUAGE sql SET search_path = pg_catalog, pg_temp
    RETURN support.escalate(ticket_id, support.key_user_id(), reason);
COMMENT ON FUNCTION support.escalate(ticket_id bigint, reason text) IS 'escalate as the key''s agent';

-- How often an account may page people, in support.escalation_triggers:
-- war rooms (the executives) a day unless staff decide it, and the
-- managers an hour for its clients' escalation requests and complaints.
CREATE FUNCTION support.war_room_limit_reached(ticket support.tickets, as_of timestamp with time zone) RETURNS boolean
    LANGUAGE sql STABLE PARALLEL SAFE SET search_path = pg_catalog, pg_temp AS $$
    -- staff's own escalation, and a ticket whose room is open, are not limited
    SELECT support.current_key_kind() IS DISTINCT FROM 'agent'
       AND support.current_key_kind() IS DISTINCT FROM 'manager'
       AND NOT EXISTS (SELECT 1 FROM support.war_rooms w
                        WHERE w.account_id = ticket.account_id AND w.ticket_id = ticket.ticket_id)
       AND (SELECT count(*) FROM support.war_rooms w
             WHERE w.account_id = ticket.account_id AND w.opened_at > as_of - interval '1 day')
           >= (SELECT e.war_rooms_a_day FROM support.escalation_triggers e)
$$;
COMMENT ON FUNCTION support.war_room_limit_reached(ticket support.tickets, as_of timestamp with time zone) IS 'whether escalating the ticket from the top tier may not open a war room: its account opened support.escalation_triggers.war_rooms_a_day of them in the 24 hours before as_of, and no staff decided it';
REVOKE ALL ON FUNCTION support.war_room_limit_reached(ticket support.tickets, as_of timestamp with time zone) FROM PUBLIC;

-- The client's escalation request or complaint on this ticket (its time just
-- recorded) may page the managers: the account's pages of the last hour,
-- this one counted, are within the limit. The first one over the limit
-- tells #support-escalations, once an hour.
CREATE FUNCTION support.client_may_page(ticket support.tickets) RETURNS boolean
    LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    pages bigint := (SELECT count(*) FROM support.tickets t
                      WHERE t.account_id OPERATOR(pg_catalog.=) ticket.account_id
                        AND (t.escalation_requested_at OPERATOR(pg_catalog.>) (now() OPERATOR(pg_catalog.-) interval '1 hour')
                             OR t.dissatisfaction_escalated_at OPERATOR(pg_catalog.>) (now() OPERATOR(pg_catalog.-) interval '1 hour')));
    page_limit smallint := (SELECT e.client_pages_an_hour FROM support.escalation_triggers e);
BEGIN
    IF pages OPERATOR(pg_catalog.<=) page_limit THEN
        RETURN true;
    END IF;
    IF pages OPERATOR(pg_catalog.=) (page_limit OPERATOR(pg_catalog.+) 1) THEN
        PERFORM support.alert(ticket, support.slack_channel('escalations'), NULL,
            format('[Ticket #%s] client pages over the hourly limit', ticket.ticket_id),
            format('%s''s clients asked for escalations or complained on %s tickets in the last hour; the managers were paged for the first %s (support.escalation_triggers.client_pages_an_hour). The rest are recorded and escalated: see support.tickets.escalation_requested_at and dissatisfaction_escalated_at.',
                   (SELECT a.name FROM support.accounts a WHERE a.account_id OPERATOR(pg_catalog.=) ticket.account_id),
                   pages, page_limit),
            jsonb_build_object('kind', 'client_page_limit'));
    END IF;
    RETURN false;
END $$;
COMMENT ON FUNCTION support.client_may_page(ticket support.tickets) IS 'whether a client''s escalation request or complaint on the ticket may page the support managers: its account''s of the last hour are within support.escalation_triggers.client_pages_an_hour (the first over it alerts #support-escalations)';
REVOKE ALL ON FUNCTION support.client_may_page(ticket support.tickets) FROM PUBLIC;

-- Escalates one tier up with a fresh owner of that tier (as routing picks
-- one: on shift, with the category's skill, least loaded, waiting longest);
-- from the top tier it brings in the executives for the priorities of
-- critical business impact (escalation_triggers.executive_priorities: P1),
-- and the support managers for the rest. Ownership moves with the case
-- history, the deadlines move to the new tier's targets (the trigger), and
-- the new owner, the client and the escalation channel are told.
CREATE FUNCTION support.escalate_ticket(ticket support.tickets, reason text, as_of timestamp with time zone) RETURNS support.tickets
    LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    -- the next tier a manager has configured; none above: the executives
    new_tier smallint := (SELECT min(r.tier) FROM support.tiers r WHERE r.tier OPERATOR(pg_catalog.>) ticket.tier);
    owner_id bigint;
    owner support.agents;
    history_count bigint;
BEGIN
    PERFORM set_config('support.actor_id', '0', true),
            set_config('support.change_reason', 'escalated: ' || reason, true);
    IF new_tier IS NULL AND ticket.priority::text OPERATOR(pg_catalog.=) ANY
           ((SELECT e.executive_priorities FROM support.escalation_triggers e)::text[])
       AND NOT support.war_room_limit_reached(ticket, as_of) THEN
        -- "critical business impact": the executives
        UPDATE support.tickets t
           SET executive_escalated_at = COALESCE(t.executive_escalated_at, as_of), escalated_at = as_of
         WHERE t.account_id OPERATOR(pg_catalog.=) ticket.account_id
           AND t.ticket_id OPERATOR(pg_catalog.=) ticket.ticket_id
        RETURNING t.* INTO ticket;
        PERFORM support.open_war_room(ticket, reason, as_of);
    ELSIF new_tier IS NULL THEN
        -- the top tier already has it and the priority is not critical: the managers
        UPDATE support.tickets t SET escalated_at = as_of
         WHERE t.account_id OPERATOR(pg_catalog.=) ticket.account_id
           AND t.ticket_id OPERATOR(pg_catalog.=) ticket.ticket_id
        RETURNING t.* INTO ticket;
        PERFORM support.alert(ticket, support.alert_channel(ticket), NULL,
            format('[Ticket #%s] needs a manager', ticket.ticket_id),
            format('#%s (%s, tier %s, the top tier): %s. Managers told: %s. %s', ticket.ticket_id,
                   ticket.priority::text, ticket.tier, reason,
                   support.tell_staff(ticket, 'managers',
                       format('[Ticket #%s] - Needs a manager - %s', ticket.ticket_id, ticket.subject),
                       CASE WHEN support.war_room_limit_reached(ticket, as_of)
                            AND ticket.priority::text OPERATOR(pg_catalog.=) ANY
                                ((SELECT e.executive_priorities FROM support.escalation_triggers e)::text[])
                       THEN format('#%s (%s) is in the top tier and %s. Its account has opened as many war rooms in 24 hours as it may (support.escalation_triggers.war_rooms_a_day: %s): please decide whether the executives are needed (support.escalate_to_executive).',
                                   ticket.ticket_id, ticket.priority::text, reason,
                                   (SELECT e.war_rooms_a_day FROM support.escalation_triggers e))
                       ELSE format('#%s (%s) is in the top tier and %s. Executive escalation is for %s tickets (support.escalation_triggers.executive_priorities); please see to it.',
                                   ticket.ticket_id, ticket.priority::text, reason,
                                   array_to_string((SELECT e.executive_priorities FROM support.escalation_triggers e)::text[], ', ')) END,
                       'top_tier_escalation'),
                   ticket.subject),
            -- not 'escalation': an enterprise client's channel would read that
            -- the ticket moved to a new team, and it did not
            jsonb_build_object('kind', 'top_tier_escalation'));
    ELSE
        -- Triage's pick (src/assignment.c): the least-loaded eligible agent of the
        -- new tier, counting picks still in progress, never waiting for one
        owner_id := support.pick_agent(new_tier, (SELECT c.required_skill FROM support.categories c
                                                   WHERE c.category OPERATOR(pg_catalog.=) ticket.category));
        SELECT g.* INTO owner FROM support.agents g WHERE g.agent_id OPERATOR(pg_catalog.=) owner_id;
        IF owner.agent_id IS NOT NULL THEN
            -- (a change to fold, not an update: nobody's open transaction holds it up)
            INSERT INTO support.agent_load_changes (agent_id, open_tickets, assigned_at)
            VALUES (owner.agent_id, 0, as_of);
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
            jsonb_build_object('kind', 'escalation_owner'), urgent => true);
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
COMMENT ON FUNCTION support.escalate_ticket(ticket support.tickets, reason text, as_of timestamp with time zone) IS 'moves a ticket one tier up to a fresh owner (or to executives from tier 3) and queues the owner''s, the client''s and the channel''s notices';
REVOKE ALL ON FUNCTION support.escalate_ticket(ticket support.tickets, reason text, as_of timestamp with time zone) FROM PUBLIC;

CREATE FUNCTION support.escalate_to_executive(ticket_id bigint, agent_id bigint, reason text) RETURNS support.tickets
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
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
    PERFORM support.open_war_room(ticket, reason, now());
    RETURN ticket;
END $$;
COMMENT ON FUNCTION support.escalate_to_executive(ticket_id bigint, agent_id bigint, reason text) IS 'executive escalation for critical business impact: hourly updates, and a post-incident review task once resolved';

CREATE FUNCTION support.escalate_to_executive(ticket_id bigint, reason text) RETURNS support.tickets
    LANGUAGE sql SET search_path = pg_catalog, pg_temp
    RETURN support.escalate_to_executive(ticket_id, support.key_user_id(), reason);
COMMENT ON FUNCTION support.escalate_to_executive(ticket_id bigint, reason text) IS 'escalate_to_executive as the key''s agent';

CREATE FUNCTION support.record_escalation_call(ticket_id bigint, agent_id bigint, notes text) RETURNS support.tickets
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
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
COMMENT ON FUNCTION support.record_escalation_call(ticket_id bigint, agent_id bigint, notes text) IS 'records that the escalation call a client asked for took place';

CREATE FUNCTION support.record_escalation_call(ticket_id bigint, notes text) RETURNS support.tickets
    LANGUAGE sql SET search_path = pg_catalog, pg_temp
    RETURN support.record_escalation_call(ticket_id, support.key_user_id(), notes);
COMMENT ON FUNCTION support.record_escalation_call(ticket_id bigint, notes text) IS 'record_escalation_call as the key''s agent';

CREATE FUNCTION support.request_escalation(ticket_id bigint, user_id bigint, reason text) RETURNS support.tickets
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    ticket support.tickets := support.locked_ticket(request_escalation.ticket_id);
    policy support.sla_policies;
    call_pending boolean;
    paging boolean := false;
    managers text;
BEGIN
    PERFORM support.require_client(ticket.account_id, user_id);
    PERFORM support.require_text(reason, 'reason for the escalation');
    PERFORM support.require_open(ticket);
    SELECT * INTO policy FROM support.sla_policies p WHERE p.priority::text OPERATOR(pg_catalog.=) ticket.priority::text;
    call_pending := ticket.escalation_call_due IS NOT NULL AND ticket.escalation_call_held_at IS NULL;
    PERFORM support.set_actor(user_id, reason);
    -- a request while a call is pending is acknowledged again; the call stays
    IF NOT call_pending THEN
        UPDATE support.tickets t SET escalation_requested_at = now(), escalation_call_held_at = NULL
         WHERE t.account_id OPERATOR(pg_catalog.=) ticket.account_id
           AND t.ticket_id OPERATOR(pg_catalog.=) ticket.ticket_id
        RETURNING t.* INTO ticket;
        -- "involve appropriate management level": a call, and the support
        -- managers paged by name, as often as the account may page them
        -- (client_pages_an_hour); beyond that the request is recorded and
        -- acknowledged, and a manager decides
        paging := support.client_may_page(ticket);
        UPDATE support.tickets t
           SET escalation_call_due = CASE WHEN paging THEN now() + policy.escalation_call_within END
         WHERE t.account_id OPERATOR(pg_catalog.=) ticket.account_id
           AND t.ticket_id OPERATOR(pg_catalog.=) ticket.ticket_id
        RETURNING t.* INTO ticket;
    END IF;
    PERFORM support.add_event(ticket, 'escalation', user_id, 'public', reason,
        jsonb_build_object('requested_by', 'client', 'call_due', ticket.escalation_call_due));
    PERFORM support.queue_message(ticket, 'email',
        (SELECT u.email FROM support.account_users u
          WHERE u.account_id OPERATOR(pg_catalog.=) ticket.account_id
            AND u.user_id OPERATOR(pg_catalog.=) request_escalation.user_id), NULL,
        format('[Ticket #%s] - Escalation received - %s', ticket.ticket_id, ticket.subject),
        CASE WHEN ticket.escalation_call_due IS NOT NULL
             THEN format(E'We have received your escalation request for ticket #%s.\n'
                         'A support manager will call you by %s with a detailed status and action plan, '
                         'and you will get an update at least every %s until the issue is resolved.',
                         ticket.ticket_id, support.client_time(ticket, ticket.escalation_call_due),
                         support.duration_in_words(LEAST(policy.escalated_update_cadence, policy.update_cadence)))
             ELSE format(E'We have received your escalation request for ticket #%s.\n'
                         'Your account has asked for several escalations within the hour; a support manager '
                         'will review them together and get back to you.', ticket.ticket_id) END,
        jsonb_build_object('kind', 'escalation_acknowledgment'));
    IF paging THEN
        managers := support.tell_staff(ticket, 'managers',
            format('[Ticket #%s] - Client escalation - %s', ticket.ticket_id, ticket.subject),
            format(E'The client escalated #%s (%s, tier %s): %s.\n'
                   'Call them by %s with a detailed status and action plan, then record the call (support.record_escalation_call).',
                   ticket.ticket_id, ticket.priority::text, ticket.tier, reason,
                   support.client_time(ticket, ticket.escalation_call_due)),
            'client_escalation');
        PERFORM support.alert(ticket, support.slack_channel('escalations'), NULL,
            format('[Ticket #%s] client escalation', ticket.ticket_id),
            format('The client escalated #%s (%s, tier %s): %s. Escalation call due by %s. Managers told: %s.',
                   ticket.ticket_id, ticket.priority::text, ticket.tier, reason,
                   support.client_time(ticket, ticket.escalation_call_due), managers),
            jsonb_build_object('kind', 'client_escalation'));
    END IF;
    PERFORM support.set_actor(NULL);
    RETURN ticket;
END $$;
COMMENT ON FUNCTION support.request_escalation(ticket_id bigint, user_id bigint, reason text) IS 'a client''s escalation request: acknowledged at once, an escalation call due within the policy''s escalation_call_within and the managers paged (at most support.escalation_triggers.client_pages_an_hour an account), updates on the enhanced cadence';

CREATE FUNCTION support.request_escalation(ticket_id bigint, reason text) RETURNS support.tickets
    LANGUAGE sql SET search_path = pg_catalog, pg_temp
    RETURN support.request_escalation(ticket_id, support.key_user_id(), reason);
COMMENT ON FUNCTION support.request_escalation(ticket_id bigint, reason text) IS 'request_escalation as the key''s user';

-- Records a ticket's failed pass (its subtransaction rolled back) and when
-- to try again; tells the managers once when it keeps failing.
CREATE FUNCTION support.set_actions_aside(ticket support.tickets, action text, due timestamp with time zone, error_code text, error text, as_of timestamp with time zone) RETURNS void
    LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    -- a lock held too long, a deadlock or a serialization failure passes
    transient boolean := error_code OPERATOR(pg_catalog.=) ANY (ARRAY['55P03', '40P01', '40001']);
    failure support.action_failures;
BEGIN
    INSERT INTO support.action_failures AS f
           (account_id, ticket_id, action, due, attempts, first_failed_at, last_failed_at, retry_at, error_code, error)
    VALUES (ticket.account_id, ticket.ticket_id, action, due, CASE WHEN transient THEN 0 ELSE 1 END,
            as_of, as_of, as_of, error_code, pg_catalog.left(error, 1000))
    ON CONFLICT ON CONSTRAINT action_failures_pkey DO UPDATE
       SET action = EXCLUDED.action, due = EXCLUDED.due,
           attempts = f.attempts OPERATOR(pg_catalog.+) EXCLUDED.attempts,
           last_failed_at = EXCLUDED.last_failed_at, error_code = EXCLUDED.error_code, error = EXCLUDED.error
    RETURNING f.* INTO failure;
    UPDATE support.action_failures f
       SET retry_at = as_of OPERATOR(pg_catalog.+) CASE
               WHEN transient THEN interval '1 second'
               ELSE LEAST(interval '10 seconds' OPERATOR(pg_catalog.*) power(2, LEAST(failure.attempts - 1, 10)),
                          interval '15 minutes') END
     WHERE f.account_id OPERATOR(pg_catalog.=) ticket.account_id
       AND f.ticket_id OPERATOR(pg_catalog.=) ticket.ticket_id
    RETURNING f.* INTO failure;
    IF failure.managers_told_at IS NOT NULL
       OR (failure.attempts OPERATOR(pg_catalog.<) 3
           AND as_of OPERATOR(pg_catalog.-) failure.first_failed_at OPERATOR(pg_catalog.<) interval '1 minute') THEN
        RETURN;
    END IF;
    -- telling them must not undo the record of the failure
    BEGIN
        PERFORM support.alert(ticket, support.slack_channel('escalations'), NULL,
            format('[Ticket #%s] the escalation worker cannot act on it', ticket.ticket_id),
            format('The worker''s %s action on #%s (%s) has failed since %s: %s (%s). It is tried again at %s; the other tickets go on. Managers told: %s.',
                   action, ticket.ticket_id, ticket.priority::text, support.client_time(ticket, failure.first_failed_at),
                   failure.error, failure.error_code, support.client_time(ticket, failure.retry_at),
                   support.tell_staff(ticket, 'managers',
                       format('[Ticket #%s] - The escalation worker cannot act - %s', ticket.ticket_id, ticket.subject),
                       format(E'The worker''s %s action on #%s (%s), due at %s, has failed since %s:\n%s (SQLSTATE %s).\n'
                              'It is tried again at %s and until it succeeds; support.action_failures shows it.',
                              action, ticket.ticket_id, ticket.priority::text, support.client_time(ticket, due),
                              support.client_time(ticket, failure.first_failed_at), failure.error, failure.error_code,
                              support.client_time(ticket, failure.retry_at)),
                       'worker_failure')),
            jsonb_build_object('kind', 'worker_failure'));
        UPDATE support.action_failures f SET managers_told_at = as_of
         WHERE f.account_id OPERATOR(pg_catalog.=) ticket.account_id
           AND f.ticket_id OPERATOR(pg_catalog.=) ticket.ticket_id;
    EXCEPTION WHEN OTHERS THEN
        RAISE WARNING 'could not tell the managers that ticket %''s actions fail: %', ticket.ticket_id, SQLERRM;
    END;
END $$;
COMMENT ON FUNCTION support.set_actions_aside(ticket support.tickets, action text, due timestamp with time zone, error_code text, error text, as_of timestamp with time zone) IS 'records a ticket''s failed action in support.action_failures with its retry time; from the third failure, or a minute of them, tells the managers once';
REVOKE ALL ON FUNCTION support.set_actions_aside(ticket support.tickets, action text, due timestamp with time zone, error_code text, error text, as_of timestamp with time zone) FROM PUBLIC;

CREATE FUNCTION support.run_due_actions(as_of timestamp with time zone DEFAULT now(), max_tickets integer DEFAULT 500, max_duration interval DEFAULT NULL::interval, OUT tickets integer, OUT actions integer, OUT failed integer) RETURNS record
    LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    ticket support.tickets;
    next record;
    done text[];
    taken integer;
    started timestamp with time zone := clock_timestamp();
    error_code text;
    error_text text;
BEGIN
    IF as_of IS NULL OR max_tickets IS NULL OR max_tickets < 1 THEN
        RAISE EXCEPTION 'run_due_actions needs a time and a positive batch size'
              USING ERRCODE = 'invalid_parameter_value',
                    HINT = 'Call support.run_due_actions(now(), 500).';
    END IF;
    tickets := 0;
    actions := 0;
    failed := 0;
    -- In turns: every account's most urgent due ticket, then every account's
    -- second, so one account's thousand due tickets do not hold up another's
    -- one. A ticket another session holds is left to the next pass (the
    -- worker ends a session that keeps one past support.lock_hold_limit); one
    -- set aside after a failure waits for its retry.
    FOR ticket IN
        SELECT t.* FROM (
                SELECT d.account_id, d.ticket_id, d.turn, d.priority, d.next_action_at
                  FROM (SELECT d.account_id, d.ticket_id, d.priority, d.next_action_at,
                               pg_catalog.row_number() OVER (PARTITION BY d.account_id
                                                             ORDER BY d.priority, d.next_action_at) AS turn
                          FROM support.tickets d
                         WHERE d.next_action_at OPERATOR(pg_catalog.<=) as_of
                           AND NOT EXISTS (SELECT 1 FROM support.action_failures f
                                            WHERE f.account_id OPERATOR(pg_catalog.=) d.account_id
                                              AND f.ticket_id OPERATOR(pg_catalog.=) d.ticket_id
                                              AND f.retry_at OPERATOR(pg_catalog.>) as_of)) d
                 ORDER BY d.turn, d.priority, d.next_action_at, d.account_id, d.ticket_id
                 LIMIT max_tickets) c
          JOIN support.tickets t ON t.account_id OPERATOR(pg_catalog.=) c.account_id
                                AND t.ticket_id OPERATOR(pg_catalog.=) c.ticket_id
         WHERE t.next_action_at OPERATOR(pg_catalog.<=) as_of
         ORDER BY c.turn, c.priority, c.next_action_at, c.account_id, c.ticket_id
           FOR UPDATE OF t SKIP LOCKED
    LOOP
        -- a batch bounded in time commits soon, whatever it meets
        EXIT WHEN max_duration IS NOT NULL AND tickets > 0
                  AND clock_timestamp() OPERATOR(pg_catalog.-) started OPERATOR(pg_catalog.>=) max_duration;
        tickets := tickets + 1;
        done := '{}';
        taken := 0;
        next := NULL;
        -- each ticket in a subtransaction of its own: one that fails is set
        -- aside with its error, and the batch goes on
        BEGIN
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
                    taken := taken + 1;
                END IF;
                SELECT * INTO ticket FROM support.tickets t
                 WHERE t.account_id OPERATOR(pg_catalog.=) ticket.account_id
                   AND t.ticket_id OPERATOR(pg_catalog.=) ticket.ticket_id;
            END LOOP;
            UPDATE support.tickets t SET actions_checked_at = as_of
             WHERE t.account_id OPERATOR(pg_catalog.=) ticket.account_id
               AND t.ticket_id OPERATOR(pg_catalog.=) ticket.ticket_id;
            DELETE FROM support.action_failures f
             WHERE f.account_id OPERATOR(pg_catalog.=) ticket.account_id
               AND f.ticket_id OPERATOR(pg_catalog.=) ticket.ticket_id;
            actions := actions + taken;
        EXCEPTION WHEN OTHERS THEN
            GET STACKED DIAGNOSTICS error_code = RETURNED_SQLSTATE, error_text = MESSAGE_TEXT;
            failed := failed + 1;
            PERFORM support.set_actions_aside(ticket, COALESCE(next.action, 'schedule'),
                                              COALESCE(next.due, ticket.next_action_at, as_of),
                                              error_code, error_text, as_of);
        END;
    END LOOP;
    PERFORM set_config('support.actor_id', '0', true);
END $$;
COMMENT ON FUNCTION support.run_due_actions(as_of timestamp with time zone, max_tickets integer, max_duration interval) IS 'one batch of the escalation worker: takes every action due by as_of on up to max_tickets tickets (locked, SKIP LOCKED), every account''s most urgent first, each ticket in its own subtransaction (a failing one is set aside in support.action_failures), starting no ticket after max_duration; safe to call by hand next to the worker';
REVOKE ALL ON FUNCTION support.run_due_actions(as_of timestamp with time zone, max_tickets integer, max_duration interval) FROM PUBLIC;

-- When the worker next has something to do: the earliest due action of a
-- ticket not set aside, or a set-aside ticket's retry (one probe each).
CREATE FUNCTION support.next_action_time() RETURNS timestamp with time zone
    LANGUAGE sql STABLE PARALLEL SAFE SET search_path = pg_catalog, pg_temp AS $$
    SELECT LEAST(
        (SELECT t.next_action_at FROM support.tickets t
          WHERE t.next_action_at IS NOT NULL
            AND NOT EXISTS (SELECT 1 FROM support.action_failures f
                             WHERE f.account_id = t.account_id AND f.ticket_id = t.ticket_id
                               AND f.retry_at > statement_timestamp())
          ORDER BY t.next_action_at LIMIT 1),
        (SELECT min(GREATEST(f.retry_at, t.next_action_at)) FROM support.action_failures f
           JOIN support.tickets t ON t.account_id = f.account_id AND t.ticket_id = f.ticket_id
          WHERE t.next_action_at IS NOT NULL))
$$;
COMMENT ON FUNCTION support.next_action_time() IS 'when the escalation worker next has an action to take: the earliest scheduled action, a ticket set aside after a failure counting from its retry';
REVOKE ALL ON FUNCTION support.next_action_time() FROM PUBLIC;
GRANT ALL ON FUNCTION support.next_action_time() TO support_manager;

-- A session that keeps a due ticket locked would stop the worker from
-- acting on it (it skips locked tickets): past support.lock_hold_limit the
-- worker ends that session, unless it is a superuser's, and records it in
-- support.security_audit. Its transaction rolls back; the ticket is acted
-- on at the next pass.
CREATE FUNCTION support.end_ticket_holders(due_before timestamp with time zone) RETURNS integer
    LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    held record;
    holder record;
    ended integer := 0;
BEGIN
    FOR held IN
        SELECT t.account_id, t.ticket_id, t.next_action_at, t.ctid AS row_id FROM support.tickets t
         WHERE t.next_action_at OPERATOR(pg_catalog.<=) due_before
           AND NOT EXISTS (SELECT 1 FROM support.action_failures f
                            WHERE f.account_id OPERATOR(pg_catalog.=) t.account_id
                              AND f.ticket_id OPERATOR(pg_catalog.=) t.ticket_id
                              AND f.retry_at OPERATOR(pg_catalog.>) due_before)
         ORDER BY t.next_action_at
         LIMIT 1000
    LOOP
        FOR holder IN
            SELECT a.pid, a.usename, a.application_name, a.state, a.xact_start, r.rolsuper
              FROM pg_catalog.unnest(support.row_locker_pids('support.tickets'::regclass, held.row_id)) p(pid)
              JOIN pg_catalog.pg_stat_activity a ON a.pid OPERATOR(pg_catalog.=) p.pid
              JOIN pg_catalog.pg_roles r ON r.oid OPERATOR(pg_catalog.=) a.usesysid
             WHERE a.backend_type OPERATOR(pg_catalog.=) 'client backend'
        LOOP
            CONTINUE WHEN holder.rolsuper;
            IF pg_catalog.pg_terminate_backend(holder.pid) THEN
                ended := ended + 1;
                INSERT INTO support.security_audit (kind, subject_id, details)
                VALUES ('session_ended', held.ticket_id,
                        jsonb_build_object('pid', holder.pid, 'role', holder.usename,
                                           'application_name', holder.application_name,
                                           'state', holder.state, 'transaction_started_at', holder.xact_start,
                                           'account_id', held.account_id, 'ticket_id', held.ticket_id,
                                           'action_due_at', held.next_action_at));
                RAISE WARNING 'ended session % of role "%": it held ticket % since before its action was due at %',
                              holder.pid, holder.usename, held.ticket_id, held.next_action_at;
            END IF;
        END LOOP;
    END LOOP;
    RETURN ended;
END $$;
COMMENT ON FUNCTION support.end_ticket_holders(due_before timestamp with time zone) IS 'the escalation worker''s: ends every session but a superuser''s that holds a ticket whose action was due by due_before, audited as session_ended; returns how many';
REVOKE ALL ON FUNCTION support.end_ticket_holders(due_before timestamp with time zone) FROM PUBLIC;

CREATE FUNCTION support.row_locker_pids(relation regclass, row_id tid) RETURNS integer[]
    LANGUAGE c AS 'MODULE_PATHNAME', 'row_locker_pids';
COMMENT ON FUNCTION support.row_locker_pids(relation regclass, row_id tid) IS 'the backends whose running transactions lock or update that row version of one of the desk''s tables';
REVOKE ALL ON FUNCTION support.row_locker_pids(relation regclass, row_id tid) FROM PUBLIC;

CREATE FUNCTION support.take_action(ticket support.tickets, action text, due timestamp with time zone, as_of timestamp with time zone) RETURNS boolean
    LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    recorded_as support.worker_actions;
    recorded bigint;
    assignee support.agents;
    -- an escalation answers every escalation trigger that had passed by then
    answered boolean := action IN ('escalation_mark', 'no_progress', 'update_twice_overdue')
                        AND ticket.escalated_at OPERATOR(pg_catalog.>=) due;
    -- the review is set at the resolution and chased at its deadline
    review_chased boolean := action = 'post_incident_review' AND due OPERATOR(pg_catalog.>) ticket.resolved_at;
    people text;
    reminder_subject text;
    reminder_body text;
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
                 WHEN review_chased THEN 'Post-incident review overdue: the executives and managers were reminded'
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
                   ticket.ticket_id, ticket.priority::text, support.client_time(ticket, due)),
            jsonb_build_object('kind', 'update_reminder'), urgent => true);
    WHEN 'escalation_call_overdue' THEN
        PERFORM support.alert(ticket, support.slack_channel('escalations'), NULL,
            format('[Ticket #%s] escalation call overdue', ticket.ticket_id),
            format('The client asked for an escalation of #%s at %s; the call was due by %s and has not been recorded.',
                   ticket.ticket_id, support.client_time(ticket, ticket.escalation_requested_at),
                   support.client_time(ticket, due)),
            jsonb_build_object('kind', 'escalation_call_overdue'));
    WHEN 'post_incident_review' THEN
        IF review_chased THEN
            reminder_subject := format('[Ticket #%s] - Post-incident review overdue - %s', ticket.ticket_id, ticket.subject);
            reminder_body := format('The post-incident review of #%s was due at %s and is not recorded (support.record_post_incident_review).',
                                    ticket.ticket_id, support.client_time(ticket, due));
            people := support.tell_staff(ticket, 'executives', reminder_subject, reminder_body, 'post_incident_review_overdue')
                || ', ' || support.tell_staff(ticket, 'managers', reminder_subject, reminder_body, 'post_incident_review_overdue');
            PERFORM support.alert(ticket, support.slack_channel('critical'), NULL,
                format('[Ticket #%s] post-incident review overdue', ticket.ticket_id),
                format('The post-incident review of #%s was due at %s. Reminded: %s.',
                       ticket.ticket_id, support.client_time(ticket, due), people),
                jsonb_build_object('kind', 'post_incident_review_overdue'));
        ELSE
            people := support.tell_staff(ticket, 'executives',
                format('[Ticket #%s] - Post-incident review - %s', ticket.ticket_id, ticket.subject),
                format('#%s was resolved at %s. Its post-incident review and improvement plan are due by %s. Root cause: %s',
                       ticket.ticket_id, support.client_time(ticket, ticket.resolved_at),
                       support.client_time(ticket, ticket.resolved_at + (SELECT p.post_incident_review_within
                           FROM support.sla_policies p WHERE p.priority::text OPERATOR(pg_catalog.=) ticket.priority::text)),
                       COALESCE(ticket.root_cause, 'not recorded')), 'post_incident_review');
            PERFORM support.alert(ticket, support.slack_channel('critical'), NULL,
                format('[Ticket #%s] post-incident review', ticket.ticket_id),
                format('#%s, escalated to executives, was resolved at %s: schedule its post-incident review with %s. Root cause: %s',
                       ticket.ticket_id, support.client_time(ticket, ticket.resolved_at), people,
                       COALESCE(ticket.root_cause, 'not recorded')),
                jsonb_build_object('kind', 'post_incident_review'));
        END IF;
    WHEN 'follow_up' THEN
        PERFORM support.client_message(ticket, 'follow_up');
    END CASE;
    RETURN true;
END $$;
COMMENT ON FUNCTION support.take_action(ticket support.tickets, action text, due timestamp with time zone, as_of timestamp with time zone) IS 'takes one scheduled action on a locked ticket, once: false when the ledger shows it taken';
REVOKE ALL ON FUNCTION support.take_action(ticket support.tickets, action text, due timestamp with time zone, as_of timestamp with time zone) FROM PUBLIC;

CREATE FUNCTION support.ticket_actions(ticket support.tickets) RETURNS TABLE(action text, due timestamp with time zone)
    LANGUAGE c STABLE PARALLEL SAFE STRICT AS 'MODULE_PATHNAME', 'ticket_actions';
COMMENT ON FUNCTION support.ticket_actions(ticket support.tickets) IS 'every action the escalation worker schedules for this ticket row, with its time, whether taken or not';
REVOKE ALL ON FUNCTION support.ticket_actions(ticket support.tickets) FROM PUBLIC;
GRANT ALL ON FUNCTION support.ticket_actions(ticket support.tickets) TO support_manager;

CREATE FUNCTION support.wake_worker() RETURNS void
    LANGUAGE c AS 'MODULE_PATHNAME', 'wake_worker';
COMMENT ON FUNCTION support.wake_worker() IS 'at commit, wakes this database''s escalation worker and has the launcher look for databases that gained the extension';
REVOKE ALL ON FUNCTION support.wake_worker() FROM PUBLIC;

CREATE FUNCTION support.worker_state(OUT preloaded boolean, OUT state text, OUT pid integer, OUT started_at timestamp with time zone, OUT last_pass_at timestamp with time zone, OUT last_pass_tickets bigint, OUT last_pass_actions bigint, OUT passes bigint, OUT actions_taken bigint, OUT next_wakeup timestamp with time zone, OUT errors bigint, OUT last_error_at timestamp with time zone, OUT last_error text) RETURNS SETOF record
    LANGUAGE c AS 'MODULE_PATHNAME', 'worker_state';
COMMENT ON FUNCTION support.worker_state() IS 'the escalation worker of this database, from shared memory';
REVOKE ALL ON FUNCTION support.worker_state() FROM PUBLIC;
GRANT ALL ON FUNCTION support.worker_state() TO support_manager;

-- The people an escalation involves hear of it by name: each active
-- support manager, or each executive (agents.is_executive), gets the
-- email; the names go into the alert.
CREATE FUNCTION support.tell_staff(ticket support.tickets, audience text, subject text, body text, kind text) RETURNS text
    LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    person support.agents;
    names text[] := '{}';
BEGIN
    IF audience IS NULL OR audience NOT IN ('managers', 'executives') THEN
        RAISE EXCEPTION 'unknown audience "%"', audience
              USING ERRCODE = 'invalid_parameter_value', HINT = 'Tell the managers or the executives.';
    END IF;
    FOR person IN SELECT g.* FROM support.agents g
                   WHERE g.active
                     AND CASE audience WHEN 'managers' THEN g.is_support_manager ELSE g.is_executive END
                   ORDER BY g.full_name LOOP
        PERFORM support.queue_message(ticket, 'email', person.email, NULL, subject, body,
                                      jsonb_build_object('kind', kind, 'audience', audience, 'agent_id', person.agent_id),
                                      urgent => true);
        names := names || person.full_name;
    END LOOP;
    RETURN COALESCE(NULLIF(array_to_string(names, ', '), ''),
                    CASE audience WHEN 'managers' THEN 'no support manager on record'
                                  ELSE 'no executive on record (support.agents.is_executive)' END);
END $$;
COMMENT ON FUNCTION support.tell_staff(ticket support.tickets, audience text, subject text, body text, kind text) IS 'emails every active support manager (audience managers) or executive (executives) about a ticket; returns their names for the alert';
REVOKE ALL ON FUNCTION support.tell_staff(ticket support.tickets, audience text, subject text, body text, kind text) FROM PUBLIC;

-- "Client expresses dissatisfaction with progress": the ticket is reopened
-- if resolved and escalated as at a breach-imminent mark, and the managers
-- are told by name. A complaint the desk has not answered yet (no agent
-- reply since the last such escalation) does not escalate again; on a
-- closed ticket only the managers hear of it.
CREATE FUNCTION support.escalate_for_dissatisfaction(ticket support.tickets, why text) RETURNS support.tickets
    LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    managers text;
    escalating boolean := ticket.status OPERATOR(pg_catalog.<>) 'closed';
BEGIN
    -- once per complaint the desk has not answered, on a closed ticket too
    IF ticket.dissatisfaction_escalated_at OPERATOR(pg_catalog.>=)
       COALESCE(ticket.last_public_reply_at, ticket.created_at) THEN
        RETURN ticket;
    END IF;
    IF ticket.status OPERATOR(pg_catalog.=) 'resolved' THEN
        PERFORM set_config('support.change_reason', 'reopened: the client is dissatisfied', true);
        UPDATE support.tickets t SET status = 'in_progress'
         WHERE t.account_id OPERATOR(pg_catalog.=) ticket.account_id
           AND t.ticket_id OPERATOR(pg_catalog.=) ticket.ticket_id;
    END IF;
    UPDATE support.tickets t SET dissatisfaction_escalated_at = now()
     WHERE t.account_id OPERATOR(pg_catalog.=) ticket.account_id
       AND t.ticket_id OPERATOR(pg_catalog.=) ticket.ticket_id
    RETURNING t.* INTO ticket;
    IF escalating THEN
        ticket := support.escalate_ticket(ticket, 'the client is dissatisfied: ' || why, now());
    END IF;
    IF NOT support.client_may_page(ticket) THEN
        PERFORM support.add_event(ticket, 'escalation', NULL, 'internal',
            format('Client dissatisfied: %s. The managers were not paged: the account reached its hourly limit (support.escalation_triggers.client_pages_an_hour)', why),
            jsonb_build_object('trigger', 'dissatisfaction', 'escalated', escalating, 'paged', false));
        PERFORM set_config('support.change_reason', '', true);
        RETURN ticket;
    END IF;
    managers := support.tell_staff(ticket, 'managers',
        format('[Ticket #%s] - Dissatisfied client - %s', ticket.ticket_id, ticket.subject),
        format(E'The client is dissatisfied with #%s (%s, tier %s): %s.\n%s',
               ticket.ticket_id, ticket.priority::text, ticket.tier, why,
               CASE WHEN escalating THEN 'The ticket was escalated; please get in touch with the client.'
                    ELSE 'The ticket is closed; please get in touch with the client.' END),
        'dissatisfaction');
    PERFORM support.alert(ticket, support.slack_channel('escalations'), NULL,
        format('[Ticket #%s] dissatisfied client', ticket.ticket_id),
        format('The client is dissatisfied with #%s (%s, tier %s): %s. Managers told: %s.',
               ticket.ticket_id, ticket.priority::text, ticket.tier, why, managers),
        jsonb_build_object('kind', 'dissatisfaction'));
    PERFORM support.add_event(ticket, 'escalation', NULL, 'internal',
        format('Client dissatisfied: %s. Managers told: %s', why, managers),
        jsonb_build_object('trigger', 'dissatisfaction', 'escalated', escalating));
    PERFORM set_config('support.change_reason', '', true);
    RETURN ticket;
END $$;
COMMENT ON FUNCTION support.escalate_for_dissatisfaction(ticket support.tickets, why text) IS 'the handbook''s "client expresses dissatisfaction with progress": reopens a resolved ticket, escalates it and tells the support managers (a closed one: the managers only)';
REVOKE ALL ON FUNCTION support.escalate_for_dissatisfaction(ticket support.tickets, why text) FROM PUBLIC;

-- What a keyword rule is matched against, triage's and these alike: the
-- text's first 100,000 characters as an English tsvector (src/triage/triage_rules.c).
CREATE FUNCTION support.keyword_document(message text) RETURNS tsvector
    LANGUAGE c STABLE STRICT PARALLEL SAFE AS 'MODULE_PATHNAME', 'keyword_document';
COMMENT ON FUNCTION support.keyword_document(message text) IS 'what a keyword rule (triage''s, dissatisfaction''s) is matched against: the first 100,000 characters of a text as an English tsvector';
REVOKE ALL ON FUNCTION support.keyword_document(message text) FROM PUBLIC;

-- The first active rule whose words a client's message contains, matched
-- as triage's keyword rules are.
CREATE FUNCTION support.dissatisfaction_rule(message text) RETURNS support.dissatisfaction_rules
    LANGUAGE sql STABLE PARALLEL SAFE SET search_path = pg_catalog, pg_temp AS $$
    SELECT r.* FROM support.dissatisfaction_rules r
     WHERE r.active
       AND support.keyword_document(message) @@ websearch_to_tsquery('english'::regconfig, r.keywords)
     ORDER BY r.rule_id LIMIT 1
$$;
COMMENT ON FUNCTION support.dissatisfaction_rule(message text) IS 'the first active dissatisfaction rule a message matches (NULL: none)';
REVOKE ALL ON FUNCTION support.dissatisfaction_rule(message text) FROM PUBLIC;

-- AFTER INSERT of a client's message (after ticket_event_effects has
-- reopened or resumed the ticket): a message a dissatisfaction rule
-- matches escalates, however the message was written.
CREATE FUNCTION support.watch_dissatisfaction() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    rule support.dissatisfaction_rules;
    ticket support.tickets;
BEGIN
    IF TG_TABLE_SCHEMA OPERATOR(pg_catalog.<>) 'support' OR TG_TABLE_NAME OPERATOR(pg_catalog.<>) 'ticket_events'
       OR TG_WHEN OPERATOR(pg_catalog.<>) 'AFTER' OR TG_LEVEL OPERATOR(pg_catalog.<>) 'ROW' THEN
        RAISE EXCEPTION 'support.watch_dissatisfaction() is a trigger of support.ticket_events only'
              USING ERRCODE = 'trigger_protocol_violated';
    END IF;
    IF support.restoring() OR NEW.kind OPERATOR(pg_catalog.<>) 'client_message' THEN
        RETURN NULL;
    END IF;
    -- a rule that fails to match never blocks the client's message
    BEGIN
        rule := support.dissatisfaction_rule(NEW.body);
    EXCEPTION WHEN OTHERS THEN
        RAISE WARNING 'dissatisfaction rules could not be matched against message % of ticket %: %',
                      NEW.event_id, NEW.ticket_id, SQLERRM;
        RETURN NULL;
    END;
    IF rule.rule_id IS NULL THEN
        RETURN NULL;
    END IF;
    SELECT t.* INTO ticket FROM support.tickets t
     WHERE t.account_id OPERATOR(pg_catalog.=) NEW.account_id
       AND t.ticket_id OPERATOR(pg_catalog.=) NEW.ticket_id
       FOR UPDATE;
    PERFORM support.escalate_for_dissatisfaction(ticket,
        format('their message matched "%s": "%s"', rule.name, pg_catalog.left(NEW.body, 200)));
    RETURN NULL;
END $$;
COMMENT ON FUNCTION support.watch_dissatisfaction() IS 'escalates a ticket whose client writes a message a dissatisfaction rule matches';
REVOKE ALL ON FUNCTION support.watch_dissatisfaction() FROM PUBLIC;

-- "Revenue impact exceeds predefined thresholds": the client or an agent
-- reports the revenue at risk; crossing the applicable threshold escalates
-- the ticket, once.
CREATE FUNCTION support.report_revenue_at_risk(ticket_id bigint, actor_id bigint, amount numeric, currency text, reason text) RETURNS support.tickets
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    ticket support.tickets := support.locked_ticket(report_revenue_at_risk.ticket_id);
    threshold support.revenue_thresholds;
    code text := pg_catalog.upper(pg_catalog.btrim(currency));
    at_risk text;
    limit_text text;
BEGIN
    IF support.actor_kind_of(actor_id) OPERATOR(pg_catalog.=) 'agent' THEN
        PERFORM support.require_agent(actor_id);
    ELSE
        PERFORM support.require_client(ticket.account_id, actor_id);
    END IF;
    PERFORM support.require_text(reason, 'reason for the revenue at risk');
    PERFORM support.require_open(ticket);
    IF amount IS NULL OR amount OPERATOR(pg_catalog.<) 0 OR pg_catalog.round(amount, 2) OPERATOR(pg_catalog.>=) 1e12 THEN
        RAISE EXCEPTION 'revenue at risk % is out of range', COALESCE(amount::text, 'NULL')
              USING ERRCODE = 'numeric_value_out_of_range',
                    HINT = 'Give an amount from 0 up to 999,999,999,999.99 in the currency named.';
    END IF;
    IF code IS NULL OR code !~ '^[A-Z]{3}$' THEN
        RAISE EXCEPTION 'currency "%" is not an ISO 4217 code', COALESCE(currency, 'NULL')
              USING ERRCODE = 'invalid_parameter_value', HINT = 'Name the currency by its code, such as USD or EUR.';
    END IF;
    PERFORM support.set_actor(actor_id, reason);
    UPDATE support.tickets t
       SET revenue_at_risk = pg_catalog.round(amount, 2), revenue_currency = code,
           revenue_impact = t.revenue_impact OR amount OPERATOR(pg_catalog.>) 0
     WHERE t.account_id OPERATOR(pg_catalog.=) ticket.account_id
       AND t.ticket_id OPERATOR(pg_catalog.=) ticket.ticket_id
    RETURNING t.* INTO ticket;
    PERFORM support.add_event(ticket, 'revenue_at_risk', actor_id, 'public', reason,
        jsonb_build_object('amount', ticket.revenue_at_risk, 'currency', code));
    -- the most specific threshold: the account's for the priority, the account's, the priority's, everyone's
    SELECT r.* INTO threshold FROM support.revenue_thresholds r
     WHERE r.currency OPERATOR(pg_catalog.=) code
       AND (r.account_id IS NULL OR r.account_id OPERATOR(pg_catalog.=) ticket.account_id)
       AND (r.priority IS NULL OR r.priority::text OPERATOR(pg_catalog.=) ticket.priority::text)
     ORDER BY r.account_id IS NULL, r.priority IS NULL
     LIMIT 1;
    IF threshold.threshold_id IS NOT NULL AND ticket.revenue_at_risk OPERATOR(pg_catalog.>=) threshold.amount
       AND ticket.revenue_escalated_at IS NULL THEN
        UPDATE support.tickets t SET revenue_escalated_at = now()
         WHERE t.account_id OPERATOR(pg_catalog.=) ticket.account_id
           AND t.ticket_id OPERATOR(pg_catalog.=) ticket.ticket_id
        RETURNING t.* INTO ticket;
        at_risk := to_char(ticket.revenue_at_risk, 'FM999,999,999,990.00') || ' ' || code;
        limit_text := to_char(threshold.amount, 'FM999,999,999,990.00') || ' ' || code;
        ticket := support.escalate_ticket(ticket,
            format('revenue at risk of %s exceeds the threshold of %s', at_risk, limit_text), now());
        PERFORM support.add_event(ticket, 'escalation', NULL, 'internal',
            format('Revenue at risk %s is over the threshold of %s: escalated', at_risk, limit_text),
            jsonb_build_object('trigger', 'revenue', 'amount', ticket.revenue_at_risk, 'currency', code,
                               'threshold_id', threshold.threshold_id, 'threshold', threshold.amount));
    END IF;
    PERFORM support.set_actor(NULL);
    RETURN ticket;
END $$;
COMMENT ON FUNCTION support.report_revenue_at_risk(ticket_id bigint, actor_id bigint, amount numeric, currency text, reason text) IS 'records the revenue at risk on an open ticket (the client''s Admin or Campaign Manager, or an agent); at or above the applicable support.revenue_thresholds row it escalates the ticket, once';

CREATE FUNCTION support.report_revenue_at_risk(ticket_id bigint, amount numeric, currency text, reason text) RETURNS support.tickets
    LANGUAGE sql SET search_path = pg_catalog, pg_temp
    RETURN support.report_revenue_at_risk(ticket_id, support.key_user_id(), amount, currency, reason);
COMMENT ON FUNCTION support.report_revenue_at_risk(ticket_id bigint, amount numeric, currency text, reason text) IS 'report_revenue_at_risk as the key''s user';

-- Opens the ticket's war room once, seats and emails every executive, and
-- alerts #critical-issues naming them; an escalation of a ticket whose war
-- room is open says so again.
CREATE FUNCTION support.open_war_room(ticket support.tickets, reason text, as_of timestamp with time zone) RETURNS support.war_rooms
    LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    room support.war_rooms;
    policy support.sla_policies;
    channel text := support.slack_channel('critical');
    names text;
BEGIN
    SELECT * INTO room FROM support.war_rooms w
     WHERE w.account_id OPERATOR(pg_catalog.=) ticket.account_id
       AND w.ticket_id OPERATOR(pg_catalog.=) ticket.ticket_id;
    IF FOUND THEN
        PERFORM support.alert(ticket, room.channel, NULL,
            format('[Ticket #%s] executive escalation', ticket.ticket_id),
            format('Executive escalation of #%s (%s, tier %s) again: %s. The war room in %s is open since %s with %s.',
                   ticket.ticket_id, ticket.priority::text, ticket.tier, reason, room.channel,
                   support.client_time(ticket, room.opened_at),
                   COALESCE(NULLIF(array_to_string(room.executives, ', '), ''), 'no executive')),
            jsonb_build_object('kind', 'executive_escalation'));
        RETURN room;
    END IF;
    SELECT * INTO policy FROM support.sla_policies p WHERE p.priority::text OPERATOR(pg_catalog.=) ticket.priority::text;
    names := support.tell_staff(ticket, 'executives',
        format('[Ticket #%s] - Executive escalation - %s', ticket.ticket_id, ticket.subject),
        format(E'You are in the war room of #%s (%s, tier %s) for %s: %s.\n'
               'War room: %s. Updates every %s until it is resolved; the post-incident review is due within %s of the resolution.',
               ticket.ticket_id, ticket.priority::text, ticket.tier,
               (SELECT a.name FROM support.accounts a WHERE a.account_id OPERATOR(pg_catalog.=) ticket.account_id),
               reason, channel, support.duration_in_words(policy.executive_update_cadence),
               support.duration_in_words(policy.post_incident_review_within)),
        'executive_escalation');
    INSERT INTO support.war_rooms (account_id, ticket_id, opened_at, reason, channel, executive_ids, executives)
    SELECT ticket.account_id, ticket.ticket_id, as_of, reason, channel,
           COALESCE(array_agg(g.agent_id ORDER BY g.full_name), '{}'), COALESCE(array_agg(g.full_name ORDER BY g.full_name), '{}')
      FROM support.agents g WHERE g.active AND g.is_executive
    RETURNING * INTO room;
    PERFORM support.alert(ticket, channel, NULL,
        format('[Ticket #%s] executive escalation', ticket.ticket_id),
        format('Executive escalation of #%s (%s, tier %s): %s. War room in %s with %s; updates every %s until resolved; post-incident review within %s of the resolution.',
               ticket.ticket_id, ticket.priority::text, ticket.tier, reason, channel, names,
               support.duration_in_words(policy.executive_update_cadence),
               support.duration_in_words(policy.post_incident_review_within)),
        jsonb_build_object('kind', 'executive_escalation'));
    PERFORM support.add_event(ticket, 'escalation', NULL, 'internal',
        format('War room opened in %s with %s', channel, names),
        jsonb_build_object('war_room', channel, 'executive_ids', to_jsonb(room.executive_ids)));
    RETURN room;
END $$;
COMMENT ON FUNCTION support.open_war_room(ticket support.tickets, reason text, as_of timestamp with time zone) IS 'the executive escalation''s war room: opened once with every executive seated and emailed, #critical-issues alerted with their names';
REVOKE ALL ON FUNCTION support.open_war_room(ticket support.tickets, reason text, as_of timestamp with time zone) FROM PUBLIC;

CREATE FUNCTION support.record_post_incident_review(ticket_id bigint, agent_id bigint, notes text) RETURNS support.tickets
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    ticket support.tickets := support.locked_ticket(record_post_incident_review.ticket_id);
BEGIN
    PERFORM support.require_agent(agent_id);
    PERFORM support.require_text(notes, 'notes of the post-incident review');
    -- one review per resolution: a reopened and resolved again ticket owes another
    IF ticket.executive_escalated_at IS NULL OR ticket.status NOT IN ('resolved', 'closed')
       OR ticket.post_incident_review_done_at OPERATOR(pg_catalog.>=) ticket.resolved_at THEN
        RAISE EXCEPTION 'ticket % has no post-incident review to record', ticket.ticket_id
              USING ERRCODE = 'object_not_in_prerequisite_state',
                    HINT = 'A review follows each resolution of an executive escalation, once.';
    END IF;
    PERFORM support.set_actor(agent_id);
    UPDATE support.tickets t SET post_incident_review_done_at = now()
     WHERE t.account_id OPERATOR(pg_catalog.=) ticket.account_id
       AND t.ticket_id OPERATOR(pg_catalog.=) ticket.ticket_id
    RETURNING t.* INTO ticket;
    PERFORM support.add_event(ticket, 'review_task', agent_id, 'internal', notes,
        jsonb_build_object('post_incident_review', 'done'));
    RETURN ticket;
END $$;
COMMENT ON FUNCTION support.record_post_incident_review(ticket_id bigint, agent_id bigint, notes text) IS 'records the post-incident review (and improvement plan) of a resolved executive escalation; the worker stops chasing it';

CREATE FUNCTION support.record_post_incident_review(ticket_id bigint, notes text) RETURNS support.tickets
    LANGUAGE sql SET search_path = pg_catalog, pg_temp
    RETURN support.record_post_incident_review(ticket_id, support.key_user_id(), notes);
COMMENT ON FUNCTION support.record_post_incident_review(ticket_id bigint, notes text) IS 'record_post_incident_review as the key''s agent';
--@section views

CREATE VIEW support.worker_status WITH (security_invoker='true') AS
 SELECT w.preloaded,
    w.state,
    w.pid,
    w.started_at,
    w.last_pass_at,
    w.last_pass_tickets,
    w.last_pass_actions,
    w.passes,
    w.actions_taken,
    w.next_wakeup,
    w.errors,
    w.last_error_at,
    w.last_error,
    ( SELECT min(t.next_action_at) AS min
           FROM support.tickets t) AS next_deadline
   FROM support.worker_state() w(preloaded, state, pid, started_at, last_pass_at, last_pass_tickets, last_pass_actions, passes, actions_taken, next_wakeup, errors, last_error_at, last_error);
COMMENT ON VIEW support.worker_status IS 'the escalation worker of this database: running or not, last pass, actions taken, next wake-up, errors, and the earliest scheduled action';
GRANT SELECT ON TABLE support.worker_status TO support_manager;

CREATE VIEW support.war_room_tasks WITH (security_invoker='true') AS
 SELECT w.account_id,
    w.ticket_id,
    w.opened_at,
    w.channel,
    w.executives,
    t.status,
    k.task,
    k.due,
    k.done_at,
    (k.done_at IS NULL AND k.due <= now()) AS overdue
   FROM support.war_rooms w
     JOIN support.tickets t ON t.account_id = w.account_id AND t.ticket_id = w.ticket_id
     JOIN support.sla_policies p ON p.priority = t.priority
     CROSS JOIN LATERAL ( VALUES
        ('update'::text, t.next_update_due, NULL::timestamp with time zone),
        ('post-incident review', t.resolved_at + p.post_incident_review_within,
         CASE WHEN t.post_incident_review_done_at >= t.resolved_at THEN t.post_incident_review_done_at END)
        ) k(task, due, done_at)
  WHERE k.due IS NOT NULL;
COMMENT ON VIEW support.war_room_tasks IS 'the tasks of each war room: the next update while the ticket runs (executive cadence: hourly), the post-incident review once it is resolved; due, done, overdue';
GRANT SELECT ON TABLE support.war_room_tasks TO support_agent, support_manager;
--@section triggers

CREATE TRIGGER restore_config_row BEFORE INSERT ON support.escalation_triggers FOR EACH ROW EXECUTE FUNCTION support.restore_config_row('singleton');

CREATE TRIGGER restore_config_row BEFORE INSERT ON support.dissatisfaction_rules FOR EACH ROW EXECUTE FUNCTION support.restore_config_row('rule_id');

CREATE TRIGGER restore_config_row BEFORE INSERT ON support.revenue_thresholds FOR EACH ROW EXECUTE FUNCTION support.restore_config_row('threshold_id');

CREATE TRIGGER restore_config_row BEFORE INSERT ON support.worker_actions FOR EACH ROW EXECUTE FUNCTION support.restore_config_row('action');

CREATE TRIGGER ticket_event_watch_dissatisfaction AFTER INSERT ON support.ticket_events FOR EACH ROW WHEN ((new.kind = 'client_message'::support.event_kind)) EXECUTE FUNCTION support.watch_dissatisfaction();
--@section policies

CREATE POLICY manager_reads_action_failures ON support.action_failures
    FOR SELECT TO support_manager
    USING (((SELECT support.current_key_kind()) = 'manager') AND (SELECT support.current_is_manager()));

CREATE POLICY manager_read ON support.worker_actions
    FOR SELECT TO support_manager
    USING (((SELECT support.current_key_kind()) = 'manager') AND (SELECT support.current_is_manager()));

CREATE POLICY agent_war_rooms ON support.war_rooms
    FOR SELECT TO support_agent
    USING (((SELECT support.current_key_kind()) = 'agent') AND (EXISTS ( SELECT 1
   FROM support.tickets t
  WHERE ((t.account_id = war_rooms.account_id) AND (t.ticket_id = war_rooms.ticket_id)))));

CREATE POLICY manager_war_rooms ON support.war_rooms
    FOR SELECT TO support_manager
    USING (((SELECT support.current_key_kind()) = 'manager') AND (SELECT support.current_is_manager()));
--@section seeds

INSERT INTO support.escalation_triggers (singleton, dissatisfied_rating) VALUES (true, 2);

INSERT INTO support.dissatisfaction_rules (name, keywords) VALUES
	('Unhappy with progress', 'unacceptable OR frustrated OR frustrating OR disappointed OR ridiculous OR "still waiting" OR "no update" OR "no progress" OR "not good enough" OR "too slow"'),
	('Asks for a manager', '"speak to a manager" OR "talk to a manager" OR "your manager" OR "escalate this"');

INSERT INTO support.revenue_thresholds (account_id, priority, currency, amount) VALUES
	(NULL, NULL, 'USD', 10000.00),
	(NULL, NULL, 'EUR', 10000.00),
	(NULL, NULL, 'GBP', 8000.00),
	(NULL, 'P1', 'USD', 5000.00),
	(NULL, 'P1', 'EUR', 5000.00),
	(NULL, 'P1', 'GBP', 4000.00);

-- a sequence made and drawn from in one transaction keeps its unlogged
-- fetch-ahead under wal_level = minimal, and went back after a crash: reset
SELECT pg_catalog.setval('support.dissatisfaction_rule_id_seq', 2, true);
SELECT pg_catalog.setval('support.revenue_threshold_id_seq', 6, true);

INSERT INTO support.worker_actions (action, event_kind, visibility, summary) VALUES
    ('escalation_mark', 'escalation', 'internal', 'SLA breach imminent: escalated'),
    ('first_response_breach', 'sla_breach', 'internal', 'First response target breached'),
    ('update_overdue', 'reminder', 'internal', 'Update overdue: assignee reminded'),
    ('update_twice_overdue', 'escalation', 'internal', 'Update cadence missed twice: escalated'),
    ('resolution_breach', 'sla_breach', 'internal', 'Resolution target breached'),
    ('no_progress', 'escalation', 'internal', 'No progress within the tier''s escalation threshold: escalated'),
    ('escalation_call_overdue', 'sla_breach', 'internal', 'The escalation call the client asked for is overdue'),
    ('post_incident_review', 'review_task', 'internal', 'Post-incident review of the executive escalation is due'),
    ('follow_up', 'follow_up', 'public', 'Follow-up check-in after resolution'),
    ('auto_close', NULL, NULL, NULL);
