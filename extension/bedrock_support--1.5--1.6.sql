-- bedrock_support 1.5 -> 1.6: who sees what.
--
-- Four group roles (client, agent, support manager, super user) and the
-- login service's role; row-level security policies on every table for
-- every command; identities carried by short-lived keys that a transaction
-- presents in support.auth_key; and the handbook's super-user role
-- assumption, with its controls and an append-only audit trail.
\echo Use "ALTER EXTENSION bedrock_support UPDATE TO '1.6'" to load this file. \quit

------------------------------------------------------------------------------
-- Roles: NOLOGIN groups an application's login role is granted
------------------------------------------------------------------------------

-- Roles belong to the cluster, not the database: a second database with
-- the extension finds them made, and DROP EXTENSION leaves them.
DO $$
DECLARE
    group_role text;
BEGIN
    FOREACH group_role IN ARRAY ARRAY['support_client', 'support_agent', 'support_manager',
                                      'support_super_user', 'support_login'] LOOP
        IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_roles r WHERE r.rolname OPERATOR(pg_catalog.=) group_role) THEN
            BEGIN
                EXECUTE format('CREATE ROLE %I NOLOGIN', group_role);
            EXCEPTION WHEN duplicate_object OR unique_violation THEN
                NULL;           -- another database's CREATE EXTENSION made it meanwhile
            END;
        END IF;
    END LOOP;
END $$;

------------------------------------------------------------------------------
-- Keys and second factors
------------------------------------------------------------------------------

CREATE FUNCTION support.new_auth_key() RETURNS text
    AS 'MODULE_PATHNAME' LANGUAGE C VOLATILE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION support.new_auth_key() IS
    'a new key: "bsk_" and 256 bits from pg_strong_random in hex; only its hash is ever stored';

CREATE FUNCTION support.auth_key_hash(auth_key text) RETURNS bytea
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION support.auth_key_hash(text) IS 'SHA-256 of a key, the form support.auth_keys stores';

CREATE SEQUENCE support.auth_key_id_seq;
CREATE TABLE support.auth_keys (
    key_id            bigint PRIMARY KEY DEFAULT nextval('support.auth_key_id_seq'),
    key_hash          bytea NOT NULL UNIQUE CHECK (length(key_hash) = 32),
    user_id           bigint NOT NULL,
    account_id        bigint,                 -- the client user's account; NULL for staff
    issued_at         timestamptz NOT NULL DEFAULT now(),
    expires_at        timestamptz NOT NULL,
    second_factor_at  timestamptz,            -- issued with a verified TOTP code
    -- an assumed user's key
    assumed_by        bigint,
    parent_key_id     bigint,
    justification     text,
    approval_id       bigint,
    idle_timeout      interval,
    last_used_at      timestamptz NOT NULL DEFAULT now(),
    session_slot      integer,
    session_nonce     bigint,
    revoked_at        timestamptz,
    revoke_reason     text,
    CONSTRAINT assumptions_are_complete CHECK (
        assumed_by IS NULL OR (parent_key_id IS NOT NULL AND idle_timeout IS NOT NULL
                               AND session_slot IS NOT NULL AND session_nonce IS NOT NULL
                               AND account_id IS NOT NULL))
);
ALTER SEQUENCE support.auth_key_id_seq OWNED BY support.auth_keys.key_id;
-- Keys are not dumped: a restored database needs new logins. Their ids
-- are, so the audit trail's key ids stay unique.
SELECT pg_catalog.pg_extension_config_dump('support.auth_key_id_seq', '');
COMMENT ON TABLE support.auth_keys IS
    'issued keys, as SHA-256 hashes: whose, until when, and for an assumed user who assumed it, why, its idle limit and the session it dies with';
CREATE INDEX auth_keys_active_assumptions_idx ON support.auth_keys (parent_key_id)
    WHERE assumed_by IS NOT NULL AND revoked_at IS NULL;
-- the worker's sweep forgets old keys on every pass: by an index, not a scan
CREATE INDEX auth_keys_expires_idx ON support.auth_keys (expires_at);

CREATE FUNCTION support.auth_keys_changed() RETURNS trigger
    AS 'MODULE_PATHNAME' LANGUAGE C;
COMMENT ON FUNCTION support.auth_keys_changed() IS
    'a key released in this transaction stops working in it at once (drops the cached identity)';
CREATE TRIGGER auth_keys_changed AFTER UPDATE OR DELETE ON support.auth_keys
    FOR EACH STATEMENT EXECUTE FUNCTION support.auth_keys_changed();

