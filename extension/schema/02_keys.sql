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

CREATE SEQUENCE support.auth_key_id_seq;
-- drawn only by the owner's functions (issue_key, assume_user_role)
REVOKE ALL ON SEQUENCE support.auth_key_id_seq FROM PUBLIC;
CREATE TABLE support.auth_keys (
    key_id bigint NOT NULL,
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
    CONSTRAINT assumptions_are_complete CHECK (((assumed_by IS NULL) OR ((parent_key_id IS NOT NULL) AND (idle_timeout IS NOT NULL) AND (session_slot IS NOT NULL) AND (session_nonce IS NOT NULL) AND (account_id IS NOT NULL)))),
    CONSTRAINT auth_keys_key_hash_check CHECK ((length(key_hash) = 32))
);
ALTER TABLE ONLY support.auth_keys ALTER COLUMN key_id SET DEFAULT nextval('support.auth_key_id_seq'::regclass);
ALTER TABLE ONLY support.auth_keys
    ADD CONSTRAINT auth_keys_key_hash_key UNIQUE (key_hash);
ALTER TABLE ONLY support.auth_keys
    ADD CONSTRAINT auth_keys_pkey PRIMARY KEY (key_id);
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

-- The role that called: SET ROLE's, else the login's; a SECURITY DEFINER
-- function changes neither (current_user would be the owner there).
CREATE FUNCTION support.calling_role() RETURNS name
    LANGUAGE sql STABLE PARALLEL SAFE SET search_path = pg_catalog, pg_temp AS $$
    SELECT CASE WHEN current_setting('role') OPERATOR(pg_catalog.=) 'none' THEN session_user
                ELSE current_setting('role')::name END
$$;
COMMENT ON FUNCTION support.calling_role() IS 'the role that called: SET ROLE''s, else the session''s login (what a SECURITY DEFINER function''s caller is)';
REVOKE ALL ON FUNCTION support.calling_role() FROM PUBLIC;

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

CREATE TRIGGER auth_keys_changed AFTER DELETE OR UPDATE ON support.auth_keys FOR EACH STATEMENT EXECUTE FUNCTION support.auth_keys_changed();
