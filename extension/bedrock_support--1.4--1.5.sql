-- bedrock_support 1.4 -> 1.5: delivering the outbox.
--
-- A delivery worker per database sends what the outbox holds once the
-- transaction that queued it has committed: Slack incoming webhooks,
-- signed webhooks and client email over SMTP, concurrently (libcurl's
-- multi interface), with retries, backoff and dead letters.
\echo Use "ALTER EXTENSION bedrock_support UPDATE TO '1.5'" to load this file. \quit

------------------------------------------------------------------------------
-- Where messages go, and the secrets to get there
------------------------------------------------------------------------------

CREATE TABLE support.delivery_endpoints (
    endpoint     text PRIMARY KEY CHECK (btrim(endpoint) <> ''),
    destination  text NOT NULL CHECK (destination IN ('email', 'slack', 'webhook')),
    url          text NOT NULL,
    secret       text,
    username     text,
    sender       text CHECK (sender ~ '^[^@\s<>]+@[^@\s<>]+$'),
    event_kinds  text[],
    active       boolean NOT NULL DEFAULT true,
    CONSTRAINT the_url_fits_the_destination
        CHECK (CASE destination WHEN 'email' THEN url ~* '^smtps?://[^\s]+$' ELSE url ~* '^https?://[^\s]+$' END),
    CONSTRAINT email_endpoints_have_a_sender CHECK (destination <> 'email' OR sender IS NOT NULL),
    CONSTRAINT webhooks_are_signed CHECK (destination <> 'webhook' OR length(secret) >= 16)
);
COMMENT ON TABLE support.delivery_endpoints IS
    'secrets: where the delivery worker sends each destination (a Slack channel''s incoming webhook, ''*'' for any channel; a webhook receiver and its signing secret; the SMTP server, its credentials and sender). No client or agent role may read it.';
COMMENT ON COLUMN support.delivery_endpoints.endpoint IS
    'slack: the channel (''#critical-issues'') or ''*''; webhook: the name messages target; email: any name (the first active one is used)';
COMMENT ON COLUMN support.delivery_endpoints.secret IS 'webhook: the HMAC-SHA256 signing secret (16 characters or more); email: the SMTP password';
COMMENT ON COLUMN support.delivery_endpoints.event_kinds IS 'webhook: the ticket event kinds it receives (NULL: all of them)';
ALTER TABLE support.delivery_endpoints ENABLE ROW LEVEL SECURITY;
CREATE TRIGGER restore_config_row BEFORE INSERT ON support.delivery_endpoints
    FOR EACH ROW EXECUTE FUNCTION support.restore_config_row('endpoint');
REVOKE ALL ON support.delivery_endpoints FROM PUBLIC;
SELECT pg_catalog.pg_extension_config_dump('support.delivery_endpoints', '');

COMMENT ON COLUMN support.outbound_messages.attempts IS 'delivery attempts so far, counted when the delivery worker claims the message';
COMMENT ON COLUMN support.outbound_messages.next_attempt_at IS
    'when the message is next tried: after a failure, the backoff; while being sent, the end of the claim''s lease';

------------------------------------------------------------------------------
-- What goes over the wire
------------------------------------------------------------------------------

CREATE FUNCTION support.message_content(
    destination text, target text, subject text, body text, payload jsonb, idempotency_key text,
    account_id bigint, ticket_id bigint, template text, created_at timestamptz, sender text)