CREATE TABLE support.staff_totp (
    agent_id          bigint PRIMARY KEY REFERENCES support.agents,
    secret            bytea NOT NULL CHECK (length(secret) >= 10),
    last_step         bigint NOT NULL DEFAULT 0,
    enrolled_at       timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE support.staff_totp IS
    'support staff''s TOTP secrets (RFC 6238) and the last time step used, so a code works once';
SELECT pg_catalog.pg_extension_config_dump('support.staff_totp', '');

CREATE FUNCTION support.totp(secret bytea, at timestamptz DEFAULT now(), digits integer DEFAULT 6,
                             algorithm text DEFAULT 'sha1', step_seconds integer DEFAULT 30)
    RETURNS text AS 'MODULE_PATHNAME' LANGUAGE C STABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION support.totp(bytea, timestamptz, integer, text, integer) IS
    'the RFC 6238 code an authenticator shows for secret at a time (sha1, sha256 or sha512; 6 to 9 digits)';

CREATE FUNCTION support.verify_totp(secret bytea, code text) RETURNS boolean
    AS 'MODULE_PATHNAME' LANGUAGE C VOLATILE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION support.verify_totp(bytea, text) IS
    'whether code (6 or 8 digits, SHA-1, 30 s steps) is secret''s code now, one step either side allowed for clock drift';

CREATE FUNCTION support.totp_matching_step(secret bytea, code text, at timestamptz) RETURNS bigint
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION support.totp_matching_step(bytea, text, timestamptz) IS
    'the 30-second step whose code is code, near at (NULL: none); lets the issuer refuse a code used before';

------------------------------------------------------------------------------
-- The current identity: one cached lookup per transaction (src/auth.c)
------------------------------------------------------------------------------

CREATE FUNCTION support.current_user_id() RETURNS bigint
    AS 'MODULE_PATHNAME' LANGUAGE C STABLE PARALLEL SAFE;
COMMENT ON FUNCTION support.current_user_id() IS
    'the user whose key is in support.auth_key (NULL: no key; an error for a forged, expired or released key)';
CREATE FUNCTION support.current_account_id() RETURNS bigint
    AS 'MODULE_PATHNAME' LANGUAGE C STABLE PARALLEL SAFE;
COMMENT ON FUNCTION support.current_account_id() IS 'the account of the key''s client user (NULL for staff or no key)';
CREATE FUNCTION support.current_user_role() RETURNS text
    AS 'MODULE_PATHNAME' LANGUAGE C STABLE PARALLEL SAFE;
COMMENT ON FUNCTION support.current_user_role() IS
    'admin, campaign_manager or reporting_manager for a client user; agent, support_manager or super_user for staff';
CREATE FUNCTION support.current_agent_tier() RETURNS smallint
    AS 'MODULE_PATHNAME' LANGUAGE C STABLE PARALLEL SAFE;
COMMENT ON FUNCTION support.current_agent_tier() IS 'the tier of the key''s support agent (NULL for clients)';
CREATE FUNCTION support.current_is_manager() RETURNS boolean
    AS 'MODULE_PATHNAME' LANGUAGE C STABLE PARALLEL SAFE;
COMMENT ON FUNCTION support.current_is_manager() IS 'whether the key is a support manager''s';
CREATE FUNCTION support.current_is_super_user() RETURNS boolean
    AS 'MODULE_PATHNAME' LANGUAGE C STABLE PARALLEL SAFE;
COMMENT ON FUNCTION support.current_is_super_user() IS 'whether the key is a super user''s own (not an assumed user''s)';
CREATE FUNCTION support.current_has_second_factor() RETURNS boolean
    AS 'MODULE_PATHNAME' LANGUAGE C STABLE PARALLEL SAFE;
COMMENT ON FUNCTION support.current_has_second_factor() IS 'whether the key was issued with a verified TOTP code';
CREATE FUNCTION support.current_assumed_by() RETURNS bigint
    AS 'MODULE_PATHNAME' LANGUAGE C STABLE PARALLEL SAFE;
COMMENT ON FUNCTION support.current_assumed_by() IS 'the super user who assumed the key''s user (NULL: not an assumption)';
CREATE FUNCTION support.current_key_id() RETURNS bigint
    AS 'MODULE_PATHNAME' LANGUAGE C STABLE PARALLEL SAFE;
COMMENT ON FUNCTION support.current_key_id() IS 'the id of the key in support.auth_key';

CREATE FUNCTION support.auth_key_lookups() RETURNS bigint
    AS 'MODULE_PATHNAME' LANGUAGE C VOLATILE PARALLEL SAFE;
COMMENT ON FUNCTION support.auth_key_lookups() IS
    'how many times this backend has looked a key up: once per transaction and key, however many rows the policies check';

-- The actor of history is the key's user; support.actor_id only where no
-- key is set (the worker, a DBA's script).
CREATE OR REPLACE FUNCTION support.current_actor_id() RETURNS bigint
    AS 'MODULE_PATHNAME', 'acting_user_id' LANGUAGE C STABLE PARALLEL SAFE;
COMMENT ON FUNCTION support.current_actor_id() IS
    'the acting user: the key''s user, else the support.actor_id setting, else NULL';

CREATE FUNCTION support.session_token(OUT slot integer, OUT nonce bigint) RETURNS record
    AS 'MODULE_PATHNAME' LANGUAGE C VOLATILE;
COMMENT ON FUNCTION support.session_token() IS 'this backend''s slot and random nonce, which die with it';
CREATE FUNCTION support.session_alive(slot integer, nonce bigint) RETURNS boolean
    AS 'MODULE_PATHNAME' LANGUAGE C VOLATILE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION support.session_alive(integer, bigint) IS 'whether the backend that had this slot and nonce still runs';

-- No caller may pass an actor other than its key's user. Without a key,
-- only a session that bypasses row-level security anyway (a superuser, a
-- DBA's script, the worker) may name one.
CREATE FUNCTION support.require_acting_user(user_id bigint) RETURNS void
LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    key_user bigint := support.current_user_id();
BEGIN
    IF key_user IS NULL THEN
        IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_roles r
                        WHERE r.rolname OPERATOR(pg_catalog.=) session_user
                          AND (r.rolsuper OR r.rolbypassrls)) THEN
            RAISE EXCEPTION 'support.auth_key is not set'
                  USING ERRCODE = 'invalid_authorization_specification',
                        HINT = 'Set it in each transaction to a key from support.issue_key().';
        END IF;
    ELSIF key_user OPERATOR(pg_catalog.<>) user_id THEN
        RAISE EXCEPTION 'the key in support.auth_key belongs to user %, who cannot act as user %', key_user, user_id
              USING ERRCODE = 'insufficient_privilege',
                    HINT = 'Each user acts only as themselves: pass the key''s own user id.';
    END IF;
END $$;
COMMENT ON FUNCTION support.require_acting_user(bigint) IS
    'refuses a workflow call whose acting user is not the key''s user (or, with no key, from a session subject to row-level security)';

CREATE OR REPLACE FUNCTION support.set_actor(actor_id bigint, reason text DEFAULT NULL) RETURNS void
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    IF actor_id IS NOT NULL THEN
        PERFORM support.require_acting_user(actor_id);
    END IF;
    PERFORM set_config('support.actor_id', COALESCE(actor_id, 0)::text, true),
            set_config('support.change_reason', COALESCE(reason, ''), true);
END $$;
COMMENT ON FUNCTION support.set_actor(bigint, text) IS
    'sets the acting user and change reason for the rest of the transaction, once the acting user is shown to be the key''s';

-- A client's Reporting Manager reads; the workflow's client writes refuse it.
CREATE OR REPLACE FUNCTION support.require_client(account_id bigint, user_id bigint)
RETURNS support.account_users
LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    client_user support.account_users;
BEGIN
    SELECT * INTO client_user FROM support.account_users u
     WHERE u.account_id OPERATOR(pg_catalog.=) require_client.account_id
       AND u.user_id OPERATOR(pg_catalog.=) require_client.user_id;
    IF NOT FOUND OR NOT client_user.active THEN
        RAISE EXCEPTION 'user % is not an active user of account %', user_id, account_id
              USING ERRCODE = 'insufficient_privilege',
                    HINT = 'Clients act only on their own account''s tickets.';
    END IF;
    IF support.current_user_id() OPERATOR(pg_catalog.=) user_id
       AND client_user.role OPERATOR(pg_catalog.=) 'reporting_manager' THEN
        RAISE EXCEPTION 'a Reporting Manager has read-only access to tickets'
              USING ERRCODE = 'insufficient_privilege',
                    HINT = 'An Admin or Campaign Manager of the account can do this.';
    END IF;
    RETURN client_user;
END $$;

-- Functions running as the owner must not tell a caller that a ticket of
-- another account exists: to a client it does not. A ticket the caller may
-- read but not change (a Reporting Manager's) says so.
CREATE OR REPLACE FUNCTION support.locked_ticket(ticket_id bigint) RETURNS support.tickets
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    existing support.tickets;
    key_account bigint := support.current_account_id();
BEGIN
    SELECT * INTO existing FROM support.tickets t
     WHERE t.ticket_id OPERATOR(pg_catalog.=) locked_ticket.ticket_id
       AND (key_account IS NULL OR t.account_id OPERATOR(pg_catalog.=) key_account)
       FOR UPDATE;
    IF NOT FOUND THEN
        IF EXISTS (SELECT 1 FROM support.tickets t
                    WHERE t.ticket_id OPERATOR(pg_catalog.=) locked_ticket.ticket_id
                      AND (key_account IS NULL OR t.account_id OPERATOR(pg_catalog.=) key_account)) THEN
            RAISE EXCEPTION 'ticket % is read-only for user %', ticket_id, support.current_user_id()
                  USING ERRCODE = 'insufficient_privilege',
                        HINT = 'A Reporting Manager reads tickets; an Admin or Campaign Manager changes them.';
        END IF;
        RAISE EXCEPTION 'ticket % does not exist', ticket_id
              USING ERRCODE = 'no_data_found', HINT = 'Ticket numbers are shown as #N in every message.';
    END IF;
    RETURN existing;
END $$;

-- Whether an actor is staff is not the caller's to read (clients cannot
-- see support.agents), but the answer is needed to write its history.
ALTER FUNCTION support.actor_kind_of(bigint) SECURITY DEFINER;

-- An agent escalating by hand moves the ticket out of their own tier, and so
-- out of what row-level security lets them update; the move runs as the
-- owner once the agent is shown to hold the ticket.
CREATE FUNCTION support.escalate(ticket_id bigint, agent_id bigint, reason text) RETURNS support.tickets
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
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
COMMENT ON FUNCTION support.escalate(bigint, bigint, text) IS
    'an agent escalates a ticket of their tier (or assigned to them) one tier up, as the worker does at the mark: new owner, notices, alert; from tier 3, to the executives';

------------------------------------------------------------------------------
-- Role assumption: policy, approvals, audit
------------------------------------------------------------------------------

CREATE TABLE support.assumption_policy (
    singleton              boolean PRIMARY KEY DEFAULT true CHECK (singleton),
    idle_timeout           interval NOT NULL DEFAULT '2 hours' CHECK (idle_timeout > interval '0'),
    justification_min_length integer NOT NULL DEFAULT 10 CHECK (justification_min_length >= 1),
    approval_valid_for     interval NOT NULL DEFAULT '8 hours' CHECK (approval_valid_for > interval '0'),
    max_key_lifetime       interval NOT NULL DEFAULT '24 hours' CHECK (max_key_lifetime > interval '0')
);
COMMENT ON TABLE support.assumption_policy IS
    'the handbook''s limits on keys and role assumption: idle timeout (2 hours), justification length, how long a manager''s approval lasts, longest key';
INSERT INTO support.assumption_policy DEFAULT VALUES;
CREATE TRIGGER restore_config_row BEFORE INSERT ON support.assumption_policy
    FOR EACH ROW EXECUTE FUNCTION support.restore_config_row('singleton');
SELECT pg_catalog.pg_extension_config_dump('support.assumption_policy', '');

CREATE SEQUENCE support.approval_id_seq;
CREATE TABLE support.assumption_approvals (
    account_id        bigint NOT NULL REFERENCES support.accounts,
    approval_id       bigint NOT NULL DEFAULT nextval('support.approval_id_seq'),
    super_user_id     bigint NOT NULL REFERENCES support.agents,
    approved_by       bigint NOT NULL REFERENCES support.agents,
    reason            text NOT NULL CHECK (btrim(reason) <> ''),
    approved_at       timestamptz NOT NULL DEFAULT now(),
    valid_until       timestamptz NOT NULL,
    PRIMARY KEY (account_id, approval_id),
    CONSTRAINT approver_is_not_the_super_user CHECK (approved_by <> super_user_id)
);
ALTER SEQUENCE support.approval_id_seq OWNED BY support.assumption_approvals.approval_id;
COMMENT ON TABLE support.assumption_approvals IS
    'a support manager''s recorded approval for one super user to assume users of one sensitive account, until a time';
SELECT pg_catalog.pg_extension_config_dump('support.assumption_approvals', '');
SELECT pg_catalog.pg_extension_config_dump('support.approval_id_seq', '');

CREATE SEQUENCE support.audit_id_seq;
CREATE TABLE support.assumption_audit (
    account_id        bigint NOT NULL,
    audit_id          bigint NOT NULL DEFAULT nextval('support.audit_id_seq'),
    occurred_at       timestamptz NOT NULL DEFAULT clock_timestamp(),
    action            text NOT NULL CHECK (action IN ('approved', 'assumed', 'released', 'expired', 'write')),
    assumed_by        bigint NOT NULL,        -- the real actor: the super user
    assumed_user_id   bigint,                 -- the user acted as
    key_id            bigint,
    justification     text,
    approval_id       bigint,
    details           jsonb NOT NULL DEFAULT '{}',
    PRIMARY KEY (account_id, audit_id)
);
ALTER SEQUENCE support.audit_id_seq OWNED BY support.assumption_audit.audit_id;
COMMENT ON TABLE support.assumption_audit IS
    'append-only trail of role assumption: approvals, assumptions, releases, expiries and every row written while assuming, with the real actor';
CREATE INDEX assumption_audit_actor_idx ON support.assumption_audit (assumed_by, occurred_at);
CREATE TRIGGER assumption_audit_append_only BEFORE UPDATE OR DELETE ON support.assumption_audit
    FOR EACH ROW EXECUTE FUNCTION support.refuse_history_change_trigger();
CREATE TRIGGER assumption_audit_no_truncate BEFORE TRUNCATE ON support.assumption_audit
    FOR EACH STATEMENT EXECUTE FUNCTION support.refuse_history_change_trigger();
SELECT pg_catalog.pg_extension_config_dump('support.assumption_audit', '');
SELECT pg_catalog.pg_extension_config_dump('support.audit_id_seq', '');

-- Every history row records who assumed its actor, from the key (stamp trigger).
ALTER TABLE support.ticket_events ADD COLUMN assumed_by bigint;
COMMENT ON COLUMN support.ticket_events.assumed_by IS
    'the super user who had assumed the acting user when this was written (NULL: nobody), set from the key';

------------------------------------------------------------------------------
-- Keys: the login service issues them, their holder revokes them
------------------------------------------------------------------------------

CREATE FUNCTION support.issue_key(user_id bigint, valid_for interval DEFAULT '8 hours',
                                  totp_code text DEFAULT NULL) RETURNS text
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    client support.account_users;
    agent support.agents;
    enrolled support.staff_totp;
    step bigint;
    limits support.assumption_policy := (SELECT p FROM support.assumption_policy p);
    new_key text := support.new_auth_key();
BEGIN
    IF valid_for IS NULL OR valid_for <= interval '0' OR valid_for > limits.max_key_lifetime THEN
        RAISE EXCEPTION 'a key is valid for more than 0 and at most %, not %', limits.max_key_lifetime, valid_for
              USING ERRCODE = 'invalid_parameter_value',
                    HINT = 'support.assumption_policy.max_key_lifetime sets the limit.';
    END IF;
    SELECT * INTO agent FROM support.agents g WHERE g.agent_id OPERATOR(pg_catalog.=) issue_key.user_id;
    IF NOT FOUND THEN
        SELECT * INTO client FROM support.account_users u WHERE u.user_id OPERATOR(pg_catalog.=) issue_key.user_id;
    END IF;
    IF NOT COALESCE(agent.active, client.active, false) THEN
        RAISE EXCEPTION 'user % is not an active user', user_id
              USING ERRCODE = 'invalid_authorization_specification',
                    HINT = 'Keys are issued to active account users (support.account_users) and staff (support.agents).';
    END IF;
    IF totp_code IS NOT NULL THEN
        SELECT * INTO enrolled FROM support.staff_totp t
         WHERE t.agent_id OPERATOR(pg_catalog.=) issue_key.user_id FOR UPDATE;
        IF NOT FOUND THEN
            RAISE EXCEPTION 'user % has no second factor enrolled', user_id
                  USING ERRCODE = 'invalid_authorization_specification',
                        HINT = 'Enrol staff with support.enroll_totp(agent_id).';
        END IF;
        step := support.totp_matching_step(enrolled.secret, totp_code, now());
        IF step IS NULL OR step OPERATOR(pg_catalog.<=) enrolled.last_step THEN
            RAISE EXCEPTION 'the one-time code is not valid'
                  USING ERRCODE = 'invalid_password',
                        HINT = 'Use the current code from the authenticator; each code works once.';
        END IF;
        UPDATE support.staff_totp t SET last_step = step WHERE t.agent_id OPERATOR(pg_catalog.=) issue_key.user_id;
    END IF;
    INSERT INTO support.auth_keys (key_hash, user_id, account_id, expires_at, second_factor_at)
    VALUES (support.auth_key_hash(new_key), issue_key.user_id, client.account_id, now() + valid_for,
            CASE WHEN totp_code IS NOT NULL THEN now() END);
    RETURN new_key;
END $$;
COMMENT ON FUNCTION support.issue_key(bigint, interval, text) IS
    'the login service''s call: a new key for an active user, valid for valid_for; staff may prove a second factor with totp_code. Shown once, stored as a hash';

CREATE FUNCTION support.enroll_totp(agent_id bigint) RETURNS bytea
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    secret bytea := decode(substr(support.new_auth_key(), 5, 40), 'hex');   -- 160 random bits
BEGIN
    IF NOT EXISTS (SELECT 1 FROM support.agents g
                    WHERE g.agent_id OPERATOR(pg_catalog.=) enroll_totp.agent_id AND g.active) THEN
        RAISE EXCEPTION 'user % is not an active member of support staff', agent_id
              USING ERRCODE = 'invalid_parameter_value',
                    HINT = 'Second factors are enrolled for support.agents.';
    END IF;
    INSERT INTO support.staff_totp AS t (agent_id, secret) VALUES (enroll_totp.agent_id, secret)
    ON CONFLICT ON CONSTRAINT staff_totp_pkey
    DO UPDATE SET secret = EXCLUDED.secret, last_step = 0, enrolled_at = now();
    RETURN secret;
END $$;
COMMENT ON FUNCTION support.enroll_totp(bigint) IS
    'the login service''s call: a new 160-bit TOTP secret for a member of staff, returned once (for the authenticator''s QR code)';

CREATE FUNCTION support.audit_release(ended support.auth_keys, action text, reason text) RETURNS void
LANGUAGE sql VOLATILE SET search_path = pg_catalog, pg_temp AS $$
    INSERT INTO support.assumption_audit
           (account_id, action, assumed_by, assumed_user_id, key_id, justification, approval_id, details)
    VALUES (ended.account_id, action, ended.assumed_by, ended.user_id, ended.key_id, ended.justification,
            ended.approval_id, jsonb_build_object('reason', reason, 'assumed_at', ended.issued_at));
$$;
COMMENT ON FUNCTION support.audit_release(support.auth_keys, text, text) IS
    'writes the audit row of an assumption that ended (released or expired) and why';

CREATE FUNCTION support.revoke_key(auth_key text) RETURNS void
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    revoked support.auth_keys;
    ended support.auth_keys;
BEGIN
    UPDATE support.auth_keys k SET revoked_at = now(), revoke_reason = 'logout'
     WHERE k.key_hash OPERATOR(pg_catalog.=) support.auth_key_hash(auth_key) AND k.revoked_at IS NULL
    RETURNING k.* INTO revoked;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'support.auth_key is not a valid key'
              USING ERRCODE = 'invalid_authorization_specification',
                    HINT = 'It was never issued, or was already revoked.';
    END IF;
    IF revoked.assumed_by IS NOT NULL THEN
        PERFORM support.audit_release(revoked, 'released', 'logout');
    END IF;
    -- logging out ends the assumptions made with the key
    FOR ended IN UPDATE support.auth_keys k SET revoked_at = now(), revoke_reason = 'logout'
                  WHERE k.parent_key_id OPERATOR(pg_catalog.=) revoked.key_id AND k.revoked_at IS NULL
                 RETURNING k.* LOOP
        PERFORM support.audit_release(ended, 'released', 'logout');
    END LOOP;
END $$;
COMMENT ON FUNCTION support.revoke_key(text) IS
    'logout: the key stops working, and so do the users assumed with it (audited as released)';

------------------------------------------------------------------------------
-- The handbook's assumption flow
------------------------------------------------------------------------------

-- Only a super user's own key, issued with a verified second factor.
CREATE FUNCTION support.require_super_user() RETURNS bigint
LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    IF support.current_user_id() IS NULL THEN
        RAISE EXCEPTION 'support.auth_key is not set'
              USING ERRCODE = 'invalid_authorization_specification',
                    HINT = 'Set it to the super user''s own key from support.issue_key().';
    END IF;
    IF support.current_assumed_by() IS NOT NULL THEN
        RAISE EXCEPTION 'an assumed user''s key cannot assume or list users'
              USING ERRCODE = 'insufficient_privilege',
                    HINT = 'Set support.auth_key back to the super user''s own key first.';
    END IF;
    IF NOT support.current_is_super_user() THEN
        RAISE EXCEPTION 'only super users may assume a user''s role'
              USING ERRCODE = 'insufficient_privilege',
                    HINT = 'Super users are support.agents with is_super_user.';
    END IF;
    IF NOT support.current_has_second_factor() THEN
        RAISE EXCEPTION 'the super user''s key was issued without a verified second factor'
              USING ERRCODE = 'invalid_authorization_specification',
                    HINT = 'Log in again with the authenticator''s code: support.issue_key(user_id, valid_for, totp_code).';
    END IF;
    RETURN support.current_user_id();
END $$;
COMMENT ON FUNCTION support.require_super_user() IS
    'the calling super user''s id, or an error unless the key is a super user''s own with a verified second factor';

CREATE FUNCTION support.list_accounts_and_users()
RETURNS TABLE (account_id bigint, account_name text, sensitive boolean, approved_until timestamptz,
               user_id bigint, email text, full_name text, role support.account_role)
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    me bigint := support.require_super_user();
BEGIN
    RETURN QUERY
    SELECT a.account_id, a.name, a.sensitive,
           (SELECT max(p.valid_until) FROM support.assumption_approvals p
             WHERE p.account_id OPERATOR(pg_catalog.=) a.account_id
               AND p.super_user_id OPERATOR(pg_catalog.=) me
               AND p.valid_until OPERATOR(pg_catalog.>) now()),
           u.user_id, u.email, u.full_name, u.role
      FROM support.accounts a
      JOIN support.account_users u ON u.account_id OPERATOR(pg_catalog.=) a.account_id
     WHERE u.active
     ORDER BY a.name, a.account_id, u.role, u.full_name;
END $$;
COMMENT ON FUNCTION support.list_accounts_and_users() IS
    'step 1 of the handbook''s assumption: the accounts and their active users a super user may assume, with sensitive accounts'' approval';

CREATE FUNCTION support.approve_assumption(account_id bigint, super_user_id bigint, reason text)
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
COMMENT ON FUNCTION support.approve_assumption(bigint, bigint, text) IS
    'a support manager''s recorded approval for a super user to assume users of a sensitive account (valid for assumption_policy.approval_valid_for)';

CREATE FUNCTION support.assume_user_role(user_id bigint, justification text)
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
    IF account.sensitive THEN
        SELECT p.approval_id INTO approval FROM support.assumption_approvals p
         WHERE p.account_id OPERATOR(pg_catalog.=) account.account_id
           AND p.super_user_id OPERATOR(pg_catalog.=) me
           AND p.valid_until OPERATOR(pg_catalog.>) now()
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
COMMENT ON FUNCTION support.assume_user_role(bigint, text) IS
    'the handbook''s AssumeUserRole: a temporary key for one client user, audited; ends after the idle timeout, with the super user''s key, or with this session';

CREATE FUNCTION support.release_user_role()
RETURNS TABLE (assumed_user_id bigint, account_id bigint, released_at timestamptz)
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    current_key bigint := support.current_key_id();
    ended support.auth_keys;
BEGIN
    IF current_key IS NULL THEN
        RAISE EXCEPTION 'support.auth_key is not set'
              USING ERRCODE = 'invalid_authorization_specification',
                    HINT = 'Set it to the assumed user''s key or the super user''s own.';
    END IF;
    IF support.current_assumed_by() IS NULL AND NOT support.current_is_super_user() THEN
        RAISE EXCEPTION 'only super users assume and release users'
              USING ERRCODE = 'insufficient_privilege', HINT = 'There is nothing to release.';
    END IF;
    FOR ended IN UPDATE support.auth_keys k SET revoked_at = now(), revoke_reason = 'released'
                  WHERE k.assumed_by IS NOT NULL AND k.revoked_at IS NULL
                    AND (k.key_id OPERATOR(pg_catalog.=) current_key
                         OR k.parent_key_id OPERATOR(pg_catalog.=) current_key)
                 RETURNING k.* LOOP
        PERFORM support.audit_release(ended, 'released', 'released');
        assumed_user_id := ended.user_id;
        account_id := ended.account_id;
        released_at := ended.revoked_at;
        RETURN NEXT;
    END LOOP;
    IF assumed_user_id IS NULL THEN
        RAISE EXCEPTION 'no assumed user to release'
              USING ERRCODE = 'no_data_found', HINT = 'The assumption was already released or has expired.';
    END IF;
END $$;
COMMENT ON FUNCTION support.release_user_role() IS
    'the handbook''s ReleaseUserRole: ends the assumption (called with the assumed key or the super user''s own), audited';

CREATE FUNCTION support.expire_assumptions() RETURNS integer
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    ended support.auth_keys;
    count integer := 0;
BEGIN
    FOR ended IN
        UPDATE support.auth_keys k
           SET revoked_at = now(),
               revoke_reason = CASE
                   WHEN NOT support.session_alive(k.session_slot, k.session_nonce) THEN 'session ended'
                   WHEN k.last_used_at + k.idle_timeout <= now() THEN 'idle'
                   ELSE 'key expired' END
         WHERE k.assumed_by IS NOT NULL AND k.revoked_at IS NULL
           AND (k.expires_at <= now() OR k.last_used_at + k.idle_timeout <= now()
                OR NOT support.session_alive(k.session_slot, k.session_nonce))
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
    'the worker''s sweep: audits assumptions that went idle, outlived their session or their super user''s key, and forgets keys a week past their end';

CREATE FUNCTION support.active_assumptions()
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
     WHERE k.assumed_by IS NOT NULL AND k.revoked_at IS NULL AND k.expires_at OPERATOR(pg_catalog.>) now()
       AND k.last_used_at + k.idle_timeout OPERATOR(pg_catalog.>) now()
       AND support.session_alive(k.session_slot, k.session_nonce)
     ORDER BY k.issued_at;
END $$;
COMMENT ON FUNCTION support.active_assumptions() IS
    'for support managers: who is assuming whom right now, why, and until when (no key material)';

-- Every row written while assuming is audited with the real actor.
CREATE FUNCTION support.audit_assumed_write() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    written record := CASE WHEN TG_OP OPERATOR(pg_catalog.=) 'DELETE' THEN OLD ELSE NEW END;
    row_key jsonb := jsonb_strip_nulls(jsonb_build_object(
        'account_id', to_jsonb(written) -> 'account_id', 'ticket_id', to_jsonb(written) -> 'ticket_id',
        'event_id', to_jsonb(written) -> 'event_id', 'user_id', to_jsonb(written) -> 'user_id',
        'agent_id', to_jsonb(written) -> 'agent_id', 'message_id', to_jsonb(written) -> 'message_id',
        'sla_event_id', to_jsonb(written) -> 'sla_event_id'));
BEGIN
    INSERT INTO support.assumption_audit (account_id, action, assumed_by, assumed_user_id, key_id, details)
    VALUES (support.current_account_id(), 'write', support.current_assumed_by(), support.current_user_id(),
            support.current_key_id(),
            jsonb_build_object('table', TG_TABLE_NAME, 'operation', lower(TG_OP), 'row', row_key));
    RETURN NULL;
END $$;
COMMENT ON FUNCTION support.audit_assumed_write() IS
    'AFTER row trigger, only while assuming: one audit row per row written, with the super user and the assumed user';
-- on what a client writes, and what the triggers write on the assumed user's behalf
DO $$
DECLARE
    written_table text;
BEGIN
    FOREACH written_table IN ARRAY ARRAY['tickets', 'ticket_events', 'account_users', 'sla_events',
                                         'outbound_messages', 'agents'] LOOP
        EXECUTE format('CREATE TRIGGER audit_assumed_write AFTER INSERT OR UPDATE OR DELETE ON support.%I'
                       ' FOR EACH ROW WHEN (support.current_assumed_by() IS NOT NULL)'
                       ' EXECUTE FUNCTION support.audit_assumed_write()', written_table);
    END LOOP;
END $$;

------------------------------------------------------------------------------
-- History and outbox writes run as the owner, whoever's change caused them
------------------------------------------------------------------------------

-- A client's insert writes created events, SLA events, an acknowledgment
-- and agents' loads; none of which the client may write itself.
ALTER FUNCTION support.ticket_triaged_trigger() SECURITY DEFINER SET search_path = pg_catalog, pg_temp;
ALTER FUNCTION support.ticket_event_effects_trigger() SECURITY DEFINER SET search_path = pg_catalog, pg_temp;
ALTER FUNCTION support.queue_webhooks() SECURITY DEFINER SET search_path = pg_catalog, pg_temp;
ALTER FUNCTION support.outbox_changed() SECURITY DEFINER SET search_path = pg_catalog, pg_temp;
ALTER FUNCTION support.log_ticket_changes() SECURITY DEFINER;
ALTER FUNCTION support.log_sla_activation() SECURITY DEFINER;
ALTER FUNCTION support.log_sla_changes() SECURITY DEFINER;
ALTER FUNCTION support.track_agent_load() SECURITY DEFINER;
-- the client's own workflow calls that also alert the team
ALTER FUNCTION support.rate_ticket(bigint, bigint, integer, text) SECURITY DEFINER;
ALTER FUNCTION support.request_escalation(bigint, bigint, text) SECURITY DEFINER;

------------------------------------------------------------------------------
-- Privileges: what each group may do at all; the policies below say to which rows
------------------------------------------------------------------------------

GRANT USAGE ON SCHEMA support TO support_client, support_agent, support_manager, support_super_user, support_login;

-- published configuration
GRANT SELECT ON support.tiers, support.sla_policies, support.categories, support.channels, support.calendar
    TO support_client, support_agent;
-- internal configuration
GRANT SELECT ON support.internal_channels, support.templates, support.troubleshooting_steps,
                support.triage_rules, support.slack_routes
    TO support_agent;
GRANT SELECT, INSERT, UPDATE, DELETE ON
      support.tiers, support.sla_policies, support.categories, support.channels, support.calendar,
      support.internal_channels, support.templates, support.troubleshooting_steps, support.triage_rules,
      support.slack_routes, support.accounts, support.account_users, support.agents,
      support.outbound_messages, support.assumption_policy
    TO support_manager;
-- endpoints: managers configure them but never read a secret back
GRANT SELECT (endpoint, destination, url, sender, event_kinds, active), INSERT, UPDATE, DELETE
    ON support.delivery_endpoints TO support_manager;

GRANT SELECT ON support.accounts, support.account_users, support.tickets, support.ticket_events,
                support.sla_events
    TO support_client, support_agent;
GRANT SELECT ON support.agents TO support_agent;
-- an account's Admin administers its users (never their ids)
GRANT INSERT (account_id, email, full_name, role, active), UPDATE (email, full_name, role, active), DELETE
    ON support.account_users TO support_client;
GRANT INSERT (account_id, requester_id, subject, description, channel, category, priority,
              service_outage, revenue_impact, security_or_data_integrity, campaign_delivery_failure,
              peak_period, api_failure, workaround_available, multi_client_impact),
      UPDATE (subject, description, status)
    ON support.tickets TO support_client;
GRANT INSERT (account_id, ticket_id, kind, actor_id, actor_kind, visibility, body, details)
    ON support.ticket_events TO support_client, support_agent;
GRANT INSERT, UPDATE ON support.tickets TO support_agent, support_manager;
GRANT SELECT ON support.tickets, support.ticket_events, support.sla_events,
                support.assumption_approvals, support.assumption_audit
    TO support_manager;
GRANT INSERT (account_id, ticket_id, kind, actor_id, actor_kind, visibility, body, details, action_key)
    ON support.ticket_events TO support_manager;
GRANT INSERT (account_id, ticket_id, destination, target, template, subject, body, payload, idempotency_key)
    ON support.outbound_messages TO support_agent;

GRANT USAGE ON support.ticket_id_seq, support.event_id_seq, support.user_id_seq
    TO support_client, support_agent, support_manager;
GRANT USAGE ON ALL SEQUENCES IN SCHEMA support TO support_manager;
GRANT USAGE ON support.message_id_seq TO support_agent;

-- reports (security_invoker views: each sees its own rows through them)
GRANT SELECT ON support.open_tickets_by_priority, support.response_kpis, support.daily_summary,
                support.sla_status
    TO support_client, support_agent, support_manager;
GRANT SELECT ON support.agent_workload, support.ticket_queue TO support_agent, support_manager;
GRANT SELECT ON support.worker_status, support.delivery_status TO support_manager;

-- functions that act with the owner's rights, or move the team's queues
REVOKE EXECUTE ON FUNCTION support.issue_key(bigint, interval, text), support.enroll_totp(bigint),
    support.list_accounts_and_users(), support.assume_user_role(bigint, text), support.release_user_role(),
    support.approve_assumption(bigint, bigint, text), support.expire_assumptions(),
    support.audit_release(support.auth_keys, text, text), support.audit_assumed_write(),
    support.session_token(), support.new_auth_key(), support.active_assumptions(),
    support.run_due_actions(timestamptz, integer), support.take_action(support.tickets, text, timestamptz, timestamptz),
    support.escalate_ticket(support.tickets, text, timestamptz), support.record_breach(support.tickets, support.sla_target, timestamptz),
    support.close_after_verification(support.tickets),
    support.claim_messages(integer, bigint),
    support.record_deliveries(bigint[], bigint[], text[], text[], timestamptz[]),
    support.requeue_message(bigint, bigint),
    support.queue_message(support.tickets, text, text, text, text, text, jsonb),
    support.alert(support.tickets, text, text, text, text, jsonb),
    support.wake_worker(), support.worker_state(), support.delivery_worker_state()
    FROM PUBLIC;
GRANT EXECUTE ON FUNCTION support.issue_key(bigint, interval, text), support.enroll_totp(bigint) TO support_login;
GRANT EXECUTE ON FUNCTION support.list_accounts_and_users(), support.assume_user_role(bigint, text),
    support.release_user_role() TO support_super_user;
GRANT EXECUTE ON FUNCTION support.approve_assumption(bigint, bigint, text), support.requeue_message(bigint, bigint),
    support.active_assumptions(), support.worker_state(), support.delivery_worker_state()
    TO support_manager;
GRANT EXECUTE ON FUNCTION support.queue_message(support.tickets, text, text, text, text, text, jsonb),
    support.alert(support.tickets, text, text, text, text, jsonb)
    TO support_agent, support_manager;

------------------------------------------------------------------------------
-- Policies: every table, every command. A group role without a key sees
-- nothing; each identity function is a one-row InitPlan, so a policy costs
-- one cached lookup per statement.
------------------------------------------------------------------------------

-- published configuration: clients and agents read, managers edit
DO $$
DECLARE
    config_table text;
BEGIN
    FOREACH config_table IN ARRAY ARRAY['tiers', 'sla_policies', 'categories', 'channels', 'calendar'] LOOP
        EXECUTE format('CREATE POLICY client_read ON support.%I FOR SELECT TO support_client'
                       ' USING ((SELECT support.current_account_id()) IS NOT NULL)', config_table);
    END LOOP;
    FOREACH config_table IN ARRAY ARRAY['tiers', 'sla_policies', 'categories', 'channels', 'calendar',
                                        'internal_channels', 'templates', 'troubleshooting_steps',
                                        'triage_rules', 'slack_routes', 'accounts', 'account_users', 'agents'] LOOP
        EXECUTE format('CREATE POLICY agent_read ON support.%I FOR SELECT TO support_agent'
                       ' USING ((SELECT support.current_agent_tier()) IS NOT NULL)', config_table);
    END LOOP;
    FOREACH config_table IN ARRAY ARRAY['tiers', 'sla_policies', 'categories', 'channels', 'calendar',
                                        'internal_channels', 'templates', 'troubleshooting_steps',
                                        'triage_rules', 'slack_routes', 'delivery_endpoints', 'accounts',
                                        'account_users', 'agents', 'outbound_messages', 'assumption_policy'] LOOP
        EXECUTE format('CREATE POLICY manager_all ON support.%I FOR ALL TO support_manager'
                       ' USING ((SELECT support.current_is_manager()))'
                       ' WITH CHECK ((SELECT support.current_is_manager()))', config_table);
    END LOOP;
END $$;

-- accounts and their users: a client sees its own; its Admin administers its users
CREATE POLICY client_own_account ON support.accounts FOR SELECT TO support_client
    USING (account_id = (SELECT support.current_account_id()));
CREATE POLICY client_own_users ON support.account_users FOR SELECT TO support_client
    USING (account_id = (SELECT support.current_account_id()));
CREATE POLICY client_admin_adds_users ON support.account_users FOR INSERT TO support_client
    WITH CHECK (account_id = (SELECT support.current_account_id())
                AND (SELECT support.current_user_role()) = 'admin');
CREATE POLICY client_admin_edits_users ON support.account_users FOR UPDATE TO support_client
    USING (account_id = (SELECT support.current_account_id()) AND (SELECT support.current_user_role()) = 'admin')
    WITH CHECK (account_id = (SELECT support.current_account_id()));
CREATE POLICY client_admin_removes_users ON support.account_users FOR DELETE TO support_client
    USING (account_id = (SELECT support.current_account_id()) AND (SELECT support.current_user_role()) = 'admin'
           AND user_id <> (SELECT support.current_user_id()));

-- tickets: a client's account; an agent's tier and assignments; managers all.
-- Nobody deletes a ticket: its history is kept.
CREATE POLICY client_own_tickets ON support.tickets FOR SELECT TO support_client
    USING (account_id = (SELECT support.current_account_id()));
CREATE POLICY client_opens_tickets ON support.tickets FOR INSERT TO support_client
    WITH CHECK (account_id = (SELECT support.current_account_id())
                AND ((SELECT support.current_user_role()) = 'admin'
                     OR ((SELECT support.current_user_role()) = 'campaign_manager'
                         AND requester_id = (SELECT support.current_user_id()))));
CREATE POLICY client_updates_tickets ON support.tickets FOR UPDATE TO support_client
    USING (account_id = (SELECT support.current_account_id())
           AND (SELECT support.current_user_role()) IN ('admin', 'campaign_manager'))
    WITH CHECK (account_id = (SELECT support.current_account_id()));
CREATE POLICY agent_tier_or_assigned ON support.tickets FOR SELECT TO support_agent
    USING (tier = (SELECT support.current_agent_tier()) OR assignee_id = (SELECT support.current_user_id()));
CREATE POLICY agent_opens_tickets ON support.tickets FOR INSERT TO support_agent
    WITH CHECK ((SELECT support.current_agent_tier()) IS NOT NULL);
-- an agent's ticket may leave their tier (escalation) or their hands (reassignment)
CREATE POLICY agent_updates_tickets ON support.tickets FOR UPDATE TO support_agent
    USING (tier = (SELECT support.current_agent_tier()) OR assignee_id = (SELECT support.current_user_id()))
    WITH CHECK ((SELECT support.current_agent_tier()) IS NOT NULL);
CREATE POLICY manager_tickets ON support.tickets FOR SELECT TO support_manager
    USING ((SELECT support.current_is_manager()));
CREATE POLICY manager_opens_tickets ON support.tickets FOR INSERT TO support_manager
    WITH CHECK ((SELECT support.current_is_manager()));
CREATE POLICY manager_updates_tickets ON support.tickets FOR UPDATE TO support_manager
    USING ((SELECT support.current_is_manager())) WITH CHECK ((SELECT support.current_is_manager()));

-- the case history: clients never see internal notes; each writes only as itself
CREATE POLICY client_public_history ON support.ticket_events FOR SELECT TO support_client
    USING (account_id = (SELECT support.current_account_id()) AND visibility = 'public');
CREATE POLICY client_writes_messages ON support.ticket_events FOR INSERT TO support_client
    WITH CHECK (account_id = (SELECT support.current_account_id())
                AND (SELECT support.current_user_role()) IN ('admin', 'campaign_manager')
                AND kind = 'client_message' AND visibility = 'public'
                AND actor_id = (SELECT support.current_user_id()));
CREATE POLICY agent_ticket_history ON support.ticket_events FOR SELECT TO support_agent
    USING (EXISTS (SELECT 1 FROM support.tickets t
                    WHERE t.account_id = ticket_events.account_id AND t.ticket_id = ticket_events.ticket_id));
CREATE POLICY agent_writes_history ON support.ticket_events FOR INSERT TO support_agent
    WITH CHECK (actor_id = (SELECT support.current_user_id())
                AND EXISTS (SELECT 1 FROM support.tickets t
                             WHERE t.account_id = ticket_events.account_id AND t.ticket_id = ticket_events.ticket_id));
CREATE POLICY manager_history ON support.ticket_events FOR SELECT TO support_manager
    USING ((SELECT support.current_is_manager()));
CREATE POLICY manager_writes_history ON support.ticket_events FOR INSERT TO support_manager
    WITH CHECK ((SELECT support.current_is_manager()) AND actor_id = (SELECT support.current_user_id()));

CREATE POLICY client_sla_history ON support.sla_events FOR SELECT TO support_client
    USING (account_id = (SELECT support.current_account_id()));
CREATE POLICY agent_sla_history ON support.sla_events FOR SELECT TO support_agent
    USING (EXISTS (SELECT 1 FROM support.tickets t
                    WHERE t.account_id = sla_events.account_id AND t.ticket_id = sla_events.ticket_id));
CREATE POLICY manager_sla_history ON support.sla_events FOR SELECT TO support_manager
    USING ((SELECT support.current_is_manager()));

-- the outbox: an agent queues messages about tickets it can see
CREATE POLICY agent_queues_messages ON support.outbound_messages FOR INSERT TO support_agent
    WITH CHECK (EXISTS (SELECT 1 FROM support.tickets t
                         WHERE t.account_id = outbound_messages.account_id
                           AND t.ticket_id = outbound_messages.ticket_id));

-- the trail: managers read it; nobody changes it (triggers refuse even the owner)
CREATE POLICY manager_reads_approvals ON support.assumption_approvals FOR SELECT TO support_manager
    USING ((SELECT support.current_is_manager()));
CREATE POLICY manager_reads_audit ON support.assumption_audit FOR SELECT TO support_manager
    USING ((SELECT support.current_is_manager()));

-- keys and second factors: no policy, no grant; only the functions above
ALTER TABLE support.auth_keys ENABLE ROW LEVEL SECURITY;
ALTER TABLE support.staff_totp ENABLE ROW LEVEL SECURITY;
ALTER TABLE support.assumption_policy ENABLE ROW LEVEL SECURITY;
ALTER TABLE support.assumption_approvals ENABLE ROW LEVEL SECURITY;
ALTER TABLE support.assumption_audit ENABLE ROW LEVEL SECURITY;
REVOKE ALL ON support.auth_keys, support.staff_totp FROM PUBLIC;
