-- Delivery: the outbox (support.outbound_messages), endpoints and the
-- shared hosts they may not take over, Slack routes and internal channels,
-- the functions the delivery worker calls, alerts and staff emails.
-- (C: src/delivery/; reference: doc/delivery.md.)

--@section checks

CREATE FUNCTION support.message_size(body text, subject text, target text, template text, payload jsonb) RETURNS bigint
    LANGUAGE c IMMUTABLE PARALLEL SAFE AS 'MODULE_PATHNAME', 'message_size';
COMMENT ON FUNCTION support.message_size(body text, subject text, target text, template text, payload jsonb) IS 'the bytes of an outbound message as the delivery worker renders it (body, subject, target and template as stored, the payload as its JSON text; NULL counts 0; past 16 MB, at least): what messages_are_at_most_1_mb bounds';

-- An address as RFC 5321 writes one (a dot-atom local part, a domain of
-- labels), at most 254 characters: no CR, LF, NUL, spaces or angle
-- brackets can reach the RCPT TO line or a header. In C (src/address_checks.c):
-- the outbox's constraints check every message a ticket queues.
CREATE FUNCTION support.is_email_address(address text) RETURNS boolean
    LANGUAGE c IMMUTABLE STRICT PARALLEL SAFE AS 'MODULE_PATHNAME', 'is_email_address';
COMMENT ON FUNCTION support.is_email_address(address text) IS 'whether address is an RFC 5321 mailbox (dot-atom local part, domain of labels, at most 254 characters)';

CREATE FUNCTION support.new_message_key() RETURNS text
    LANGUAGE c AS 'MODULE_PATHNAME', 'new_message_key';
COMMENT ON FUNCTION support.new_message_key() IS 'a new idempotency key: ''bedrock-'' and a UUIDv7 (Unix milliseconds, then 74 random bits), unique across databases, installs and time';

-- the column's default: evaluated by the desk's own inserts
REVOKE ALL ON FUNCTION support.new_message_key() FROM PUBLIC;

CREATE FUNCTION support.url_host(url text) RETURNS text
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
    RETURN lower("substring"(url, '^[A-Za-z][A-Za-z0-9+.-]*://(?:[^/?#@]*@)?(\[[^]]*\]|[^/?#:]*)'::text));
COMMENT ON FUNCTION support.url_host(url text) IS 'the host of a URL, lower case (NULL: none)';
--@section configuration

CREATE TABLE support.internal_channels (
    name text NOT NULL,
    purpose text NOT NULL,
    CONSTRAINT internal_channels_name_check CHECK (name ~ '^#[a-z0-9_-]+$'),
    CONSTRAINT internal_channels_pkey PRIMARY KEY (name)
);
ALTER TABLE support.internal_channels ENABLE ROW LEVEL SECURITY;
COMMENT ON TABLE support.internal_channels IS 'internal Slack channels of the support team and what each is for';
GRANT SELECT ON TABLE support.internal_channels TO support_agent;
GRANT SELECT,INSERT,DELETE,UPDATE ON TABLE support.internal_channels TO support_manager;
SELECT pg_catalog.pg_extension_config_dump('support.internal_channels', '');

-- Which team channel hears what: a support manager edits these rows.
CREATE TABLE support.slack_routes (
    route text NOT NULL,
    channel text NOT NULL,
    description text NOT NULL,
    CONSTRAINT slack_routes_channel_check CHECK (channel ~ '^#[a-z0-9_-]+$'),
    CONSTRAINT slack_routes_route_check CHECK (route = ANY (ARRAY['critical', 'escalations', 'feedback', 'general'])),
    CONSTRAINT slack_routes_pkey PRIMARY KEY (route)
);
ALTER TABLE support.slack_routes ENABLE ROW LEVEL SECURITY;
COMMENT ON TABLE support.slack_routes IS 'the Slack channel of each kind of alert: critical (P1 tickets, executive escalations), escalations (tier 2/3 escalations, breaches, escalation calls), feedback (ratings), general (reminders nobody holds a ticket for)';
GRANT SELECT ON TABLE support.slack_routes TO support_agent;
GRANT SELECT,INSERT,DELETE,UPDATE ON TABLE support.slack_routes TO support_manager;
SELECT pg_catalog.pg_extension_config_dump('support.slack_routes', '');

-- Hosts that serve many parties behind one name: there an endpoint's path
-- says whose it is (another Slack workspace is another path on
-- hooks.slack.com), so changing it is a superuser's, like its host.
CREATE TABLE support.shared_endpoint_hosts (
    host text NOT NULL,
    note text,
    CONSTRAINT shared_endpoint_hosts_pkey PRIMARY KEY (host),
    CONSTRAINT hosts_are_lower_case CHECK (host = lower(host))
);
ALTER TABLE support.shared_endpoint_hosts ENABLE ROW LEVEL SECURITY;
COMMENT ON TABLE support.shared_endpoint_hosts IS 'hosts shared by many parties (Slack, Microsoft Teams, Zapier, Discord): on them an endpoint''s path is as much a superuser''s to change as its host; a DBA edits the list';
GRANT SELECT ON TABLE support.shared_endpoint_hosts TO support_manager;
SELECT pg_catalog.pg_extension_config_dump('support.shared_endpoint_hosts', '');
--@section tables

CREATE SEQUENCE support.message_id_seq;

-- drawn only by the outbox's default, in the desk's own inserts
REVOKE ALL ON SEQUENCE support.message_id_seq FROM PUBLIC;

CREATE TABLE support.outbound_messages (
    account_id bigint NOT NULL,
    message_id bigint DEFAULT nextval('support.message_id_seq') NOT NULL,
    ticket_id bigint,
    destination text NOT NULL,
    target text NOT NULL,
    template text,
    subject text,
    body text NOT NULL,
    payload jsonb DEFAULT '{}' NOT NULL,
    -- stored with the message, so every retry sends the same key; random,
    -- so no other database or install sends it (src/message_key.c)
    idempotency_key text DEFAULT support.new_message_key() NOT NULL,
    state text DEFAULT 'pending' NOT NULL,
    attempts integer DEFAULT 0 NOT NULL,
    next_attempt_at timestamp with time zone DEFAULT now() NOT NULL,
    last_error text,
    delivered_at timestamp with time zone,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    claiming_worker_started_at timestamp with time zone,
    urgent boolean DEFAULT false NOT NULL,
    send_order bigint,
    -- every field the delivery worker reads: one message cannot make a claim fail
    CONSTRAINT messages_are_at_most_1_mb CHECK (support.message_size(body, subject, target, template, payload) <= 1048576),
    CONSTRAINT email_targets_are_addresses CHECK ((destination <> 'email') OR support.is_email_address(target)),
    CONSTRAINT outbound_messages_destination_check CHECK (destination = ANY (ARRAY['email', 'slack', 'webhook'])),
    CONSTRAINT outbound_messages_state_check CHECK (state = ANY (ARRAY['pending', 'parked', 'delivered', 'dead'])),
    CONSTRAINT outbound_messages_target_check CHECK (btrim(target) <> ''),
    CONSTRAINT subjects_are_one_line CHECK (support.is_one_line(subject)),
    CONSTRAINT targets_are_one_line CHECK (support.is_one_line(target)),
    CONSTRAINT outbound_messages_pkey PRIMARY KEY (account_id, message_id)
);

CREATE INDEX outbound_messages_queue_idx ON support.outbound_messages USING btree (urgent DESC, send_order) WHERE ((state = 'pending'::text) AND (send_order IS NOT NULL));