RETURNS text
LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp AS $$
    SELECT CASE destination
    WHEN 'slack' THEN
        jsonb_build_object(
            'channel', target,
            'username', 'Bedrock Support',
            'text', concat_ws(E'\n', '*' || COALESCE(subject, 'Bedrock Support') || '*', body,
                              CASE WHEN ticket_id IS NOT NULL
                                   THEN format('<%s%s|Ticket #%s>', COALESCE(current_setting('support.ticket_url', true),
                                                       'https://support.bedrockplatform.com/tickets/'),
                                               ticket_id, ticket_id) END),
            'metadata', jsonb_build_object('event_type', COALESCE(payload->>'kind', 'message'),
                                           'event_payload', payload || jsonb_build_object('idempotency_key', idempotency_key)))::text
    WHEN 'webhook' THEN
        jsonb_build_object(
            'id', idempotency_key,
            'type', COALESCE(payload->>'kind', template, 'message'),
            'created_at', created_at,
            'account_id', account_id,
            'ticket_id', ticket_id,
            'subject', subject,
            'text', body,
            'data', payload)::text
    ELSE
        -- RFC 5322; header values lose line breaks so nothing can add a header
        concat_ws(E'\r\n',
            'Date: ' || to_char(clock_timestamp() AT TIME ZONE 'UTC', 'Dy, DD Mon YYYY HH24:MI:SS') || ' +0000',
            'From: Bedrock Platform Support <' || sender || '>',
            'To: <' || target || '>',
            'Subject: ' || regexp_replace(COALESCE(subject, 'Bedrock Platform Support'), '[\r\n]+', ' ', 'g'),
            'Message-ID: <' || idempotency_key || '@bedrock.support>',
            CASE WHEN ticket_id IS NOT NULL
                 THEN 'In-Reply-To: <ticket-' || account_id || '-' || ticket_id || '@bedrock.support>' END,
            CASE WHEN ticket_id IS NOT NULL
                 THEN 'References: <ticket-' || account_id || '-' || ticket_id || '@bedrock.support>' END,
            'X-Bedrock-Idempotency-Key: ' || idempotency_key,
            'MIME-Version: 1.0',
            'Content-Type: text/plain; charset=utf-8',
            'Content-Transfer-Encoding: 8bit',
            '',
            replace(replace(body, E'\r\n', E'\n'), E'\n', E'\r\n'))
    END
$$;
COMMENT ON FUNCTION support.message_content(text, text, text, text, jsonb, text, bigint, bigint, text, timestamptz, text) IS
    'the bytes a message is delivered as: Slack incoming-webhook JSON with a link to the ticket, the webhook event JSON, or the email with its thread headers';

CREATE FUNCTION support.webhook_signature(secret text, "timestamp" text, body text) RETURNS text
    AS 'MODULE_PATHNAME', 'webhook_signature' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION support.webhook_signature(text, text, text) IS
    'hex HMAC-SHA256 of "<timestamp>.<body>" with the secret: what a receiver compares with X-Bedrock-Signature (v1=...)';

------------------------------------------------------------------------------
-- The delivery worker's two statements
------------------------------------------------------------------------------

-- A message for a destination without an endpoint waits, untouched, until
-- one is configured (adding an endpoint wakes the worker).
CREATE FUNCTION support.has_endpoint(destination text, target text) RETURNS boolean
LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp AS $$
    SELECT EXISTS (SELECT 1 FROM support.delivery_endpoints e
                    WHERE e.active AND e.destination = has_endpoint.destination
                      AND (has_endpoint.destination = 'email' OR e.endpoint = has_endpoint.target
                           OR (has_endpoint.destination = 'slack' AND e.endpoint = '*')))
$$;
COMMENT ON FUNCTION support.has_endpoint(text, text) IS 'whether a destination and target have an active delivery endpoint';

CREATE FUNCTION support.next_delivery() RETURNS timestamptz
LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp AS $$
    SELECT m.next_attempt_at FROM support.outbound_messages m
     WHERE m.state = 'pending' AND support.has_endpoint(m.destination, m.target)
     ORDER BY m.next_attempt_at LIMIT 1
$$;
COMMENT ON FUNCTION support.next_delivery() IS 'when the delivery worker has its next message to send (NULL: none)';

CREATE FUNCTION support.claim_messages(max_messages integer, lease_ms bigint)
RETURNS TABLE (account_id bigint, message_id bigint, attempts integer, destination text, target text,
               idempotency_key text, url text, secret text, username text, sender text, content text)
