-- A support manager changes the shipped defaults with plain SQL.
\i sql/include/fixture.sql

-- change a target, add a category, retire one
UPDATE support.sla_policies SET response_target = '10 minutes', update_cadence = '20 minutes' WHERE priority = 'P1';
INSERT INTO support.categories (category, name, default_priority, default_tier, required_skill)
VALUES ('billing', 'Billing question', 'P3', 1, 'account_administration');
UPDATE support.categories SET active = false WHERE category = 'maintenance';
SELECT priority, response_target, update_cadence FROM support.sla_policies WHERE priority = 'P1';
SELECT (support.open_ticket(1, :cam, 'Invoice twice', category => 'billing')).priority;
SELECT support.open_ticket(1, :cam, 'Maintenance window?', category => 'maintenance');
UPDATE support.channels SET active = false WHERE channel = 'slack';
SELECT support.open_ticket(1, :cam, 'via slack', channel => 'slack');

-- what the constraints refuse (terse: details repeat whole rows)
\set VERBOSITY terse
INSERT INTO support.categories (category, name, default_priority, default_tier, required_skill)
VALUES ('Bad Name', 'x', 'P3', 1, 'x');
INSERT INTO support.categories (category, name, default_priority, default_tier, required_skill)
VALUES ('billing', 'duplicate', 'P3', 1, 'x');
INSERT INTO support.categories (category, name, default_priority, default_tier, required_skill)
VALUES ('tier9', 'x', 'P3', 9, 'x');
UPDATE support.sla_policies SET response_target = '-5 minutes' WHERE priority = 'P2';
UPDATE support.sla_policies SET escalation_ratio = 1.5 WHERE priority = 'P2';
UPDATE support.sla_policies SET update_cadence_unit = 'fortnights' WHERE priority = 'P2';
UPDATE support.sla_policies SET clock = 'sometimes' WHERE priority = 'P2';
-- a tier's targets are positive however written, and bounded, so no deadline overflows
UPDATE support.tiers SET initial_response = '100000 years' WHERE tier = 1;
UPDATE support.tiers SET initial_response = '-1 year 361 days' WHERE tier = 1;
UPDATE support.tiers SET resolution_target = '2 years' WHERE tier = 1;
UPDATE support.tiers SET escalation_threshold = '-1 month 29 days' WHERE tier = 1;
UPDATE support.sla_policies SET post_incident_review_within = '10000000 years' WHERE priority = 'P1';
UPDATE support.sla_policies SET follow_up_after = '-1 year 361 days' WHERE priority = 'P1';
UPDATE support.sla_policies SET resolution_target = '2 years' WHERE priority = 'P4';
INSERT INTO support.internal_channels VALUES ('general', 'missing the #');
INSERT INTO support.calendar (name, hours) VALUES ('nonsense', 'whenever we feel like it');
\set VERBOSITY default
SELECT count(*) AS categories FROM support.categories;

-- a restore (row_security = off) replaces seeded rows instead of failing on their keys
SET row_security = off;
INSERT INTO support.sla_policies (priority, name, criteria, response_target, resolution_target,
                                  update_cadence, update_cadence_unit, clock, escalation_ratio)
VALUES ('P2', 'High (restored)', '{}', '45 minutes', '3 hours', '90 minutes', 'elapsed', '24x7', 0.75);
RESET row_security;
SELECT priority, name, response_target, escalation_ratio FROM support.sla_policies ORDER BY priority;
-- outside a restore the same insert is an ordinary key conflict
INSERT INTO support.sla_policies (priority, name, response_target, resolution_target,
                                  update_cadence, update_cadence_unit, clock)
VALUES ('P2', 'again', '1 hour', '4 hours', '2 hours', 'business_hours', 'business');

-- every table has row-level security on
SELECT c.relname, c.relrowsecurity
  FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
 WHERE n.nspname = 'support' AND c.relkind = 'r' ORDER BY c.relname;