CREATE INDEX outbound_messages_waiting_idx ON support.outbound_messages USING btree (next_attempt_at) WHERE ((state = 'pending'::text) AND (send_order IS NULL));

CREATE INDEX outbound_messages_ticket_idx ON support.outbound_messages USING btree (account_id, ticket_id);

CREATE INDEX outbound_messages_parked_idx ON support.outbound_messages USING btree (destination, target) WHERE (state = 'parked'::text);

CREATE INDEX outbound_messages_in_flight_idx ON support.outbound_messages USING btree (claiming_worker_started_at) WHERE (claiming_worker_started_at IS NOT NULL);
ALTER SEQUENCE support.message_id_seq OWNED BY support.outbound_messages.message_id;
ALTER TABLE support.outbound_messages ENABLE ROW LEVEL SECURITY;
COMMENT ON TABLE support.outbound_messages IS 'the transactional outbox: client emails and Slack alerts decided by a committed transaction, waiting for delivery';
COMMENT ON COLUMN support.outbound_messages.ticket_id IS 'the ticket the message is about (no foreign key: only triggers and the worker write here, and tickets are never deleted)';
COMMENT ON COLUMN support.outbound_messages.attempts IS 'delivery attempts so far, counted when the delivery worker claims the message';
COMMENT ON COLUMN support.outbound_messages.idempotency_key IS 'the key every retry of this message carries (Idempotency-Key, Message-ID, the webhook''s id): ''bedrock-<UUIDv7>''; messages queued before 1.1 keep ''bedrock-<account>-<message>''';
COMMENT ON COLUMN support.outbound_messages.state IS 'pending (to send), parked (no active endpoint for its destination: waits, out of the delivery worker''s way, until one appears), delivered or dead';
COMMENT ON COLUMN support.outbound_messages.next_attempt_at IS 'when the message is next tried: after a failure, the backoff; while being sent, the end of the claim''s lease';
COMMENT ON COLUMN support.outbound_messages.urgent IS 'an alert or a staff member''s escalation email: delivered before every other message (bulk: acknowledgments, client emails, webhooks)';
COMMENT ON COLUMN support.outbound_messages.send_order IS 'its place in the fair queue of its class (src/send_order.c: one account''s many messages do not hold up another''s); NULL while it waits for another attempt (next_attempt_at) or is being sent';
COMMENT ON COLUMN support.outbound_messages.claiming_worker_started_at IS 'while the message is being sent: when the delivery worker sending it started (the next worker sends again, at its start, what an earlier one left in flight); NULL otherwise';

-- The outbox is the desk's own: staff reach clients through the workflow
-- functions, which address the ticket's own people and channels (an
-- agent's raw row mailed any address from the desk's sender, or a webhook
-- the desk's signature vouched for). A manager reads it, cancels a message
-- (state, or removes it) and resends a dead letter (requeue_message).
GRANT SELECT,DELETE ON TABLE support.outbound_messages TO support_manager;
GRANT UPDATE(state) ON TABLE support.outbound_messages TO support_manager;
SELECT pg_catalog.pg_extension_config_dump('support.outbound_messages', '');
SELECT pg_catalog.pg_extension_config_dump('support.message_id_seq', '');

CREATE TABLE support.delivery_endpoints (
    endpoint text NOT NULL,
    destination text NOT NULL,
    url text NOT NULL,
    secret text,
    username text,
    sender text,
    event_kinds text[],
    active boolean DEFAULT true NOT NULL,
    plain_text_on_loopback boolean DEFAULT false NOT NULL,
    CONSTRAINT credentials_are_one_line CHECK (support.is_one_line(username) AND support.is_one_line(secret)),
    CONSTRAINT delivery_endpoints_destination_check CHECK (destination = ANY (ARRAY['email', 'slack', 'webhook'])),
    CONSTRAINT delivery_endpoints_endpoint_check CHECK (btrim(endpoint) <> ''),
    CONSTRAINT delivery_endpoints_sender_check CHECK (sender ~ '^[^@\s<>]+@[^@\s<>]+$'),
    CONSTRAINT email_endpoints_have_a_sender CHECK ((destination <> 'email') OR (sender IS NOT NULL)),
    CONSTRAINT plain_text_only_on_loopback CHECK ((NOT plain_text_on_loopback) OR ((destination = 'email') AND (support.url_host(url) = ANY (ARRAY['127.0.0.1', 'localhost', '[::1]'])))),
    CONSTRAINT senders_are_addresses CHECK (support.is_email_address(sender)),
    -- libcurl refuses 8 MB; servers commonly refuse a request line over 8 kB
    CONSTRAINT urls_are_at_most_8_kb CHECK (octet_length(url) <= 8192),
    CONSTRAINT the_url_fits_the_destination CHECK (
CASE destination
    WHEN 'email'::text THEN (url ~* '^smtps?://[^\s]+$'::text)
    ELSE (url ~* '^https?://[^\s]+$'::text)
END),
    CONSTRAINT webhooks_are_signed CHECK ((destination <> 'webhook') OR (COALESCE(length(secret), 0) >= 16)),
    CONSTRAINT delivery_endpoints_pkey PRIMARY KEY (endpoint)
);
ALTER TABLE support.delivery_endpoints ENABLE ROW LEVEL SECURITY;
COMMENT ON TABLE support.delivery_endpoints IS 'secrets: where the delivery worker sends each destination (a Slack channel''s incoming webhook, ''*'' for any channel; a webhook receiver and its signing secret; the SMTP server, its credentials and sender). No client or agent role may read it.';
COMMENT ON COLUMN support.delivery_endpoints.endpoint IS 'slack: the channel (''#critical-issues'') or ''*''; webhook: the name messages target; email: any name (the first active one is used)';
COMMENT ON COLUMN support.delivery_endpoints.secret IS 'webhook: the HMAC-SHA256 signing secret (16 characters or more); email: the SMTP password';
COMMENT ON COLUMN support.delivery_endpoints.event_kinds IS 'webhook: the ticket event kinds it receives (NULL: all of them)';
COMMENT ON COLUMN support.delivery_endpoints.plain_text_on_loopback IS 'an SMTP server on loopback (a local relay, a test sink) may be spoken to without TLS; every other SMTP endpoint requires it';
GRANT INSERT,DELETE,UPDATE ON TABLE support.delivery_endpoints TO support_manager;
GRANT SELECT(endpoint) ON TABLE support.delivery_endpoints TO support_manager;
GRANT SELECT(destination) ON TABLE support.delivery_endpoints TO support_manager;
GRANT SELECT(sender) ON TABLE support.delivery_endpoints TO support_manager;
GRANT SELECT(event_kinds) ON TABLE support.delivery_endpoints TO support_manager;
GRANT SELECT(active) ON TABLE support.delivery_endpoints TO support_manager;
GRANT SELECT(plain_text_on_loopback) ON TABLE support.delivery_endpoints TO support_manager;
SELECT pg_catalog.pg_extension_config_dump('support.delivery_endpoints', '');
--@section functions

CREATE FUNCTION support.slack_channel(route text) RETURNS text
    LANGUAGE plpgsql STABLE PARALLEL SAFE SET search_path = pg_catalog, pg_temp AS $$
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
COMMENT ON FUNCTION support.slack_channel(route text) IS 'the channel support.slack_routes names for an alert route; P0002 when it has none';
REVOKE ALL ON FUNCTION support.slack_channel(route text) FROM PUBLIC;

-- Delivery: the outbox of emails, webhooks and Slack posts, the endpoints
-- it is delivered to, and what the delivery worker calls.