LANGUAGE sql SET search_path = pg_catalog, pg_temp AS $$
    WITH due AS (
        SELECT m.account_id, m.message_id FROM support.outbound_messages m
         WHERE m.state = 'pending' AND m.next_attempt_at <= clock_timestamp()
           AND support.has_endpoint(m.destination, m.target)
         ORDER BY m.next_attempt_at
         LIMIT max_messages
           FOR UPDATE SKIP LOCKED),
    claimed AS (
        UPDATE support.outbound_messages m
           SET attempts = m.attempts + 1,
               next_attempt_at = clock_timestamp() + lease_ms * interval '1 millisecond'
          FROM due
         WHERE m.account_id = due.account_id AND m.message_id = due.message_id
        RETURNING m.account_id, m.message_id, m.attempts, m.destination, m.target, m.idempotency_key,
                  m.subject, m.body, m.payload, m.ticket_id, m.template, m.created_at)
    SELECT c.account_id, c.message_id, c.attempts, c.destination, c.target, c.idempotency_key,
           e.url, e.secret, e.username, e.sender,
           support.message_content(c.destination, c.target, c.subject, c.body, c.payload, c.idempotency_key,
                                   c.account_id, c.ticket_id, c.template, c.created_at, e.sender)
      FROM claimed c
      LEFT JOIN LATERAL (
            SELECT * FROM support.delivery_endpoints e
             WHERE e.active AND e.destination = c.destination
               AND (c.destination = 'email' OR e.endpoint = c.target
                    OR (c.destination = 'slack' AND e.endpoint = '*'))
             ORDER BY e.endpoint = c.target DESC, e.endpoint
             LIMIT 1) e ON true
$$;
COMMENT ON FUNCTION support.claim_messages(integer, bigint) IS
    'the delivery worker''s claim: due pending messages, locked (SKIP LOCKED), their attempt counted and leased, with their endpoint and content';

CREATE FUNCTION support.record_deliveries(
    account_ids bigint[], message_ids bigint[], states text[], errors text[], next_attempts timestamptz[])
RETURNS void
LANGUAGE sql SET search_path = pg_catalog, pg_temp AS $$
    UPDATE support.outbound_messages m
       SET state = r.state,
           delivered_at = CASE WHEN r.state = 'delivered' THEN clock_timestamp() END,
           last_error = r.error,
           next_attempt_at = r.next_attempt_at
      FROM unnest(account_ids, message_ids, states, errors, next_attempts)
           AS r(account_id, message_id, state, error, next_attempt_at)
     WHERE m.account_id = r.account_id AND m.message_id = r.message_id AND m.state = 'pending'
$$;
COMMENT ON FUNCTION support.record_deliveries(bigint[], bigint[], text[], text[], timestamptz[]) IS
    'the delivery worker''s outcomes: delivered, back to pending with the next attempt''s time, or dead, with the reason';

CREATE FUNCTION support.outbox_changed() RETURNS trigger
    AS 'MODULE_PATHNAME', 'outbox_changed' LANGUAGE C;
COMMENT ON FUNCTION support.outbox_changed() IS 'wakes the delivery worker when the transaction that queued messages commits';
CREATE TRIGGER outbox_changed AFTER INSERT OR UPDATE ON support.outbound_messages
    FOR EACH STATEMENT EXECUTE FUNCTION support.outbox_changed();
-- a new endpoint may make waiting messages deliverable
CREATE TRIGGER outbox_changed AFTER INSERT OR UPDATE ON support.delivery_endpoints
    FOR EACH STATEMENT EXECUTE FUNCTION support.outbox_changed();

CREATE FUNCTION support.requeue_message(account_id bigint, message_id bigint) RETURNS support.outbound_messages
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    message support.outbound_messages;
BEGIN
    UPDATE support.outbound_messages m
       SET state = 'pending', attempts = 0, next_attempt_at = now(), last_error = NULL
     WHERE m.account_id OPERATOR(pg_catalog.=) requeue_message.account_id
       AND m.message_id OPERATOR(pg_catalog.=) requeue_message.message_id
       AND m.state = 'dead'
    RETURNING m.* INTO message;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'message % of account % is not a dead letter', message_id, account_id
              USING ERRCODE = 'object_not_in_prerequisite_state',
                    HINT = 'Only messages in state dead can be sent again.';
    END IF;
    RETURN message;
END $$;
COMMENT ON FUNCTION support.requeue_message(bigint, bigint) IS
    'sends a dead letter again, from its first attempt (after the receiver was fixed)';

