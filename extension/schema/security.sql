-- Security: the group roles, accounts and their users, agents and staff
-- (identity), keys and the current_* functions every policy asks, the
-- second factor, role assumption and its audit, the security audit and the
-- event triggers watching the trails; the policies on those tables, and the
-- one rule for who reads the configuration. Who may read a ticket: the
-- policies in tickets.sql, asking the functions here. (C: src/security/;
-- reference: doc/security.md.)

--@section types

-- Roles: the NOLOGIN groups an application's login role is granted.
--
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

-- Types: the desk's enums, support.priority and support.business_hours, and
-- the comparisons that make them usable from any client.
--
-- Where the operators live: a client that does not put schema support on
-- its search_path (psql, a BI tool over JDBC, psycopg2) must still be able
-- to write priority = 'P1', status IN (...), min(priority) or a join on
-- priority, and to bind 'P1' as text or varchar. Operators are looked up
-- through the search_path, and pg_catalog is searched even when not listed
-- (first, then), so the extension's comparison operators are created in
-- pg_catalog, beside those of the core's types: they cannot clash with a
-- core operator (their operands are the extension's types) and no
-- temporary object can shadow them. Their functions stay in support.
-- A text or varchar value reaches them through an implicit cast of the
-- value (I/O conversion), so an index on the column is still used.

------------------------------------------------------------------------------
-- Enums
------------------------------------------------------------------------------
CREATE TYPE support.account_role AS ENUM ('admin', 'campaign_manager', 'reporting_manager');
COMMENT ON TYPE support.account_role IS 'the handbook''s client user roles: Admin, Campaign Manager, Reporting Manager';
GRANT USAGE ON SCHEMA support TO support_client, support_agent, support_manager, support_super_user, support_login;
--@section checks

-- The role that called: SET ROLE's, else the login's; a SECURITY DEFINER
-- function changes neither (current_user would be the owner there).
CREATE FUNCTION support.calling_role() RETURNS name
    LANGUAGE sql STABLE PARALLEL SAFE SET search_path = pg_catalog, pg_temp AS $$
    SELECT CASE WHEN current_setting('role') OPERATOR(pg_catalog.=) 'none' THEN session_user
                ELSE current_setting('role')::name END
$$;
COMMENT ON FUNCTION support.calling_role() IS 'the role that called: SET ROLE''s, else the session''s login (what a SECURITY DEFINER function''s caller is)';
REVOKE ALL ON FUNCTION support.calling_role() FROM PUBLIC;
--@section configuration

CREATE TABLE support.assumption_policy (
    singleton boolean DEFAULT true NOT NULL,
    idle_timeout interval DEFAULT '02:00:00' NOT NULL,
    justification_min_length integer DEFAULT 10 NOT NULL,
    approval_valid_for interval DEFAULT '08:00:00' NOT NULL,
    max_key_lifetime interval DEFAULT '24:00:00' NOT NULL,
    second_factor_failures integer DEFAULT 5 NOT NULL,
    second_factor_lockout interval DEFAULT '00:15:00' NOT NULL,
    CONSTRAINT second_factor_lockouts_are_bounded CHECK ((second_factor_failures >= 1) AND (second_factor_failures <= 1000) AND (second_factor_lockout >= '00:01:00') AND (second_factor_lockout <= '7 days')),
    CONSTRAINT assumption_policy_approval_valid_for_check CHECK (approval_valid_for > '00:00:00'),
    CONSTRAINT assumption_policy_idle_timeout_check CHECK (idle_timeout > '00:00:00'),
    CONSTRAINT assumption_policy_justification_min_length_check CHECK (justification_min_length >= 1),
    CONSTRAINT assumption_policy_max_key_lifetime_check CHECK (max_key_lifetime > '00:00:00'),
    CONSTRAINT assumption_policy_singleton_check CHECK (singleton),
    CONSTRAINT assumption_policy_pkey PRIMARY KEY (singleton)
);
ALTER TABLE support.assumption_policy ENABLE ROW LEVEL SECURITY;
COMMENT ON TABLE support.assumption_policy IS 'the handbook''s limits on keys and role assumption: idle timeout (2 hours), justification length, how long a manager''s approval lasts, longest key, and wrong one-time codes before a lockout';
COMMENT ON COLUMN support.assumption_policy.second_factor_failures IS 'wrong one-time codes in a row that lock a member of staff''s second factor (5)';
COMMENT ON COLUMN support.assumption_policy.second_factor_lockout IS 'how long such a lockout lasts (15 minutes; a superuser may enroll a new second factor sooner)';
GRANT SELECT,UPDATE ON TABLE support.assumption_policy TO support_manager;
SELECT pg_catalog.pg_extension_config_dump('support.assumption_policy', '');

INSERT INTO support.assumption_policy (singleton, idle_timeout, justification_min_length, approval_valid_for, max_key_lifetime) VALUES
	(true, '02:00:00', 10, '08:00:00', '24:00:00');
--@section tables

CREATE SEQUENCE support.auth_key_id_seq;

-- drawn only by the owner's functions (issue_key, assume_user_role)
REVOKE ALL ON SEQUENCE support.auth_key_id_seq FROM PUBLIC;

CREATE TABLE support.auth_keys (
    key_id bigint DEFAULT nextval('support.auth_key_id_seq') NOT NULL,
    key_hash bytea NOT NULL,
    user_id bigint NOT NULL,
    account_id bigint,  -- the client user's account; NULL for staff
    issued_at timestamp with time zone DEFAULT now() NOT NULL,
    expires_at timestamp with time zone NOT NULL,
    second_factor_at timestamp with time zone,  -- issued with a verified TOTP code
    -- an assumed user's key
    assumed_by bigint,
    parent_key_id bigint,
    justification text,
    approval_id bigint,
    idle_timeout interval,
    last_used_at timestamp with time zone DEFAULT now() NOT NULL,
    session_slot integer,
    session_nonce bigint,
    revoked_at timestamp with time zone,
    revoke_reason text,
    CONSTRAINT assumptions_are_complete CHECK ((assumed_by IS NULL) OR ((parent_key_id IS NOT NULL) AND (idle_timeout IS NOT NULL) AND (session_slot IS NOT NULL) AND (session_nonce IS NOT NULL) AND (account_id IS NOT NULL))),
    CONSTRAINT auth_keys_key_hash_check CHECK (length(key_hash) = 32),
    CONSTRAINT auth_keys_key_hash_key UNIQUE (key_hash),
    CONSTRAINT auth_keys_pkey PRIMARY KEY (key_id)
);

CREATE INDEX auth_keys_active_assumptions_idx ON support.auth_keys USING btree (parent_key_id) WHERE ((assumed_by IS NOT NULL) AND (revoked_at IS NULL));

CREATE INDEX auth_keys_expires_idx ON support.auth_keys USING btree (expires_at);
ALTER SEQUENCE support.auth_key_id_seq OWNED BY support.auth_keys.key_id;
ALTER TABLE support.auth_keys ENABLE ROW LEVEL SECURITY;

-- No group reads keys, not even their hashes: only the owner's functions do.
REVOKE ALL ON TABLE support.auth_keys FROM PUBLIC;
COMMENT ON TABLE support.auth_keys IS 'issued keys, as SHA-256 hashes: whose, until when, and for an assumed user who assumed it, why, its idle limit and the session it dies with';

-- dumped like every table: an assumption's trail refers to its key
SELECT pg_catalog.pg_extension_config_dump('support.auth_keys', '');
SELECT pg_catalog.pg_extension_config_dump('support.auth_key_id_seq', '');

-- Account users and support staff share one id space, so an event's actor
-- or a key's user is one number whichever table it lives in.
CREATE SEQUENCE support.user_id_seq;

-- an Admin adds colleagues, a manager users and staff; agents add nobody
GRANT USAGE ON SEQUENCE support.user_id_seq TO support_client, support_manager;
SELECT pg_catalog.pg_extension_config_dump('support.user_id_seq', '');

CREATE TABLE support.agents (
    agent_id bigint DEFAULT nextval('support.user_id_seq'::regclass) NOT NULL,
    email text NOT NULL,
    full_name text NOT NULL,
    tier smallint NOT NULL,
    skills text[] DEFAULT '{}' NOT NULL,
    is_super_user boolean DEFAULT false NOT NULL,
    is_support_manager boolean DEFAULT false NOT NULL,
    on_shift boolean DEFAULT false NOT NULL,
    active boolean DEFAULT true NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    open_tickets integer DEFAULT 0 NOT NULL,
    last_assigned_at timestamp with time zone,
    is_executive boolean DEFAULT false NOT NULL,
    CONSTRAINT names_are_one_short_line CHECK (support.is_name(full_name)),
    CONSTRAINT agents_open_tickets_check CHECK (open_tickets >= 0),
    CONSTRAINT emails_are_addresses CHECK (support.is_email_address(email)),
    CONSTRAINT agents_email_key UNIQUE (email),
    CONSTRAINT agents_pkey PRIMARY KEY (agent_id),
    CONSTRAINT agents_tier_fkey FOREIGN KEY (tier) REFERENCES support.tiers(tier)
);

CREATE INDEX agents_routing_idx ON support.agents USING btree (tier) WHERE (active AND on_shift);
ALTER TABLE support.agents ENABLE ROW LEVEL SECURITY;
COMMENT ON TABLE support.agents IS 'support staff: tier, skills, super-user and support-manager flags, whether on shift';
COMMENT ON COLUMN support.agents.open_tickets IS 'open tickets assigned to this agent, written in place unless another transaction held the row then; with its rows of support.agent_load_changes (folded in by the worker), the load routing balances';
COMMENT ON COLUMN support.agents.last_assigned_at IS 'when this agent last got a new ticket (with the ledger''s, support.agent_load_changes): among equally loaded agents the one waiting longest goes first';
COMMENT ON COLUMN support.agents.is_executive IS 'a VP or C-level executive: named, told and seated in the war room of every executive escalation (no database rights of its own)';
GRANT SELECT,DELETE ON TABLE support.agents TO support_manager;
GRANT SELECT ON TABLE support.agents TO support_agent;
GRANT INSERT(email),UPDATE(email) ON TABLE support.agents TO support_manager;
GRANT INSERT(full_name),UPDATE(full_name) ON TABLE support.agents TO support_manager;
GRANT INSERT(tier),UPDATE(tier) ON TABLE support.agents TO support_manager;
GRANT INSERT(skills),UPDATE(skills) ON TABLE support.agents TO support_manager;
GRANT INSERT(is_super_user),UPDATE(is_super_user) ON TABLE support.agents TO support_manager;
GRANT INSERT(is_support_manager),UPDATE(is_support_manager) ON TABLE support.agents TO support_manager;
GRANT INSERT(on_shift),UPDATE(on_shift) ON TABLE support.agents TO support_manager;
GRANT INSERT(active),UPDATE(active) ON TABLE support.agents TO support_manager;
GRANT INSERT(created_at),UPDATE(created_at) ON TABLE support.agents TO support_manager;
GRANT INSERT(open_tickets),UPDATE(open_tickets) ON TABLE support.agents TO support_manager;
GRANT INSERT(last_assigned_at),UPDATE(last_assigned_at) ON TABLE support.agents TO support_manager;
GRANT INSERT(is_executive),UPDATE(is_executive) ON TABLE support.agents TO support_manager;
SELECT pg_catalog.pg_extension_config_dump('support.agents', '');

CREATE SEQUENCE support.account_id_seq;
GRANT USAGE ON SEQUENCE support.account_id_seq TO support_manager;

CREATE TABLE support.accounts (
    account_id bigint DEFAULT nextval('support.account_id_seq') NOT NULL,
    name text NOT NULL,
    time_zone text NOT NULL,
    calendar_id bigint NOT NULL,
    enterprise boolean DEFAULT false NOT NULL,
    slack_channel text,
    sensitive boolean DEFAULT false NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    email_domains text[] DEFAULT '{}' NOT NULL,
    CONSTRAINT names_are_one_short_line CHECK (support.is_name(name)),
    CONSTRAINT email_domains_are_lower_case_names CHECK ((pg_catalog.array_to_string(email_domains, ' ') = lower(pg_catalog.array_to_string(email_domains, ' '))) AND (pg_catalog.array_position(email_domains, NULL::text) IS NULL)),
    CONSTRAINT accounts_slack_channel_check CHECK (slack_channel ~ '^#[a-z0-9_-]+$'),
    CONSTRAINT accounts_time_zone_check CHECK (support.check_time_zone(time_zone)),
    CONSTRAINT enterprise_accounts_have_slack_channel CHECK ((NOT enterprise) OR (slack_channel IS NOT NULL)),
    CONSTRAINT accounts_pkey PRIMARY KEY (account_id),
    CONSTRAINT accounts_calendar_id_fkey FOREIGN KEY (calendar_id) REFERENCES support.calendar(calendar_id)
);
ALTER SEQUENCE support.account_id_seq OWNED BY support.accounts.account_id;
ALTER TABLE support.accounts ENABLE ROW LEVEL SECURITY;
COMMENT ON TABLE support.accounts IS 'client companies: time zone, support calendar, enterprise (dedicated Slack channel) and sensitive (assuming their users needs a manager''s approval)';
GRANT SELECT,DELETE ON TABLE support.accounts TO support_manager;
GRANT SELECT ON TABLE support.accounts TO support_client, support_agent;
GRANT INSERT(name),UPDATE(name) ON TABLE support.accounts TO support_manager;
GRANT INSERT(time_zone),UPDATE(time_zone) ON TABLE support.accounts TO support_manager;
GRANT INSERT(calendar_id),UPDATE(calendar_id) ON TABLE support.accounts TO support_manager;
GRANT INSERT(enterprise),UPDATE(enterprise) ON TABLE support.accounts TO support_manager;
GRANT INSERT(slack_channel),UPDATE(slack_channel) ON TABLE support.accounts TO support_manager;
GRANT INSERT(sensitive),UPDATE(sensitive) ON TABLE support.accounts TO support_manager;
GRANT INSERT(created_at),UPDATE(created_at) ON TABLE support.accounts TO support_manager;
GRANT INSERT(email_domains),UPDATE(email_domains) ON TABLE support.accounts TO support_manager;
COMMENT ON COLUMN support.accounts.email_domains IS 'the mail domains of the account''s users: an Admin adds colleagues only at these (empty: at the Admin''s own); support managers set them';
SELECT pg_catalog.pg_extension_config_dump('support.accounts', '');
SELECT pg_catalog.pg_extension_config_dump('support.account_id_seq', '');

CREATE TABLE support.account_users (
    account_id bigint NOT NULL,
    user_id bigint DEFAULT nextval('support.user_id_seq'::regclass) NOT NULL,
    email text NOT NULL,
    full_name text NOT NULL,
    role support.account_role NOT NULL,
    active boolean DEFAULT true NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT names_are_one_short_line CHECK (support.is_name(full_name)),
    CONSTRAINT emails_are_addresses CHECK (support.is_email_address(email)),
    CONSTRAINT account_users_account_id_email_key UNIQUE (account_id, email),
    CONSTRAINT account_users_pkey PRIMARY KEY (account_id, user_id),
    CONSTRAINT account_users_account_id_fkey FOREIGN KEY (account_id) REFERENCES support.accounts(account_id)
);
ALTER TABLE support.account_users ENABLE ROW LEVEL SECURITY;
COMMENT ON TABLE support.account_users IS 'client users, each with exactly one of the handbook''s roles';
GRANT SELECT,DELETE ON TABLE support.account_users TO support_manager, support_client;
GRANT SELECT ON TABLE support.account_users TO support_agent;
GRANT INSERT(account_id) ON TABLE support.account_users TO support_client, support_manager;
GRANT INSERT(email),UPDATE(email) ON TABLE support.account_users TO support_client, support_manager;
GRANT INSERT(full_name),UPDATE(full_name) ON TABLE support.account_users TO support_client, support_manager;
GRANT INSERT(role),UPDATE(role) ON TABLE support.account_users TO support_client, support_manager;
GRANT INSERT(active),UPDATE(active) ON TABLE support.account_users TO support_client, support_manager;
GRANT INSERT(created_at),UPDATE(created_at) ON TABLE support.account_users TO support_manager;
SELECT pg_catalog.pg_extension_config_dump('support.account_users', '');

CREATE TABLE support.staff_totp (
    agent_id bigint NOT NULL,
    secret bytea NOT NULL,
    last_step bigint DEFAULT 0 NOT NULL,
    enrolled_at timestamp with time zone DEFAULT now() NOT NULL,
    locked_until timestamp with time zone,
    CONSTRAINT staff_totp_secret_check CHECK (length(secret) >= 10),
    CONSTRAINT staff_totp_pkey PRIMARY KEY (agent_id),
    CONSTRAINT staff_totp_agent_id_fkey FOREIGN KEY (agent_id) REFERENCES support.agents(agent_id)
);
ALTER TABLE support.staff_totp ENABLE ROW LEVEL SECURITY;

-- No group reads second-factor secrets: only the owner's functions do.
REVOKE ALL ON TABLE support.staff_totp FROM PUBLIC;
COMMENT ON TABLE support.staff_totp IS 'support staff''s TOTP secrets (RFC 6238) and the last time step used, so a code works once';
SELECT pg_catalog.pg_extension_config_dump('support.staff_totp', '');
COMMENT ON COLUMN support.staff_totp.locked_until IS 'a lockout for wrong codes, as the worker wrote it down (the count itself is in shared memory): it outlives a restart';

CREATE SEQUENCE support.approval_id_seq;

-- drawn only by approve_assumption
REVOKE ALL ON SEQUENCE support.approval_id_seq FROM PUBLIC;

CREATE TABLE support.assumption_approvals (
    account_id bigint NOT NULL,
    approval_id bigint DEFAULT nextval('support.approval_id_seq') NOT NULL,
    super_user_id bigint NOT NULL,
    approved_by bigint NOT NULL,
    reason text NOT NULL,
    approved_at timestamp with time zone DEFAULT now() NOT NULL,
    valid_until timestamp with time zone NOT NULL,
    CONSTRAINT approver_is_not_the_super_user CHECK (approved_by <> super_user_id),
    CONSTRAINT assumption_approvals_reason_check CHECK (btrim(reason) <> ''),
    CONSTRAINT assumption_approvals_pkey PRIMARY KEY (account_id, approval_id),
    CONSTRAINT assumption_approvals_account_id_fkey FOREIGN KEY (account_id) REFERENCES support.accounts(account_id),
    CONSTRAINT assumption_approvals_approved_by_fkey FOREIGN KEY (approved_by) REFERENCES support.agents(agent_id),
    CONSTRAINT assumption_approvals_super_user_id_fkey FOREIGN KEY (super_user_id) REFERENCES support.agents(agent_id)
);
ALTER SEQUENCE support.approval_id_seq OWNED BY support.assumption_approvals.approval_id;
ALTER TABLE support.assumption_approvals ENABLE ROW LEVEL SECURITY;
COMMENT ON TABLE support.assumption_approvals IS 'a support manager''s recorded approval for one super user to assume users of one sensitive account, until a time';
GRANT SELECT ON TABLE support.assumption_approvals TO support_manager;
SELECT pg_catalog.pg_extension_config_dump('support.assumption_approvals', '');
SELECT pg_catalog.pg_extension_config_dump('support.approval_id_seq', '');

CREATE SEQUENCE support.audit_id_seq;

-- drawn only by the assumption functions and triggers
REVOKE ALL ON SEQUENCE support.audit_id_seq FROM PUBLIC;

CREATE TABLE support.assumption_audit (
    account_id bigint NOT NULL,
    audit_id bigint DEFAULT nextval('support.audit_id_seq') NOT NULL,
    occurred_at timestamp with time zone DEFAULT clock_timestamp() NOT NULL,
    action text NOT NULL,
    assumed_by bigint NOT NULL,  -- the real actor: the super user
    assumed_user_id bigint,  -- the user acted as
    key_id bigint,
    justification text,
    approval_id bigint,
    details jsonb DEFAULT '{}' NOT NULL,
    CONSTRAINT assumption_audit_action_check CHECK (action = ANY (ARRAY['approved', 'assumed', 'released', 'expired', 'write'])),
    CONSTRAINT assumption_audit_pkey PRIMARY KEY (account_id, audit_id)
);

CREATE INDEX assumption_audit_actor_idx ON support.assumption_audit USING btree (assumed_by, occurred_at);
ALTER SEQUENCE support.audit_id_seq OWNED BY support.assumption_audit.audit_id;
ALTER TABLE support.assumption_audit ENABLE ROW LEVEL SECURITY;
COMMENT ON TABLE support.assumption_audit IS 'append-only trail of role assumption: approvals, assumptions, releases, expiries and every row written while assuming, with the real actor';
GRANT SELECT ON TABLE support.assumption_audit TO support_manager;
SELECT pg_catalog.pg_extension_config_dump('support.assumption_audit', '');
SELECT pg_catalog.pg_extension_config_dump('support.audit_id_seq', '');

CREATE SEQUENCE support.security_audit_id_seq;

CREATE TABLE support.security_audit (
    audit_id bigint DEFAULT nextval('support.security_audit_id_seq') NOT NULL,
    occurred_at timestamp with time zone DEFAULT clock_timestamp() NOT NULL,
    kind text NOT NULL,
    changed_by bigint,  -- the key's user; NULL for a DBA's or the worker's session
    changed_by_role name DEFAULT support.calling_role() NOT NULL,
    subject_id bigint,  -- the agent or account changed
    details jsonb DEFAULT '{}' NOT NULL,
    CONSTRAINT security_audit_kind_check CHECK (kind = ANY (ARRAY['staff_rights', 'account_sensitivity', 'assumption_policy', 'endpoint', 'bypass', 'session_ended', 'second_factor'])),
    CONSTRAINT security_audit_pkey PRIMARY KEY (audit_id)
);

CREATE INDEX security_audit_changes_idx ON support.security_audit USING btree (changed_by, occurred_at);
ALTER SEQUENCE support.security_audit_id_seq OWNED BY support.security_audit.audit_id;
ALTER TABLE support.security_audit ENABLE ROW LEVEL SECURITY;
COMMENT ON TABLE support.security_audit IS 'append-only trail of changes to staff powers: super-user and manager rights, an account''s sensitive flag, the assumption policy, delivery endpoints, second factors enrolled, refused and locked out, sessions the escalation worker ended for holding a due ticket, and a superuser''s changes to the trails themselves';
GRANT SELECT ON TABLE support.security_audit TO support_manager;
SELECT pg_catalog.pg_extension_config_dump('support.security_audit', '');
SELECT pg_catalog.pg_extension_config_dump('support.security_audit_id_seq', '');
--@section functions

-- Keys: who a transaction acts for. A login presents a key with SET LOCAL
-- support.auth_key; the C code in src/auth.c checks it once per
-- transaction, and the current_* functions read what it names. Every
-- policy in the files that follow asks them.

-- An application holding a key need not repeat the user the key already
-- names: each workflow function has a form without its actor argument that
-- acts as the key's user (with the actor, it must still be the key's).
CREATE FUNCTION support.key_user_id() RETURNS bigint
    LANGUAGE plpgsql STABLE PARALLEL SAFE SET search_path = pg_catalog, pg_temp AS $$
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