-- An alert goes to the team's channel and, for an enterprise client, to
-- the client's own channel too (the handbook's dedicated channels).
CREATE FUNCTION support.alert(ticket support.tickets, channel text, template text, subject text, body text, payload jsonb DEFAULT '{}'::jsonb) RETURNS void
    LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    own_channel text;
    client_text text := support.client_safe_alert(ticket, payload OPERATOR(pg_catalog.->>) 'kind');
BEGIN
    PERFORM support.queue_message(ticket, 'slack', channel, template, subject, body, payload);
    SELECT a.slack_channel INTO own_channel FROM support.accounts a
     WHERE a.account_id OPERATOR(pg_catalog.=) ticket.account_id AND a.enterprise;
    IF own_channel IS NOT NULL AND own_channel OPERATOR(pg_catalog.<>) channel AND client_text IS NOT NULL THEN
        PERFORM support.queue_message(ticket, 'slack', own_channel, template,
                                      format('[Ticket #%s] %s', ticket.ticket_id, ticket.subject), client_text,
                                      jsonb_build_object('kind', payload OPERATOR(pg_catalog.->>) 'kind', 'client_safe', true));
    END IF;
END $$;
COMMENT ON FUNCTION support.alert(ticket support.tickets, channel text, template text, subject text, body text, payload jsonb) IS 'queues a Slack alert to a team channel, and a client-safe text of it (support.client_safe_alert) to an enterprise client''s own channel';
REVOKE ALL ON FUNCTION support.alert(ticket support.tickets, channel text, template text, subject text, body text, payload jsonb) FROM PUBLIC;

CREATE FUNCTION support.alert_channel(ticket support.tickets) RETURNS text
    LANGUAGE sql STABLE PARALLEL SAFE SET search_path = pg_catalog, pg_temp AS $$
    -- critical: the priorities of critical business impact, the same that
    -- bring in the executives (escalation_triggers.executive_priorities)
    SELECT CASE WHEN ticket.priority::text = ANY ((SELECT e.executive_priorities FROM support.escalation_triggers e)::text[])
                     OR ticket.executive_escalated_at IS NOT NULL
                THEN support.slack_channel('critical') ELSE support.slack_channel('escalations') END
$$;
COMMENT ON FUNCTION support.alert_channel(ticket support.tickets) IS 'the Slack channel of a ticket''s escalation alerts: the critical route (#critical-issues) for the priorities of critical business impact (support.escalation_triggers.executive_priorities, P1) and executive escalations, the escalations route (#support-escalations) otherwise';
REVOKE ALL ON FUNCTION support.alert_channel(ticket support.tickets) FROM PUBLIC;

CREATE FUNCTION support.claim_messages(max_messages integer, max_bytes bigint, lease_ms bigint, worker_started_at timestamp with time zone) RETURNS TABLE(account_id bigint, message_id bigint, attempts integer, destination text, target text, idempotency_key text, url text, secret text, username text, sender text, content text, require_tls boolean, size bigint, urgent boolean, send_order bigint)
    LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
#variable_conflict use_column
BEGIN
    -- due messages waiting for another attempt join the queue first
    PERFORM support.queue_due_messages();
    -- The fair queue's next messages, urgent first, each class in its
    -- places (src/send_order.c), and a bounded batch more: those without an
    -- endpoint are parked (out of the queue's index, until an endpoint for
    -- them appears), so the next claim is again one index probe however many
    -- wait for endpoints that do not exist.
    -- The claimed messages leave the queue (send_order NULL) and wait for
    -- their outcome; the lease names the claiming worker's life: the next
    -- worker sends again, at its start, what this one had in flight
    -- (release_earlier_claims).
    -- The batch also stops at max_bytes of messages (at least one): what the
    -- worker holds in flight stays bounded whatever the messages hold.
    RETURN QUERY
    WITH candidates AS (
        SELECT m.ctid AS row_id, m.urgent, m.send_order,
               EXISTS (SELECT 1 FROM support.endpoint_for(m.destination, m.target)) AS deliverable,
               m.body, m.subject, m.target, m.template, m.payload
          FROM support.outbound_messages m
         WHERE m.state = 'pending' AND m.send_order IS NOT NULL
         ORDER BY m.urgent DESC, m.send_order
         LIMIT max_messages + 1000
           FOR UPDATE SKIP LOCKED),
    parked AS (
        UPDATE support.outbound_messages m
           SET state = 'parked', last_error = 'no active endpoint for ' || m.destination || ' ' || m.target,
               claiming_worker_started_at = NULL, send_order = NULL
         WHERE m.ctid = ANY (ARRAY(SELECT c.row_id FROM candidates c WHERE NOT c.deliverable))
        RETURNING m.message_id),
    chosen AS (
        SELECT c.row_id, c.urgent, c.send_order
          FROM (SELECT c.row_id, c.urgent, c.send_order, row_number() OVER w AS n,
                       sum(support.message_size(c.body, c.subject, c.target, c.template, c.payload)) OVER w AS running
                  FROM candidates c WHERE c.deliverable
                WINDOW w AS (ORDER BY c.urgent DESC, c.send_order, c.row_id)) c
         WHERE c.n <= max_messages AND (c.n = 1 OR c.running <= max_bytes)),
    claimed AS (
        UPDATE support.outbound_messages m
           SET attempts = m.attempts + 1,
               next_attempt_at = clock_timestamp() + lease_ms * interval '1 millisecond',
               claiming_worker_started_at = worker_started_at,
               send_order = NULL
          FROM chosen h
         WHERE m.ctid = h.row_id
        RETURNING m.account_id, m.message_id, m.attempts, m.destination, m.target, m.idempotency_key,
                  m.subject, m.body, m.payload, m.ticket_id, m.template, m.created_at,
                  h.urgent, h.send_order)
    SELECT c.account_id, c.message_id, c.attempts, c.destination, c.target, c.idempotency_key,
           e.url, e.secret, e.username, e.sender,
           support.message_content(c.destination, c.target, c.subject, c.body, c.payload, c.idempotency_key,
                                   c.account_id, c.ticket_id, c.template, c.created_at, e.sender),
           NOT COALESCE(e.plain_text_on_loopback, false),
           support.message_size(c.body, c.subject, c.target, c.template, c.payload),
           c.urgent, c.send_order
      FROM claimed c
      LEFT JOIN LATERAL support.endpoint_for(c.destination, c.target) e ON true
     ORDER BY c.urgent DESC, c.send_order;
END $$;
COMMENT ON FUNCTION support.claim_messages(max_messages integer, max_bytes bigint, lease_ms bigint, worker_started_at timestamp with time zone) IS 'the delivery worker''s claim: the fair queue''s next messages, urgent first (at most max_messages and, but for the first, max_bytes of them), locked (SKIP LOCKED), their attempt counted and leased to the worker started at worker_started_at, with their endpoint, content, whether SMTP must use TLS, their size, class and place; messages without an endpoint are parked';
REVOKE ALL ON FUNCTION support.claim_messages(max_messages integer, max_bytes bigint, lease_ms bigint, worker_started_at timestamp with time zone) FROM PUBLIC;

