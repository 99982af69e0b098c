-- The extension's types from an ordinary client: the default search_path,
-- literals, parameters bound as text and varchar (JDBC's default, so every
-- Metabase filter), arrays of them (psycopg2's lists), CASE, min/max, joins
-- and sorts; and the indexes on those columns still used.
\i sql/include/fixture.sql

SELECT ticket_id AS a FROM support.open_ticket(1, :cam, 'outage', category => 'service_outage') \gset
SELECT ticket_id AS b FROM support.open_ticket(1, :cam, 'numbers off', category => 'data_discrepancy') \gset
SELECT ticket_id AS c FROM support.open_ticket(2, :gil, 'question', category => 'general_inquiry') \gset
SELECT (support.change_status(:b, 'triaged', :tom)).status;

RESET search_path;
SHOW search_path;

-- literals
SELECT ticket_id = :a AS p1_ticket FROM support.tickets WHERE priority = 'P1';
SELECT count(*) FROM support.tickets WHERE priority IN ('P1', 'P3') AND priority <= 'P3';
SELECT count(*) FROM support.tickets WHERE status = 'new' AND status IN ('new', 'triaged');
SELECT count(*) FROM support.ticket_events WHERE kind = 'created' AND visibility = 'public';
SELECT min(priority), max(priority), min(status), max(status) FROM support.tickets;
SELECT ticket_id = :a AS first, priority,
       CASE priority WHEN 'P1' THEN 'page the on-call' ELSE 'queue' END AS action,
       CASE status WHEN 'new' THEN 'untouched' ELSE 'in hand' END AS state
  FROM support.tickets ORDER BY priority, ticket_id;
-- a view joined to the configuration on priority, grouped and sorted
SELECT p.priority, p.name, count(q.ticket_id) AS open
  FROM support.sla_policies p LEFT JOIN support.ticket_queue q ON q.priority = p.priority
 GROUP BY p.priority, p.name ORDER BY p.priority DESC;

-- parameters bound as varchar and text, one value or a list
PREPARE priority_as_varchar(varchar) AS SELECT count(*) FROM support.tickets WHERE priority = $1;
EXECUTE priority_as_varchar('P1');
PREPARE status_as_varchar(varchar) AS SELECT count(*) FROM support.tickets WHERE status = $1;
EXECUTE status_as_varchar('triaged');
PREPARE priority_as_text(text) AS SELECT count(*) FROM support.tickets WHERE priority <= $1;
EXECUTE priority_as_text('P3');
PREPARE priorities_as_list(text[]) AS SELECT count(*) FROM support.tickets WHERE priority = ANY ($1);
EXECUTE priorities_as_list('{P1,P3}');
PREPARE statuses_as_list(varchar[]) AS SELECT count(*) FROM support.tickets WHERE status = ANY ($1);
EXECUTE statuses_as_list('{new,closed}');
-- a bad value is the type's own error, not a missing operator
EXECUTE priority_as_varchar('P9');
EXECUTE status_as_varchar('lost');

-- the cast applies to the parameter, not the column, so an index on the
-- column is still used (a board of 2,000 rows of its own, indexed)
CREATE TEMP TABLE board AS
SELECT i AS id, (1 + i % 4)::support.priority AS priority,
       (ARRAY['new', 'triaged', 'in_progress', 'closed'])[1 + i % 4]::support.ticket_status AS status
  FROM generate_series(1, 2000) i;
CREATE INDEX board_priority ON board (priority);
CREATE INDEX board_status ON board (status);
ANALYZE board;
SET enable_seqscan = off;
SET plan_cache_mode = force_generic_plan;
PREPARE board_priority(varchar) AS SELECT count(*) FROM board WHERE priority = $1;
EXPLAIN (COSTS OFF) EXECUTE board_priority('P1');
EXECUTE board_priority('P1');
PREPARE board_statuses(varchar[]) AS SELECT count(*) FROM board WHERE status = ANY ($1);
EXPLAIN (COSTS OFF) EXECUTE board_statuses('{new,closed}');
EXECUTE board_statuses('{new,closed}');
PREPARE board_urgent(text) AS SELECT count(*) FROM board WHERE priority <= $1;
EXPLAIN (COSTS OFF) EXECUTE board_urgent('P2');
EXECUTE board_urgent('P2');
PREPARE policy_as_varchar(varchar) AS SELECT name FROM support.sla_policies WHERE priority = $1;
EXPLAIN (COSTS OFF) EXECUTE policy_as_varchar('P2');
EXECUTE policy_as_varchar('P2');
RESET enable_seqscan;
RESET plan_cache_mode;

-- where they live: the operators in pg_catalog, their functions in support
SELECT DISTINCT o.oprnamespace::regnamespace AS operators, p.pronamespace::regnamespace AS functions
  FROM pg_catalog.pg_operator o JOIN pg_catalog.pg_proc p ON p.oid = o.oprcode
 WHERE o.oprleft IN ('support.priority'::regtype, 'support.ticket_status'::regtype,
                     'support.business_hours'::regtype, 'support.event_kind'::regtype);