CREATE FUNCTION support.auth_key_hash(auth_key text) RETURNS bytea
    LANGUAGE c IMMUTABLE STRICT PARALLEL SAFE AS 'MODULE_PATHNAME', 'auth_key_hash';
COMMENT ON FUNCTION support.auth_key_hash(auth_key text) IS 'SHA-256 of a key, the form support.auth_keys stores';

CREATE FUNCTION support.auth_key_lookups() RETURNS bigint
    LANGUAGE c PARALLEL RESTRICTED AS 'MODULE_PATHNAME', 'auth_key_lookups';
COMMENT ON FUNCTION support.auth_key_lookups() IS 'how many times this backend has looked a key up: once per transaction and key, however many rows the policies check (this backend''s count: parallel restricted)';

CREATE FUNCTION support.auth_keys_changed() RETURNS trigger
    LANGUAGE c AS 'MODULE_PATHNAME', 'auth_keys_changed';
COMMENT ON FUNCTION support.auth_keys_changed() IS 'a key released in this transaction stops working in it at once (drops the cached identity)';
REVOKE ALL ON FUNCTION support.auth_keys_changed() FROM PUBLIC;

CREATE FUNCTION support.current_account_id() RETURNS bigint
    LANGUAGE c STABLE PARALLEL SAFE AS 'MODULE_PATHNAME', 'current_account_id';
