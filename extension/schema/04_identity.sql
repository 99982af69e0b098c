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
    skills text[] DEFAULT '{}'::text[] NOT NULL,
    is_super_user boolean DEFAULT false NOT NULL,
    is_support_manager boolean DEFAULT false NOT NULL,
    on_shift boolean DEFAULT false NOT NULL,
    active boolean DEFAULT true NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    open_tickets integer DEFAULT 0 NOT NULL,
    last_assigned_at timestamp with time zone,
    is_executive boolean DEFAULT false NOT NULL,
    CONSTRAINT agents_email_check CHECK ((email ~ '^[^@\s]+@[^@\s]+$'::text)),
    CONSTRAINT names_are_one_short_line CHECK (support.is_name(full_name)),
    CONSTRAINT agents_open_tickets_check CHECK ((open_tickets >= 0)),
    CONSTRAINT emails_are_addresses CHECK (support.is_email_address(email))
);
ALTER TABLE ONLY support.agents
    ADD CONSTRAINT agents_email_key UNIQUE (email);
ALTER TABLE ONLY support.agents
    ADD CONSTRAINT agents_pkey PRIMARY KEY (agent_id);
ALTER TABLE ONLY support.agents
    ADD CONSTRAINT agents_tier_fkey FOREIGN KEY (tier) REFERENCES support.tiers(tier);
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

CREATE SEQUENCE support.account_id_seq;
GRANT USAGE ON SEQUENCE support.account_id_seq TO support_manager;
CREATE TABLE support.accounts (
    account_id bigint NOT NULL,
    name text NOT NULL,
    time_zone text NOT NULL,
    calendar_id bigint NOT NULL,
    enterprise boolean DEFAULT false NOT NULL,
    slack_channel text,
    sensitive boolean DEFAULT false NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    email_domains text[] DEFAULT '{}'::text[] NOT NULL,
    CONSTRAINT names_are_one_short_line CHECK (support.is_name(name)),
    CONSTRAINT email_domains_are_lower_case_names CHECK (((pg_catalog.array_to_string(email_domains, ' ') = lower(pg_catalog.array_to_string(email_domains, ' '))) AND (pg_catalog.array_position(email_domains, NULL::text) IS NULL))),
    CONSTRAINT accounts_slack_channel_check CHECK ((slack_channel ~ '^#[a-z0-9_-]+$'::text)),
    CONSTRAINT accounts_time_zone_check CHECK (support.check_time_zone(time_zone)),
    CONSTRAINT enterprise_accounts_have_slack_channel CHECK (((NOT enterprise) OR (slack_channel IS NOT NULL)))
);
ALTER TABLE ONLY support.accounts ALTER COLUMN account_id SET DEFAULT nextval('support.account_id_seq'::regclass);
ALTER TABLE ONLY support.accounts
    ADD CONSTRAINT accounts_pkey PRIMARY KEY (account_id);
ALTER TABLE ONLY support.accounts
    ADD CONSTRAINT accounts_calendar_id_fkey FOREIGN KEY (calendar_id) REFERENCES support.calendar(calendar_id);
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
-- an account's own revenue threshold (support.revenue_thresholds, 03_configuration.sql)
ALTER TABLE ONLY support.revenue_thresholds
    ADD CONSTRAINT revenue_thresholds_account_id_fkey FOREIGN KEY (account_id) REFERENCES support.accounts(account_id);

CREATE TABLE support.account_users (
    account_id bigint NOT NULL,
    user_id bigint DEFAULT nextval('support.user_id_seq'::regclass) NOT NULL,
    email text NOT NULL,
    full_name text NOT NULL,
    role support.account_role NOT NULL,
    active boolean DEFAULT true NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT account_users_email_check CHECK ((email ~ '^[^@\s]+@[^@\s]+$'::text)),
    CONSTRAINT names_are_one_short_line CHECK (support.is_name(full_name)),
    CONSTRAINT emails_are_addresses CHECK (support.is_email_address(email))
);
ALTER TABLE ONLY support.account_users
    ADD CONSTRAINT account_users_account_id_email_key UNIQUE (account_id, email);
ALTER TABLE ONLY support.account_users
    ADD CONSTRAINT account_users_pkey PRIMARY KEY (account_id, user_id);
ALTER TABLE ONLY support.account_users
    ADD CONSTRAINT account_users_account_id_fkey FOREIGN KEY (account_id) REFERENCES support.accounts(account_id);
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
CREATE TRIGGER users_at_the_account_domains BEFORE INSERT OR UPDATE OF email ON support.account_users FOR EACH ROW EXECUTE FUNCTION support.check_user_domain();

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
       AND client_user.role OPERATOR(pg_catalog.=) 'reporting_manager' THEN
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

CREATE TABLE support.staff_totp (
    agent_id bigint NOT NULL,
    secret bytea NOT NULL,
    last_step bigint DEFAULT 0 NOT NULL,
    enrolled_at timestamp with time zone DEFAULT now() NOT NULL,
    locked_until timestamp with time zone,
    CONSTRAINT staff_totp_secret_check CHECK ((length(secret) >= 10))
);
ALTER TABLE ONLY support.staff_totp
    ADD CONSTRAINT staff_totp_pkey PRIMARY KEY (agent_id);
ALTER TABLE ONLY support.staff_totp
    ADD CONSTRAINT staff_totp_agent_id_fkey FOREIGN KEY (agent_id) REFERENCES support.agents(agent_id);
ALTER TABLE support.staff_totp ENABLE ROW LEVEL SECURITY;
-- No group reads second-factor secrets: only the owner's functions do.
REVOKE ALL ON TABLE support.staff_totp FROM PUBLIC;
COMMENT ON TABLE support.staff_totp IS 'support staff''s TOTP secrets (RFC 6238) and the last time step used, so a code works once';
SELECT pg_catalog.pg_extension_config_dump('support.staff_totp', '');
COMMENT ON COLUMN support.staff_totp.locked_until IS 'a lockout for wrong codes, as the worker wrote it down (the count itself is in shared memory): it outlives a restart';

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

GRANT USAGE ON SCHEMA support TO support_client, support_agent, support_manager, support_super_user, support_login;

CREATE TRIGGER config_changed AFTER DELETE OR UPDATE OR TRUNCATE ON support.accounts FOR EACH STATEMENT EXECUTE FUNCTION support.config_changed();

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
