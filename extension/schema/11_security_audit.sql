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

CREATE SEQUENCE support.security_audit_id_seq;
CREATE TABLE support.security_audit (
    audit_id bigint NOT NULL,
    occurred_at timestamp with time zone DEFAULT clock_timestamp() NOT NULL,
    kind text NOT NULL,
    changed_by bigint,  -- the key's user; NULL for a DBA's or the worker's session
    changed_by_role name DEFAULT support.calling_role() NOT NULL,
    subject_id bigint,  -- the agent or account changed
    details jsonb DEFAULT '{}'::jsonb NOT NULL,
    CONSTRAINT security_audit_kind_check CHECK ((kind = ANY (ARRAY['staff_rights'::text, 'account_sensitivity'::text, 'assumption_policy'::text, 'endpoint'::text, 'bypass'::text, 'session_ended'::text, 'second_factor'::text])))
);
ALTER TABLE ONLY support.security_audit ALTER COLUMN audit_id SET DEFAULT nextval('support.security_audit_id_seq'::regclass);
ALTER TABLE ONLY support.security_audit
    ADD CONSTRAINT security_audit_pkey PRIMARY KEY (audit_id);
CREATE INDEX security_audit_changes_idx ON support.security_audit USING btree (changed_by, occurred_at);
ALTER SEQUENCE support.security_audit_id_seq OWNED BY support.security_audit.audit_id;
ALTER TABLE support.security_audit ENABLE ROW LEVEL SECURITY;
COMMENT ON TABLE support.security_audit IS 'append-only trail of changes to staff powers: super-user and manager rights, an account''s sensitive flag, the assumption policy, delivery endpoints, second factors enrolled, refused and locked out, sessions the escalation worker ended for holding a due ticket, and a superuser''s changes to the trails themselves';
GRANT SELECT ON TABLE support.security_audit TO support_manager;
SELECT pg_catalog.pg_extension_config_dump('support.security_audit', '');
SELECT pg_catalog.pg_extension_config_dump('support.security_audit_id_seq', '');

CREATE EVENT TRIGGER bedrock_support_trail_changes ON ddl_command_end
         WHEN TAG IN ('ALTER TABLE', 'CREATE TRIGGER', 'ALTER TRIGGER', 'CREATE POLICY', 'ALTER POLICY', 'DROP POLICY')
   EXECUTE FUNCTION support.record_trail_bypass();

-- and the drops of their triggers and policies (DROP is not among the
-- commands ddl_command_end is told of)
CREATE EVENT TRIGGER bedrock_support_trail_drops ON sql_drop
         WHEN TAG IN ('DROP TRIGGER', 'DROP POLICY')
   EXECUTE FUNCTION support.record_trail_bypass();

-- PostgreSQL database dump complete

CREATE TRIGGER account_sensitivity_audited AFTER UPDATE OF sensitive ON support.accounts FOR EACH ROW WHEN ((old.sensitive IS DISTINCT FROM new.sensitive)) EXECUTE FUNCTION support.audit_account_sensitivity();

CREATE TRIGGER assumption_policy_audited AFTER UPDATE ON support.assumption_policy FOR EACH ROW WHEN ((old.* IS DISTINCT FROM new.*)) EXECUTE FUNCTION support.audit_assumption_policy();

CREATE TRIGGER assumption_policy_replacement_audited AFTER INSERT OR DELETE ON support.assumption_policy FOR EACH ROW EXECUTE FUNCTION support.audit_assumption_policy();

CREATE TRIGGER new_staff_rights_audited AFTER INSERT ON support.agents FOR EACH ROW WHEN ((new.is_super_user OR new.is_support_manager)) EXECUTE FUNCTION support.audit_staff_rights();

CREATE TRIGGER removed_staff_rights_audited AFTER DELETE ON support.agents FOR EACH ROW WHEN ((old.is_super_user OR old.is_support_manager)) EXECUTE FUNCTION support.audit_staff_rights();

CREATE TRIGGER security_audit_append_only BEFORE DELETE OR UPDATE ON support.security_audit FOR EACH ROW EXECUTE FUNCTION support.refuse_history_change_trigger();

CREATE TRIGGER security_audit_no_truncate BEFORE TRUNCATE ON support.security_audit FOR EACH STATEMENT EXECUTE FUNCTION support.refuse_history_change_trigger();

CREATE TRIGGER staff_rights_audited AFTER UPDATE OF is_super_user, is_support_manager, active ON support.agents FOR EACH ROW WHEN (((old.is_super_user IS DISTINCT FROM new.is_super_user) OR (old.is_support_manager IS DISTINCT FROM new.is_support_manager) OR ((old.active IS DISTINCT FROM new.active) AND (old.is_super_user OR old.is_support_manager OR new.is_super_user OR new.is_support_manager)))) EXECUTE FUNCTION support.audit_staff_rights();

CREATE POLICY manager_reads_security_audit ON support.security_audit
    FOR SELECT TO support_manager
    USING ((SELECT support.current_key_kind()) = 'manager');