-- A delivery worker's first act: what earlier workers had in flight when
-- they stopped is due again now (a crash costs seconds, not the lease), or
-- dead once it has used its attempts (a message that crashes the worker
-- must not crash every worker after it).
CREATE FUNCTION support.release_earlier_claims(worker_started_at timestamp with time zone, max_attempts integer) RETURNS bigint
    LANGUAGE sql SET search_path = pg_catalog, pg_temp AS $$
    -- (a row another transaction holds is skipped, never waited for: its
    -- lease still ends on its own)
    -- (updated by key, conditions repeated: a row updated since this
    -- statement's snapshot is locked in its new version, which the update
    -- then finds and checks again)
    WITH locked AS (
        SELECT m.account_id, m.message_id FROM support.outbound_messages m
         WHERE m.state = 'pending'
           -- (<> in two ranges: the in-flight index's two probes)
           AND (m.claiming_worker_started_at < worker_started_at OR m.claiming_worker_started_at > worker_started_at)
           FOR UPDATE SKIP LOCKED),
    released AS (
        UPDATE support.outbound_messages m
           SET claiming_worker_started_at = NULL,
               next_attempt_at = now(),
               state = CASE WHEN m.attempts >= max_attempts THEN 'dead' ELSE 'pending' END,
               last_error = CASE WHEN m.attempts >= max_attempts
                                 THEN format('no outcome recorded (gave up after %s attempts: the delivery worker stopped while sending it)', m.attempts)
                                 ELSE m.last_error END
         WHERE (m.account_id, m.message_id) IN (SELECT l.account_id, l.message_id FROM locked l)
           AND m.state = 'pending'
           AND (m.claiming_worker_started_at < worker_started_at OR m.claiming_worker_started_at > worker_started_at)
        RETURNING m.state)
    SELECT count(*) FILTER (WHERE state = 'pending') FROM released
$$;
COMMENT ON FUNCTION support.release_earlier_claims(worker_started_at timestamp with time zone, max_attempts integer) IS 'the delivery worker''s first act: messages other workers claimed and never recorded are due again now (dead after max_attempts); returns how many will be sent again';
REVOKE ALL ON FUNCTION support.release_earlier_claims(worker_started_at timestamp with time zone, max_attempts integer) FROM PUBLIC;

CREATE FUNCTION support.client_message(ticket support.tickets, template_name text, extra jsonb DEFAULT '{}'::jsonb) RETURNS void
    LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    client support.account_users;
    chosen support.templates;
    vars jsonb;
BEGIN
    SELECT * INTO client FROM support.account_users u
     WHERE u.account_id OPERATOR(pg_catalog.=) ticket.account_id
       AND u.user_id OPERATOR(pg_catalog.=) ticket.requester_id;
    SELECT * INTO chosen FROM support.templates t WHERE t.template OPERATOR(pg_catalog.=) template_name;
    IF client.user_id IS NULL OR chosen.template IS NULL THEN
        RETURN;
    END IF;
    -- the same variables and fallbacks as the acknowledgment (src/client_texts.c)
    vars := support.template_variables(ticket) || COALESCE(extra, '{}');
    PERFORM support.queue_message(ticket, 'email', client.email, chosen.template,
                                  support.render_template(chosen.subject, vars),
                                  support.render_template(chosen.body, vars));
END $$;
COMMENT ON FUNCTION support.client_message(ticket support.tickets, template_name text, extra jsonb) IS 'renders a template for the ticket''s requester and queues it as an email';
REVOKE ALL ON FUNCTION support.client_message(ticket support.tickets, template_name text, extra jsonb) FROM PUBLIC;

-- The team's alerts carry escalation reasons, root causes and breach
-- notices. An enterprise client's own channel gets, for the kinds a client
-- should hear of, a text written for the client, and nothing for the rest:
-- the texts, the variables of the client templates and their fallbacks are
-- src/client_texts.c's, which the triage outbox uses too.
CREATE FUNCTION support.client_safe_alert(ticket support.tickets, kind text) RETURNS text
    LANGUAGE c STABLE PARALLEL SAFE AS 'MODULE_PATHNAME', 'client_safe_alert';
COMMENT ON FUNCTION support.client_safe_alert(ticket support.tickets, kind text) IS 'the text an enterprise client''s shared Slack channel gets for an alert of this kind (NULL: the client does not hear of it)';
REVOKE ALL ON FUNCTION support.client_safe_alert(ticket support.tickets, kind text) FROM PUBLIC;

-- Times and durations as a client reads them, in every text the desk
-- writes: the client templates' own format (src/client_texts.c).
CREATE FUNCTION support.local_time(at timestamp with time zone, time_zone text) RETURNS text
    LANGUAGE c STABLE STRICT PARALLEL SAFE AS 'MODULE_PATHNAME', 'local_time';
COMMENT ON FUNCTION support.local_time(at timestamp with time zone, time_zone text) IS 'an instant in a time zone, named: ''Mon 09 Mar 2026 14:00 America/New_York'' (22023 for an unknown zone)';

CREATE FUNCTION support.duration_in_words(span interval) RETURNS text
    LANGUAGE c IMMUTABLE STRICT PARALLEL SAFE AS 'MODULE_PATHNAME', 'duration_in_words';
COMMENT ON FUNCTION support.duration_in_words(span interval) IS 'a duration in words: ''2 hours'', ''1 hour and 30 minutes'', ''1 day, 4 hours and 5 minutes''';

CREATE FUNCTION support.client_time(ticket support.tickets, at timestamp with time zone) RETURNS text
    LANGUAGE sql STABLE PARALLEL SAFE SET search_path = pg_catalog, pg_temp AS $$
    SELECT support.local_time(at, a.time_zone) FROM support.accounts a
     WHERE a.account_id OPERATOR(pg_catalog.=) ticket.account_id
$$;
COMMENT ON FUNCTION support.client_time(ticket support.tickets, at timestamp with time zone) IS 'an instant in the time zone of the ticket''s account, named';
REVOKE ALL ON FUNCTION support.client_time(ticket support.tickets, at timestamp with time zone) FROM PUBLIC;

CREATE FUNCTION support.template_variables(ticket support.tickets) RETURNS jsonb
    LANGUAGE c STABLE PARALLEL SAFE STRICT AS 'MODULE_PATHNAME', 'template_variables';
COMMENT ON FUNCTION support.template_variables(ticket support.tickets) IS 'the variables of a client template for the ticket, with the documented fallbacks (the acknowledgment''s own)';
REVOKE ALL ON FUNCTION support.template_variables(ticket support.tickets) FROM PUBLIC;

CREATE FUNCTION support.delivery_worker_state(OUT preloaded boolean, OUT state text, OUT pid integer, OUT started_at timestamp with time zone, OUT last_pass_at timestamp with time zone, OUT last_pass_messages bigint, OUT last_pass_delivered bigint, OUT passes bigint, OUT delivered bigint, OUT next_wakeup timestamp with time zone, OUT errors bigint, OUT last_error_at timestamp with time zone, OUT last_error text) RETURNS SETOF record
    LANGUAGE c AS 'MODULE_PATHNAME', 'delivery_worker_state';
COMMENT ON FUNCTION support.delivery_worker_state() IS 'the delivery worker of this database, from shared memory';
REVOKE ALL ON FUNCTION support.delivery_worker_state() FROM PUBLIC;
GRANT ALL ON FUNCTION support.delivery_worker_state() TO support_manager;

CREATE FUNCTION support.guard_endpoint_host() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    caller_is_superuser boolean := (SELECT r.rolsuper FROM pg_catalog.pg_roles r
                                     WHERE r.rolname OPERATOR(pg_catalog.=) support.calling_role());
    changed text[] := '{}';
    moved boolean;
BEGIN
    PERFORM support.require_trigger_table(TG_TABLE_SCHEMA, TG_TABLE_NAME, 'delivery_endpoints', 'guard_endpoint_host');
    IF support.restoring() THEN
        RETURN CASE WHEN TG_OP OPERATOR(pg_catalog.=) 'DELETE' THEN OLD ELSE NEW END;   -- a restore's rows, and its trail, as dumped
    END IF;
    IF TG_OP OPERATOR(pg_catalog.=) 'DELETE' THEN
        -- a channel's own endpoint gone sends its messages to '*': a move too
        IF NOT COALESCE(caller_is_superuser, false) THEN
            RAISE EXCEPTION 'only a superuser may remove endpoint "%"', OLD.endpoint
                  USING ERRCODE = 'insufficient_privilege',
                        HINT = 'Set active = false to pause it; a DBA removes endpoints.';
        END IF;
        INSERT INTO support.security_audit (kind, changed_by, details)
        VALUES ('endpoint', support.current_user_id(),
                jsonb_build_object('endpoint', OLD.endpoint, 'operation', 'delete',
                                   'host', jsonb_build_array(support.url_host(OLD.url), NULL)));
        RETURN OLD;
    END IF;
    -- what changed, named (never the values of secrets)
    IF TG_OP OPERATOR(pg_catalog.=) 'UPDATE' THEN
        changed := ARRAY(SELECT c.part FROM (VALUES
            ('endpoint', NEW.endpoint IS DISTINCT FROM OLD.endpoint),
            ('destination', NEW.destination IS DISTINCT FROM OLD.destination),
            ('url origin', support.url_origin(NEW.url) IS DISTINCT FROM support.url_origin(OLD.url)),
            ('url path', support.url_path(NEW.url) IS DISTINCT FROM support.url_path(OLD.url)),
            ('url credentials', support.url_userinfo(NEW.url) IS DISTINCT FROM support.url_userinfo(OLD.url)),
            ('secret', NEW.secret IS DISTINCT FROM OLD.secret),
            ('username', NEW.username IS DISTINCT FROM OLD.username),
            ('sender', NEW.sender IS DISTINCT FROM OLD.sender),
            ('event_kinds', NEW.event_kinds IS DISTINCT FROM OLD.event_kinds),
            ('active', NEW.active IS DISTINCT FROM OLD.active),
            ('plain_text_on_loopback', NEW.plain_text_on_loopback IS DISTINCT FROM OLD.plain_text_on_loopback)
            ) c(part, differs) WHERE c.differs);
    END IF;
    -- where it delivers and as whom is a superuser's: its origin (scheme,
    -- host and port: no downgrade to http, no other server); on a host many
    -- parties share (hooks.slack.com: another workspace), its path too; the
    -- credentials of an SMTP login or in a URL; a webhook's signing secret
    -- and a private host's token stay a manager's to rotate
    moved := TG_OP OPERATOR(pg_catalog.=) 'INSERT'
             OR changed && ARRAY['endpoint', 'destination', 'url origin', 'url credentials', 'plain_text_on_loopback']
             OR ('url path' OPERATOR(pg_catalog.=) ANY (changed)
                 AND support.is_shared_host(support.url_host(NEW.url)))
             OR (NEW.destination OPERATOR(pg_catalog.=) 'email'
                 AND changed && ARRAY['secret', 'username', 'sender']);
    IF moved AND NOT COALESCE(caller_is_superuser, false) THEN
        RAISE EXCEPTION 'only a superuser may set where endpoint "%" delivers (%) and as whom', NEW.endpoint, support.url_origin(NEW.url)
              USING ERRCODE = 'insufficient_privilege',
                    HINT = 'A support manager may pause an endpoint, choose its event kinds, rotate a webhook''s signing secret, and change the path of a URL on a host of its own; a DBA adds, renames and moves endpoints, and changes their credentials and paths on shared hosts (support.shared_endpoint_hosts).';
    END IF;
    INSERT INTO support.security_audit (kind, changed_by, subject_id, details)
    VALUES ('endpoint', support.current_user_id(), NULL,
            jsonb_build_object('endpoint', NEW.endpoint, 'operation', pg_catalog.lower(TG_OP),
                               'host', jsonb_build_array(CASE WHEN TG_OP OPERATOR(pg_catalog.=) 'UPDATE' THEN support.url_host(OLD.url) END,
                                                         support.url_host(NEW.url)),
                               'changed', to_jsonb(changed),
                               'credentials_changed', changed && ARRAY['secret', 'username', 'url credentials']));
    RETURN NEW;
