-- bedrock_support 1.6 -> 1.7: the trust boundary.
--
-- Nothing a caller can create changes what runs with the owner's rights;
-- nothing only the extension calls is executable by PUBLIC; a key counts
-- only in the transaction that sets it locally, and only within its own
-- identity; the columns the workflow owns change only through it.
\echo Use "ALTER EXTENSION bedrock_support UPDATE TO '1.7'" to load this file. \quit

------------------------------------------------------------------------------
-- Trigger functions: the extension attaches them; nobody else may
------------------------------------------------------------------------------

-- CREATE TRIGGER needs EXECUTE on the function; firing does not. Without
-- EXECUTE nobody can attach a SECURITY DEFINER trigger to a table of their
-- own and have it write history, acknowledgments or loads as the owner.
-- (The C triggers also check the relation they fire on: src/trigger_guard.c.)
DO $$
DECLARE
    trigger_function regprocedure;
BEGIN
    FOR trigger_function IN
        SELECT p.oid FROM pg_catalog.pg_proc p
         WHERE p.pronamespace OPERATOR(pg_catalog.=) 'support'::regnamespace
           AND p.prorettype OPERATOR(pg_catalog.=) 'trigger'::regtype
    LOOP
        EXECUTE format('REVOKE EXECUTE ON FUNCTION %s FROM PUBLIC', trigger_function);
    END LOOP;
END $$;

------------------------------------------------------------------------------
-- Addresses and header values: what reaches SMTP's envelope or headers
------------------------------------------------------------------------------

-- An address as RFC 5321 writes one (a dot-atom local part, a domain of
-- labels), at most 254 characters: no CR, LF, NUL, spaces or angle
-- brackets can reach the RCPT TO line or a header. In C (src/address_checks.c):
-- the outbox's constraints check every message a ticket queues.
CREATE FUNCTION support.is_email_address(address text) RETURNS boolean
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION support.is_email_address(text) IS
    'whether address is an RFC 5321 mailbox (dot-atom local part, domain of labels, at most 254 characters)';

-- one line: a header value or an envelope field never holds a line break
CREATE FUNCTION support.is_one_line(value text) RETURNS boolean
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION support.is_one_line(text) IS 'whether value has no CR or LF (text never holds NUL)';

ALTER TABLE support.outbound_messages
    ADD CONSTRAINT targets_are_one_line CHECK (support.is_one_line(target)),
    ADD CONSTRAINT subjects_are_one_line CHECK (support.is_one_line(subject)),
    ADD CONSTRAINT email_targets_are_addresses CHECK (destination <> 'email' OR support.is_email_address(target));
ALTER TABLE support.delivery_endpoints
    ADD CONSTRAINT senders_are_addresses CHECK (support.is_email_address(sender)),
    ADD CONSTRAINT credentials_are_one_line CHECK (support.is_one_line(username) AND support.is_one_line(secret));
ALTER TABLE support.account_users
    ADD CONSTRAINT emails_are_addresses CHECK (support.is_email_address(email));