------------------------------------------------------------------------------
-- Ticket events for webhook receivers
------------------------------------------------------------------------------

CREATE FUNCTION support.queue_webhooks() RETURNS trigger
    AS 'MODULE_PATHNAME', 'ticket_event_webhooks' LANGUAGE C;
COMMENT ON FUNCTION support.queue_webhooks() IS
    'queues every new ticket event for each active webhook endpoint that wants its kind (a cached flag test when there is none)';
-- the trigger's per-backend knowledge of the webhook endpoints
CREATE TRIGGER config_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON support.delivery_endpoints
    FOR EACH STATEMENT EXECUTE FUNCTION support.config_changed();
CREATE TRIGGER ticket_event_webhooks AFTER INSERT ON support.ticket_events
    REFERENCING NEW TABLE AS new_events
    FOR EACH STATEMENT EXECUTE FUNCTION support.queue_webhooks();

-- Feedback goes to #client-feedback (the handbook's channel for it).
CREATE OR REPLACE FUNCTION support.rate_ticket(ticket_id bigint, user_id bigint, rating integer, comment text DEFAULT NULL)
RETURNS support.tickets
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    ticket support.tickets := support.locked_ticket(rate_ticket.ticket_id);
BEGIN
    PERFORM support.require_client(ticket.account_id, user_id);
    IF rating IS NULL OR rating NOT BETWEEN 1 AND 5 THEN
        RAISE EXCEPTION 'satisfaction rating % is out of range', COALESCE(rating::text, 'NULL')
              USING ERRCODE = 'numeric_value_out_of_range',
                    HINT = 'Rate from 1 (very dissatisfied) to 5 (very satisfied).';
    END IF;
    PERFORM support.set_actor(user_id);
    UPDATE support.tickets t
       SET satisfaction_rating = rating, satisfaction_comment = comment
     WHERE t.account_id OPERATOR(pg_catalog.=) ticket.account_id
       AND t.ticket_id OPERATOR(pg_catalog.=) ticket.ticket_id
    RETURNING t.* INTO ticket;
    PERFORM support.add_event(ticket, 'rating', user_id, 'public', comment,
                              jsonb_build_object('rating', rating));
    PERFORM support.alert(ticket, support.slack_channel('feedback'), NULL,
        format('[Ticket #%s] rated %s/5', ticket.ticket_id, rating),
        format('%s rated #%s (%s) %s/5%s', (SELECT a.name FROM support.accounts a
                                           WHERE a.account_id OPERATOR(pg_catalog.=) ticket.account_id),
               ticket.ticket_id, ticket.subject, rating, COALESCE(': "' || comment || '"', '')),
        jsonb_build_object('kind', 'feedback', 'rating', rating));
    RETURN ticket;
END $$;

------------------------------------------------------------------------------
-- The handbook's client emails: resolution confirmation, progress update
------------------------------------------------------------------------------

CREATE OR REPLACE FUNCTION support.resolve_ticket(
    ticket_id bigint, agent_id bigint, root_cause text, solution text,
    verification_steps text DEFAULT NULL, prevention_measures text DEFAULT NULL
) RETURNS support.tickets
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    ticket support.tickets := support.locked_ticket(resolve_ticket.ticket_id);
BEGIN
    PERFORM support.require_agent(agent_id);
    PERFORM support.require_text(root_cause, 'root cause');
    PERFORM support.require_text(solution, 'solution');
    PERFORM support.set_actor(agent_id);
    UPDATE support.tickets t
       SET status = 'resolved',
           root_cause = resolve_ticket.root_cause,
           solution = resolve_ticket.solution,
           verification_steps = resolve_ticket.verification_steps,
           prevention_measures = resolve_ticket.prevention_measures
     WHERE t.account_id OPERATOR(pg_catalog.=) ticket.account_id
       AND t.ticket_id OPERATOR(pg_catalog.=) ticket.ticket_id
    RETURNING t.* INTO ticket;
    PERFORM support.add_event(ticket, 'resolution', agent_id, 'public', solution,
        jsonb_build_object('root_cause', root_cause, 'solution', solution,
                           'verification_steps', verification_steps,
                           'prevention_measures', prevention_measures));
    PERFORM support.client_message(ticket, 'resolution_confirmation', jsonb_build_object(
        'explanation_of_underlying_issue', root_cause,
        'detailed_description_of_fix', solution,
        'how_resolution_was_confirmed', COALESCE(verification_steps, 'verified by our support engineer'),
        'steps_to_prevent_recurrence', COALESCE(prevention_measures, 'no further steps needed')));
    RETURN ticket;
