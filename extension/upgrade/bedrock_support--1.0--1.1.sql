-- bedrock_support 1.0 -> 1.1: every change to extension/schema/ since
-- 1.0, in the order it was made (doc/operations.md, "Releases").
\echo Use "ALTER EXTENSION bedrock_support UPDATE TO '1.1'" to load this file. \quit

-- As in the install script: the objects below are defined in the order of
-- the changes, not of one body's reads of another's tables; the tests check
-- the bodies.
SET LOCAL check_function_bodies = off;
-- Every running target's "breach imminent" mark, the tier's too (#16).
ALTER TABLE support.tiers ADD COLUMN targets_apply_to support.priority[] DEFAULT '{P1,P2,P3,P4}'::support.priority[] NOT NULL;
COMMENT ON COLUMN support.tiers.targets_apply_to IS 'the priorities whose tickets the tier''s initial_response and resolution_target apply to, from when a ticket enters the tier, beside its priority''s targets (the earliest "breach imminent" mark of them all escalates); empty: for reference only. Seeded: tiers 1 and 2 every priority, tier 3 (its 30 minutes are for critical issues) P1';
UPDATE support.tiers SET targets_apply_to = '{P1}' WHERE tier = 3;
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
--@include function support.sla_target_around_the_clock
--@include view support.sla_status
-- A client's message reopens a resolved ticket, and on a closed one opens a
-- linked follow-up (#16).
ALTER TABLE support.tickets ADD COLUMN follows_up_ticket_id bigint;
COMMENT ON COLUMN support.tickets.follows_up_ticket_id IS 'the closed ticket of the same account this one follows up: the client wrote again after it was closed (written only by support.open_follow_up; no foreign key, whose per-row check would cost every ticket insert more than the rest of this release)';
-- The handbook's other escalation triggers: a client's dissatisfaction and
-- revenue at risk over a threshold (#16).
ALTER TYPE support.event_kind ADD VALUE 'revenue_at_risk';
-- The handbook's escalation triggers besides the SLA marks: "client
-- expresses dissatisfaction with progress" and "revenue impact exceeds
-- predefined thresholds". A support manager tunes them here.
--@include table support.escalation_triggers
CREATE SEQUENCE support.dissatisfaction_rule_id_seq;
--@include table support.dissatisfaction_rules
ALTER SEQUENCE support.dissatisfaction_rule_id_seq OWNED BY support.dissatisfaction_rules.rule_id;
GRANT USAGE ON SEQUENCE support.dissatisfaction_rule_id_seq TO support_manager;
SELECT pg_catalog.pg_extension_config_dump('support.dissatisfaction_rule_id_seq', '');
CREATE SEQUENCE support.revenue_threshold_id_seq;
--@include table support.revenue_thresholds
ALTER SEQUENCE support.revenue_threshold_id_seq OWNED BY support.revenue_thresholds.threshold_id;
GRANT USAGE ON SEQUENCE support.revenue_threshold_id_seq TO support_manager;
SELECT pg_catalog.pg_extension_config_dump('support.revenue_threshold_id_seq', '');
DO $$
DECLARE
    config_table text;
BEGIN
    FOREACH config_table IN ARRAY ARRAY['escalation_triggers', 'dissatisfaction_rules', 'revenue_thresholds'] LOOP
        EXECUTE format('CREATE POLICY manager_all ON support.%I TO support_manager'
                       ' USING (((SELECT support.current_key_kind()) = ''manager'') AND (SELECT support.current_is_manager()))'
                       ' WITH CHECK (((SELECT support.current_key_kind()) = ''manager'') AND (SELECT support.current_is_manager()))',
                       config_table);
        EXECUTE format('CREATE POLICY agent_read ON support.%I FOR SELECT TO support_agent'
                       ' USING (((SELECT support.current_key_kind()) = ''agent'') AND ((SELECT support.current_agent_tier()) IS NOT NULL))',
                       config_table);
    END LOOP;
END $$;
-- a sequence made and drawn from in one transaction keeps its unlogged
-- fetch-ahead under wal_level = minimal, and went back after a crash: reset
SELECT pg_catalog.setval('support.dissatisfaction_rule_id_seq', 2, true);
SELECT pg_catalog.setval('support.revenue_threshold_id_seq', 6, true);
ALTER TABLE support.tickets
    ADD COLUMN revenue_at_risk numeric(14,2),
    ADD COLUMN revenue_currency text,
    ADD COLUMN revenue_escalated_at timestamp with time zone,
    ADD COLUMN dissatisfaction_escalated_at timestamp with time zone;
COMMENT ON COLUMN support.tickets.revenue_at_risk IS 'the client''s revenue at risk, in revenue_currency (an ISO 4217 code), written and checked only by support.report_revenue_at_risk (a CHECK here would cost every ticket insert 54,000 instructions); above the applicable support.revenue_thresholds row it escalates the ticket';
COMMENT ON COLUMN support.tickets.revenue_escalated_at IS 'when revenue at risk above its threshold escalated the ticket (once)';
COMMENT ON COLUMN support.tickets.dissatisfaction_escalated_at IS 'when the client''s dissatisfaction (a low rating, a message a dissatisfaction rule matches) last escalated the ticket; another escalates again only after an agent''s reply';
-- Executive escalation with executives, a war room, and a post-incident
-- review the worker chases (#16).
ALTER TABLE support.sla_policies
    ADD COLUMN post_incident_review_within interval DEFAULT '5 days'::interval NOT NULL,
    ADD CONSTRAINT sla_policies_post_incident_review_within_check CHECK (((EXTRACT(epoch FROM post_incident_review_within) > (0)::numeric) AND (post_incident_review_within <= '1 year'::interval)));
COMMENT ON COLUMN support.sla_policies.post_incident_review_within IS 'after the resolution of an executive escalation, its post-incident review is due within this (elapsed); the escalation worker chases it then';
ALTER TABLE support.agents ADD COLUMN is_executive boolean DEFAULT false NOT NULL;
COMMENT ON COLUMN support.agents.is_executive IS 'a VP or C-level executive: named, told and seated in the war room of every executive escalation (no database rights of its own)';
GRANT INSERT(is_executive),UPDATE(is_executive) ON TABLE support.agents TO support_manager;
ALTER TABLE support.tickets ADD COLUMN post_incident_review_done_at timestamp with time zone;
COMMENT ON COLUMN support.tickets.post_incident_review_done_at IS 'when the post-incident review of an executive escalation was recorded (support.record_post_incident_review); until then the worker chases it';
--@include table support.war_rooms
-- Each group writes only the events the workflow lets it write, as its own
-- kind of actor (#16: an agent could write a client's message, and so a
-- client's dissatisfaction, or ratings, escalations and replies the client
-- never saw); a tier's targets are positive however written, and bounded.
-- (which client users write: support.client_role_writes, #24)
--@include function support.client_role_writes
--@include policy agent_writes_history on support.ticket_events
--@include policy client_writes_messages on support.ticket_events
--@include policy manager_writes_history on support.ticket_events
-- The policies' and tiers' intervals are bounded, so no deadline can leave
-- the timestamp range (a huge target stopped every ticket); 1.0 values
-- beyond the bounds are brought within them.
UPDATE support.sla_policies SET
       auto_close_after = LEAST(auto_close_after, interval '1 year'),
       escalated_update_cadence = LEAST(escalated_update_cadence, interval '30 days'),
       escalation_call_within = LEAST(escalation_call_within, interval '30 days'),
       executive_update_cadence = LEAST(executive_update_cadence, interval '30 days'),
       follow_up_after = LEAST(follow_up_after, interval '1 year'),
       resolution_target = LEAST(resolution_target, interval '1 year'),
       response_target = LEAST(response_target, interval '30 days'),
       update_cadence = LEAST(update_cadence, interval '30 days');
UPDATE support.tiers SET
       initial_response = LEAST(initial_response, interval '30 days'),
       resolution_target = CASE WHEN EXTRACT(epoch FROM resolution_target) > 0 THEN LEAST(resolution_target, interval '1 year') END,
       escalation_threshold = CASE WHEN EXTRACT(epoch FROM escalation_threshold) > 0 THEN LEAST(escalation_threshold, interval '1 year') END;
ALTER TABLE support.sla_policies
    DROP CONSTRAINT sla_policies_auto_close_after_check,
    DROP CONSTRAINT sla_policies_escalated_update_cadence_check,
    DROP CONSTRAINT sla_policies_escalation_call_within_check,
    DROP CONSTRAINT sla_policies_executive_update_cadence_check,
    DROP CONSTRAINT sla_policies_follow_up_after_check,
    DROP CONSTRAINT sla_policies_resolution_target_check,
    DROP CONSTRAINT sla_policies_response_target_check,
    DROP CONSTRAINT sla_policies_update_cadence_check,
    ADD CONSTRAINT sla_policies_auto_close_after_check CHECK (((EXTRACT(epoch FROM auto_close_after) > (0)::numeric) AND (auto_close_after <= '1 year'::interval))),
    ADD CONSTRAINT sla_policies_escalated_update_cadence_check CHECK (((EXTRACT(epoch FROM escalated_update_cadence) > (0)::numeric) AND (escalated_update_cadence <= '30 days'::interval))),
    ADD CONSTRAINT sla_policies_escalation_call_within_check CHECK (((EXTRACT(epoch FROM escalation_call_within) > (0)::numeric) AND (escalation_call_within <= '30 days'::interval))),
    ADD CONSTRAINT sla_policies_executive_update_cadence_check CHECK (((EXTRACT(epoch FROM executive_update_cadence) > (0)::numeric) AND (executive_update_cadence <= '30 days'::interval))),
    ADD CONSTRAINT sla_policies_follow_up_after_check CHECK (((EXTRACT(epoch FROM follow_up_after) > (0)::numeric) AND (follow_up_after <= '1 year'::interval))),
    ADD CONSTRAINT sla_policies_resolution_target_check CHECK (((EXTRACT(epoch FROM resolution_target) > (0)::numeric) AND (resolution_target <= '1 year'::interval))),
    ADD CONSTRAINT sla_policies_response_target_check CHECK (((EXTRACT(epoch FROM response_target) > (0)::numeric) AND (response_target <= '30 days'::interval))),
    ADD CONSTRAINT sla_policies_update_cadence_check CHECK (((EXTRACT(epoch FROM update_cadence) > (0)::numeric) AND (update_cadence <= '30 days'::interval)));
ALTER TABLE support.tiers
    DROP CONSTRAINT tiers_escalation_threshold_check,
    DROP CONSTRAINT tiers_initial_response_check,
    DROP CONSTRAINT tiers_resolution_target_check,
    ADD CONSTRAINT tiers_escalation_threshold_check CHECK (((EXTRACT(epoch FROM escalation_threshold) > (0)::numeric) AND (escalation_threshold <= '1 year'::interval))),
    ADD CONSTRAINT tiers_initial_response_check CHECK (((EXTRACT(epoch FROM initial_response) > (0)::numeric) AND (initial_response <= '30 days'::interval))),
    ADD CONSTRAINT tiers_resolution_target_check CHECK (((EXTRACT(epoch FROM resolution_target) > (0)::numeric) AND (resolution_target <= '1 year'::interval)));
-- Messages without an endpoint are parked, out of the pending index (#17).
ALTER TABLE support.outbound_messages
    DROP CONSTRAINT outbound_messages_state_check,
    ADD CONSTRAINT outbound_messages_state_check CHECK ((state = ANY (ARRAY['pending'::text, 'parked'::text, 'delivered'::text, 'dead'::text])));
CREATE INDEX outbound_messages_parked_idx ON support.outbound_messages USING btree (destination, target) WHERE (state = 'parked'::text);
COMMENT ON COLUMN support.outbound_messages.state IS 'pending (to send), parked (no active endpoint for its destination: waits, out of the delivery worker''s way, until one appears), delivered or dead';
-- Idempotency keys unique across databases, installs and time (#17): a
-- UUIDv7 stored with each new message; messages already queued keep theirs.
--@include function support.new_message_key
-- the column's default: evaluated by the desk's own inserts
ALTER TABLE support.outbound_messages ALTER COLUMN idempotency_key DROP EXPRESSION;
ALTER TABLE support.outbound_messages ALTER COLUMN idempotency_key SET DEFAULT support.new_message_key();
COMMENT ON COLUMN support.outbound_messages.idempotency_key IS 'the key every retry of this message carries (Idempotency-Key, Message-ID, the webhook''s id): ''bedrock-<UUIDv7>''; messages queued before 1.1 keep ''bedrock-<account>-<message>''';
REVOKE INSERT(idempotency_key) ON TABLE support.outbound_messages FROM support_agent;
-- A delivery worker's claims end with its life: the next worker sends
-- again, at its start, what it had in flight (#17).
ALTER TABLE support.outbound_messages ADD COLUMN claiming_worker_started_at timestamp with time zone;
CREATE INDEX outbound_messages_in_flight_idx ON support.outbound_messages USING btree (claiming_worker_started_at) WHERE (claiming_worker_started_at IS NOT NULL);
COMMENT ON COLUMN support.outbound_messages.claiming_worker_started_at IS 'while the message is being sent: when the delivery worker sending it started (the next worker sends again, at its start, what an earlier one left in flight); NULL otherwise';
DROP FUNCTION support.claim_messages(max_messages integer, lease_ms bigint);
-- Message bodies and endpoint URLs are bounded (#17). A 1.0 row beyond a
-- bound stays as it was (history is not rewritten), and the upgrade says
-- so; but a bound holds for every row written from now on, and the worker
-- writes each message it sends, so a 1.0 message over it that waits to be
-- sent is a dead letter now (it would stop every claim).
--@include function support.message_size
UPDATE support.outbound_messages
   SET state = 'dead', last_error = 'not sent: it is over 1 MB, the bound since 1.1', claiming_worker_started_at = NULL
 WHERE state = ANY (ARRAY['pending'::text, 'parked'::text])
   AND support.message_size(body, subject, target, template, payload) > 1048576;
-- every field the delivery worker reads: one message cannot make a claim fail
ALTER TABLE support.outbound_messages ADD CONSTRAINT messages_are_at_most_1_mb CHECK ((support.message_size(body, subject, target, template, payload) <= 1048576)) NOT VALID;
-- a manager cancels or resends (state); the worker's own columns
-- (attempts, leases, keys) are the worker's, and the rows the desk's (#23)
REVOKE INSERT, UPDATE ON TABLE support.outbound_messages FROM support_manager;
GRANT UPDATE(state) ON TABLE support.outbound_messages TO support_manager;
ALTER TABLE support.ticket_events ADD CONSTRAINT bodies_are_at_most_1_mb CHECK ((octet_length(body) <= 1048576)) NOT VALID;
-- libcurl refuses 8 MB; servers commonly refuse a request line over 8 kB
ALTER TABLE support.delivery_endpoints ADD CONSTRAINT urls_are_at_most_8_kb CHECK ((octet_length(url) <= 8192)) NOT VALID;
-- a webhook without a secret passed 1.0's check (NULL is not false) and was sent unsigned
ALTER TABLE support.delivery_endpoints DROP CONSTRAINT webhooks_are_signed,
    ADD CONSTRAINT webhooks_are_signed CHECK (((destination <> 'webhook'::text) OR (COALESCE(length(secret), 0) >= 16))) NOT VALID;
DO $$
DECLARE
    bound record;
BEGIN
    FOR bound IN SELECT * FROM (VALUES
        ('outbound_messages', 'messages_are_at_most_1_mb', 'They are sent or dead letters already, and stay as they were.'),
        ('ticket_events', 'bodies_are_at_most_1_mb', 'They are history and stay as they were; new messages are bounded.'),
        ('delivery_endpoints', 'urls_are_at_most_8_kb', 'Most servers refuse such a URL; until it is shortened, the endpoint cannot be changed otherwise.'),
        ('delivery_endpoints', 'webhooks_are_signed', 'A webhook endpoint without a secret sends unsigned webhooks: give it a signing secret of 16 characters or more.')
        ) b(table_name, constraint_name, hint) LOOP
        BEGIN
            EXECUTE format('ALTER TABLE support.%I VALIDATE CONSTRAINT %I', bound.table_name, bound.constraint_name);
        EXCEPTION WHEN check_violation THEN
            RAISE WARNING 'support.% has rows from before 1.1 that break %: the bound holds for rows written from now on',
                          bound.table_name, bound.constraint_name
                  USING HINT = bound.hint;
        END;
    END LOOP;
END $$;
-- functions changed in 1.1 (generated from extension/schema/)
--@include function support.local_time
--@include function support.duration_in_words
--@include function support.client_time
--@include function support.take_action
--@include function support.post_client_message
--@include function support.open_follow_up
--@include function support.open_ticket
--@include function support.log_sla_changes
--@include function support.record_breach
--@include function support.request_escalation
--@include function support.tell_staff
--@include function support.escalate_for_dissatisfaction
--@include function support.keyword_document
--@include function support.dissatisfaction_rule
--@include function support.watch_dissatisfaction
--@include function support.report_revenue_at_risk
--@include function support.rate_ticket
--@include function support.open_war_room
--@include function support.record_post_incident_review
--@include function support.escalate_ticket
--@include function support.escalate_to_executive
--@include function support.message_content
--@include function support.endpoint_for
--@include function support.has_endpoint
--@include function support.claim_messages
--@include function support.next_delivery
--@include function support.unpark_messages
--@include function support.record_deliveries
--@include function support.release_earlier_claims
--@include function support.unpark_deliverable_messages
-- objects that need the functions above
DROP TRIGGER ticket_event_effects ON support.ticket_events;
CREATE TRIGGER ticket_event_effects AFTER INSERT ON support.ticket_events FOR EACH ROW WHEN ((new.kind = ANY (ARRAY['public_reply'::support.event_kind, 'client_message'::support.event_kind, 'internal_note'::support.event_kind, 'resolution'::support.event_kind]))) EXECUTE FUNCTION support.ticket_event_effects_trigger();
CREATE TRIGGER ticket_event_watch_dissatisfaction AFTER INSERT ON support.ticket_events FOR EACH ROW WHEN ((new.kind = 'client_message'::support.event_kind)) EXECUTE FUNCTION support.watch_dissatisfaction();
--@include view support.war_room_tasks
--@include view support.delivery_status
CREATE TRIGGER unpark_messages AFTER INSERT OR UPDATE ON support.delivery_endpoints FOR EACH STATEMENT EXECUTE FUNCTION support.unpark_messages();
-- No tenant stops the desk for another (#23): the worker acts on each
-- ticket in a subtransaction of its own, every account's most urgent first,
-- sets a failing ticket aside (support.action_failures) and ends a session
-- that keeps a due ticket locked; its sweeps skip rows others hold.
-- A ticket whose action fails is set aside, never the batch: the failure is
-- kept here, the ticket's actions wait until retry_at (a lock that stayed
-- held: a second; any other error: 10 s, doubling up to 15 minutes), and
-- the support managers hear of it once the ticket has failed three times or
-- for a minute. The next successful pass over the ticket removes the row.
--@include table support.action_failures
ALTER TABLE support.security_audit DROP CONSTRAINT security_audit_kind_check;
ALTER TABLE support.security_audit ADD CONSTRAINT security_audit_kind_check CHECK ((kind = ANY (ARRAY['staff_rights'::text, 'account_sensitivity'::text, 'assumption_policy'::text, 'endpoint'::text, 'bypass'::text, 'session_ended'::text, 'second_factor'::text])));
COMMENT ON TABLE support.security_audit IS 'append-only trail of changes to staff powers: super-user and manager rights, an account''s sensitive flag, the assumption policy, delivery endpoints, second factors enrolled, refused and locked out, sessions the escalation worker ended for holding a due ticket, and a superuser''s changes to the trails themselves';
DROP FUNCTION support.run_due_actions(timestamp with time zone, integer);
--@include function support.set_actions_aside
--@include function support.run_due_actions
--@include function support.next_action_time
--@include function support.end_ticket_holders
--@include function support.row_locker_pids
--@include function support.expire_assumptions
-- What a tenant writes is bounded where it is written, and what the desk
-- composes is cut to fit, never refused (#23: a client's 1.1 MB name
-- stopped the worker for every account). 1.0's rows are brought within the
-- bounds, so each can still be written: a name's line breaks, control
-- characters, markup brackets and '://' become spaces and it is cut to 200
-- characters, a ticket's text
-- over 1 MB is cut; the upgrade says how many. History keeps what it holds.
--@include function support.is_name
--@include function support.fit_text
DO $$
DECLARE
    changed bigint;
    total bigint := 0;
BEGIN
    UPDATE support.account_users SET full_name = COALESCE(NULLIF(btrim(pg_catalog.left(btrim(replace(regexp_replace(full_name, '[[:cntrl:]\u2028\u2029<>]+', ' ', 'g'), '://', ' ')), 200)), ''), '(no name)')
     WHERE NOT support.is_name(full_name);
    GET DIAGNOSTICS changed = ROW_COUNT; total := total + changed;
    UPDATE support.agents SET full_name = COALESCE(NULLIF(btrim(pg_catalog.left(btrim(replace(regexp_replace(full_name, '[[:cntrl:]\u2028\u2029<>]+', ' ', 'g'), '://', ' ')), 200)), ''), '(no name)')
     WHERE NOT support.is_name(full_name);
    GET DIAGNOSTICS changed = ROW_COUNT; total := total + changed;
    UPDATE support.accounts SET name = COALESCE(NULLIF(btrim(pg_catalog.left(btrim(replace(regexp_replace(name, '[[:cntrl:]\u2028\u2029<>]+', ' ', 'g'), '://', ' ')), 200)), ''), '(no name)')
     WHERE NOT support.is_name(name);
    GET DIAGNOSTICS changed = ROW_COUNT; total := total + changed;
    IF total > 0 THEN
        RAISE WARNING '% names from before 1.1 were longer than 200 characters, not one line, or carried markup or a web address: they are now one short plain line', total
              USING HINT = 'Names are how greetings and alerts address people: check the changed ones.';
    END IF;
    UPDATE support.tickets
       SET description = support.fit_text(description, 1048576), root_cause = support.fit_text(root_cause, 1048576),
           solution = support.fit_text(solution, 1048576), verification_steps = support.fit_text(verification_steps, 1048576),
           prevention_measures = support.fit_text(prevention_measures, 1048576),
           satisfaction_comment = support.fit_text(satisfaction_comment, 1048576)
     WHERE octet_length(description) > 1048576 OR octet_length(root_cause) > 1048576 OR octet_length(solution) > 1048576
        OR octet_length(verification_steps) > 1048576 OR octet_length(prevention_measures) > 1048576
        OR octet_length(satisfaction_comment) > 1048576;
    GET DIAGNOSTICS changed = ROW_COUNT;
    IF changed > 0 THEN
        RAISE WARNING '% tickets from before 1.1 had a text over 1 MB: it is cut to 1 MB', changed;
    END IF;
END $$;
ALTER TABLE support.account_users DROP CONSTRAINT account_users_full_name_check,
    ADD CONSTRAINT names_are_one_short_line CHECK (support.is_name(full_name));
ALTER TABLE support.agents DROP CONSTRAINT agents_full_name_check,
    ADD CONSTRAINT names_are_one_short_line CHECK (support.is_name(full_name));
ALTER TABLE support.accounts DROP CONSTRAINT accounts_name_check,
    ADD CONSTRAINT names_are_one_short_line CHECK (support.is_name(name));
ALTER TABLE support.tickets ADD CONSTRAINT texts_are_at_most_1_mb CHECK (((octet_length(description) <= 1048576) AND (octet_length(root_cause) <= 1048576) AND (octet_length(solution) <= 1048576) AND (octet_length(verification_steps) <= 1048576) AND (octet_length(prevention_measures) <= 1048576) AND (octet_length(satisfaction_comment) <= 1048576)));
ALTER TABLE support.ticket_events ADD CONSTRAINT details_are_at_most_64_kb CHECK ((support.message_size(NULL::text, NULL::text, NULL::text, NULL::text, details) <= 65536)) NOT VALID;
DO $$
BEGIN
    ALTER TABLE support.ticket_events VALIDATE CONSTRAINT details_are_at_most_64_kb;
EXCEPTION WHEN check_violation THEN
    RAISE WARNING 'support.ticket_events has rows from before 1.1 that break details_are_at_most_64_kb: the bound holds for rows written from now on'
          USING HINT = 'They are history and stay as they were; new events are bounded.';
END $$;
--@include function support.queue_message
-- The agents' loads change without a lock on the agent (#23: one account's
-- open transaction held the agent its ticket was given, and every other
-- account's ticket and the escalation worker waited for it): the triggers
-- append changes, the worker folds them in, and picks in progress are
-- counted in shared memory.
CREATE SEQUENCE support.agent_load_change_id_seq;
--@include table support.agent_load_changes
ALTER SEQUENCE support.agent_load_change_id_seq OWNED BY support.agent_load_changes.change_id;
SELECT pg_catalog.pg_extension_config_dump('support.agent_load_change_id_seq', '');
--@include function support.fold_agent_loads
COMMENT ON FUNCTION support.pick_agent(tier smallint, skill text) IS 'the on-shift, active agent of the tier with the skill and the fewest open tickets, counting picks of transactions still running (then assigned longest ago, then lowest id); never locks an agent or waits for one; NULL when none is eligible';
COMMENT ON FUNCTION support.track_agent_load() IS 'moves a ticket between the agents'' loads when it changes hands or opens or closes: in an agent''s row no other transaction holds, else in support.agent_load_changes, never waiting';
COMMENT ON COLUMN support.agents.open_tickets IS 'open tickets assigned to this agent, written in place unless another transaction held the row then; with its rows of support.agent_load_changes (folded in by the worker), the load routing balances';
COMMENT ON COLUMN support.agents.last_assigned_at IS 'when this agent last got a new ticket (with the ledger''s, support.agent_load_changes): among equally loaded agents the one waiting longest goes first';
-- The outbox is delivered fairly (#23: one account's 10,000 webhooks held
-- up another's P1 alert for 115 s): urgent messages first, each class in
-- the places start-time fair queuing gives each account (src/send_order.c);
-- a retry joins the queue when it comes due.
ALTER TABLE support.outbound_messages
    ADD COLUMN urgent boolean DEFAULT false NOT NULL,
    ADD COLUMN send_order bigint;
COMMENT ON COLUMN support.outbound_messages.urgent IS 'an alert or a staff member''s escalation email: delivered before every other message (bulk: acknowledgments, client emails, webhooks)';
COMMENT ON COLUMN support.outbound_messages.send_order IS 'its place in the fair queue of its class (src/send_order.c: one account''s many messages do not hold up another''s); NULL while it waits for another attempt (next_attempt_at) or is being sent';
UPDATE support.outbound_messages SET urgent = true WHERE destination = 'slack';
DROP INDEX support.outbound_messages_due_idx;
CREATE INDEX outbound_messages_queue_idx ON support.outbound_messages USING btree (urgent DESC, send_order) WHERE ((state = 'pending'::text) AND (send_order IS NOT NULL));
CREATE INDEX outbound_messages_waiting_idx ON support.outbound_messages USING btree (next_attempt_at) WHERE ((state = 'pending'::text) AND (send_order IS NULL));
DROP FUNCTION support.queue_message(ticket support.tickets, destination text, target text, template text, subject text, body text, payload jsonb);
--@include function support.next_send_order
--@include function support.queue_due_messages
--@include function support.requeue_message
-- How often an account may page people (#23: a client opened war rooms at
-- will): war rooms a day unless staff decide it, the managers an hour for
-- its clients' escalation requests and complaints.
--@include function support.war_room_limit_reached
--@include function support.client_may_page
-- Nobody but a superuser holds the desk's tables or rows by hand, or
-- prepares a transaction that touched them (#23: src/lock_guard.c, in the
-- library). Staff send through the workflow: the outbox's rows are the
-- desk's own (an agent's raw row mailed any address from the desk's
-- sender, or carried the desk's webhook signature over any payload).
DROP POLICY agent_queues_messages ON support.outbound_messages;
REVOKE INSERT(account_id), INSERT(ticket_id), INSERT(destination), INSERT(target), INSERT(template),
       INSERT(subject), INSERT(body), INSERT(payload) ON TABLE support.outbound_messages FROM support_agent;
REVOKE USAGE ON SEQUENCE support.message_id_seq FROM support_manager, support_agent;
-- An endpoint's path on a shared host and its credentials are a DBA's, as
-- its host is; the audit names what changed (#23: a manager moved a Slack
-- endpoint to another workspace on hooks.slack.com).
--@include function support.url_path
--@include function support.url_userinfo
-- Hosts that serve many parties behind one name: there an endpoint's path
-- says whose it is (another Slack workspace is another path on
-- hooks.slack.com), so changing it is a superuser's, like its host.
--@include table support.shared_endpoint_hosts
--@include function support.is_shared_host
--@include function support.guard_endpoint_host
-- A template is checked when written (#23: a manager's {{unsubscribe_link}}
-- stopped ticket creation); 1.0's templates are checked too, and one that
-- uses a placeholder the desk does not fill is reported, not changed.
--@include function support.template_variable_names
--@include function support.template_unknown_variables
--@include function support.check_template
DO $$
DECLARE
    t record;
BEGIN
    FOR t IN SELECT template, support.template_unknown_variables(subject, template)
                              || support.template_unknown_variables(body, template) AS unknown
               FROM support.templates LOOP
        IF cardinality(t.unknown) > 0 THEN
            RAISE WARNING 'template "%" uses %, which the desk does not fill: they are sent empty until it is edited',
                          t.template, array_to_string(t.unknown, ', ');
        END IF;
    END LOOP;
END $$;
CREATE TRIGGER templates_are_filled BEFORE INSERT OR UPDATE ON support.templates FOR EACH ROW EXECUTE FUNCTION support.check_template();
ALTER TABLE support.templates ADD CONSTRAINT templates_are_at_most_64_kb CHECK (((octet_length(subject) <= 998) AND (octet_length(body) <= 65536) AND support.is_one_line(subject))) NOT VALID;
DO $$
BEGIN
    ALTER TABLE support.templates VALIDATE CONSTRAINT templates_are_at_most_64_kb;
EXCEPTION WHEN check_violation THEN
    RAISE WARNING 'a template from before 1.1 is over 64 kB or has a subject of more than one line: it must be shortened before it is next edited';
END $$;
COMMENT ON TABLE support.templates IS 'client communication templates with the handbook''s [placeholders], checked when written: each placeholder must be one the desk fills (support.template_variable_names)';
-- A client's Admin adds colleagues at the account's own mail domains, by
-- names that are names (#23: a "colleague" at an outside address, named
-- with a phishing text, got the desk's acknowledgment from support@).
ALTER TABLE support.accounts
    ADD COLUMN email_domains text[] DEFAULT '{}'::text[] NOT NULL,
    ADD CONSTRAINT email_domains_are_lower_case_names CHECK (((pg_catalog.array_to_string(email_domains, ' ') = lower(pg_catalog.array_to_string(email_domains, ' '))) AND (pg_catalog.array_position(email_domains, NULL::text) IS NULL)));
GRANT INSERT(email_domains),UPDATE(email_domains) ON TABLE support.accounts TO support_manager;
COMMENT ON COLUMN support.accounts.email_domains IS 'the mail domains of the account''s users: an Admin adds colleagues only at these (empty: at the Admin''s own); support managers set them';
--@include function support.check_user_domain
CREATE TRIGGER users_at_the_account_domains BEFORE INSERT OR UPDATE OF email ON support.account_users FOR EACH ROW EXECUTE FUNCTION support.check_user_domain();
-- The second factor holds against the login service (#23): wrong codes
-- are counted per member of staff in shared memory and lock it
-- (src/second_factor.c; the worker audits them), and enrolling again
-- needs the current code or a superuser, audited.
ALTER TABLE support.assumption_policy
    ADD COLUMN second_factor_failures integer DEFAULT 5 NOT NULL,
    ADD COLUMN second_factor_lockout interval DEFAULT '00:15:00'::interval NOT NULL,
    ADD CONSTRAINT second_factor_lockouts_are_bounded CHECK (((second_factor_failures >= 1) AND (second_factor_failures <= 1000) AND (second_factor_lockout >= '00:01:00'::interval) AND (second_factor_lockout <= '7 days'::interval)));
COMMENT ON TABLE support.assumption_policy IS 'the handbook''s limits on keys and role assumption: idle timeout (2 hours), justification length, how long a manager''s approval lasts, longest key, and wrong one-time codes before a lockout';
COMMENT ON COLUMN support.assumption_policy.second_factor_failures IS 'wrong one-time codes in a row that lock a member of staff''s second factor (5)';
COMMENT ON COLUMN support.assumption_policy.second_factor_lockout IS 'how long such a lockout lasts (15 minutes; a superuser may enroll a new second factor sooner)';
ALTER TABLE support.staff_totp ADD COLUMN locked_until timestamp with time zone;
COMMENT ON COLUMN support.staff_totp.locked_until IS 'a lockout for wrong codes, as the worker wrote it down (the count itself is in shared memory): it outlives a restart';
-- Wrong codes are counted outside transactions (src/second_factor.c): a
-- wrong code's transaction fails, so the worker writes down what happened.
--@include function support.check_second_factor
--@include function support.forget_second_factor_failures
--@include function support.take_second_factor_events
--@include function support.record_second_factor_events
DROP FUNCTION support.enroll_totp(agent_id bigint);
--@include function support.enroll_totp
--@include function support.issue_key
-- The desk's settings count only when set for the transaction (#23: a
-- plain SET support.change_reason on a pooled connection landed in the
-- next client's public history; src/transaction_settings.c).
--@include function support.change_reason
--@include function support.log_ticket_changes
-- Smaller (#23): a client's key learns nothing of another account's users
-- from require_client; the groups draw only from the sequences of the
-- tables they insert into.
--@include function support.require_client
REVOKE USAGE ON SEQUENCE support.auth_key_id_seq, support.sla_event_id_seq, support.approval_id_seq, support.audit_id_seq FROM support_manager;
REVOKE USAGE ON SEQUENCE support.user_id_seq FROM support_agent;
-- A restore brings every table back exactly, the trails included (#23:
-- restoring agents fired the audit triggers, and pg_restore failed on a
-- duplicate audit row); keys are dumped too, as their trail refers to them.
--@include function support.audit_account_sensitivity
--@include function support.audit_assumption_policy
--@include function support.audit_staff_rights
--@include function support.end_assumptions_of_former_super_users
SELECT pg_catalog.pg_extension_config_dump('support.auth_keys', '');
-- The B-tree operator classes declare that equal values are equal images,
-- so indexes on priorities, statuses and the other enums deduplicate (#23).
DO $$
DECLARE
    opclass record;
BEGIN
    FOR opclass IN SELECT c.opcname, c.opcintype::regtype AS type_name FROM pg_opclass c
                    WHERE c.opcnamespace = 'support'::regnamespace
                      AND c.opcmethod = (SELECT oid FROM pg_am WHERE amname = 'btree') LOOP
        EXECUTE format('ALTER OPERATOR FAMILY support.%I USING btree ADD FUNCTION 4 (%s, %s) pg_catalog.btequalimage(oid)',
                       opclass.opcname, opclass.type_name, opclass.type_name);
    END LOOP;
END $$;
-- Each function's volatility and parallel safety say what it does (#23):
-- the read-only ones are PARALLEL SAFE; a backend's own counter is RESTRICTED.
ALTER FUNCTION support.require_text(text,text) PARALLEL SAFE;
ALTER FUNCTION support.require_trigger_table(name,name,name,text) PARALLEL SAFE;
ALTER FUNCTION support.key_user_id() PARALLEL SAFE;
ALTER FUNCTION support.calling_role() PARALLEL SAFE;
ALTER FUNCTION support.slack_channel(text) PARALLEL SAFE;
ALTER FUNCTION support.list_accounts_and_users() PARALLEL SAFE;
ALTER FUNCTION support.require_acting_user(bigint) PARALLEL SAFE;
ALTER FUNCTION support.require_agent(bigint) PARALLEL SAFE;
ALTER FUNCTION support.require_super_user() PARALLEL SAFE;
ALTER FUNCTION support.require_not_closed(support.tickets) PARALLEL SAFE;
ALTER FUNCTION support.require_open(support.tickets) PARALLEL SAFE;
ALTER FUNCTION support.ticket_actions(support.tickets) PARALLEL SAFE;
ALTER FUNCTION support.alert_channel(support.tickets) PARALLEL SAFE;
ALTER FUNCTION support.client_safe_alert(support.tickets,text) PARALLEL SAFE;
ALTER FUNCTION support.template_variables(support.tickets) PARALLEL SAFE;
ALTER FUNCTION support.has_endpoint(text,text) PARALLEL SAFE;
ALTER FUNCTION support.active_assumptions() PARALLEL SAFE;
ALTER FUNCTION support.assumption_end_reason(support.auth_keys) PARALLEL SAFE;
ALTER FUNCTION support.recent_power_changers(bigint) PARALLEL SAFE;
ALTER FUNCTION support.auth_key_lookups() PARALLEL RESTRICTED;
COMMENT ON FUNCTION support.auth_key_lookups() IS 'how many times this backend has looked a key up: once per transaction and key, however many rows the policies check (this backend''s count: parallel restricted)';
-- The event trigger costs DDL outside the desk a look at the statement
-- (#23: it ran a query on every ALTER TABLE in the database).
--@include function support.record_trail_commands
--@include function support.record_trail_drops
--@include function support.record_trail_bypass
-- Dropping a trail's trigger or policy is recorded too (#23).
CREATE EVENT TRIGGER bedrock_support_trail_drops ON sql_drop
         WHEN TAG IN ('DROP TRIGGER', 'DROP POLICY')
   EXECUTE FUNCTION support.record_trail_bypass();
-- 1.0's executive escalations get their war room (no executives were known)
INSERT INTO support.war_rooms (account_id, ticket_id, opened_at, reason, channel)
SELECT t.account_id, t.ticket_id, t.executive_escalated_at, 'executive escalation before 1.1',
       COALESCE((SELECT r.channel FROM support.slack_routes r WHERE r.route = 'critical'), '#critical-issues')
  FROM support.tickets t WHERE t.executive_escalated_at IS NOT NULL;
-- The open tickets' deadlines, computed again under the new rules; their
-- tier's targets run from now (the trigger stamps tier_entered_at), not
-- from a past 1.0 never measured them in.
-- recomputes: tickets.escalation_due, tickets.next_action_at, tickets.actions_checked_at, tickets.updated_at, tickets.tier_entered_at, tickets.tier_response_due, tickets.tier_resolution_due
UPDATE support.tickets SET tier = tier
 WHERE status <> ALL (ARRAY['resolved'::support.ticket_status, 'closed'::support.ticket_status]);
-- #24: one rule for an email address, support.is_email_address (the
-- constraints emails_are_addresses); the looser pattern beside it goes
ALTER TABLE support.agents DROP CONSTRAINT agents_email_check;
ALTER TABLE support.account_users DROP CONSTRAINT account_users_email_check;
-- #24: one rule for which client users write (a Reporting Manager reads)
--@include function support.require_client
--@include policy client_updates_tickets on support.tickets

-- #24: one rule for "critical": the executive priorities pick the alert channel too
--@include function support.alert_channel
SELECT support.wake_worker();
