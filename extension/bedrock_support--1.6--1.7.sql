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
-- brackets can reach the RCPT TO line or a header.
CREATE FUNCTION support.is_email_address(address text) RETURNS boolean
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE SET search_path = pg_catalog, pg_temp
RETURN pg_catalog.length(address) OPERATOR(pg_catalog.<=) 254
   AND address OPERATOR(pg_catalog.~) ('^[A-Za-z0-9!#$%&''*+/=?^_`{|}~-]+(\.[A-Za-z0-9!#$%&''*+/=?^_`{|}~-]+)*'
                                        '@[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?'
                                        '(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+$');
COMMENT ON FUNCTION support.is_email_address(text) IS
    'whether address is an RFC 5321 mailbox (dot-atom local part, domain of labels, at most 254 characters)';

-- one line: a header value or an envelope field never holds a line break
CREATE FUNCTION support.is_one_line(value text) RETURNS boolean
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE SET search_path = pg_catalog, pg_temp
RETURN pg_catalog.strpos(value, pg_catalog.chr(13)) OPERATOR(pg_catalog.=) 0
   AND pg_catalog.strpos(value, pg_catalog.chr(10)) OPERATOR(pg_catalog.=) 0;
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
        SELECT p.polname, p.polrelid::regclass AS relation, r.rolname,
               pg_catalog.pg_get_expr(p.polqual, p.polrelid) AS using_expression,
               pg_catalog.pg_get_expr(p.polwithcheck, p.polrelid) AS check_expression
          FROM pg_catalog.pg_policy p
          JOIN pg_catalog.pg_class c ON c.oid OPERATOR(pg_catalog.=) p.polrelid
          JOIN pg_catalog.pg_roles r ON r.oid OPERATOR(pg_catalog.=) ANY (p.polroles)
         WHERE c.relnamespace OPERATOR(pg_catalog.=) 'support'::regnamespace
    LOOP
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
-- read but not change (a Reporting Manager's) says so.
CREATE OR REPLACE FUNCTION support.locked_ticket(ticket_id bigint) RETURNS support.tickets
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    existing support.tickets;
BEGIN
    IF support.caller_holds_ticket(locked_ticket.ticket_id, true) THEN
        SELECT * INTO existing FROM support.tickets t
         WHERE t.ticket_id OPERATOR(pg_catalog.=) locked_ticket.ticket_id;
        RETURN existing;
    END IF;
    IF support.caller_holds_ticket(locked_ticket.ticket_id, false) THEN
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

-- Losing the role ends the super user's assumptions in the same transaction, audited.
CREATE FUNCTION support.end_assumptions_of_former_super_users() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    ended support.auth_keys;
BEGIN
    IF TG_TABLE_SCHEMA OPERATOR(pg_catalog.<>) 'support' OR TG_TABLE_NAME OPERATOR(pg_catalog.<>) 'agents' THEN
        RAISE EXCEPTION 'support.end_assumptions_of_former_super_users() fires only on support.agents'
              USING ERRCODE = 'trigger_protocol_violated';
    END IF;
    FOR ended IN
        UPDATE support.auth_keys k
           SET revoked_at = now(), revoke_reason = 'the super user is no longer an active super user'
          FROM new_agents n
         WHERE k.assumed_by OPERATOR(pg_catalog.=) n.agent_id AND k.revoked_at IS NULL
           AND NOT (n.active AND n.is_super_user)
        RETURNING k.* LOOP
        PERFORM support.audit_release(ended, 'expired', ended.revoke_reason);
    END LOOP;
    RETURN NULL;
END $$;
REVOKE EXECUTE ON FUNCTION support.end_assumptions_of_former_super_users() FROM PUBLIC;
COMMENT ON FUNCTION support.end_assumptions_of_former_super_users() IS
    'AFTER UPDATE trigger on support.agents: a super user deactivated or stripped of the role loses every assumption at once, audited';
CREATE TRIGGER super_user_rights_changed AFTER UPDATE ON support.agents
    REFERENCING NEW TABLE AS new_agents
    FOR EACH STATEMENT EXECUTE FUNCTION support.end_assumptions_of_former_super_users();

------------------------------------------------------------------------------
-- Secrets: an endpoint's URL is written by managers, read by the delivery worker
------------------------------------------------------------------------------

-- A Slack incoming-webhook URL is itself a credential, and a manager who
-- could read the SMTP URL could read where the credentials go.
REVOKE SELECT (url) ON support.delivery_endpoints FROM support_manager;