END $$;

CREATE FUNCTION support.send_progress_update(
    ticket_id bigint, agent_id bigint, progress text, findings text, next_steps text,
    expected_resolution text, dependencies text DEFAULT 'none', testing_plan text DEFAULT 'we will confirm the fix with you'
) RETURNS bigint
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    ticket support.tickets := support.locked_ticket(send_progress_update.ticket_id);
BEGIN
    PERFORM support.require_agent(agent_id);
    PERFORM support.require_text(progress, 'progress');
    PERFORM support.require_text(findings, 'findings');
    PERFORM support.require_text(next_steps, 'next steps');
    PERFORM support.require_text(expected_resolution, 'expected resolution');
    PERFORM support.require_not_closed(ticket);
    PERFORM support.client_message(ticket, 'progress_update', jsonb_build_object(
        'detailed_progress_description', progress,
        'key_discoveries_or_root_cause_identification', findings,
        'planned_actions_and_timeline', next_steps,
        'updated_estimate', expected_resolution,
        'any_blocking_factors', dependencies,
        'verification_approach', testing_plan));
    -- the update is the agent's public reply: it fulfils the update cadence
    RETURN support.reply_publicly(ticket_id, agent_id, progress);
END $$;
COMMENT ON FUNCTION support.send_progress_update(bigint, bigint, text, text, text, text, text, text) IS
    'an agent''s progress update: the handbook''s template emailed to the client, recorded as a public reply';

------------------------------------------------------------------------------
-- The created events, written by triage's C trigger in its one statement
------------------------------------------------------------------------------

-- A PL/pgSQL statement trigger re-planned its INSERT on every ticket (about
-- 0.7 ms of a 1.6 ms single-ticket insert); ticket_triaged writes the same
-- events, first, with the statement's other history.
DROP TRIGGER ticket_created_events ON support.tickets;
DROP FUNCTION support.log_ticket_creation();
COMMENT ON FUNCTION support.ticket_triaged_trigger() IS
    'after new tickets: records their created events (actor, triage rule, where the priority came from), escalations and routing assignments, raises the agents'' loads, and queues the escalation alert and the client''s acknowledgment (the initial_response template) in the outbox';

------------------------------------------------------------------------------
-- The delivery worker's state
------------------------------------------------------------------------------

CREATE FUNCTION support.delivery_worker_state(
    OUT preloaded boolean, OUT state text, OUT pid integer, OUT started_at timestamptz,
    OUT last_pass_at timestamptz, OUT last_pass_messages bigint, OUT last_pass_delivered bigint,
    OUT passes bigint, OUT delivered bigint, OUT next_wakeup timestamptz,
    OUT errors bigint, OUT last_error_at timestamptz, OUT last_error text)
    RETURNS SETOF record
    AS 'MODULE_PATHNAME', 'delivery_worker_status' LANGUAGE C VOLATILE;
COMMENT ON FUNCTION support.delivery_worker_state() IS 'the delivery worker of this database, from shared memory';

CREATE VIEW support.delivery_status WITH (security_invoker = true) AS
SELECT w.*,
       (SELECT count(*) FROM support.outbound_messages m WHERE m.state = 'pending') AS pending_messages,
       (SELECT count(*) FROM support.outbound_messages m
         WHERE m.state = 'pending' AND NOT support.has_endpoint(m.destination, m.target)) AS waiting_for_an_endpoint,
       (SELECT count(*) FROM support.outbound_messages m WHERE m.state = 'dead') AS dead_letters,
       support.next_delivery() AS next_attempt
  FROM support.delivery_worker_state() w;
COMMENT ON VIEW support.delivery_status IS
    'the delivery worker of this database (running or not, last pass, messages delivered, errors) and the outbox''s pending and dead messages';

SELECT support.wake_worker();
