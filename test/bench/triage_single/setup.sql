-- The single-ticket benchmarks' accounts, requesters, agents and ticket shapes
-- (test/bench/triage_pgbench.sh, triage_instructions.sh).
SET client_min_messages = warning;
INSERT INTO support.accounts (name, time_zone, calendar_id)
SELECT 'pgbench account ' || i, 'UTC', 2 FROM generate_series(1, 50) i;
INSERT INTO support.account_users (account_id, email, full_name, role)
SELECT a.account_id, 'user' || a.account_id || '@pgbench.example', 'Bench User', 'campaign_manager'
  FROM support.accounts a WHERE a.name LIKE 'pgbench account %';
-- three agents per routing group, one skill each, so each group's balance can be read
INSERT INTO support.agents (email, full_name, tier, skills, on_shift)
SELECT 'pgbench' || g.tier || g.skill || i || '@pgbench.example', g.skill || ' ' || i, g.tier, ARRAY[g.skill], true
  FROM (VALUES (1, 'campaign_management'), (1, 'reporting'), (2, 'data_analysis'),
               (2, 'api_integration'), (3, 'infrastructure')) AS g(tier, skill),
       generate_series(1, 3) i;
DROP TABLE IF EXISTS pgbench_requesters, pgbench_shapes;
CREATE TABLE pgbench_requesters AS
SELECT row_number() OVER (ORDER BY account_id)::int AS n, account_id, user_id
  FROM support.account_users WHERE email LIKE '%@pgbench.example';
CREATE TABLE pgbench_shapes (n int PRIMARY KEY, subject text, channel text, category text, outage boolean);
INSERT INTO pgbench_shapes VALUES
  (1, 'Dashboards are slow today', 'portal', 'reporting', false),
  (2, 'Budget pacing far below plan', 'email', 'campaign_performance', false),
  (3, 'Conversions do not match our analytics', 'email', 'data_discrepancy', false),
  (4, 'Webhook deliveries time out', 'api', 'technical_integration', false),
  (5, 'How do I set up lookalike audiences', 'email', 'training', false),
  (6, 'Platform unreachable', 'monitoring', 'infrastructure', true);
-- the floor's own agents, off shift so triage never picks them: one per
-- pgbench client for each shape's routing group as the category seeds it,
-- so the floor never waits for another client's lock on an agent's row
INSERT INTO support.agents (email, full_name, tier, skills, on_shift)
SELECT 'floor' || g.tier || g.skill || i || '@floor.example', g.skill || ' floor ' || i, g.tier, ARRAY[g.skill], false
  FROM (VALUES (1, 'campaign_management'), (1, 'reporting'), (2, 'data_analysis'),
               (2, 'api_integration'), (3, 'infrastructure')) AS g(tier, skill),
       generate_series(0, 7) i;
DROP TABLE IF EXISTS pgbench_shape_agents;
CREATE TABLE pgbench_shape_agents AS
SELECT s.n AS shape, row_number() OVER (PARTITION BY s.n ORDER BY a.agent_id)::int - 1 AS client,
       a.agent_id, c.default_tier AS tier
  FROM pgbench_shapes s
  JOIN support.categories c ON c.category = s.category
  JOIN support.agents a ON a.tier = c.default_tier AND c.required_skill = ANY (a.skills)
 WHERE a.email LIKE '%@floor.example';
ANALYZE pgbench_requesters, pgbench_shapes, pgbench_shape_agents;