END $$;
COMMENT ON FUNCTION support.guard_endpoint_host() IS 'BEFORE INSERT, UPDATE OR DELETE trigger on support.delivery_endpoints: only a superuser adds, removes, renames or moves an endpoint, changes its credentials or its path on a shared host; every change is audited with what changed (never secrets)';
REVOKE ALL ON FUNCTION support.guard_endpoint_host() FROM PUBLIC;

-- Which endpoint serves a message, the one rule: the active endpoint of its
-- destination named for its target, else the destination's catch-all (an
-- email endpoint serves every address, Slack's '*' every channel without
-- its own). The claim sends by it and parks what it finds none for, the
-- unparking asks it, and so does has_endpoint. A SQL-standard body binds its
-- names when it is created (no search_path to pin) and the planner inlines
-- it into each of those queries, as if written there.
CREATE FUNCTION support.endpoint_for(destination text, target text) RETURNS SETOF support.delivery_endpoints
    LANGUAGE sql STABLE PARALLEL SAFE
BEGIN ATOMIC
    SELECT e.* FROM support.delivery_endpoints e
     WHERE e.active AND e.destination = endpoint_for.destination
       AND (endpoint_for.destination = 'email' OR e.endpoint = endpoint_for.target
            OR (endpoint_for.destination = 'slack' AND e.endpoint = '*'))
     ORDER BY e.endpoint = endpoint_for.target DESC, e.endpoint
     LIMIT 1;
END;
COMMENT ON FUNCTION support.endpoint_for(destination text, target text) IS 'the active delivery endpoint that serves a destination and target: the one named for the target, else the destination''s catch-all (no row: none)';
REVOKE ALL ON FUNCTION support.endpoint_for(destination text, target text) FROM PUBLIC;

-- A message for a destination without an endpoint waits, untouched, until
-- one is configured (adding an endpoint wakes the worker).
CREATE FUNCTION support.has_endpoint(destination text, target text) RETURNS boolean
    LANGUAGE sql STABLE PARALLEL SAFE SET search_path = pg_catalog, pg_temp AS $$
    SELECT EXISTS (SELECT 1 FROM support.endpoint_for(has_endpoint.destination, has_endpoint.target))
$$;
COMMENT ON FUNCTION support.has_endpoint(destination text, target text) IS 'whether a destination and target have an active delivery endpoint';
REVOKE ALL ON FUNCTION support.has_endpoint(destination text, target text) FROM PUBLIC;

