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

CREATE SEQUENCE support.approval_id_seq;
-- drawn only by approve_assumption
REVOKE ALL ON SEQUENCE support.approval_id_seq FROM PUBLIC;
CREATE TABLE support.assumption_approvals (
    account_id bigint NOT NULL,
    approval_id bigint NOT NULL,
    super_user_id bigint NOT NULL,
    approved_by bigint NOT NULL,
    reason text NOT NULL,
    approved_at timestamp with time zone DEFAULT now() NOT NULL,
    valid_until timestamp with time zone NOT NULL,
    CONSTRAINT approver_is_not_the_super_user CHECK ((approved_by <> super_user_id)),
    CONSTRAINT assumption_approvals_reason_check CHECK ((btrim(reason) <> ''::text))
);
ALTER TABLE ONLY support.assumption_approvals ALTER COLUMN approval_id SET DEFAULT nextval('support.approval_id_seq'::regclass);
ALTER TABLE ONLY support.assumption_approvals
    ADD CONSTRAINT assumption_approvals_pkey PRIMARY KEY (account_id, approval_id);
ALTER TABLE ONLY support.assumption_approvals
    ADD CONSTRAINT assumption_approvals_account_id_fkey FOREIGN KEY (account_id) REFERENCES support.accounts(account_id);
ALTER TABLE ONLY support.assumption_approvals
    ADD CONSTRAINT assumption_approvals_approved_by_fkey FOREIGN KEY (approved_by) REFERENCES support.agents(agent_id);
ALTER TABLE ONLY support.assumption_approvals
    ADD CONSTRAINT assumption_approvals_super_user_id_fkey FOREIGN KEY (super_user_id) REFERENCES support.agents(agent_id);
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
    audit_id bigint NOT NULL,
    occurred_at timestamp with time zone DEFAULT clock_timestamp() NOT NULL,
    action text NOT NULL,
    assumed_by bigint NOT NULL,  -- the real actor: the super user
    assumed_user_id bigint,  -- the user acted as
    key_id bigint,
    justification text,
    approval_id bigint,
    details jsonb DEFAULT '{}'::jsonb NOT NULL,
    CONSTRAINT assumption_audit_action_check CHECK ((action = ANY (ARRAY['approved'::text, 'assumed'::text, 'released'::text, 'expired'::text, 'write'::text])))
);
ALTER TABLE ONLY support.assumption_audit ALTER COLUMN audit_id SET DEFAULT nextval('support.audit_id_seq'::regclass);
ALTER TABLE ONLY support.assumption_audit
    ADD CONSTRAINT assumption_audit_pkey PRIMARY KEY (account_id, audit_id);
CREATE INDEX assumption_audit_actor_idx ON support.assumption_audit USING btree (assumed_by, occurred_at);
ALTER SEQUENCE support.audit_id_seq OWNED BY support.assumption_audit.audit_id;
ALTER TABLE support.assumption_audit ENABLE ROW LEVEL SECURITY;
COMMENT ON TABLE support.assumption_audit IS 'append-only trail of role assumption: approvals, assumptions, releases, expiries and every row written while assuming, with the real actor';
GRANT SELECT ON TABLE support.assumption_audit TO support_manager;
SELECT pg_catalog.pg_extension_config_dump('support.assumption_audit', '');
SELECT pg_catalog.pg_extension_config_dump('support.audit_id_seq', '');

CREATE TABLE support.assumption_policy (
    singleton boolean DEFAULT true NOT NULL,
    idle_timeout interval DEFAULT '02:00:00'::interval NOT NULL,
    justification_min_length integer DEFAULT 10 NOT NULL,
    approval_valid_for interval DEFAULT '08:00:00'::interval NOT NULL,
    max_key_lifetime interval DEFAULT '24:00:00'::interval NOT NULL,
    second_factor_failures integer DEFAULT 5 NOT NULL,
    second_factor_lockout interval DEFAULT '00:15:00'::interval NOT NULL,
    CONSTRAINT second_factor_lockouts_are_bounded CHECK (((second_factor_failures >= 1) AND (second_factor_failures <= 1000) AND (second_factor_lockout >= '00:01:00'::interval) AND (second_factor_lockout <= '7 days'::interval))),
    CONSTRAINT assumption_policy_approval_valid_for_check CHECK ((approval_valid_for > '00:00:00'::interval)),
    CONSTRAINT assumption_policy_idle_timeout_check CHECK ((idle_timeout > '00:00:00'::interval)),
    CONSTRAINT assumption_policy_justification_min_length_check CHECK ((justification_min_length >= 1)),
    CONSTRAINT assumption_policy_max_key_lifetime_check CHECK ((max_key_lifetime > '00:00:00'::interval)),
    CONSTRAINT assumption_policy_singleton_check CHECK (singleton)
);
ALTER TABLE ONLY support.assumption_policy
    ADD CONSTRAINT assumption_policy_pkey PRIMARY KEY (singleton);
ALTER TABLE support.assumption_policy ENABLE ROW LEVEL SECURITY;
COMMENT ON TABLE support.assumption_policy IS 'the handbook''s limits on keys and role assumption: idle timeout (2 hours), justification length, how long a manager''s approval lasts, longest key, and wrong one-time codes before a lockout';
COMMENT ON COLUMN support.assumption_policy.second_factor_failures IS 'wrong one-time codes in a row that lock a member of staff''s second factor (5)';
COMMENT ON COLUMN support.assumption_policy.second_factor_lockout IS 'how long such a lockout lasts (15 minutes; a superuser may enroll a new second factor sooner)';
GRANT SELECT,UPDATE ON TABLE support.assumption_policy TO support_manager;
SELECT pg_catalog.pg_extension_config_dump('support.assumption_policy', '');

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

INSERT INTO support.assumption_policy (singleton, idle_timeout, justification_min_length, approval_valid_for, max_key_lifetime) VALUES
	(true, '02:00:00', 10, '08:00:00', '24:00:00');