COMMENT ON FUNCTION support.current_account_id() IS 'the account of the key''s client user (NULL for staff or no key)';

-- The actor of history is the key's user; support.actor_id only where no
-- key is set (the worker, a DBA's script).
CREATE FUNCTION support.current_actor_id() RETURNS bigint
    LANGUAGE c STABLE PARALLEL SAFE AS 'MODULE_PATHNAME', 'current_actor_id';
COMMENT ON FUNCTION support.current_actor_id() IS 'the acting user: the key''s user, else the support.actor_id setting, else NULL';

CREATE FUNCTION support.current_agent_tier() RETURNS smallint
    LANGUAGE c STABLE PARALLEL SAFE AS 'MODULE_PATHNAME', 'current_agent_tier';
COMMENT ON FUNCTION support.current_agent_tier() IS 'the tier of the key''s support agent (NULL for clients)';

CREATE FUNCTION support.current_assumed_by() RETURNS bigint
    LANGUAGE c STABLE PARALLEL SAFE AS 'MODULE_PATHNAME', 'current_assumed_by';
COMMENT ON FUNCTION support.current_assumed_by() IS 'the super user who assumed the key''s user (NULL: not an assumption)';

CREATE FUNCTION support.current_has_second_factor() RETURNS boolean
    LANGUAGE c STABLE PARALLEL SAFE AS 'MODULE_PATHNAME', 'current_has_second_factor';
COMMENT ON FUNCTION support.current_has_second_factor() IS 'whether the key was issued with a verified TOTP code';

CREATE FUNCTION support.current_is_manager() RETURNS boolean
    LANGUAGE c STABLE PARALLEL SAFE AS 'MODULE_PATHNAME', 'current_is_manager';
COMMENT ON FUNCTION support.current_is_manager() IS 'whether the key is a support manager''s';

CREATE FUNCTION support.current_is_super_user() RETURNS boolean
    LANGUAGE c STABLE PARALLEL SAFE AS 'MODULE_PATHNAME', 'current_is_super_user';
COMMENT ON FUNCTION support.current_is_super_user() IS 'whether the key is a super user''s own (not an assumed user''s)';

CREATE FUNCTION support.current_key_id() RETURNS bigint
    LANGUAGE c STABLE PARALLEL SAFE AS 'MODULE_PATHNAME', 'current_key_id';
COMMENT ON FUNCTION support.current_key_id() IS 'the id of the key in support.auth_key';

CREATE FUNCTION support.current_key_kind() RETURNS text
    LANGUAGE c STABLE PARALLEL SAFE AS 'MODULE_PATHNAME', 'current_key_kind';
COMMENT ON FUNCTION support.current_key_kind() IS 'client, agent, manager or super_user: the kind of the key in support.auth_key, which alone decides whose policies apply (NULL: no key)';

CREATE FUNCTION support.current_user_id() RETURNS bigint
    LANGUAGE c STABLE PARALLEL SAFE AS 'MODULE_PATHNAME', 'current_user_id';
COMMENT ON FUNCTION support.current_user_id() IS 'the user whose key is in support.auth_key (NULL: no key; an error for a forged, expired or released key)';

CREATE FUNCTION support.current_user_role() RETURNS text
    LANGUAGE c STABLE PARALLEL SAFE AS 'MODULE_PATHNAME', 'current_user_role';
COMMENT ON FUNCTION support.current_user_role() IS 'admin, campaign_manager or reporting_manager for a client user; agent, support_manager or super_user for staff';

-- Which client users change tickets and write on them: an Admin or a
-- Campaign Manager; a Reporting Manager only reads. Said once, here: the
-- tickets' and the history's write policies ask it (as the caller, hence
-- PUBLIC's), and so does require_client for the workflow functions.
CREATE FUNCTION support.client_role_writes(role text) RETURNS boolean
    LANGUAGE sql IMMUTABLE PARALLEL SAFE SET search_path = pg_catalog, pg_temp AS $$
    SELECT role = ANY (ARRAY['admin', 'campaign_manager'])
$$;
COMMENT ON FUNCTION support.client_role_writes(role text) IS 'whether a client user of that role changes tickets and writes on them (an Admin, a Campaign Manager; a Reporting Manager reads only)';

CREATE FUNCTION support.issue_key(user_id bigint, valid_for interval DEFAULT '08:00:00'::interval, totp_code text DEFAULT NULL::text) RETURNS text
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
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
        step := support.check_second_factor(issue_key.user_id, enrolled.secret, totp_code, enrolled.last_step,
                                            COALESCE(enrolled.locked_until, '-infinity'),
                                            limits.second_factor_failures, limits.second_factor_lockout);
        UPDATE support.staff_totp t SET last_step = step WHERE t.agent_id OPERATOR(pg_catalog.=) issue_key.user_id;
    END IF;
    INSERT INTO support.auth_keys (key_hash, user_id, account_id, expires_at, second_factor_at)
    VALUES (support.auth_key_hash(new_key), issue_key.user_id, client.account_id, now() + valid_for,
            CASE WHEN totp_code IS NOT NULL THEN now() END);
    RETURN new_key;
END $$;
COMMENT ON FUNCTION support.issue_key(user_id bigint, valid_for interval, totp_code text) IS 'the login service''s call: a new key for an active user, valid for valid_for; staff may prove a second factor with totp_code (wrong codes are counted and lock it: support.assumption_policy). Shown once, stored as a hash';
REVOKE ALL ON FUNCTION support.issue_key(user_id bigint, valid_for interval, totp_code text) FROM PUBLIC;
GRANT ALL ON FUNCTION support.issue_key(user_id bigint, valid_for interval, totp_code text) TO support_login;

CREATE FUNCTION support.new_auth_key() RETURNS text
    LANGUAGE c STRICT PARALLEL SAFE AS 'MODULE_PATHNAME', 'new_auth_key';
COMMENT ON FUNCTION support.new_auth_key() IS 'a new key: "bsk_" and 256 bits from pg_strong_random in hex; only its hash is ever stored';
REVOKE ALL ON FUNCTION support.new_auth_key() FROM PUBLIC;

CREATE FUNCTION support.revoke_key(auth_key text) RETURNS void
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
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
COMMENT ON FUNCTION support.revoke_key(auth_key text) IS 'logout: the key stops working, and so do the users assumed with it (audited as released)';

CREATE FUNCTION support.session_alive(slot integer, nonce bigint) RETURNS boolean
    LANGUAGE c STRICT PARALLEL SAFE AS 'MODULE_PATHNAME', 'session_alive';
COMMENT ON FUNCTION support.session_alive(slot integer, nonce bigint) IS 'whether the backend that had this slot and nonce still runs';
REVOKE ALL ON FUNCTION support.session_alive(slot integer, nonce bigint) FROM PUBLIC;

CREATE FUNCTION support.session_token(OUT slot integer, OUT nonce bigint) RETURNS record
    LANGUAGE c AS 'MODULE_PATHNAME', 'session_token';
COMMENT ON FUNCTION support.session_token() IS 'this backend''s slot and random nonce, which die with it';
REVOKE ALL ON FUNCTION support.session_token() FROM PUBLIC;

-- Identity: client accounts and their users, support agents and their
-- second factors, and the checks the workflow makes of an actor.

-- Enrolling again replaces a second factor: it needs the current code or a
-- superuser (the login service alone replaced a super user's secret with
-- one it knew), and every enrolment is audited.
CREATE FUNCTION support.enroll_totp(agent_id bigint, current_code text DEFAULT NULL) RETURNS bytea
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    secret bytea := decode(substr(support.new_auth_key(), 5, 40), 'hex');   -- 160 random bits
    enrolled support.staff_totp;
    limits support.assumption_policy := (SELECT p FROM support.assumption_policy p);
    proof text;
BEGIN
    IF NOT EXISTS (SELECT 1 FROM support.agents g
                    WHERE g.agent_id OPERATOR(pg_catalog.=) enroll_totp.agent_id AND g.active) THEN
        RAISE EXCEPTION 'user % is not an active member of support staff', agent_id
              USING ERRCODE = 'invalid_parameter_value',
                    HINT = 'Second factors are enrolled for support.agents.';
    END IF;
    SELECT * INTO enrolled FROM support.staff_totp t
     WHERE t.agent_id OPERATOR(pg_catalog.=) enroll_totp.agent_id FOR UPDATE;
    IF FOUND THEN
        IF current_code IS NOT NULL THEN
            PERFORM support.check_second_factor(agent_id, enrolled.secret, current_code, enrolled.last_step,
                                                COALESCE(enrolled.locked_until, '-infinity'),
                                                limits.second_factor_failures, limits.second_factor_lockout);
            proof := 'current code';
        ELSIF (SELECT r.rolsuper FROM pg_catalog.pg_roles r WHERE r.rolname OPERATOR(pg_catalog.=) support.calling_role()) THEN
            proof := 'superuser';
            PERFORM support.forget_second_factor_failures(agent_id);
        ELSE
            RAISE EXCEPTION 'user % already has a second factor', agent_id
                  USING ERRCODE = 'invalid_authorization_specification',
                        HINT = 'Enrolling a new one needs the current code (support.enroll_totp(agent_id, current_code)) or a superuser.';
        END IF;
    END IF;
    INSERT INTO support.staff_totp AS t (agent_id, secret) VALUES (enroll_totp.agent_id, secret)
    ON CONFLICT ON CONSTRAINT staff_totp_pkey
    DO UPDATE SET secret = EXCLUDED.secret, last_step = 0, enrolled_at = now(), locked_until = NULL;
    INSERT INTO support.security_audit (kind, changed_by, subject_id, details)
    VALUES ('second_factor', support.current_user_id(), agent_id,
            jsonb_strip_nulls(jsonb_build_object('operation', CASE WHEN proof IS NULL THEN 'enrolled' ELSE 're-enrolled' END,
                                                 'proof', proof)));
    RETURN secret;
END $$;
COMMENT ON FUNCTION support.enroll_totp(agent_id bigint, current_code text) IS 'the login service''s call: a new 160-bit TOTP secret for a member of staff, returned once (for the authenticator''s QR code); replacing one needs its current code or a superuser; audited';
REVOKE ALL ON FUNCTION support.enroll_totp(agent_id bigint, current_code text) FROM PUBLIC;
GRANT ALL ON FUNCTION support.enroll_totp(agent_id bigint, current_code text) TO support_login;

CREATE FUNCTION support.list_accounts_and_users() RETURNS TABLE(account_id bigint, account_name text, sensitive boolean, approved_until timestamp with time zone, user_id bigint, email text, full_name text, role support.account_role)
    LANGUAGE plpgsql STABLE PARALLEL SAFE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
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
COMMENT ON FUNCTION support.list_accounts_and_users() IS 'step 1 of the handbook''s assumption: the accounts and their active users a super user may assume, with sensitive accounts'' approval';
REVOKE ALL ON FUNCTION support.list_accounts_and_users() FROM PUBLIC;
GRANT ALL ON FUNCTION support.list_accounts_and_users() TO support_super_user;

-- No caller may pass an actor other than its key's user. Without a key,
-- only a session that bypasses row-level security anyway (a superuser, a
-- DBA's script, the worker) may name one.
CREATE FUNCTION support.require_acting_user(user_id bigint) RETURNS void
    LANGUAGE plpgsql STABLE PARALLEL SAFE SET search_path = pg_catalog, pg_temp AS $$
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
COMMENT ON FUNCTION support.require_acting_user(user_id bigint) IS 'refuses a workflow call whose acting user is not the key''s user (or, with no key, from a session subject to row-level security)';

CREATE FUNCTION support.require_agent(agent_id bigint) RETURNS support.agents
    LANGUAGE plpgsql STABLE PARALLEL SAFE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    agent support.agents;
BEGIN
    SELECT * INTO agent FROM support.agents a WHERE a.agent_id OPERATOR(pg_catalog.=) require_agent.agent_id;
    IF NOT FOUND OR NOT agent.active THEN
        RAISE EXCEPTION 'user % is not an active support agent', agent_id
              USING ERRCODE = 'insufficient_privilege',
                    HINT = 'Only support staff (support.agents) may do this.';
    END IF;
    RETURN agent;
END $$;
COMMENT ON FUNCTION support.require_agent(agent_id bigint) IS 'the active agent with this id; 42501 otherwise';
REVOKE ALL ON FUNCTION support.require_agent(agent_id bigint) FROM PUBLIC;

-- A client's Admin adds and renames colleagues at the account's own mail
-- domains: the desk's emails go from its sender to them (an Admin's
-- "colleague" at any outside address got the desk's acknowledgments).
CREATE FUNCTION support.check_user_domain() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    domain text := pg_catalog.lower(pg_catalog.split_part(NEW.email, '@', 2));
    domains text[];
BEGIN
    PERFORM support.require_trigger_table(TG_TABLE_SCHEMA, TG_TABLE_NAME, 'account_users', 'check_user_domain');
    IF support.restoring() OR support.current_key_kind() IS DISTINCT FROM 'client' THEN
        RETURN NEW;             -- staff and a DBA's session add any address
    END IF;
    IF NOT COALESCE(support.is_email_address(NEW.email), false) THEN
        RETURN NEW;             -- not an address at all: emails_are_addresses says so
    END IF;
    SELECT a.email_domains INTO domains FROM support.accounts a
     WHERE a.account_id OPERATOR(pg_catalog.=) NEW.account_id;
    IF COALESCE(pg_catalog.cardinality(domains), 0) OPERATOR(pg_catalog.=) 0 THEN
        domains := ARRAY(SELECT pg_catalog.lower(pg_catalog.split_part(u.email, '@', 2)) FROM support.account_users u
                          WHERE u.account_id OPERATOR(pg_catalog.=) support.current_account_id()
                            AND u.user_id OPERATOR(pg_catalog.=) support.current_user_id());
    END IF;
    IF NOT COALESCE(domain OPERATOR(pg_catalog.=) ANY (domains), false) THEN
        RAISE EXCEPTION 'the users of account % have addresses at %, not at %', NEW.account_id,
                        pg_catalog.array_to_string(domains, ', '), domain
              USING ERRCODE = 'insufficient_privilege',
                    HINT = 'A support manager sets the account''s mail domains (support.accounts.email_domains).';
    END IF;
    RETURN NEW;
END $$;
COMMENT ON FUNCTION support.check_user_domain() IS 'BEFORE INSERT OR UPDATE OF email trigger on support.account_users: a client''s key adds users only at the account''s mail domains (support.accounts.email_domains; none set: the Admin''s own)';
REVOKE ALL ON FUNCTION support.check_user_domain() FROM PUBLIC;

-- A client's Reporting Manager reads; the workflow's client writes refuse it.
CREATE FUNCTION support.require_client(account_id bigint, user_id bigint) RETURNS support.account_users
    LANGUAGE plpgsql STABLE PARALLEL SAFE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    client_user support.account_users;
BEGIN
    -- a client's key learns nothing of another account's users: one answer for all of them
    IF support.current_key_kind() OPERATOR(pg_catalog.=) 'client'
       AND support.current_account_id() IS DISTINCT FROM require_client.account_id THEN
        client_user := NULL;
    ELSE
        SELECT * INTO client_user FROM support.account_users u
         WHERE u.account_id OPERATOR(pg_catalog.=) require_client.account_id
           AND u.user_id OPERATOR(pg_catalog.=) require_client.user_id;
    END IF;
    IF client_user.user_id IS NULL OR NOT client_user.active THEN
        RAISE EXCEPTION 'user % is not an active user of account %', user_id, account_id
              USING ERRCODE = 'insufficient_privilege',
                    HINT = 'Clients act only on their own account''s tickets.';
    END IF;
    IF support.current_user_id() OPERATOR(pg_catalog.=) user_id
       AND NOT support.client_role_writes(client_user.role::text) THEN
        RAISE EXCEPTION 'a Reporting Manager has read-only access to tickets'
              USING ERRCODE = 'insufficient_privilege',
                    HINT = 'An Admin or Campaign Manager of the account can do this.';
    END IF;
    RETURN client_user;
END $$;
COMMENT ON FUNCTION support.require_client(account_id bigint, user_id bigint) IS 'the active user of that account; 42501 otherwise, in the same words for every user of another account when asked with a client''s key';
REVOKE ALL ON FUNCTION support.require_client(account_id bigint, user_id bigint) FROM PUBLIC;

-- Only a super user's own key, issued with a verified second factor.
CREATE FUNCTION support.require_super_user() RETURNS bigint
    LANGUAGE plpgsql STABLE PARALLEL SAFE SET search_path = pg_catalog, pg_temp AS $$
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
COMMENT ON FUNCTION support.require_super_user() IS 'the calling super user''s id, or an error unless the key is a super user''s own with a verified second factor';
REVOKE ALL ON FUNCTION support.require_super_user() FROM PUBLIC;

-- Runs one change on behalf of an actor, with an optional reason, and puts
-- the previous settings back so later statements are not misattributed.
CREATE FUNCTION support.set_actor(actor_id bigint, reason text DEFAULT NULL::text) RETURNS void
    LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    IF actor_id IS NOT NULL THEN
        PERFORM support.require_acting_user(actor_id);
    END IF;
    PERFORM set_config('support.actor_id', COALESCE(actor_id, 0)::text, true),
            set_config('support.change_reason', COALESCE(reason, ''), true);
END $$;
COMMENT ON FUNCTION support.set_actor(actor_id bigint, reason text) IS 'sets the acting user and change reason for the rest of the transaction, once the acting user is shown to be the key''s';

CREATE FUNCTION support.totp(secret bytea, at timestamp with time zone DEFAULT now(), digits integer DEFAULT 6, algorithm text DEFAULT 'sha1'::text, step_seconds integer DEFAULT 30) RETURNS text
    LANGUAGE c STABLE STRICT PARALLEL SAFE AS 'MODULE_PATHNAME', 'totp';
COMMENT ON FUNCTION support.totp(secret bytea, at timestamp with time zone, digits integer, algorithm text, step_seconds integer) IS 'the RFC 6238 code an authenticator shows for secret at a time (sha1, sha256 or sha512; 6 to 9 digits)';

CREATE FUNCTION support.totp_matching_step(secret bytea, code text, at timestamp with time zone) RETURNS bigint
    LANGUAGE c IMMUTABLE STRICT PARALLEL SAFE AS 'MODULE_PATHNAME', 'totp_matching_step';
COMMENT ON FUNCTION support.totp_matching_step(secret bytea, code text, at timestamp with time zone) IS 'the 30-second step whose code is code, near at (NULL: none); lets the issuer refuse a code used before';

CREATE FUNCTION support.verify_totp(secret bytea, code text) RETURNS boolean
    LANGUAGE c STRICT PARALLEL SAFE AS 'MODULE_PATHNAME', 'verify_totp';
COMMENT ON FUNCTION support.verify_totp(secret bytea, code text) IS 'whether code (6 or 8 digits, SHA-1, 30 s steps) is secret''s code now, one step either side allowed for clock drift';

-- Wrong codes are counted outside transactions (src/second_factor.c): a
-- wrong code's transaction fails, so the worker writes down what happened.
CREATE FUNCTION support.check_second_factor(agent_id bigint, secret bytea, code text, last_step bigint, locked_until timestamp with time zone, max_failures integer, lockout interval) RETURNS bigint
    LANGUAGE c AS 'MODULE_PATHNAME', 'check_second_factor';
COMMENT ON FUNCTION support.check_second_factor(agent_id bigint, secret bytea, code text, last_step bigint, locked_until timestamp with time zone, max_failures integer, lockout interval) IS 'the time step of a right one-time code after last_step; a wrong one is counted and refused (28P01), the max_failures-th in a row locks the second factor for lockout, and while it is locked every code is refused (28000)';
REVOKE ALL ON FUNCTION support.check_second_factor(agent_id bigint, secret bytea, code text, last_step bigint, locked_until timestamp with time zone, max_failures integer, lockout interval) FROM PUBLIC;

CREATE FUNCTION support.forget_second_factor_failures(agent_id bigint) RETURNS void
    LANGUAGE c STRICT AS 'MODULE_PATHNAME', 'forget_second_factor_failures';
COMMENT ON FUNCTION support.forget_second_factor_failures(agent_id bigint) IS 'a new second factor starts with no wrong codes and no lockout';
REVOKE ALL ON FUNCTION support.forget_second_factor_failures(agent_id bigint) FROM PUBLIC;

CREATE FUNCTION support.take_second_factor_events() RETURNS TABLE(agent_id bigint, wrong_codes integer, first_at timestamp with time zone, last_at timestamp with time zone, refused_while_locked integer, locked_until timestamp with time zone)
    LANGUAGE c AS 'MODULE_PATHNAME', 'take_second_factor_events';
COMMENT ON FUNCTION support.take_second_factor_events() IS 'what happened to second factors that the audit does not say yet, taken to be recorded (given back if the transaction aborts)';
REVOKE ALL ON FUNCTION support.take_second_factor_events() FROM PUBLIC;

CREATE FUNCTION support.record_second_factor_events() RETURNS integer
    LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    e record;
    recorded integer := 0;
BEGIN
    FOR e IN SELECT * FROM support.take_second_factor_events() LOOP
        IF e.wrong_codes OPERATOR(pg_catalog.>) 0 OR e.refused_while_locked OPERATOR(pg_catalog.>) 0 THEN
            INSERT INTO support.security_audit (kind, changed_by, subject_id, details)
            VALUES ('second_factor', NULL, e.agent_id,
                    jsonb_build_object('operation', 'codes_refused', 'wrong_codes', e.wrong_codes,
                                       'refused_while_locked', e.refused_while_locked,
                                       'first_at', e.first_at, 'last_at', e.last_at));
            recorded := recorded OPERATOR(pg_catalog.+) 1;
        END IF;
        IF e.locked_until IS NOT NULL THEN
            INSERT INTO support.security_audit (kind, changed_by, subject_id, details)
            VALUES ('second_factor', NULL, e.agent_id,
                    jsonb_build_object('operation', 'locked_out', 'until', e.locked_until));
            -- (a second factor enrolled since those codes is not locked by them)
            UPDATE support.staff_totp t
               SET locked_until = GREATEST(t.locked_until, e.locked_until)
             WHERE t.agent_id OPERATOR(pg_catalog.=) e.agent_id
               AND t.enrolled_at OPERATOR(pg_catalog.<=) COALESCE(e.last_at, e.first_at, e.locked_until);
            recorded := recorded OPERATOR(pg_catalog.+) 1;
        END IF;
    END LOOP;
    RETURN recorded;
END $$;
COMMENT ON FUNCTION support.record_second_factor_events() IS 'the desk''s worker''s sweep: wrong one-time codes and lockouts into support.security_audit (kind second_factor), and each lockout into support.staff_totp.locked_until; the number of audit rows written';
REVOKE ALL ON FUNCTION support.record_second_factor_events() FROM PUBLIC;

CREATE FUNCTION support.actor_kind_of(actor_id bigint) RETURNS support.actor_kind
    LANGUAGE sql STABLE SECURITY DEFINER PARALLEL SAFE SET search_path = pg_catalog, pg_temp AS $$
    SELECT CASE
        WHEN actor_id IS NULL THEN 'system'::support.actor_kind
        WHEN EXISTS (SELECT 1 FROM support.agents a WHERE a.agent_id OPERATOR(pg_catalog.=) actor_id)
            THEN 'agent'::support.actor_kind
        ELSE 'client'::support.actor_kind
    END
$$;
COMMENT ON FUNCTION support.actor_kind_of(actor_id bigint) IS 'agent, client or system for a user id (NULL: system)';
REVOKE ALL ON FUNCTION support.actor_kind_of(actor_id bigint) FROM PUBLIC;

-- Role assumption: a super user acting as a client user, with a reason,
-- a second factor, an approval for sensitive accounts, an idle limit and
-- an audit trail.
CREATE FUNCTION support.active_assumptions() RETURNS TABLE(account_id bigint, assumed_user_id bigint, assumed_by bigint, assumed_at timestamp with time zone, last_used_at timestamp with time zone, idle_until timestamp with time zone, expires_at timestamp with time zone, justification text, approval_id bigint)
    LANGUAGE plpgsql STABLE PARALLEL SAFE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
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
COMMENT ON FUNCTION support.active_assumptions() IS 'for support managers: who is assuming whom right now, why, and until when (no key material)';
REVOKE ALL ON FUNCTION support.active_assumptions() FROM PUBLIC;
GRANT ALL ON FUNCTION support.active_assumptions() TO support_manager;

CREATE FUNCTION support.approve_assumption(account_id bigint, super_user_id bigint, reason text) RETURNS bigint
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
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
COMMENT ON FUNCTION support.approve_assumption(account_id bigint, super_user_id bigint, reason text) IS 'a support manager''s recorded approval for a super user to assume users of a sensitive account (valid for assumption_policy.approval_valid_for)';
REVOKE ALL ON FUNCTION support.approve_assumption(account_id bigint, super_user_id bigint, reason text) FROM PUBLIC;
GRANT ALL ON FUNCTION support.approve_assumption(account_id bigint, super_user_id bigint, reason text) TO support_manager;

CREATE FUNCTION support.assume_user_role(user_id bigint, justification text) RETURNS TABLE(auth_key text, assumed_user_id bigint, account_id bigint, account_name text, full_name text, email text, role support.account_role, idle_timeout interval, expires_at timestamp with time zone)
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
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
COMMENT ON FUNCTION support.assume_user_role(user_id bigint, justification text) IS 'the handbook''s AssumeUserRole: a temporary key for one client user, audited; ends after the idle timeout, with the super user''s key, or with this session';
REVOKE ALL ON FUNCTION support.assume_user_role(user_id bigint, justification text) FROM PUBLIC;
GRANT ALL ON FUNCTION support.assume_user_role(user_id bigint, justification text) TO support_super_user;

-- A connection pool closes idle server connections (node-postgres after
-- 10 s, pgbouncer's server_idle_timeout): an assumption tied to the backend
-- that made it ended long before the handbook's two idle hours. It now ends
-- on release, with the super user's own key (logout or expiry), after its
-- idle limit, and the moment its super user is deactivated or loses the
-- role. The backend that made it is still recorded (session_slot,
-- session_nonce), for the audit; the key lookup (src/auth.c) no longer
-- consults it.
CREATE FUNCTION support.assumption_end_reason(assumed support.auth_keys) RETURNS text
    LANGUAGE sql STABLE PARALLEL SAFE SET search_path = pg_catalog, pg_temp AS $$
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
COMMENT ON FUNCTION support.assumption_end_reason(assumed support.auth_keys) IS 'why an assumed key no longer works (NULL: it still does); the rule the key lookup in src/auth.c also applies';
REVOKE ALL ON FUNCTION support.assumption_end_reason(assumed support.auth_keys) FROM PUBLIC;

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
COMMENT ON FUNCTION support.audit_assumed_write() IS 'AFTER row trigger, only while assuming: one audit row per row written, with the super user and the assumed user';
REVOKE ALL ON FUNCTION support.audit_assumed_write() FROM PUBLIC;

CREATE FUNCTION support.audit_release(ended support.auth_keys, action text, reason text) RETURNS void
    LANGUAGE sql SET search_path = pg_catalog, pg_temp AS $$
    INSERT INTO support.assumption_audit
           (account_id, action, assumed_by, assumed_user_id, key_id, justification, approval_id, details)
    VALUES (ended.account_id, action, ended.assumed_by, ended.user_id, ended.key_id, ended.justification,
            ended.approval_id, jsonb_build_object('reason', reason, 'assumed_at', ended.issued_at));
$$;
COMMENT ON FUNCTION support.audit_release(ended support.auth_keys, action text, reason text) IS 'writes the audit row of an assumption that ended (released or expired) and why';
REVOKE ALL ON FUNCTION support.audit_release(ended support.auth_keys, action text, reason text) FROM PUBLIC;

-- Losing the role ends the super user's assumptions in the same transaction,
-- audited. Row-level, on those columns only: agents' loads change on every
-- ticket, and must not pay for it.
CREATE FUNCTION support.end_assumptions_of_former_super_users() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    ended support.auth_keys;
BEGIN
    PERFORM support.require_trigger_table(TG_TABLE_SCHEMA, TG_TABLE_NAME, 'agents', 'end_assumptions_of_former_super_users');
    IF support.restoring() THEN
        RETURN NULL;            -- a restore brings the trail back as it was dumped
    END IF;
    FOR ended IN
        UPDATE support.auth_keys k
           SET revoked_at = now(), revoke_reason = 'the super user is no longer an active super user'
         WHERE k.assumed_by OPERATOR(pg_catalog.=) NEW.agent_id AND k.revoked_at IS NULL
        RETURNING k.* LOOP
        PERFORM support.audit_release(ended, 'expired', ended.revoke_reason);
    END LOOP;
    RETURN NULL;
END $$;
COMMENT ON FUNCTION support.end_assumptions_of_former_super_users() IS 'AFTER UPDATE trigger on support.agents: a super user deactivated or stripped of the role loses every assumption at once, audited';
REVOKE ALL ON FUNCTION support.end_assumptions_of_former_super_users() FROM PUBLIC;

CREATE FUNCTION support.expire_assumptions() RETURNS integer
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    ended support.auth_keys;
    count integer := 0;
BEGIN
    -- a key another transaction holds (its logout, say) is skipped, never
    -- waited for: it is swept at the next pass
    -- (updated by key, the conditions repeated: a row updated since this
    -- statement's snapshot is locked in its new version, checked again)
    FOR ended IN
        WITH ending AS (
            SELECT k.key_id FROM support.auth_keys k
             WHERE k.assumed_by IS NOT NULL AND k.revoked_at IS NULL
               AND support.assumption_end_reason(k) IS NOT NULL
               FOR UPDATE SKIP LOCKED)
        UPDATE support.auth_keys k
           SET revoked_at = now(), revoke_reason = support.assumption_end_reason(k)
          FROM ending e
         WHERE k.key_id = e.key_id AND k.revoked_at IS NULL
           AND support.assumption_end_reason(k) IS NOT NULL
        RETURNING k.* LOOP
        PERFORM support.audit_release(ended, 'expired', ended.revoke_reason);
        count := count + 1;
    END LOOP;
    -- keys a week past their end (a revoked key's is at most a day later) are of no
    -- use to anyone; the audit keeps the story
    DELETE FROM support.auth_keys k
     WHERE k.key_id IN (SELECT o.key_id FROM support.auth_keys o
                         WHERE o.expires_at < now() - interval '7 days' FOR UPDATE SKIP LOCKED)
       AND k.expires_at < now() - interval '7 days';
    RETURN count;
END $$;
COMMENT ON FUNCTION support.expire_assumptions() IS 'the worker''s sweep: audits assumptions that went idle, outlived their super user''s key or rights, and forgets keys a week past their end';
REVOKE ALL ON FUNCTION support.expire_assumptions() FROM PUBLIC;

CREATE FUNCTION support.release_user_role() RETURNS TABLE(assumed_user_id bigint, account_id bigint, released_at timestamp with time zone)
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
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
COMMENT ON FUNCTION support.release_user_role() IS 'the handbook''s ReleaseUserRole: ends the assumption (called with the assumed key or the super user''s own), audited';
REVOKE ALL ON FUNCTION support.release_user_role() FROM PUBLIC;
GRANT ALL ON FUNCTION support.release_user_role() TO support_super_user;

-- The security audit: an append-only trail of changes to staff rights,
-- accounts' sensitivity, the assumption policy and delivery endpoints, of
-- second factors and the sessions the worker ended, and of DDL on the
-- trails themselves.
CREATE FUNCTION support.audit_account_sensitivity() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    PERFORM support.require_trigger_table(TG_TABLE_SCHEMA, TG_TABLE_NAME, 'accounts', 'audit_account_sensitivity');
    IF support.restoring() THEN
        RETURN NULL;            -- a restore brings the trail back as it was dumped
    END IF;
    INSERT INTO support.security_audit (kind, changed_by, subject_id, details)
    VALUES ('account_sensitivity', support.current_user_id(), NEW.account_id,
            jsonb_build_object('sensitive', jsonb_build_array(OLD.sensitive, NEW.sensitive)));
    RETURN NULL;
END $$;
COMMENT ON FUNCTION support.audit_account_sensitivity() IS 'AFTER UPDATE trigger on support.accounts: a change of an account''s sensitive flag goes to support.security_audit';
REVOKE ALL ON FUNCTION support.audit_account_sensitivity() FROM PUBLIC;

CREATE FUNCTION support.audit_assumption_policy() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    PERFORM support.require_trigger_table(TG_TABLE_SCHEMA, TG_TABLE_NAME, 'assumption_policy', 'audit_assumption_policy');
    IF support.restoring() THEN
        RETURN NULL;            -- a restore brings the trail back as it was dumped
    END IF;
    INSERT INTO support.security_audit (kind, changed_by, details)
    VALUES ('assumption_policy', support.current_user_id(),
            jsonb_build_object('old', pg_catalog.to_jsonb(OLD), 'new', pg_catalog.to_jsonb(NEW)));
    RETURN NULL;
END $$;
COMMENT ON FUNCTION support.audit_assumption_policy() IS 'AFTER INSERT, UPDATE OR DELETE trigger on support.assumption_policy: a change of the assumption limits goes to support.security_audit';
REVOKE ALL ON FUNCTION support.audit_assumption_policy() FROM PUBLIC;

CREATE FUNCTION support.audit_staff_rights() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    PERFORM support.require_trigger_table(TG_TABLE_SCHEMA, TG_TABLE_NAME, 'agents', 'audit_staff_rights');
    IF support.restoring() THEN
        RETURN NULL;            -- a restore brings the trail back as it was dumped
    END IF;
    -- before and after: [old, new], NULL where the row did not exist
    INSERT INTO support.security_audit (kind, changed_by, subject_id, details)
    VALUES ('staff_rights', support.current_user_id(), COALESCE(NEW.agent_id, OLD.agent_id),
            jsonb_build_object(
                'super_user', jsonb_build_array(OLD.is_super_user, NEW.is_super_user),
                'manager', jsonb_build_array(OLD.is_support_manager, NEW.is_support_manager),
                'active', jsonb_build_array(OLD.active, NEW.active)));
    RETURN NULL;
END $$;
COMMENT ON FUNCTION support.audit_staff_rights() IS 'AFTER INSERT, UPDATE OR DELETE trigger on support.agents: a super-user or manager right granted, taken or deleted, or such staff (de)activated, goes to support.security_audit';
REVOKE ALL ON FUNCTION support.audit_staff_rights() FROM PUBLIC;

-- The two-person rule of a sensitive account, kept when a manager changes
-- staff powers: the changes are audited (above), an account made
-- non-sensitive counts as sensitive for 24 hours, and no manager who changed
-- super-user or manager rights, or the account's sensitivity, in those 24
-- hours can approve an assumption.
CREATE FUNCTION support.recent_power_changers(account_id bigint) RETURNS bigint[]
    LANGUAGE sql STABLE PARALLEL SAFE SET search_path = pg_catalog, pg_temp AS $$
    SELECT COALESCE(pg_catalog.array_agg(DISTINCT s.changed_by), '{}')
      FROM support.security_audit s
     WHERE s.changed_by IS NOT NULL
       AND s.occurred_at OPERATOR(pg_catalog.>) (now() OPERATOR(pg_catalog.-) interval '24 hours')
       AND (s.kind OPERATOR(pg_catalog.=) ANY (ARRAY['staff_rights', 'assumption_policy'])
            OR (s.kind OPERATOR(pg_catalog.=) 'account_sensitivity'
                AND s.subject_id OPERATOR(pg_catalog.=) recent_power_changers.account_id))
$$;
COMMENT ON FUNCTION support.recent_power_changers(account_id bigint) IS 'the managers who, in the last 24 hours, changed anyone''s super-user or manager rights, the assumption policy or the account''s sensitivity: none of them may approve an assumption there';
REVOKE ALL ON FUNCTION support.recent_power_changers(account_id bigint) FROM PUBLIC;

-- A superuser can do anything, including turning the trails' guards off;
-- what DDL does to the trails is recorded (a superuser can still drop this
-- event trigger first, or use session_replication_role: the README says so).
CREATE FUNCTION support.record_trail_commands() RETURNS integer
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    command record;
    recorded integer := 0;
    trails oid[] := ARRAY['support.assumption_audit'::regclass, 'support.security_audit'::regclass,
                          'support.ticket_events'::regclass, 'support.sla_events'::regclass]::oid[];
BEGIN
    IF support.restoring() THEN
        RETURN 0;               -- a restore's own statements are not a bypass
    END IF;
    FOR command IN
        -- the trail's own changes, and its triggers' and policies'
        SELECT c.command_tag, c.object_identity FROM pg_catalog.pg_event_trigger_ddl_commands() c
         WHERE CASE c.classid
                 WHEN 'pg_catalog.pg_class'::regclass THEN c.objid
                 WHEN 'pg_catalog.pg_trigger'::regclass THEN
                     (SELECT t.tgrelid FROM pg_catalog.pg_trigger t WHERE t.oid OPERATOR(pg_catalog.=) c.objid)
                 WHEN 'pg_catalog.pg_policy'::regclass THEN
                     (SELECT p.polrelid FROM pg_catalog.pg_policy p WHERE p.oid OPERATOR(pg_catalog.=) c.objid)
               END OPERATOR(pg_catalog.=) ANY (trails)
    LOOP
        INSERT INTO support.security_audit (kind, changed_by, details)
        VALUES ('bypass', support.current_user_id(),
                jsonb_build_object('command', command.command_tag, 'object', command.object_identity,
                                   'statement', pg_catalog.current_query()));
        recorded := recorded OPERATOR(pg_catalog.+) 1;
    END LOOP;
    RETURN recorded;
END $$;
COMMENT ON FUNCTION support.record_trail_commands() IS 'the event trigger''s query: the commands of this DDL statement on the trails, recorded in support.security_audit; how many';
REVOKE ALL ON FUNCTION support.record_trail_commands() FROM PUBLIC;

CREATE FUNCTION support.record_trail_drops() RETURNS integer
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    dropped record;
    recorded integer := 0;
BEGIN
    IF support.restoring() THEN
        RETURN 0;
    END IF;
    FOR dropped IN
        SELECT d.object_type, d.object_identity FROM pg_catalog.pg_event_trigger_dropped_objects() d
         WHERE d.object_type OPERATOR(pg_catalog.=) ANY (ARRAY['trigger', 'policy'])
           AND d.address_names[1] OPERATOR(pg_catalog.=) 'support'
           AND d.address_names[2] OPERATOR(pg_catalog.=) ANY (ARRAY['assumption_audit', 'security_audit', 'ticket_events', 'sla_events'])
    LOOP
        INSERT INTO support.security_audit (kind, changed_by, details)
        VALUES ('bypass', support.current_user_id(),
                jsonb_build_object('command', 'DROP ' OPERATOR(pg_catalog.||) pg_catalog.upper(dropped.object_type),
                                   'object', dropped.object_identity, 'statement', pg_catalog.current_query()));
        recorded := recorded OPERATOR(pg_catalog.+) 1;
    END LOOP;
    RETURN recorded;
END $$;
COMMENT ON FUNCTION support.record_trail_drops() IS 'the drop event trigger''s query: a trail''s triggers and policies dropped by this statement, recorded in support.security_audit; how many';
REVOKE ALL ON FUNCTION support.record_trail_drops() FROM PUBLIC;

-- In C: a statement on any other table returns before any query
-- (src/trail_bypass.c; test/bench/event_trigger.sh measures it).
CREATE FUNCTION support.record_trail_bypass() RETURNS event_trigger
    LANGUAGE c AS 'MODULE_PATHNAME', 'record_trail_bypass';
COMMENT ON FUNCTION support.record_trail_bypass() IS 'event trigger: DDL on the trails (disabling their triggers or row-level security, say) is recorded in support.security_audit; DDL elsewhere costs a look at the statement';
REVOKE ALL ON FUNCTION support.record_trail_bypass() FROM PUBLIC;
--@section triggers

CREATE TRIGGER auth_keys_changed AFTER DELETE OR UPDATE ON support.auth_keys FOR EACH STATEMENT EXECUTE FUNCTION support.auth_keys_changed();

CREATE TRIGGER users_at_the_account_domains BEFORE INSERT OR UPDATE OF email ON support.account_users FOR EACH ROW EXECUTE FUNCTION support.check_user_domain();

CREATE TRIGGER config_changed AFTER DELETE OR UPDATE OR TRUNCATE ON support.accounts FOR EACH STATEMENT EXECUTE FUNCTION support.config_changed();

CREATE TRIGGER assumption_audit_append_only BEFORE DELETE OR UPDATE ON support.assumption_audit FOR EACH ROW EXECUTE FUNCTION support.refuse_history_change_trigger();

CREATE TRIGGER assumption_audit_no_truncate BEFORE TRUNCATE ON support.assumption_audit FOR EACH STATEMENT EXECUTE FUNCTION support.refuse_history_change_trigger();

CREATE TRIGGER audit_assumed_write AFTER INSERT OR DELETE OR UPDATE ON support.account_users FOR EACH ROW WHEN ((support.current_assumed_by() IS NOT NULL)) EXECUTE FUNCTION support.audit_assumed_write();

CREATE TRIGGER audit_assumed_write AFTER INSERT OR DELETE OR UPDATE ON support.agents FOR EACH ROW WHEN ((support.current_assumed_by() IS NOT NULL)) EXECUTE FUNCTION support.audit_assumed_write();

CREATE TRIGGER audit_assumed_write AFTER INSERT OR DELETE OR UPDATE ON support.outbound_messages FOR EACH ROW WHEN ((support.current_assumed_by() IS NOT NULL)) EXECUTE FUNCTION support.audit_assumed_write();

CREATE TRIGGER audit_assumed_write AFTER INSERT OR DELETE OR UPDATE ON support.sla_events FOR EACH ROW WHEN ((support.current_assumed_by() IS NOT NULL)) EXECUTE FUNCTION support.audit_assumed_write();

CREATE TRIGGER audit_assumed_write AFTER INSERT OR DELETE OR UPDATE ON support.ticket_events FOR EACH ROW WHEN ((support.current_assumed_by() IS NOT NULL)) EXECUTE FUNCTION support.audit_assumed_write();

CREATE TRIGGER audit_assumed_write AFTER INSERT OR DELETE OR UPDATE ON support.tickets FOR EACH ROW WHEN ((support.current_assumed_by() IS NOT NULL)) EXECUTE FUNCTION support.audit_assumed_write();

CREATE TRIGGER restore_config_row BEFORE INSERT ON support.assumption_policy FOR EACH ROW EXECUTE FUNCTION support.restore_config_row('singleton');

CREATE TRIGGER super_user_rights_changed AFTER UPDATE OF is_super_user, active ON support.agents FOR EACH ROW WHEN ((old.is_super_user AND old.active AND (NOT (new.is_super_user AND new.active)))) EXECUTE FUNCTION support.end_assumptions_of_former_super_users();

CREATE EVENT TRIGGER bedrock_support_trail_changes ON ddl_command_end
         WHEN TAG IN ('ALTER TABLE', 'CREATE TRIGGER', 'ALTER TRIGGER', 'CREATE POLICY', 'ALTER POLICY', 'DROP POLICY')
   EXECUTE FUNCTION support.record_trail_bypass();

-- and the drops of their triggers and policies (DROP is not among the
-- commands ddl_command_end is told of)
CREATE EVENT TRIGGER bedrock_support_trail_drops ON sql_drop
         WHEN TAG IN ('DROP TRIGGER', 'DROP POLICY')
   EXECUTE FUNCTION support.record_trail_bypass();

CREATE TRIGGER account_sensitivity_audited AFTER UPDATE OF sensitive ON support.accounts FOR EACH ROW WHEN ((old.sensitive IS DISTINCT FROM new.sensitive)) EXECUTE FUNCTION support.audit_account_sensitivity();

CREATE TRIGGER assumption_policy_audited AFTER UPDATE ON support.assumption_policy FOR EACH ROW WHEN ((old.* IS DISTINCT FROM new.*)) EXECUTE FUNCTION support.audit_assumption_policy();

CREATE TRIGGER assumption_policy_replacement_audited AFTER INSERT OR DELETE ON support.assumption_policy FOR EACH ROW EXECUTE FUNCTION support.audit_assumption_policy();

CREATE TRIGGER new_staff_rights_audited AFTER INSERT ON support.agents FOR EACH ROW WHEN ((new.is_super_user OR new.is_support_manager)) EXECUTE FUNCTION support.audit_staff_rights();

CREATE TRIGGER removed_staff_rights_audited AFTER DELETE ON support.agents FOR EACH ROW WHEN ((old.is_super_user OR old.is_support_manager)) EXECUTE FUNCTION support.audit_staff_rights();

CREATE TRIGGER security_audit_append_only BEFORE DELETE OR UPDATE ON support.security_audit FOR EACH ROW EXECUTE FUNCTION support.refuse_history_change_trigger();

CREATE TRIGGER security_audit_no_truncate BEFORE TRUNCATE ON support.security_audit FOR EACH STATEMENT EXECUTE FUNCTION support.refuse_history_change_trigger();

CREATE TRIGGER staff_rights_audited AFTER UPDATE OF is_super_user, is_support_manager, active ON support.agents FOR EACH ROW WHEN (((old.is_super_user IS DISTINCT FROM new.is_super_user) OR (old.is_support_manager IS DISTINCT FROM new.is_support_manager) OR ((old.active IS DISTINCT FROM new.active) AND (old.is_super_user OR old.is_support_manager OR new.is_super_user OR new.is_support_manager)))) EXECUTE FUNCTION support.audit_staff_rights();
--@section policies

-- Who reads and writes the configuration, one rule for all of it: managers
-- edit it, agents read it, clients read what their own tickets' deadlines
-- and texts come from; each group only with a key of its own kind.
DO $$
DECLARE
    config_table text;
BEGIN
    FOREACH config_table IN ARRAY ARRAY['calendar', 'categories', 'channels', 'internal_channels',
                                        'sla_policies', 'slack_routes', 'templates', 'tiers',
                                        'troubleshooting_steps', 'escalation_triggers',
                                        'dissatisfaction_rules', 'revenue_thresholds'] LOOP
        EXECUTE format('CREATE POLICY manager_all ON support.%I TO support_manager'
                       ' USING (((SELECT support.current_key_kind()) = ''manager'') AND (SELECT support.current_is_manager()))'
                       ' WITH CHECK (((SELECT support.current_key_kind()) = ''manager'') AND (SELECT support.current_is_manager()))',
                       config_table);
        EXECUTE format('CREATE POLICY agent_read ON support.%I FOR SELECT TO support_agent'
                       ' USING (((SELECT support.current_key_kind()) = ''agent'') AND ((SELECT support.current_agent_tier()) IS NOT NULL))',
                       config_table);
        IF config_table = ANY (ARRAY['calendar', 'categories', 'channels', 'sla_policies', 'tiers']) THEN
            EXECUTE format('CREATE POLICY client_read ON support.%I FOR SELECT TO support_client'
                           ' USING (((SELECT support.current_key_kind()) = ''client'') AND ((SELECT support.current_account_id()) IS NOT NULL))',
                           config_table);
        END IF;
    END LOOP;
END $$;

CREATE POLICY agent_read ON support.account_users
    FOR SELECT TO support_agent
    USING (((SELECT support.current_key_kind()) = 'agent') AND ((SELECT support.current_agent_tier()) IS NOT NULL));

CREATE POLICY agent_read ON support.accounts
    FOR SELECT TO support_agent
    USING (((SELECT support.current_key_kind()) = 'agent') AND ((SELECT support.current_agent_tier()) IS NOT NULL));

CREATE POLICY agent_read ON support.agents
    FOR SELECT TO support_agent
    USING (((SELECT support.current_key_kind()) = 'agent') AND ((SELECT support.current_agent_tier()) IS NOT NULL));

CREATE POLICY client_admin_adds_users ON support.account_users
    FOR INSERT TO support_client
    WITH CHECK (((SELECT support.current_key_kind()) = 'client') AND ((account_id = (SELECT support.current_account_id())) AND ((SELECT support.current_user_role()) = 'admin')));

CREATE POLICY client_admin_edits_users ON support.account_users
    FOR UPDATE TO support_client
    USING (((SELECT support.current_key_kind()) = 'client') AND ((account_id = (SELECT support.current_account_id())) AND ((SELECT support.current_user_role()) = 'admin')))
    WITH CHECK (((SELECT support.current_key_kind()) = 'client') AND (account_id = (SELECT support.current_account_id())));

CREATE POLICY client_admin_removes_users ON support.account_users
    FOR DELETE TO support_client
    USING (((SELECT support.current_key_kind()) = 'client') AND ((account_id = (SELECT support.current_account_id())) AND ((SELECT support.current_user_role()) = 'admin') AND (user_id <> (SELECT support.current_user_id()))));

CREATE POLICY client_own_account ON support.accounts
    FOR SELECT TO support_client
    USING (((SELECT support.current_key_kind()) = 'client') AND (account_id = (SELECT support.current_account_id())));

CREATE POLICY client_own_users ON support.account_users
    FOR SELECT TO support_client
    USING (((SELECT support.current_key_kind()) = 'client') AND (account_id = (SELECT support.current_account_id())));

CREATE POLICY manager_all ON support.account_users
    TO support_manager
    USING (((SELECT support.current_key_kind()) = 'manager') AND (SELECT support.current_is_manager()))
    WITH CHECK (((SELECT support.current_key_kind()) = 'manager') AND (SELECT support.current_is_manager()));

CREATE POLICY manager_all ON support.accounts
    TO support_manager
    USING (((SELECT support.current_key_kind()) = 'manager') AND (SELECT support.current_is_manager()))
    WITH CHECK (((SELECT support.current_key_kind()) = 'manager') AND (SELECT support.current_is_manager()));

CREATE POLICY manager_all ON support.agents
    TO support_manager
    USING (((SELECT support.current_key_kind()) = 'manager') AND (SELECT support.current_is_manager()))
    WITH CHECK (((SELECT support.current_key_kind()) = 'manager') AND (SELECT support.current_is_manager()));

CREATE POLICY manager_all ON support.assumption_policy
    TO support_manager
    USING (((SELECT support.current_key_kind()) = 'manager') AND (SELECT support.current_is_manager()))
    WITH CHECK (((SELECT support.current_key_kind()) = 'manager') AND (SELECT support.current_is_manager()));

CREATE POLICY manager_reads_approvals ON support.assumption_approvals
    FOR SELECT TO support_manager
    USING (((SELECT support.current_key_kind()) = 'manager') AND (SELECT support.current_is_manager()));

CREATE POLICY manager_reads_audit ON support.assumption_audit
    FOR SELECT TO support_manager
    USING (((SELECT support.current_key_kind()) = 'manager') AND (SELECT support.current_is_manager()));

CREATE POLICY manager_reads_security_audit ON support.security_audit
    FOR SELECT TO support_manager
    USING ((SELECT support.current_key_kind()) = 'manager');