CREATE FUNCTION support.message_content(destination text, target text, subject text, body text, payload jsonb, idempotency_key text, account_id bigint, ticket_id bigint, template text, created_at timestamp with time zone, sender text) RETURNS text
    LANGUAGE sql STABLE PARALLEL SAFE SET search_path = pg_catalog, pg_temp AS $$
    SELECT CASE destination
    WHEN 'slack' THEN
        jsonb_build_object(
            'channel', target,
            'username', 'Bedrock Support',
            -- Slack reads <...> as links and mentions (<!channel>): the desk's
            -- texts, which carry clients' words, are escaped as Slack asks
            'text', concat_ws(E'\n',
                              '*' || replace(replace(replace(COALESCE(subject, 'Bedrock Support'), '&', '&amp;'), '<', '&lt;'), '>', '&gt;') || '*',
                              replace(replace(replace(body, '&', '&amp;'), '<', '&lt;'), '>', '&gt;'),
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
COMMENT ON FUNCTION support.message_content(destination text, target text, subject text, body text, payload jsonb, idempotency_key text, account_id bigint, ticket_id bigint, template text, created_at timestamp with time zone, sender text) IS 'the bytes a message is delivered as: Slack incoming-webhook JSON with a link to the ticket, the webhook event JSON, or the email with its thread headers';
REVOKE ALL ON FUNCTION support.message_content(destination text, target text, subject text, body text, payload jsonb, idempotency_key text, account_id bigint, ticket_id bigint, template text, created_at timestamp with time zone, sender text) FROM PUBLIC;

-- (a manager's too: support.delivery_status shows it)
CREATE FUNCTION support.next_delivery() RETURNS timestamp with time zone
    LANGUAGE sql STABLE PARALLEL SAFE SET search_path = pg_catalog, pg_temp AS $$
    -- a probe of each index: the fair queue (all due), and the messages
    -- waiting for another attempt; messages without an endpoint are parked
    SELECT CASE WHEN EXISTS (SELECT 1 FROM support.outbound_messages m
                              WHERE m.state = 'pending' AND m.send_order IS NOT NULL)
                THEN statement_timestamp()
                ELSE (SELECT m.next_attempt_at FROM support.outbound_messages m
                       WHERE m.state = 'pending' AND m.send_order IS NULL
                       ORDER BY m.next_attempt_at LIMIT 1) END
$$;
COMMENT ON FUNCTION support.next_delivery() IS 'when the delivery worker has its next message to send (NULL: none)';
REVOKE ALL ON FUNCTION support.next_delivery() FROM PUBLIC;
GRANT ALL ON FUNCTION support.next_delivery() TO support_manager;

-- Parked messages an active endpoint serves are pending again, due now.
-- Each active endpoint's are found by the parked index (an endpoint for a
-- whole destination, email or Slack's '*', by destination alone), and
-- endpoint_for, the one rule of which endpoint serves a message, decides:
-- so this costs a probe an endpoint, however many messages are parked for
-- endpoints that do not exist.
-- (enable_seqscan off: parked messages for one missing endpoint make every
-- target look like all of them to the planner, which then read them all;
-- jit off: those estimates then made it compile the plan, 430 ms a sweep)
CREATE FUNCTION support.unpark_deliverable_messages(OUT unparked bigint, OUT skipped bigint)
    LANGUAGE sql SET search_path = pg_catalog, pg_temp SET enable_seqscan = off SET jit = off AS $$
    WITH candidates AS (
        -- (LATERAL, kept a subquery by OFFSET 0: a probe of the parked index
        -- an endpoint, never a scan of every parked message)
        SELECT p.row_id
          FROM (SELECT DISTINCT e.destination, e.endpoint FROM support.delivery_endpoints e
                 WHERE e.active AND e.destination <> 'email' AND e.endpoint <> '*') e
         CROSS JOIN LATERAL (
               SELECT p.ctid AS row_id FROM support.outbound_messages p
                WHERE p.state = 'parked' AND p.destination = e.destination AND p.target = e.endpoint
                  AND EXISTS (SELECT 1 FROM support.endpoint_for(p.destination, p.target))
               OFFSET 0) p
        UNION
        -- (endpoints for a whole destination: email's, and Slack's '*')
        SELECT p.row_id
          FROM (SELECT DISTINCT e.destination FROM support.delivery_endpoints e
                 WHERE e.active AND (e.destination = 'email' OR (e.destination = 'slack' AND e.endpoint = '*'))) d
         CROSS JOIN LATERAL (
               SELECT p.ctid AS row_id FROM support.outbound_messages p
                WHERE p.state = 'parked' AND p.destination = d.destination
                  AND EXISTS (SELECT 1 FROM support.endpoint_for(p.destination, p.target))
               OFFSET 0) p),
    -- a row another transaction holds is skipped, never waited for, and
    -- counted: the delivery worker sweeps again until none is left
    -- (joined by ctid, not "ctid = ANY (array)", which is checked against the
    -- whole array for every row: hours for 300,000; a row updated since
    -- this statement's snapshot, locked in its new version, is missed here
    -- and counted as skipped)
    locked AS (
        SELECT m.ctid AS row_id
          FROM candidates c JOIN support.outbound_messages m ON m.ctid = c.row_id
         WHERE m.state = 'parked'
           FOR UPDATE OF m SKIP LOCKED),
    moved AS (
        UPDATE support.outbound_messages m
           SET state = 'pending', next_attempt_at = now(), last_error = NULL,
               send_order = support.next_send_order(m.account_id, m.urgent)
          FROM locked l
         WHERE m.ctid = l.row_id
        RETURNING 1)
    SELECT (SELECT count(*) FROM moved), (SELECT count(*) FROM candidates) - (SELECT count(*) FROM moved)
$$;
COMMENT ON FUNCTION support.unpark_deliverable_messages(OUT unparked bigint, OUT skipped bigint) IS 'moves the parked messages an active endpoint now serves back to pending, due now; returns how many, and how many it could not lock (held by another transaction)';
REVOKE ALL ON FUNCTION support.unpark_deliverable_messages(OUT unparked bigint, OUT skipped bigint) FROM PUBLIC;

-- An endpoint that appears (or comes back) takes the messages parked for
-- it at once (outbox_changed wakes the delivery worker when the change
-- commits). A claim that parked a message while the change was being made
-- committed after this ran: the delivery worker sweeps again
-- (unpark_deliverable_messages) in its first transaction after any change
-- to the endpoints commits.
CREATE FUNCTION support.unpark_messages() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    IF TG_TABLE_SCHEMA OPERATOR(pg_catalog.<>) 'support' OR TG_TABLE_NAME OPERATOR(pg_catalog.<>) 'delivery_endpoints'
       OR TG_LEVEL OPERATOR(pg_catalog.<>) 'STATEMENT' THEN
        RAISE EXCEPTION 'support.unpark_messages() is a trigger of support.delivery_endpoints only'
              USING ERRCODE = 'trigger_protocol_violated';
    END IF;
    IF support.restoring() THEN
        RETURN NULL;
    END IF;
    PERFORM support.unpark_deliverable_messages();
    RETURN NULL;
END $$;
COMMENT ON FUNCTION support.unpark_messages() IS 'moves the messages parked for lack of an endpoint back to pending when an active endpoint for them is added or changed';
REVOKE ALL ON FUNCTION support.unpark_messages() FROM PUBLIC;

CREATE FUNCTION support.outbox_changed() RETURNS trigger
    LANGUAGE c SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS 'MODULE_PATHNAME', 'outbox_changed';
COMMENT ON FUNCTION support.outbox_changed() IS 'wakes the delivery worker when the transaction that queued messages commits';
REVOKE ALL ON FUNCTION support.outbox_changed() FROM PUBLIC;

CREATE FUNCTION support.queue_message(ticket support.tickets, destination text, target text, template text, subject text, body text, payload jsonb DEFAULT '{}'::jsonb, urgent boolean DEFAULT NULL::boolean) RETURNS void
    LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    -- Slack alerts are urgent unless said otherwise; so are staff's escalation emails (their callers say so)
    is_urgent boolean := COALESCE(urgent, destination OPERATOR(pg_catalog.=) 'slack');
BEGIN
    IF target IS NULL THEN
        RETURN;                 -- nobody to tell (no assignee, no address)
    END IF;
    -- composed texts are cut to fit, never refused (src/text_bounds.c);
    -- Slack shows at most 40,000 characters of a message; its place in the
    -- fair queue of its class (src/send_order.c)
    INSERT INTO support.outbound_messages
           (account_id, ticket_id, destination, target, template, subject, body, payload, urgent, send_order)
    VALUES (ticket.account_id, ticket.ticket_id, destination, target, template,
            support.fit_text(subject, 998),
            support.fit_text(body, CASE WHEN destination OPERATOR(pg_catalog.=) 'slack' THEN 32768 ELSE 262144 END),
            jsonb_build_object('ticket_id', ticket.ticket_id, 'priority', ticket.priority::text,
                               'tier', ticket.tier, 'status', ticket.status::text)
            || COALESCE(payload, '{}'),
            is_urgent, support.next_send_order(ticket.account_id, is_urgent));
END $$;
COMMENT ON FUNCTION support.queue_message(ticket support.tickets, destination text, target text, template text, subject text, body text, payload jsonb, urgent boolean) IS 'puts one message about a ticket into the outbox, in the fair queue of its class (urgent: Slack alerts by default; nothing when the target is unknown)';
REVOKE ALL ON FUNCTION support.queue_message(ticket support.tickets, destination text, target text, template text, subject text, body text, payload jsonb, urgent boolean) FROM PUBLIC;

CREATE FUNCTION support.next_send_order(account_id bigint, urgent boolean) RETURNS bigint
    LANGUAGE c AS 'MODULE_PATHNAME', 'next_send_order';
COMMENT ON FUNCTION support.next_send_order(account_id bigint, urgent boolean) IS 'the place of the account''s next message in the fair queue of its class (urgent or bulk): one after the later of the class''s clock and the account''s last place';
REVOKE ALL ON FUNCTION support.next_send_order(account_id bigint, urgent boolean) FROM PUBLIC;

-- Due messages waiting for another attempt (a retry after a failure, a
-- lease run out, a message queued for later) join the fair queue when they
-- come due, behind their account's messages already there. The delivery
-- worker calls it before each claim; rows another transaction holds wait.
CREATE FUNCTION support.queue_due_messages() RETURNS bigint
    LANGUAGE sql SET search_path = pg_catalog, pg_temp AS $$
    WITH due AS (
        SELECT m.ctid AS row_id FROM support.outbound_messages m
         WHERE m.state = 'pending' AND m.send_order IS NULL AND m.next_attempt_at <= statement_timestamp()
         ORDER BY m.next_attempt_at
         LIMIT 10000
           FOR UPDATE SKIP LOCKED),
    queued AS (
        UPDATE support.outbound_messages m
           SET send_order = support.next_send_order(m.account_id, m.urgent)
          FROM due d
         WHERE m.ctid = d.row_id
        RETURNING 1)
    SELECT count(*) FROM queued
$$;
COMMENT ON FUNCTION support.queue_due_messages() IS 'the delivery worker''s: due messages waiting for another attempt join the fair queue, each behind its account''s messages of its class (at most 10,000 a call); returns how many';
REVOKE ALL ON FUNCTION support.queue_due_messages() FROM PUBLIC;

CREATE FUNCTION support.queue_webhooks() RETURNS trigger
    LANGUAGE c SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS 'MODULE_PATHNAME', 'queue_webhooks';
COMMENT ON FUNCTION support.queue_webhooks() IS 'queues every new ticket event for each active webhook endpoint that wants its kind (a cached flag test when there is none)';
REVOKE ALL ON FUNCTION support.queue_webhooks() FROM PUBLIC;

CREATE FUNCTION support.record_deliveries(account_ids bigint[], message_ids bigint[], states text[], errors text[], next_attempts timestamp with time zone[]) RETURNS void
    LANGUAGE sql SET search_path = pg_catalog, pg_temp AS $$
    -- a row another transaction holds is skipped, never waited for: that
    -- message is sent again when its lease ends (at least once)
    -- (updated by key, the state checked again: a row updated since this
    -- statement's snapshot is locked in its new version, which the update
    -- then finds and checks again)
    WITH locked AS (
        SELECT m.account_id, m.message_id
          FROM unnest(account_ids, message_ids) AS k(account_id, message_id)
          JOIN support.outbound_messages m ON m.account_id = k.account_id AND m.message_id = k.message_id
         WHERE m.state = 'pending'
           FOR UPDATE OF m SKIP LOCKED)
    UPDATE support.outbound_messages m
       SET state = r.state,
           delivered_at = CASE WHEN r.state = 'delivered' THEN clock_timestamp() END,
           last_error = r.error,
           next_attempt_at = r.next_attempt_at,
           claiming_worker_started_at = NULL
      FROM unnest(account_ids, message_ids, states, errors, next_attempts)
           AS r(account_id, message_id, state, error, next_attempt_at)
     WHERE (m.account_id, m.message_id) IN (SELECT l.account_id, l.message_id FROM locked l)
       AND m.account_id = r.account_id AND m.message_id = r.message_id AND m.state = 'pending'
$$;
COMMENT ON FUNCTION support.record_deliveries(account_ids bigint[], message_ids bigint[], states text[], errors text[], next_attempts timestamp with time zone[]) IS 'the delivery worker''s outcomes: delivered, back to pending with the next attempt''s time, or dead, with the reason';
REVOKE ALL ON FUNCTION support.record_deliveries(account_ids bigint[], message_ids bigint[], states text[], errors text[], next_attempts timestamp with time zone[]) FROM PUBLIC;

-- Runs as the owner: a manager resets the worker's own columns (attempts,
-- the next attempt, the place in the queue) only through this.
CREATE FUNCTION support.requeue_message(account_id bigint, message_id bigint) RETURNS support.outbound_messages
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    message support.outbound_messages;
BEGIN
    IF NOT COALESCE(support.current_is_manager(), false)
       AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_roles r
                        WHERE r.rolname OPERATOR(pg_catalog.=) session_user AND (r.rolsuper OR r.rolbypassrls)) THEN
        RAISE EXCEPTION 'only a support manager may send a dead letter again'
              USING ERRCODE = 'insufficient_privilege', HINT = 'Set support.auth_key to a support manager''s key.';
    END IF;
    UPDATE support.outbound_messages m
       SET state = 'pending', attempts = 0, next_attempt_at = now(), last_error = NULL,
           send_order = support.next_send_order(m.account_id, m.urgent)
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
COMMENT ON FUNCTION support.requeue_message(account_id bigint, message_id bigint) IS 'sends a dead letter again, from its first attempt (after the receiver was fixed)';
REVOKE ALL ON FUNCTION support.requeue_message(account_id bigint, message_id bigint) FROM PUBLIC;
GRANT ALL ON FUNCTION support.requeue_message(account_id bigint, message_id bigint) TO support_manager;

CREATE FUNCTION support.url_path(url text) RETURNS text
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
    RETURN regexp_replace(url, '^[A-Za-z][A-Za-z0-9+.-]*://[^/?#]*'::text, ''::text);
COMMENT ON FUNCTION support.url_path(url text) IS 'what follows a URL''s origin: its path, query and fragment';
REVOKE ALL ON FUNCTION support.url_path(url text) FROM PUBLIC;

CREATE FUNCTION support.url_userinfo(url text) RETURNS text
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
    RETURN "substring"(url, '^[A-Za-z][A-Za-z0-9+.-]*://([^/?#@]*)@'::text);
COMMENT ON FUNCTION support.url_userinfo(url text) IS 'the credentials a URL carries before its host (NULL: none)';
REVOKE ALL ON FUNCTION support.url_userinfo(url text) FROM PUBLIC;

CREATE FUNCTION support.is_shared_host(host text) RETURNS boolean
    LANGUAGE sql STABLE PARALLEL SAFE SET search_path = pg_catalog, pg_temp AS $$
    -- a listed host or any of its subdomains (<tenant>.webhook.office.com,
    -- canary.discord.com), with or without the DNS root's trailing dot
    SELECT EXISTS (SELECT 1 FROM support.shared_endpoint_hosts h
                    WHERE pg_catalog.rtrim(is_shared_host.host, '.') OPERATOR(pg_catalog.=) h.host
                       OR pg_catalog.right(pg_catalog.rtrim(is_shared_host.host, '.'),
                                           pg_catalog.length(h.host) OPERATOR(pg_catalog.+) 1)
                          OPERATOR(pg_catalog.=) ('.' OPERATOR(pg_catalog.||) h.host))
$$;
COMMENT ON FUNCTION support.is_shared_host(host text) IS 'whether a host is one of support.shared_endpoint_hosts or a subdomain of one';
REVOKE ALL ON FUNCTION support.is_shared_host(host text) FROM PUBLIC;

CREATE FUNCTION support.url_origin(url text) RETURNS text
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
    RETURN CASE WHEN (url ~ '^[A-Za-z][A-Za-z0-9+.-]*://'::text) THEN lower(regexp_replace(url, '^([A-Za-z][A-Za-z0-9+.-]*://)(?:[^/?#@]*@)?(\[[^]]*\]|[^/?#:]*)(:[0-9]*)?.*$'::text, '\1\2\3'::text)) ELSE NULL::text END;
COMMENT ON FUNCTION support.url_origin(url text) IS 'scheme, host and port of a URL, lower case (NULL: none)';
REVOKE ALL ON FUNCTION support.url_origin(url text) FROM PUBLIC;

CREATE FUNCTION support.webhook_signature(secret text, "timestamp" text, body text) RETURNS text
    LANGUAGE c IMMUTABLE STRICT PARALLEL SAFE AS 'MODULE_PATHNAME', 'webhook_signature';
COMMENT ON FUNCTION support.webhook_signature(secret text, "timestamp" text, body text) IS 'hex HMAC-SHA256 of "<timestamp>.<body>" with the secret: what a receiver compares with X-Bedrock-Signature (v1=...)';
--@section views

CREATE VIEW support.delivery_status WITH (security_invoker='true') AS
 SELECT w.preloaded,
    w.state,
    w.pid,
    w.started_at,
    w.last_pass_at,
    w.last_pass_messages,
    w.last_pass_delivered,
    w.passes,
    w.delivered,
    w.next_wakeup,
    w.errors,
    w.last_error_at,
    w.last_error,
    ( SELECT count(*) AS count
           FROM support.outbound_messages m
          WHERE (m.state = 'pending'::text)) AS pending_messages,
    ( SELECT count(*) AS count
           FROM support.outbound_messages m
          WHERE (m.state = 'parked'::text)) AS waiting_for_an_endpoint,
    ( SELECT count(*) AS count
           FROM support.outbound_messages m
          WHERE (m.state = 'dead'::text)) AS dead_letters,
    support.next_delivery() AS next_attempt
   FROM support.delivery_worker_state() w(preloaded, state, pid, started_at, last_pass_at, last_pass_messages, last_pass_delivered, passes, delivered, next_wakeup, errors, last_error_at, last_error);
COMMENT ON VIEW support.delivery_status IS 'the delivery worker of this database (running or not, last pass, messages delivered, errors) and the outbox''s pending and dead messages';
GRANT SELECT ON TABLE support.delivery_status TO support_manager;
--@section triggers

CREATE TRIGGER restore_config_row BEFORE INSERT ON support.internal_channels FOR EACH ROW EXECUTE FUNCTION support.restore_config_row('name');

CREATE TRIGGER restore_config_row BEFORE INSERT ON support.slack_routes FOR EACH ROW EXECUTE FUNCTION support.restore_config_row('route');

CREATE TRIGGER restore_config_row BEFORE INSERT ON support.shared_endpoint_hosts FOR EACH ROW EXECUTE FUNCTION support.restore_config_row('host');

CREATE TRIGGER config_changed AFTER INSERT OR DELETE OR UPDATE OR TRUNCATE ON support.delivery_endpoints FOR EACH STATEMENT EXECUTE FUNCTION support.config_changed();

CREATE TRIGGER endpoint_host_guarded BEFORE INSERT OR DELETE OR UPDATE ON support.delivery_endpoints FOR EACH ROW EXECUTE FUNCTION support.guard_endpoint_host();

CREATE TRIGGER outbox_changed AFTER INSERT OR UPDATE ON support.delivery_endpoints FOR EACH STATEMENT EXECUTE FUNCTION support.outbox_changed();

CREATE TRIGGER unpark_messages AFTER INSERT OR UPDATE ON support.delivery_endpoints FOR EACH STATEMENT EXECUTE FUNCTION support.unpark_messages();

CREATE TRIGGER outbox_changed AFTER INSERT OR UPDATE ON support.outbound_messages FOR EACH STATEMENT EXECUTE FUNCTION support.outbox_changed();

CREATE TRIGGER restore_config_row BEFORE INSERT ON support.delivery_endpoints FOR EACH ROW EXECUTE FUNCTION support.restore_config_row('endpoint');

CREATE TRIGGER ticket_event_webhooks AFTER INSERT ON support.ticket_events REFERENCING NEW TABLE AS new_events FOR EACH STATEMENT EXECUTE FUNCTION support.queue_webhooks();
--@section policies

CREATE POLICY manager_reads_shared_hosts ON support.shared_endpoint_hosts
    FOR SELECT TO support_manager
    USING (((SELECT support.current_key_kind()) = 'manager') AND (SELECT support.current_is_manager()));

CREATE POLICY manager_all ON support.delivery_endpoints
    TO support_manager
    USING (((SELECT support.current_key_kind()) = 'manager') AND (SELECT support.current_is_manager()))
    WITH CHECK (((SELECT support.current_key_kind()) = 'manager') AND (SELECT support.current_is_manager()));

CREATE POLICY manager_all ON support.outbound_messages
    TO support_manager
    USING (((SELECT support.current_key_kind()) = 'manager') AND (SELECT support.current_is_manager()))
    WITH CHECK (((SELECT support.current_key_kind()) = 'manager') AND (SELECT support.current_is_manager()));
--@section seeds

INSERT INTO support.internal_channels (name, purpose) VALUES
	('#client-support', 'General support coordination'),
	('#support-escalations', 'Tier 2/3 escalations'),
	('#critical-issues', 'Emergency response coordination'),
	('#client-feedback', 'Feature requests and feedback');

INSERT INTO support.slack_routes (route, channel, description) VALUES
	('critical', '#critical-issues', 'P1 tickets and executive escalations'),
	('escalations', '#support-escalations', 'tier 2/3 escalations, SLA breaches, escalation calls'),
	('feedback', '#client-feedback', 'satisfaction ratings and their comments'),
	('general', '#client-support', 'update reminders for tickets nobody holds');

INSERT INTO support.shared_endpoint_hosts (host, note) VALUES
    ('hooks.slack.com', 'Slack incoming webhooks: the path names the workspace and channel'),
    ('outlook.office.com', 'Microsoft Teams connectors'),
    ('webhook.office.com', 'Microsoft Teams connectors'),
    ('hooks.zapier.com', 'Zapier catch hooks'),
    ('discord.com', 'Discord webhooks'),
    ('discordapp.com', 'Discord webhooks');
