-- support.priority: input forms, output, ordering, operator classes, casts.
\i sql/include/fixture.sql

-- every accepted spelling, canonical output
SELECT input, input::support.priority AS priority
  FROM unnest(ARRAY['P1', 'p2', ' P3 ', 'p4', '1', '2', '3', '4',
                    'critical', 'HIGH', 'Medium', 'lOw', E'\tcritical\n']) AS input;

-- every bad input: 22P02 with the value quoted
SELECT 'P5'::support.priority;
SELECT 'P0'::support.priority;
SELECT '0'::support.priority;
SELECT '5'::support.priority;
SELECT ''::support.priority;
SELECT '   '::support.priority;
SELECT 'P'::support.priority;
SELECT 'P11'::support.priority;
SELECT '01'::support.priority;
SELECT '1.0'::support.priority;
SELECT 'urgent'::support.priority;
SELECT 'criticality'::support.priority;
SELECT 'P 1'::support.priority;
SELECT 'high priority'::support.priority;
SELECT 'P9'::support.priority;
\echo SQLSTATE :LAST_ERROR_SQLSTATE
-- NULL stays NULL
SELECT NULL::support.priority IS NULL AS null_in_null_out;

-- ordering: most urgent first, with every comparison operator
SELECT array_agg(p ORDER BY p) AS ascending, array_agg(p ORDER BY p DESC) AS descending
  FROM unnest('{low,P2,critical,3,P1,medium}'::support.priority[]) AS p;
SELECT a, b, a < b AS lt, a <= b AS le, a = b AS eq, a <> b AS ne, a >= b AS ge, a > b AS gt,
       support.priority_cmp(a, b) AS cmp
  FROM unnest('{P1,P2,P4}'::support.priority[]) a, unnest('{P1,P3}'::support.priority[]) b
 ORDER BY a, b;
SELECT min(p), max(p) FROM unnest('{P3,P2,P4}'::support.priority[]) p;

-- btree and hash operator classes serve indexes, sorts, merge and hash joins
CREATE TEMP TABLE prios AS
  SELECT (1 + i % 4)::support.priority AS p, i FROM generate_series(1, 2000) i;
CREATE INDEX prios_btree ON prios (p);
CREATE INDEX prios_hash ON prios USING hash (p);
ANALYZE prios;
SET enable_seqscan = off;
SET enable_bitmapscan = off;
EXPLAIN (COSTS OFF) SELECT count(*) FROM prios WHERE p < 'P2';
SELECT count(*) FROM prios WHERE p < 'P2';
SET enable_indexscan = on;
DROP INDEX prios_btree;
EXPLAIN (COSTS OFF) SELECT count(*) FROM prios WHERE p = 'high';
SELECT count(*) FROM prios WHERE p = 'high';
RESET enable_seqscan;
RESET enable_bitmapscan;
SET enable_mergejoin = off;
SET enable_nestloop = off;
EXPLAIN (COSTS OFF) SELECT count(*) FROM prios a JOIN support.sla_policies s ON s.priority = a.p;
SELECT count(*) FROM prios a JOIN support.sla_policies s ON s.priority = a.p;
RESET enable_mergejoin;
RESET enable_nestloop;
SELECT p, count(*) FROM prios GROUP BY p ORDER BY p;
SELECT count(DISTINCT p) FROM prios;

-- casts and the handbook's words
SELECT p, p::integer AS level, support.priority_label(p) AS label
  FROM unnest('{P1,P2,P3,P4}'::support.priority[]) p;
SELECT 2::support.priority, 4::support.priority;
SELECT 0::support.priority;
SELECT 7::support.priority;
SELECT support.priority_send('P3');
-- binary input round trip through COPY
COPY (SELECT 'P2'::support.priority) TO '/tmp/bedrock_priority.bin' WITH (FORMAT binary);
CREATE TEMP TABLE prio_copy (p support.priority);
COPY prio_copy FROM '/tmp/bedrock_priority.bin' WITH (FORMAT binary);
SELECT p FROM prio_copy;

-- Indexes on the extension's types deduplicate (btequalimage): 100,000 rows
-- of four priorities, four statuses and two calendars' hours index into
-- less than half the pages an index that keeps a tuple per row takes
CREATE EXTENSION IF NOT EXISTS pageinspect;
CREATE TEMP TABLE dedup AS
SELECT ('P' || (1 + i % 4))::support.priority AS p,
       (ARRAY['new', 'triaged', 'in_progress', 'closed']::support.ticket_status[])[1 + i % 4] AS s,
       (ARRAY['24x7', 'mon-fri 09:00-17:00 @ UTC']::support.business_hours[])[1 + i % 2] AS h
  FROM generate_series(1, 100000) i;
CREATE INDEX dedup_p ON dedup (p);
CREATE INDEX dedup_s ON dedup (s);
CREATE INDEX dedup_h ON dedup (h);
CREATE INDEX dedup_p_kept ON dedup (p) WITH (deduplicate_items = off);
CREATE INDEX dedup_s_kept ON dedup (s) WITH (deduplicate_items = off);
CREATE INDEX dedup_h_kept ON dedup (h) WITH (deduplicate_items = off);
SELECT i AS index, (bt_metap(i)).allequalimage,
       pg_relation_size(i) < pg_relation_size(i || '_kept') / 2 AS under_half_the_size
  FROM unnest(ARRAY['dedup_p', 'dedup_s', 'dedup_h']) i;
