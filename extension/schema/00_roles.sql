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