-- a ticket's subject goes into its emails' subjects: one line where it is
-- written, so the ticket is refused, clearly, rather than the acknowledgment
-- it would break (Slack channels' own checks already allow no line break)
ALTER TABLE support.tickets
    ADD CONSTRAINT subjects_are_one_line CHECK (support.is_one_line(subject));
ALTER TABLE support.agents
    ADD CONSTRAINT emails_are_addresses CHECK (support.is_email_address(email));

------------------------------------------------------------------------------
-- One identity per key: the key's kind decides which group's policies apply
------------------------------------------------------------------------------

CREATE FUNCTION support.current_key_kind() RETURNS text
    AS 'MODULE_PATHNAME' LANGUAGE C STABLE PARALLEL SAFE;
COMMENT ON FUNCTION support.current_key_kind() IS
    'client, agent, manager or super_user: the kind of the key in support.auth_key, which alone decides whose policies apply (NULL: no key)';

-- A login granted several groups (a console's support_agent,
-- support_super_user and support_client) would otherwise pick up every
-- group's policies with any key: a client's key read internal notes through
-- the agents' history policy. Each policy now also requires the key kind of
-- the one group it is for. Written once, here, for every policy.
DO $$
DECLARE
    policy record;
    kind_test text;
BEGIN
    FOR policy IN
        SELECT p.polname, p.polrelid::regclass AS relation, COALESCE(r.rolname, 'public') AS rolname,
               pg_catalog.pg_get_expr(p.polqual, p.polrelid) AS using_expression,
               pg_catalog.pg_get_expr(p.polwithcheck, p.polrelid) AS check_expression
          FROM pg_catalog.pg_policy p
          JOIN pg_catalog.pg_class c ON c.oid OPERATOR(pg_catalog.=) p.polrelid
          LEFT JOIN pg_catalog.pg_roles r ON r.oid OPERATOR(pg_catalog.=) ANY (p.polroles)
         WHERE c.relnamespace OPERATOR(pg_catalog.=) 'support'::regnamespace
    LOOP
        IF (SELECT pg_catalog.cardinality(p.polroles) OPERATOR(pg_catalog.<>) 1 OR 0 OPERATOR(pg_catalog.=) ANY (p.polroles)
              FROM pg_catalog.pg_policy p
             WHERE p.polname OPERATOR(pg_catalog.=) policy.polname
               AND p.polrelid OPERATOR(pg_catalog.=) policy.relation) THEN
            RAISE EXCEPTION 'policy % on % is not for exactly one group', policy.polname, policy.relation;
        END IF;
        kind_test := format('(SELECT support.current_key_kind()) OPERATOR(pg_catalog.=) %L',
                            CASE policy.rolname
                                WHEN 'support_client' THEN 'client'
                                WHEN 'support_agent' THEN 'agent'
                                WHEN 'support_manager' THEN 'manager'
                                WHEN 'support_super_user' THEN 'super_user'
                            END);
        IF kind_test IS NULL THEN
            RAISE EXCEPTION 'policy % on % is for role %, which has no key kind',
                policy.polname, policy.relation, policy.rolname;
        END IF;
        IF policy.using_expression IS NOT NULL THEN
            EXECUTE format('ALTER POLICY %I ON %s USING (%s AND (%s))', policy.polname, policy.relation,
                           kind_test, policy.using_expression);
        END IF;
        IF policy.check_expression IS NOT NULL THEN
            EXECUTE format('ALTER POLICY %I ON %s WITH CHECK (%s AND (%s))', policy.polname, policy.relation,
                           kind_test, policy.check_expression);
        END IF;
    END LOOP;
END $$;

------------------------------------------------------------------------------
-- The columns the workflow owns
------------------------------------------------------------------------------

-- Named to fire before ticket_lifecycle and ticket_sla_deadlines, which
-- would otherwise put some old values back without a word.
CREATE FUNCTION support.ticket_column_guard() RETURNS trigger
    AS 'MODULE_PATHNAME' LANGUAGE C;
REVOKE EXECUTE ON FUNCTION support.ticket_column_guard() FROM PUBLIC;
CREATE TRIGGER ticket_column_guard BEFORE UPDATE ON support.tickets
    FOR EACH ROW EXECUTE FUNCTION support.ticket_column_guard();
COMMENT ON FUNCTION support.ticket_column_guard() IS
    'refuses a group role''s direct UPDATE of a column a rule owns (42501, naming the function to call); subject and description stay editable, and staff may reclassify';

CREATE FUNCTION support.caller_holds_ticket(ticket_id bigint, for_update boolean) RETURNS boolean
    AS 'MODULE_PATHNAME' LANGUAGE C VOLATILE;
REVOKE EXECUTE ON FUNCTION support.caller_holds_ticket(bigint, boolean) FROM PUBLIC;
COMMENT ON FUNCTION support.caller_holds_ticket(bigint, boolean) IS
    'whether the role that called the running owner-rights function sees (and, for update, may change and now locks) the ticket under row-level security';

-- The workflow's ticket, as the caller's row-level security allows it: the
-- functions below run as the owner, so the policies no longer filter what
-- they read. Another account's ticket does not exist; one the caller may
-- read but not change (a Reporting Manager's) says so. A client's key keeps
-- to its account even for a caller RLS does not bind (a superuser's session).
CREATE OR REPLACE FUNCTION support.locked_ticket(ticket_id bigint) RETURNS support.tickets
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    existing support.tickets;
    key_account bigint := support.current_account_id();
    in_key_account boolean := key_account IS NULL OR EXISTS (
        SELECT 1 FROM support.tickets t
         WHERE t.ticket_id OPERATOR(pg_catalog.=) locked_ticket.ticket_id
           AND t.account_id OPERATOR(pg_catalog.=) key_account);
BEGIN
    IF in_key_account AND support.caller_holds_ticket(locked_ticket.ticket_id, true) THEN
        SELECT * INTO existing FROM support.tickets t
         WHERE t.ticket_id OPERATOR(pg_catalog.=) locked_ticket.ticket_id;
        RETURN existing;
    END IF;
    IF in_key_account AND support.caller_holds_ticket(locked_ticket.ticket_id, false) THEN
        RAISE EXCEPTION 'ticket % is read-only for user %', ticket_id, support.current_user_id()
              USING ERRCODE = 'insufficient_privilege',
                    HINT = 'A Reporting Manager reads tickets; an Admin or Campaign Manager changes them.';
    END IF;
    RAISE EXCEPTION 'ticket % does not exist', ticket_id
          USING ERRCODE = 'no_data_found', HINT = 'Ticket numbers are shown as #N in every message.';
END $$;

-- The workflow functions that write owned columns run as the owner, after
-- locked_ticket has shown the caller holds the ticket.
ALTER FUNCTION support.change_status(bigint, support.ticket_status, bigint, text) SECURITY DEFINER;
ALTER FUNCTION support.assign_ticket(bigint, bigint, bigint) SECURITY DEFINER;
ALTER FUNCTION support.change_priority(bigint, support.priority, bigint, text) SECURITY DEFINER;
ALTER FUNCTION support.resolve_ticket(bigint, bigint, text, text, text, text) SECURITY DEFINER;
ALTER FUNCTION support.close_ticket(bigint, bigint) SECURITY DEFINER;
ALTER FUNCTION support.record_escalation_call(bigint, bigint, text) SECURITY DEFINER;
ALTER FUNCTION support.escalate_to_executive(bigint, bigint, text) SECURITY DEFINER;

-- A direct UPDATE reaches the guard, which names the function to call; an
-- INSERT may fill only what open_ticket fills (the triggers fill the rest).
REVOKE INSERT, UPDATE ON support.tickets FROM support_client, support_agent, support_manager;
GRANT UPDATE ON support.tickets TO support_client, support_agent, support_manager;
GRANT INSERT (account_id, requester_id, subject, description, channel, category, priority,
              service_outage, revenue_impact, security_or_data_integrity, campaign_delivery_failure,
              peak_period, api_failure, workaround_available, multi_client_impact)
    ON support.tickets TO support_client, support_agent, support_manager;

-- the worker's schedule of a ticket: the worker and managers read it
REVOKE EXECUTE ON FUNCTION support.ticket_actions(support.tickets) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION support.ticket_actions(support.tickets) TO support_manager;

------------------------------------------------------------------------------
-- Assumptions live with the super user's login key, not with a backend
------------------------------------------------------------------------------

-- A connection pool closes idle server connections (node-postgres after
-- 10 s, pgbouncer's server_idle_timeout): an assumption tied to the backend
-- that made it ended long before the handbook's two idle hours. It now ends
-- on release, with the super user's own key (logout or expiry), after its
-- idle limit, and the moment its super user is deactivated or loses the
-- role. The backend that made it is still recorded (session_slot,
-- session_nonce), for the audit; the key lookup (src/auth.c) no longer
-- consults it.
CREATE OR REPLACE FUNCTION support.assumption_end_reason(assumed support.auth_keys) RETURNS text
LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp AS $$
    SELECT CASE
        WHEN parent.revoked_at IS NOT NULL THEN 'the super user''s key was revoked'
        WHEN parent.expires_at OPERATOR(pg_catalog.<=) now() THEN 'the super user''s key expired'
        WHEN NOT COALESCE(su.active AND su.is_super_user, false) THEN 'the super user is no longer an active super user'
        WHEN assumed.last_used_at OPERATOR(pg_catalog.+) assumed.idle_timeout OPERATOR(pg_catalog.<=) now() THEN 'idle'
        WHEN assumed.expires_at OPERATOR(pg_catalog.<=) now() THEN 'key expired'
    END
      FROM (SELECT 1) AS one
      LEFT JOIN support.auth_keys parent ON parent.key_id OPERATOR(pg_catalog.=) assumed.parent_key_id
      LEFT JOIN support.agents su ON su.agent_id OPERATOR(pg_catalog.=) assumed.assumed_by
$$;
REVOKE EXECUTE ON FUNCTION support.assumption_end_reason(support.auth_keys) FROM PUBLIC;
COMMENT ON FUNCTION support.assumption_end_reason(support.auth_keys) IS
    'why an assumed key no longer works (NULL: it still does); the rule the key lookup in src/auth.c also applies';

CREATE OR REPLACE FUNCTION support.expire_assumptions() RETURNS integer
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    ended support.auth_keys;
    count integer := 0;
BEGIN
    FOR ended IN
        UPDATE support.auth_keys k
           SET revoked_at = now(), revoke_reason = support.assumption_end_reason(k)
         WHERE k.assumed_by IS NOT NULL AND k.revoked_at IS NULL
           AND support.assumption_end_reason(k) IS NOT NULL
        RETURNING k.* LOOP
        PERFORM support.audit_release(ended, 'expired', ended.revoke_reason);
        count := count + 1;
    END LOOP;
    -- keys a week past their end (a revoked key's is at most a day later) are of no
    -- use to anyone; the audit keeps the story
    DELETE FROM support.auth_keys k WHERE k.expires_at < now() - interval '7 days';
    RETURN count;
END $$;
COMMENT ON FUNCTION support.expire_assumptions() IS
    'the worker''s sweep: audits assumptions that went idle, outlived their super user''s key or rights, and forgets keys a week past their end';

CREATE OR REPLACE FUNCTION support.active_assumptions()
RETURNS TABLE (account_id bigint, assumed_user_id bigint, assumed_by bigint, assumed_at timestamptz,
               last_used_at timestamptz, idle_until timestamptz, expires_at timestamptz,
               justification text, approval_id bigint)
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    IF NOT support.current_is_manager() THEN
        RAISE EXCEPTION 'only a support manager may list who is assuming whom'
              USING ERRCODE = 'insufficient_privilege', HINT = 'Set support.auth_key to a support manager''s key.';
    END IF;
    RETURN QUERY
    SELECT k.account_id, k.user_id, k.assumed_by, k.issued_at, k.last_used_at,
           k.last_used_at + k.idle_timeout, k.expires_at, k.justification, k.approval_id
      FROM support.auth_keys k
     WHERE k.assumed_by IS NOT NULL AND k.revoked_at IS NULL
       AND support.assumption_end_reason(k) IS NULL
     ORDER BY k.issued_at;
END $$;

-- The PL/pgSQL trigger functions' relation check (the C ones have
-- src/trigger_guard.c): EXECUTE is the owner's alone, this is for a DBA's slip.
CREATE FUNCTION support.require_trigger_table(schema_name name, table_name name, expected name, function_name text)
RETURNS void
LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    IF schema_name OPERATOR(pg_catalog.<>) 'support' OR table_name OPERATOR(pg_catalog.<>) expected THEN
        RAISE EXCEPTION 'support.%() fires only on support.%, not on %.%', function_name, expected, schema_name, table_name
              USING ERRCODE = 'trigger_protocol_violated',
                    HINT = 'The extension''s trigger functions are not for other tables.';
    END IF;
END $$;
REVOKE EXECUTE ON FUNCTION support.require_trigger_table(name, name, name, text) FROM PUBLIC;
COMMENT ON FUNCTION support.require_trigger_table(name, name, name, text) IS
    'refuses a PL/pgSQL trigger function fired on any table but its own (39P01)';

-- Losing the role ends the super user's assumptions in the same transaction,
-- audited. Row-level, on those columns only: agents' loads change on every
-- ticket, and must not pay for it.
CREATE FUNCTION support.end_assumptions_of_former_super_users() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    ended support.auth_keys;
BEGIN
    PERFORM support.require_trigger_table(TG_TABLE_SCHEMA, TG_TABLE_NAME, 'agents', 'end_assumptions_of_former_super_users');
    FOR ended IN
        UPDATE support.auth_keys k
           SET revoked_at = now(), revoke_reason = 'the super user is no longer an active super user'
         WHERE k.assumed_by OPERATOR(pg_catalog.=) NEW.agent_id AND k.revoked_at IS NULL
        RETURNING k.* LOOP
        PERFORM support.audit_release(ended, 'expired', ended.revoke_reason);
    END LOOP;
    RETURN NULL;
END $$;
REVOKE EXECUTE ON FUNCTION support.end_assumptions_of_former_super_users() FROM PUBLIC;
COMMENT ON FUNCTION support.end_assumptions_of_former_super_users() IS
    'AFTER UPDATE trigger on support.agents: a super user deactivated or stripped of the role loses every assumption at once, audited';
CREATE TRIGGER super_user_rights_changed AFTER UPDATE OF is_super_user, active ON support.agents
    FOR EACH ROW WHEN (OLD.is_super_user AND OLD.active AND NOT (NEW.is_super_user AND NEW.active))
    EXECUTE FUNCTION support.end_assumptions_of_former_super_users();

------------------------------------------------------------------------------
-- Secrets: an endpoint's URL is written by managers, read by the delivery worker
------------------------------------------------------------------------------

CREATE FUNCTION support.url_host(url text) RETURNS text
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
RETURN pg_catalog.lower(pg_catalog.substring(url, '^[A-Za-z][A-Za-z0-9+.-]*://(?:[^/?#@]*@)?(\[[^]]*\]|[^/?#:]*)'));
COMMENT ON FUNCTION support.url_host(text) IS 'the host of a URL, lower case (NULL: none)';
CREATE FUNCTION support.url_origin(url text) RETURNS text
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
RETURN CASE WHEN url OPERATOR(pg_catalog.~) '^[A-Za-z][A-Za-z0-9+.-]*://'
            THEN pg_catalog.lower(pg_catalog.regexp_replace(url,
                     '^([A-Za-z][A-Za-z0-9+.-]*://)(?:[^/?#@]*@)?(\[[^]]*\]|[^/?#:]*)(:[0-9]*)?.*$', '\1\2\3'))
       END;
REVOKE EXECUTE ON FUNCTION support.url_origin(text) FROM PUBLIC;
COMMENT ON FUNCTION support.url_origin(text) IS 'scheme, host and port of a URL, lower case (NULL: none)';

-- A Slack incoming-webhook URL is itself a credential, and a manager who
-- could read the SMTP URL could read where the credentials go.
REVOKE SELECT (url) ON support.delivery_endpoints FROM support_manager;

-- SMTP requires TLS (STARTTLS, or smtps://): credentials and client mail never
-- cross a network in clear. Only a server on this machine's loopback may be
-- spoken to in plain text, and only when the endpoint says so.
ALTER TABLE support.delivery_endpoints
    ADD COLUMN plain_text_on_loopback boolean NOT NULL DEFAULT false,
    ADD CONSTRAINT plain_text_only_on_loopback CHECK (
        NOT plain_text_on_loopback
        OR (destination = 'email' AND support.url_host(url) IN ('127.0.0.1', 'localhost', '[::1]')));
COMMENT ON COLUMN support.delivery_endpoints.plain_text_on_loopback IS
    'an SMTP server on loopback (a local relay, a test sink) may be spoken to without TLS; every other SMTP endpoint requires it';
GRANT SELECT (plain_text_on_loopback) ON support.delivery_endpoints TO support_manager;

-- the claim tells the worker whether TLS is required
DROP FUNCTION support.claim_messages(integer, bigint);
CREATE FUNCTION support.claim_messages(max_messages integer, lease_ms bigint)
RETURNS TABLE (account_id bigint, message_id bigint, attempts integer, destination text, target text,
               idempotency_key text, url text, secret text, username text, sender text, content text,
               require_tls boolean)
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
                                   c.account_id, c.ticket_id, c.template, c.created_at, e.sender),
           NOT COALESCE(e.plain_text_on_loopback, false)
      FROM claimed c
      LEFT JOIN LATERAL (
            SELECT * FROM support.delivery_endpoints e
             WHERE e.active AND e.destination = c.destination
               AND (c.destination = 'email' OR e.endpoint = c.target
                    OR (c.destination = 'slack' AND e.endpoint = '*'))
             ORDER BY e.endpoint = c.target DESC, e.endpoint
             LIMIT 1) e ON true
$$;
REVOKE EXECUTE ON FUNCTION support.claim_messages(integer, bigint) FROM PUBLIC;
COMMENT ON FUNCTION support.claim_messages(integer, bigint) IS
    'the delivery worker''s claim: due pending messages, locked (SKIP LOCKED), their attempt counted and leased, with their endpoint, content and whether SMTP must use TLS';

------------------------------------------------------------------------------
-- Client-shared Slack channels receive only client-safe texts
------------------------------------------------------------------------------

-- The team's alerts carry escalation reasons, root causes and breach
-- notices. An enterprise client's own channel gets, for the kinds a client
-- should hear of, a text written for the client, and nothing for the rest.
CREATE FUNCTION support.client_safe_alert(ticket support.tickets, kind text) RETURNS text
LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp AS $$
    SELECT CASE kind
        WHEN 'escalation' THEN
            format('Ticket #%s (%s) has been escalated to our tier %s team, who now own it.',
                   ticket.ticket_id, ticket.subject, ticket.tier)
        WHEN 'executive_escalation' THEN
            format('Ticket #%s (%s) has been escalated to our executive team. You will receive hourly updates until it is resolved.',
                   ticket.ticket_id, ticket.subject)
        WHEN 'client_escalation' THEN
            format('We received your escalation request for ticket #%s (%s). An escalation manager will call you.',
                   ticket.ticket_id, ticket.subject)
    END
$$;
REVOKE EXECUTE ON FUNCTION support.client_safe_alert(support.tickets, text) FROM PUBLIC;
COMMENT ON FUNCTION support.client_safe_alert(support.tickets, text) IS
    'the text an enterprise client''s shared Slack channel gets for an alert of this kind (NULL: the client does not hear of it)';

CREATE OR REPLACE FUNCTION support.alert(
    ticket support.tickets, channel text, template text, subject text, body text, payload jsonb DEFAULT '{}'
) RETURNS void
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
COMMENT ON FUNCTION support.alert(support.tickets, text, text, text, text, jsonb) IS
    'queues a Slack alert to a team channel, and a client-safe text of it (support.client_safe_alert) to an enterprise client''s own channel';

------------------------------------------------------------------------------
-- Staff powers: who changed rights, sensitivity and endpoints, in an append-only trail
------------------------------------------------------------------------------

-- The role that called: SET ROLE's, else the login's; a SECURITY DEFINER
-- function changes neither (current_user would be the owner there).
CREATE FUNCTION support.calling_role() RETURNS name
LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp AS $$
    SELECT CASE WHEN current_setting('role') OPERATOR(pg_catalog.=) 'none' THEN session_user
                ELSE current_setting('role')::name END
$$;
COMMENT ON FUNCTION support.calling_role() IS
    'the role that called: SET ROLE''s, else the session''s login (what a SECURITY DEFINER function''s caller is)';

CREATE SEQUENCE support.security_audit_id_seq;
CREATE TABLE support.security_audit (
    audit_id      bigint PRIMARY KEY DEFAULT nextval('support.security_audit_id_seq'),
    occurred_at   timestamptz NOT NULL DEFAULT clock_timestamp(),
    kind          text NOT NULL CHECK (kind IN ('staff_rights', 'account_sensitivity', 'assumption_policy',
                                                'endpoint', 'bypass')),
    changed_by    bigint,                 -- the key's user; NULL for a DBA's or the worker's session
    changed_by_role name NOT NULL DEFAULT support.calling_role(),
    subject_id    bigint,                 -- the agent or account changed
    details       jsonb NOT NULL DEFAULT '{}'
);
ALTER SEQUENCE support.security_audit_id_seq OWNED BY support.security_audit.audit_id;
COMMENT ON TABLE support.security_audit IS
    'append-only trail of changes to staff powers: super-user and manager rights, an account''s sensitive flag, the assumption policy, delivery endpoints, and a superuser''s changes to the trails themselves';
CREATE INDEX security_audit_changes_idx ON support.security_audit (changed_by, occurred_at);
CREATE TRIGGER security_audit_append_only BEFORE UPDATE OR DELETE ON support.security_audit
    FOR EACH ROW EXECUTE FUNCTION support.refuse_history_change_trigger();
CREATE TRIGGER security_audit_no_truncate BEFORE TRUNCATE ON support.security_audit
    FOR EACH STATEMENT EXECUTE FUNCTION support.refuse_history_change_trigger();
SELECT pg_catalog.pg_extension_config_dump('support.security_audit', '');
SELECT pg_catalog.pg_extension_config_dump('support.security_audit_id_seq', '');
ALTER TABLE support.security_audit ENABLE ROW LEVEL SECURITY;
GRANT SELECT ON support.security_audit TO support_manager;
CREATE POLICY manager_reads_security_audit ON support.security_audit FOR SELECT TO support_manager
    USING ((SELECT support.current_key_kind()) OPERATOR(pg_catalog.=) 'manager');

CREATE FUNCTION support.audit_staff_rights() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    PERFORM support.require_trigger_table(TG_TABLE_SCHEMA, TG_TABLE_NAME, 'agents', 'audit_staff_rights');
    -- before and after: [old, new], NULL where the row did not exist
    INSERT INTO support.security_audit (kind, changed_by, subject_id, details)
    VALUES ('staff_rights', support.current_user_id(), COALESCE(NEW.agent_id, OLD.agent_id),
            jsonb_build_object(
                'super_user', jsonb_build_array(OLD.is_super_user, NEW.is_super_user),
                'manager', jsonb_build_array(OLD.is_support_manager, NEW.is_support_manager),
                'active', jsonb_build_array(OLD.active, NEW.active)));
    RETURN NULL;
END $$;
-- row-level and on those columns only: agents' loads change on every ticket
CREATE TRIGGER staff_rights_audited AFTER UPDATE OF is_super_user, is_support_manager, active ON support.agents
    FOR EACH ROW WHEN (OLD.is_super_user IS DISTINCT FROM NEW.is_super_user
                       OR OLD.is_support_manager IS DISTINCT FROM NEW.is_support_manager
                       OR (OLD.active IS DISTINCT FROM NEW.active
                           AND (OLD.is_super_user OR OLD.is_support_manager OR NEW.is_super_user OR NEW.is_support_manager)))
    EXECUTE FUNCTION support.audit_staff_rights();
CREATE TRIGGER new_staff_rights_audited AFTER INSERT ON support.agents
    FOR EACH ROW WHEN (NEW.is_super_user OR NEW.is_support_manager)
    EXECUTE FUNCTION support.audit_staff_rights();
CREATE TRIGGER removed_staff_rights_audited AFTER DELETE ON support.agents
    FOR EACH ROW WHEN (OLD.is_super_user OR OLD.is_support_manager)
    EXECUTE FUNCTION support.audit_staff_rights();
COMMENT ON FUNCTION support.audit_staff_rights() IS
    'AFTER INSERT, UPDATE OR DELETE trigger on support.agents: a super-user or manager right granted, taken or deleted, or such staff (de)activated, goes to support.security_audit';

CREATE FUNCTION support.audit_account_sensitivity() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    PERFORM support.require_trigger_table(TG_TABLE_SCHEMA, TG_TABLE_NAME, 'accounts', 'audit_account_sensitivity');
    INSERT INTO support.security_audit (kind, changed_by, subject_id, details)
    VALUES ('account_sensitivity', support.current_user_id(), NEW.account_id,
            jsonb_build_object('sensitive', jsonb_build_array(OLD.sensitive, NEW.sensitive)));
    RETURN NULL;
END $$;
CREATE TRIGGER account_sensitivity_audited AFTER UPDATE OF sensitive ON support.accounts
    FOR EACH ROW WHEN (OLD.sensitive IS DISTINCT FROM NEW.sensitive)
    EXECUTE FUNCTION support.audit_account_sensitivity();
COMMENT ON FUNCTION support.audit_account_sensitivity() IS
    'AFTER UPDATE trigger on support.accounts: a change of an account''s sensitive flag goes to support.security_audit';

-- one row, which managers edit: neither removed (every assumption would
-- fail) nor replaced, where no UPDATE trigger would see it
REVOKE INSERT, DELETE ON support.assumption_policy FROM support_manager;
CREATE FUNCTION support.audit_assumption_policy() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    PERFORM support.require_trigger_table(TG_TABLE_SCHEMA, TG_TABLE_NAME, 'assumption_policy', 'audit_assumption_policy');
    INSERT INTO support.security_audit (kind, changed_by, details)
    VALUES ('assumption_policy', support.current_user_id(),
            jsonb_build_object('old', pg_catalog.to_jsonb(OLD), 'new', pg_catalog.to_jsonb(NEW)));
    RETURN NULL;
END $$;
CREATE TRIGGER assumption_policy_audited AFTER UPDATE ON support.assumption_policy
    FOR EACH ROW WHEN (OLD IS DISTINCT FROM NEW)
    EXECUTE FUNCTION support.audit_assumption_policy();
CREATE TRIGGER assumption_policy_replacement_audited AFTER INSERT OR DELETE ON support.assumption_policy
    FOR EACH ROW EXECUTE FUNCTION support.audit_assumption_policy();
COMMENT ON FUNCTION support.audit_assumption_policy() IS
    'AFTER INSERT, UPDATE OR DELETE trigger on support.assumption_policy: a change of the assumption limits goes to support.security_audit';

-- Where the desk delivers is a DBA's decision: a manager may rotate an
-- endpoint's URL on the same host (a new Slack webhook token), not send the
-- desk's mail, credentials or client data to a server of their choosing.

CREATE FUNCTION support.guard_endpoint_host() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    caller_is_superuser boolean := (SELECT r.rolsuper FROM pg_catalog.pg_roles r
                                     WHERE r.rolname OPERATOR(pg_catalog.=) support.calling_role());
    moved boolean;
BEGIN
    PERFORM support.require_trigger_table(TG_TABLE_SCHEMA, TG_TABLE_NAME, 'delivery_endpoints', 'guard_endpoint_host');
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
    -- a rotation keeps the endpoint, its destination and its URL's origin
    -- (scheme, host and port): no downgrade to http, no other server
    moved := TG_OP OPERATOR(pg_catalog.=) 'INSERT'
             OR support.url_origin(NEW.url) IS DISTINCT FROM support.url_origin(OLD.url)
             OR NEW.endpoint IS DISTINCT FROM OLD.endpoint
             OR NEW.destination IS DISTINCT FROM OLD.destination
             OR NEW.plain_text_on_loopback IS DISTINCT FROM OLD.plain_text_on_loopback;
    IF moved AND NOT COALESCE(caller_is_superuser, false) THEN
        RAISE EXCEPTION 'only a superuser may set where endpoint "%" delivers (%) and whether it needs TLS',
                        NEW.endpoint, support.url_origin(NEW.url)
              USING ERRCODE = 'insufficient_privilege',
                    HINT = 'A support manager may change the path or token of an endpoint''s URL on the same scheme, host and port; a DBA adds, renames and moves endpoints.';
    END IF;
    INSERT INTO support.security_audit (kind, changed_by, subject_id, details)
    VALUES ('endpoint', support.current_user_id(), NULL,
            jsonb_build_object('endpoint', NEW.endpoint, 'operation', pg_catalog.lower(TG_OP),
                               'host', jsonb_build_array(CASE WHEN TG_OP OPERATOR(pg_catalog.=) 'UPDATE' THEN support.url_host(OLD.url) END,
                                                         support.url_host(NEW.url)),
                               'credentials_changed', TG_OP OPERATOR(pg_catalog.=) 'UPDATE'
                                   AND (OLD.secret IS DISTINCT FROM NEW.secret OR OLD.username IS DISTINCT FROM NEW.username)));
    RETURN NEW;
END $$;
CREATE TRIGGER endpoint_host_guarded BEFORE INSERT OR UPDATE OR DELETE ON support.delivery_endpoints
    FOR EACH ROW EXECUTE FUNCTION support.guard_endpoint_host();
COMMENT ON FUNCTION support.guard_endpoint_host() IS
    'BEFORE INSERT, UPDATE OR DELETE trigger on support.delivery_endpoints: only a superuser adds, removes, renames or moves an endpoint; every change is audited (without secrets)';

-- A superuser can do anything, including turning the trails' guards off;
-- what DDL does to the trails is recorded (a superuser can still drop this
-- event trigger first, or use session_replication_role: the README says so).
CREATE FUNCTION support.record_trail_bypass() RETURNS event_trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    command record;
BEGIN
    FOR command IN
        SELECT c.command_tag, c.object_identity FROM pg_catalog.pg_event_trigger_ddl_commands() c
         WHERE c.classid OPERATOR(pg_catalog.=) 'pg_catalog.pg_class'::regclass
           AND c.objid OPERATOR(pg_catalog.=) ANY (ARRAY['support.assumption_audit'::regclass, 'support.security_audit'::regclass,
                                                         'support.ticket_events'::regclass, 'support.sla_events'::regclass]::oid[])
    LOOP
        INSERT INTO support.security_audit (kind, changed_by, details)
        VALUES ('bypass', support.current_user_id(),
                jsonb_build_object('command', command.command_tag, 'object', command.object_identity,
                                   'statement', pg_catalog.current_query()));
    END LOOP;
END $$;
CREATE EVENT TRIGGER bedrock_support_trail_changes ON ddl_command_end
    WHEN TAG IN ('ALTER TABLE', 'CREATE TRIGGER', 'ALTER TRIGGER', 'CREATE POLICY', 'ALTER POLICY', 'DROP POLICY')
    EXECUTE FUNCTION support.record_trail_bypass();
COMMENT ON FUNCTION support.record_trail_bypass() IS
    'event trigger: DDL on the trails (disabling their triggers or row-level security, say) is recorded in support.security_audit';

REVOKE EXECUTE ON FUNCTION support.audit_staff_rights(), support.audit_account_sensitivity(), support.audit_assumption_policy(),
    support.guard_endpoint_host(), support.record_trail_bypass() FROM PUBLIC;

-- The two-person rule of a sensitive account, kept when a manager changes
-- staff powers: the changes are audited (above), an account made
-- non-sensitive counts as sensitive for 24 hours, and no manager who changed
-- super-user or manager rights, or the account's sensitivity, in those 24
-- hours can approve an assumption.
CREATE FUNCTION support.recent_power_changers(account_id bigint) RETURNS bigint[]
LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp AS $$
    SELECT COALESCE(pg_catalog.array_agg(DISTINCT s.changed_by), '{}')
      FROM support.security_audit s
     WHERE s.changed_by IS NOT NULL
       AND s.occurred_at OPERATOR(pg_catalog.>) (now() OPERATOR(pg_catalog.-) interval '24 hours')
       AND (s.kind OPERATOR(pg_catalog.=) ANY (ARRAY['staff_rights', 'assumption_policy'])
            OR (s.kind OPERATOR(pg_catalog.=) 'account_sensitivity'
                AND s.subject_id OPERATOR(pg_catalog.=) recent_power_changers.account_id))
$$;
REVOKE EXECUTE ON FUNCTION support.recent_power_changers(bigint) FROM PUBLIC;
COMMENT ON FUNCTION support.recent_power_changers(bigint) IS
    'the managers who, in the last 24 hours, changed anyone''s super-user or manager rights, the assumption policy or the account''s sensitivity: none of them may approve an assumption there';

CREATE OR REPLACE FUNCTION support.approve_assumption(account_id bigint, super_user_id bigint, reason text)
RETURNS bigint
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    manager bigint := support.current_user_id();
    approval support.assumption_approvals;
BEGIN
    IF manager IS NULL OR NOT support.current_is_manager() OR support.current_assumed_by() IS NOT NULL THEN
        RAISE EXCEPTION 'only a support manager may approve assuming a sensitive account''s users'
              USING ERRCODE = 'insufficient_privilege',
                    HINT = 'Set support.auth_key to a support manager''s key.';
    END IF;
    IF NOT EXISTS (SELECT 1 FROM support.agents g
                    WHERE g.agent_id OPERATOR(pg_catalog.=) approve_assumption.super_user_id
                      AND g.is_super_user AND g.active) THEN
        RAISE EXCEPTION 'user % is not an active super user', super_user_id
              USING ERRCODE = 'invalid_parameter_value',
                    HINT = 'Approvals are for support.agents with is_super_user.';
    END IF;
    IF super_user_id OPERATOR(pg_catalog.=) manager THEN
        RAISE EXCEPTION 'a support manager cannot approve their own assumption'
              USING ERRCODE = 'insufficient_privilege',
                    HINT = 'Another support manager must approve it.';
    END IF;
    IF manager OPERATOR(pg_catalog.=) ANY (support.recent_power_changers(approve_assumption.account_id)) THEN
        RAISE EXCEPTION 'a support manager who changed super-user or manager rights, the assumption policy or account %''s sensitivity in the last 24 hours cannot approve an assumption', account_id
              USING ERRCODE = 'insufficient_privilege',
                    HINT = 'Another support manager must approve it (support.security_audit shows who changed what).';
    END IF;
    IF reason IS NULL OR btrim(reason) OPERATOR(pg_catalog.=) '' THEN
        RAISE EXCEPTION 'an approval needs a reason'
              USING ERRCODE = 'invalid_parameter_value', HINT = 'Say why the account may be accessed.';
    END IF;
    INSERT INTO support.assumption_approvals AS p (account_id, super_user_id, approved_by, reason, valid_until)
    VALUES (approve_assumption.account_id, approve_assumption.super_user_id, manager, btrim(reason),
            now() + (SELECT l.approval_valid_for FROM support.assumption_policy l))
    RETURNING p.* INTO approval;
    INSERT INTO support.assumption_audit (account_id, action, assumed_by, approval_id, details)
    VALUES (approval.account_id, 'approved', approval.super_user_id, approval.approval_id,
            jsonb_build_object('approved_by', manager, 'reason', approval.reason,
                               'valid_until', approval.valid_until));
    RETURN approval.approval_id;
EXCEPTION WHEN foreign_key_violation THEN
    RAISE EXCEPTION 'account % does not exist', account_id
          USING ERRCODE = 'invalid_parameter_value', HINT = 'Accounts are listed in support.accounts.';
END $$;
CREATE OR REPLACE FUNCTION support.assume_user_role(user_id bigint, justification text)
RETURNS TABLE (auth_key text, assumed_user_id bigint, account_id bigint, account_name text,
               full_name text, email text, role support.account_role, idle_timeout interval,
               expires_at timestamptz)
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    me bigint := support.require_super_user();
    parent support.auth_keys;
    target support.account_users;
    account support.accounts;
    limits support.assumption_policy := (SELECT p FROM support.assumption_policy p);
    approval bigint;
    session record := support.session_token();
    ended support.auth_keys;
    new_key text := support.new_auth_key();
    created support.auth_keys;
BEGIN
    -- the super user's key row serialises its assumptions and its logout
    SELECT * INTO parent FROM support.auth_keys k WHERE k.key_id OPERATOR(pg_catalog.=) support.current_key_id()
       FOR UPDATE;
    IF parent.revoked_at IS NOT NULL THEN
        RAISE EXCEPTION 'support.auth_key was released'
              USING ERRCODE = 'invalid_authorization_specification',
                    HINT = 'The super user logged out meanwhile; log in again.';
    END IF;
    IF user_id IS NULL THEN
        RAISE EXCEPTION 'assuming a user needs the user''s id'
              USING ERRCODE = 'null_value_not_allowed',
                    HINT = 'support.list_accounts_and_users() lists the users that can be assumed.';
    END IF;
    IF EXISTS (SELECT 1 FROM support.agents g WHERE g.agent_id OPERATOR(pg_catalog.=) assume_user_role.user_id) THEN
        RAISE EXCEPTION 'user % is support staff and cannot be assumed', user_id
              USING ERRCODE = 'insufficient_privilege',
                    HINT = 'Only client users (support.account_users) can be assumed; super users never.';
    END IF;
    SELECT * INTO target FROM support.account_users u
     WHERE u.user_id OPERATOR(pg_catalog.=) assume_user_role.user_id AND u.active;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'user % is not an active client user', user_id
              USING ERRCODE = 'no_data_found',
                    HINT = 'support.list_accounts_and_users() lists the users that can be assumed.';
    END IF;
    IF justification IS NULL OR length(btrim(justification)) < limits.justification_min_length THEN
        RAISE EXCEPTION 'assuming a user needs a business justification of at least % characters',
                        limits.justification_min_length
              USING ERRCODE = 'invalid_parameter_value',
                    HINT = 'Say what is being diagnosed, for the audit trail (a ticket number helps).';
    END IF;
    SELECT * INTO account FROM support.accounts a WHERE a.account_id OPERATOR(pg_catalog.=) target.account_id;
    -- an account made non-sensitive in the last 24 hours still needs an
    -- approval, from a manager who changed no staff power meanwhile
    IF account.sensitive OR EXISTS (
           SELECT 1 FROM support.security_audit s
            WHERE s.kind OPERATOR(pg_catalog.=) 'account_sensitivity'
              AND s.subject_id OPERATOR(pg_catalog.=) account.account_id
              AND s.occurred_at OPERATOR(pg_catalog.>) (now() OPERATOR(pg_catalog.-) interval '24 hours')) THEN
        SELECT p.approval_id INTO approval FROM support.assumption_approvals p
         WHERE p.account_id OPERATOR(pg_catalog.=) account.account_id
           AND p.super_user_id OPERATOR(pg_catalog.=) me
           AND p.valid_until OPERATOR(pg_catalog.>) now()
           AND NOT p.approved_by OPERATOR(pg_catalog.=) ANY (support.recent_power_changers(account.account_id))
         ORDER BY p.valid_until DESC LIMIT 1;
        IF approval IS NULL THEN
            RAISE EXCEPTION 'account % is sensitive: assuming its users needs a support manager''s approval',
                            account.account_id
                  USING ERRCODE = 'insufficient_privilege',
                        HINT = 'A support manager records it with support.approve_assumption(account_id, super_user_id, reason).';
        END IF;
    END IF;

    -- one assumed user at a time per key: switching releases the previous one
    FOR ended IN UPDATE support.auth_keys k SET revoked_at = now(), revoke_reason = 'switched'
                  WHERE k.parent_key_id OPERATOR(pg_catalog.=) parent.key_id
                    AND k.assumed_by IS NOT NULL AND k.revoked_at IS NULL
                 RETURNING k.* LOOP
        PERFORM support.audit_release(ended, 'released', 'switched');
    END LOOP;

    INSERT INTO support.auth_keys AS k
           (key_hash, user_id, account_id, expires_at, assumed_by, parent_key_id, justification,
            approval_id, idle_timeout, session_slot, session_nonce)
    VALUES (support.auth_key_hash(new_key), target.user_id, target.account_id, parent.expires_at, me,
            parent.key_id, btrim(justification), approval, limits.idle_timeout, session.slot, session.nonce)
    RETURNING k.* INTO created;
    INSERT INTO support.assumption_audit
           (account_id, action, assumed_by, assumed_user_id, key_id, justification, approval_id, details)
    VALUES (target.account_id, 'assumed', me, target.user_id, created.key_id, created.justification, approval,
            jsonb_build_object('role', target.role, 'idle_timeout', limits.idle_timeout,
                               'expires_at', created.expires_at));
    RETURN QUERY SELECT new_key, target.user_id, target.account_id, account.name, target.full_name,
                        target.email, target.role, limits.idle_timeout, created.expires_at;
END $$;

-- the delivery worker of an upgraded database looks again (it needs 1.7's claim)
SELECT support.wake_worker();

------------------------------------------------------------------------------
-- The workflow as the key's user: every actor argument may be left out
------------------------------------------------------------------------------

-- An application holding a key need not repeat the user the key already
-- names: each workflow function has a form without its actor argument that
-- acts as the key's user (with the actor, it must still be the key's).
CREATE FUNCTION support.key_user_id() RETURNS bigint
LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    user_id bigint := support.current_user_id();
BEGIN
    IF user_id IS NULL THEN
        RAISE EXCEPTION 'support.auth_key is not set'
              USING ERRCODE = 'invalid_authorization_specification',
                    HINT = 'This form acts as the key''s user: set support.auth_key, or name the actor.';
    END IF;
    RETURN user_id;
END $$;
COMMENT ON FUNCTION support.key_user_id() IS 'the key''s user; 28000 without a key (the actor of the workflow''s key-only forms)';

CREATE FUNCTION support.reply_publicly(ticket_id bigint, body text) RETURNS bigint
LANGUAGE sql SET search_path = pg_catalog, pg_temp
RETURN support.reply_publicly(ticket_id, support.key_user_id(), body);
COMMENT ON FUNCTION support.reply_publicly(bigint, text) IS 'a public reply as the key''s agent';

CREATE FUNCTION support.add_internal_note(ticket_id bigint, body text) RETURNS bigint
LANGUAGE sql SET search_path = pg_catalog, pg_temp
RETURN support.add_internal_note(ticket_id, support.key_user_id(), body);
COMMENT ON FUNCTION support.add_internal_note(bigint, text) IS 'an internal note as the key''s agent';

CREATE FUNCTION support.post_client_message(ticket_id bigint, body text) RETURNS bigint
LANGUAGE sql SET search_path = pg_catalog, pg_temp
RETURN support.post_client_message(ticket_id, support.key_user_id(), body);
COMMENT ON FUNCTION support.post_client_message(bigint, text) IS 'a client''s message as the key''s user';

CREATE FUNCTION support.change_status(ticket_id bigint, status support.ticket_status, reason text) RETURNS support.tickets
LANGUAGE sql SET search_path = pg_catalog, pg_temp
RETURN support.change_status(ticket_id, status, support.key_user_id(), reason);
COMMENT ON FUNCTION support.change_status(bigint, support.ticket_status, text) IS 'change_status as the key''s agent';

CREATE FUNCTION support.assign_ticket(ticket_id bigint, assignee_id bigint) RETURNS support.tickets
LANGUAGE sql SET search_path = pg_catalog, pg_temp
RETURN support.assign_ticket(ticket_id, assignee_id, support.key_user_id());
COMMENT ON FUNCTION support.assign_ticket(bigint, bigint) IS 'assign_ticket as the key''s agent';

CREATE FUNCTION support.change_priority(ticket_id bigint, priority support.priority, reason text) RETURNS support.tickets
LANGUAGE sql SET search_path = pg_catalog, pg_temp
RETURN support.change_priority(ticket_id, priority, support.key_user_id(), reason);
COMMENT ON FUNCTION support.change_priority(bigint, support.priority, text) IS 'change_priority as the key''s agent';

CREATE FUNCTION support.resolve_ticket(ticket_id bigint, root_cause text, solution text, verification_steps text DEFAULT NULL, prevention_measures text DEFAULT NULL) RETURNS support.tickets
LANGUAGE sql SET search_path = pg_catalog, pg_temp
RETURN support.resolve_ticket(ticket_id, support.key_user_id(), root_cause, solution, verification_steps, prevention_measures);
COMMENT ON FUNCTION support.resolve_ticket(bigint, text, text, text, text) IS 'resolve_ticket as the key''s agent';

CREATE FUNCTION support.close_ticket(ticket_id bigint) RETURNS support.tickets
LANGUAGE sql SET search_path = pg_catalog, pg_temp
RETURN support.close_ticket(ticket_id, support.key_user_id());
COMMENT ON FUNCTION support.close_ticket(bigint) IS 'close_ticket as the key''s user';

CREATE FUNCTION support.rate_ticket(ticket_id bigint, rating integer, comment text DEFAULT NULL) RETURNS support.tickets
LANGUAGE sql SET search_path = pg_catalog, pg_temp
RETURN support.rate_ticket(ticket_id, support.key_user_id(), rating, comment);
COMMENT ON FUNCTION support.rate_ticket(bigint, integer, text) IS 'rate_ticket as the key''s user';

CREATE FUNCTION support.request_escalation(ticket_id bigint, reason text) RETURNS support.tickets
LANGUAGE sql SET search_path = pg_catalog, pg_temp
RETURN support.request_escalation(ticket_id, support.key_user_id(), reason);
COMMENT ON FUNCTION support.request_escalation(bigint, text) IS 'request_escalation as the key''s user';

CREATE FUNCTION support.record_escalation_call(ticket_id bigint, notes text) RETURNS support.tickets
LANGUAGE sql SET search_path = pg_catalog, pg_temp
RETURN support.record_escalation_call(ticket_id, support.key_user_id(), notes);
COMMENT ON FUNCTION support.record_escalation_call(bigint, text) IS 'record_escalation_call as the key''s agent';

CREATE FUNCTION support.escalate_to_executive(ticket_id bigint, reason text) RETURNS support.tickets
LANGUAGE sql SET search_path = pg_catalog, pg_temp
RETURN support.escalate_to_executive(ticket_id, support.key_user_id(), reason);
COMMENT ON FUNCTION support.escalate_to_executive(bigint, text) IS 'escalate_to_executive as the key''s agent';

CREATE FUNCTION support.escalate(ticket_id bigint, reason text) RETURNS support.tickets
LANGUAGE sql SET search_path = pg_catalog, pg_temp
RETURN support.escalate(ticket_id, support.key_user_id(), reason);
COMMENT ON FUNCTION support.escalate(bigint, text) IS 'escalate as the key''s agent';

CREATE FUNCTION support.send_progress_update(ticket_id bigint, progress text, findings text, next_steps text, expected_resolution text, dependencies text DEFAULT 'none', testing_plan text DEFAULT 'we will confirm the fix with you') RETURNS bigint
LANGUAGE sql SET search_path = pg_catalog, pg_temp
RETURN support.send_progress_update(ticket_id, support.key_user_id(), progress, findings, next_steps, expected_resolution, dependencies, testing_plan);
COMMENT ON FUNCTION support.send_progress_update(bigint, text, text, text, text, text, text) IS 'send_progress_update as the key''s agent';

------------------------------------------------------------------------------
-- Nothing only the extension calls is PUBLIC's
------------------------------------------------------------------------------

-- The workers' and the owner-rights functions' own helpers: nobody else's.
REVOKE EXECUTE ON FUNCTION
    support.message_content(text, text, text, text, jsonb, text, bigint, bigint, text, timestamptz, text),
    support.has_endpoint(text, text), support.next_delivery(), support.action_key(text, timestamptz),
    support.session_alive(integer, bigint), support.calling_role(), support.slack_channel(text),
    support.alert_channel(support.tickets), support.require_super_user()
    FROM PUBLIC;
-- The workflow's own helpers: only its owner-rights functions call them.
-- (set_actor, require_acting_user, calendar_row and key_user_id are API.)
REVOKE EXECUTE ON FUNCTION
    support.add_event(support.tickets, support.event_kind, bigint, support.visibility, text, jsonb),
    support.locked_ticket(bigint), support.require_agent(bigint), support.require_text(text, text),
    support.require_client(bigint, bigint), support.require_not_closed(support.tickets),
    support.require_open(support.tickets), support.client_message(support.tickets, text, jsonb),
    support.actor_kind_of(bigint)
    FROM PUBLIC;

------------------------------------------------------------------------------
-- The rest of the workflow runs as the owner too, so its helpers are nobody's
------------------------------------------------------------------------------

-- Reply, note, client message and progress update start with locked_ticket
-- (row-level security asked as the caller) and name their actor through
-- set_actor (the key's user); opening a ticket checks the key's kind itself.
-- Their helpers (add_event, require_*, locked_ticket, client_message) are
-- then called only by owner-rights functions, and the groups lose them.
ALTER FUNCTION support.reply_publicly(bigint, bigint, text) SECURITY DEFINER;
ALTER FUNCTION support.add_internal_note(bigint, bigint, text) SECURITY DEFINER;
ALTER FUNCTION support.post_client_message(bigint, bigint, text) SECURITY DEFINER;
ALTER FUNCTION support.send_progress_update(bigint, bigint, text, text, text, text, text, text) SECURITY DEFINER;
CREATE OR REPLACE FUNCTION support.open_ticket(
    account_id bigint,
    requester_id bigint,
    subject text,
    description text DEFAULT '',
    channel text DEFAULT 'portal',
    category text DEFAULT 'general_inquiry',
    priority support.priority DEFAULT NULL,
    created_by bigint DEFAULT NULL,
    service_outage boolean DEFAULT false,
    revenue_impact boolean DEFAULT false,
    security_or_data_integrity boolean DEFAULT false,
    campaign_delivery_failure boolean DEFAULT false,
    peak_period boolean DEFAULT false,
    api_failure boolean DEFAULT false,
    workaround_available boolean DEFAULT false,
    multi_client_impact boolean DEFAULT false
) RETURNS support.tickets
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    created support.tickets;
BEGIN
    -- as the owner, no insert policy applies: a super user's own key opens
    -- nothing (its group has no ticket policy); the rest is the rules below,
    -- which are stricter than the policies (one opens only as oneself)
    IF support.current_key_kind() OPERATOR(pg_catalog.=) 'super_user' THEN
        RAISE EXCEPTION 'a super user''s own key does not open tickets'
              USING ERRCODE = 'insufficient_privilege',
                    HINT = 'Open it as the client (an assumed key) or with an agent''s key.';
    END IF;
    -- as the policies would: the calling login must hold the group of its key's kind
    IF support.current_key_kind() IS NOT NULL
       AND NOT pg_catalog.pg_has_role(support.calling_role(), 'support_' OPERATOR(pg_catalog.||) support.current_key_kind(), 'MEMBER') THEN
        RAISE EXCEPTION 'role % cannot act with a % key', support.calling_role(), support.current_key_kind()
              USING ERRCODE = 'insufficient_privilege',
                    HINT = 'A login acts only as the kind of key its group serves (support_client, support_agent, support_manager).';
    END IF;
    PERFORM support.require_client(open_ticket.account_id, open_ticket.requester_id);
    PERFORM support.require_text(open_ticket.subject, 'subject');
    IF created_by IS NOT NULL THEN
        PERFORM support.require_agent(created_by);
    END IF;
    IF NOT EXISTS (SELECT 1 FROM support.channels c
                    WHERE c.channel OPERATOR(pg_catalog.=) open_ticket.channel AND c.active) THEN
        RAISE EXCEPTION 'unknown support channel "%"', channel
              USING ERRCODE = 'invalid_parameter_value',
                    HINT = 'Channels are listed in support.channels.';
    END IF;
    IF NOT EXISTS (SELECT 1 FROM support.categories c
                    WHERE c.category OPERATOR(pg_catalog.=) open_ticket.category AND c.active) THEN
        RAISE EXCEPTION 'unknown ticket category "%"', category
              USING ERRCODE = 'invalid_parameter_value',
                    HINT = 'Categories are listed in support.categories.';
    END IF;

    PERFORM support.set_actor(COALESCE(created_by, requester_id));
    INSERT INTO support.tickets AS t
           (account_id, requester_id, subject, description, channel, category, priority,
            service_outage, revenue_impact, security_or_data_integrity, campaign_delivery_failure,
            peak_period, api_failure, workaround_available, multi_client_impact)
    VALUES (open_ticket.account_id, open_ticket.requester_id, btrim(open_ticket.subject),
            COALESCE(open_ticket.description, ''), open_ticket.channel, open_ticket.category,
            open_ticket.priority,
            open_ticket.service_outage, open_ticket.revenue_impact,
            open_ticket.security_or_data_integrity, open_ticket.campaign_delivery_failure,
            open_ticket.peak_period, open_ticket.api_failure, open_ticket.workaround_available,
            open_ticket.multi_client_impact)
    RETURNING t.* INTO created;
    PERFORM support.set_actor(NULL);
    RETURN created;
END $$;
-- and queueing or alerting by hand is no group's either: an agent writes to
-- the outbox under its policy, the workflow through its functions
REVOKE EXECUTE ON FUNCTION support.queue_message(support.tickets, text, text, text, text, text, jsonb),
    support.alert(support.tickets, text, text, text, text, jsonb)
    FROM support_agent, support_manager;

------------------------------------------------------------------------------
-- Identities are numbers nobody but the owner chooses
------------------------------------------------------------------------------

-- A key names its user by id. A manager who could renumber rows could move
-- a super user's row onto the id of an agent whose key they hold (and park
-- that agent elsewhere), granting super-user rights that no trail records
-- and no approval rule sees. Ids come from their sequences; managers write
-- every other column.
DO $$
DECLARE
    identity record;
    other_columns text;
BEGIN
    FOR identity IN
        SELECT * FROM (VALUES ('agents', ARRAY['agent_id'], ARRAY['agent_id']),
                              ('accounts', ARRAY['account_id'], ARRAY['account_id']),
                              ('account_users', ARRAY['user_id'], ARRAY['user_id', 'account_id'])) AS t (relation, fixed_on_insert, fixed_on_update)
    LOOP
        EXECUTE format('REVOKE INSERT, UPDATE ON support.%I FROM support_manager', identity.relation);
        SELECT string_agg(quote_ident(a.attname), ', ' ORDER BY a.attnum) INTO other_columns
          FROM pg_catalog.pg_attribute a
         WHERE a.attrelid OPERATOR(pg_catalog.=) format('support.%I', identity.relation)::regclass
           AND a.attnum OPERATOR(pg_catalog.>) 0 AND NOT a.attisdropped
           AND NOT a.attname OPERATOR(pg_catalog.=) ANY (identity.fixed_on_insert);
        EXECUTE format('GRANT INSERT (%s) ON support.%I TO support_manager', other_columns, identity.relation);
        SELECT string_agg(quote_ident(a.attname), ', ' ORDER BY a.attnum) INTO other_columns
          FROM pg_catalog.pg_attribute a
         WHERE a.attrelid OPERATOR(pg_catalog.=) format('support.%I', identity.relation)::regclass
           AND a.attnum OPERATOR(pg_catalog.>) 0 AND NOT a.attisdropped
           AND NOT a.attname OPERATOR(pg_catalog.=) ANY (identity.fixed_on_update);
        EXECUTE format('GRANT UPDATE (%s) ON support.%I TO support_manager', other_columns, identity.relation);
    END LOOP;
END $$;
