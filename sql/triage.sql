-- Triage in the INSERT: every seeded rule hit by a ticket, category
-- defaults, given priorities, overrides, routing to tiers, escalation on
-- creation, least-loaded assignment, the queue, the acknowledgment, and the
-- rule cache refreshed after an edit.
\i sql/include/fixture.sql
SET timezone = 'UTC';
SET support.auto_assign = off;

SELECT position, name, coalesce(category, '*') AS category, coalesce(channel, '*') AS channel,
       required_flags, excluded_flags, keywords, priority, escalate_to_tier AS tier, alert_channel
  FROM support.triage_rules ORDER BY position;

-- one ticket per rule, in one INSERT ... SELECT, each meant to hit that rule
CREATE TEMP TABLE cases (n int, subject text, description text, channel text, category text, flags text[], expected text);
INSERT INTO cases VALUES
 (1,  'Our whole account is down', 'Calling the hotline', 'phone', 'general_inquiry', '{}', 'Emergency hotline call'),
 (2,  'Ad serving stopped', 'No impressions, revenue lost', 'email', 'service_outage', '{service_outage,revenue_impact}', 'Complete service outage affecting revenue'),
 (3,  'Checkout tags dropping', 'Sales are lost', 'portal', 'technical_integration', '{revenue_impact}', 'Revenue-impacting issue'),
 (4,  'Strange logins', 'Someone else accessed our data', 'email', 'security', '{security_or_data_integrity}', 'Security breach or data integrity issue'),
 (5,  'Black Friday ads not delivering', '', 'slack', 'campaign_performance', '{campaign_delivery_failure,peak_period}', 'Campaign delivery failure during a peak period'),
 (6,  'Bidding API returns 500', 'Cannot change bids', 'api', 'technical_integration', '{api_failure}', 'API failure preventing critical operations'),
 (7,  'Platform unreachable', '', 'monitoring', 'infrastructure', '{service_outage}', 'Complete service outage'),
 (8,  'Product feed sync fails', 'Manual upload works for now', 'email', 'technical_integration', '{workaround_available}', 'Integration failure with a workaround available'),
 (9,  'Dashboards are slow', 'Pages load in 30 seconds', 'portal', 'reporting', '{}', 'Partial service degradation affecting performance'),
 (10, 'Budget pacing off', 'We underspend every day', 'email', 'campaign_performance', '{}', 'Campaign optimization issue impacting spend'),
 (11, 'Conversions do not match', 'Numbers differ from our analytics', 'email', 'data_discrepancy', '{}', 'Reporting discrepancy affecting decision-making'),
 (12, 'Please add dark mode', '', 'portal', 'feature_request', '{}', 'Feature request or enhancement suggestion'),
 (13, 'Labels overlap', 'Cosmetic', 'portal', 'ui_issue', '{}', 'Non-critical UI issue or cosmetic problem'),
 (14, 'How to set up lookalikes', '', 'email', 'training', '{}', 'Training request or best-practice guidance'),
 (15, 'API docs unclear', '', 'portal', 'documentation', '{}', 'Documentation update or clarification'),
 (16, 'Question about invoices', '', 'email', 'general_inquiry', '{}', 'General inquiry'),
 (17, 'Maintenance window next week?', '', 'email', 'maintenance', '{}', 'Maintenance notification'),
 (18, 'Add a new user', '', 'portal', 'account_administration', '{}', 'Account administration task'),
 (19, 'Spend by month for 2024', '', 'portal', 'historical_data', '{}', 'Historical data request'),
 -- no rule: the category's default
 (20, 'Cannot log in', '', 'portal', 'account_access', '{}', NULL),
 (21, 'Report builder question', '', 'portal', 'complex_reporting', '{}', NULL);

INSERT INTO support.tickets (account_id, requester_id, subject, description, channel, category,
                             service_outage, revenue_impact, security_or_data_integrity,
                             campaign_delivery_failure, peak_period, api_failure,
                             workaround_available, multi_client_impact)
SELECT 1, :cam, c.subject, c.description, c.channel, c.category,
       'service_outage' = ANY (c.flags), 'revenue_impact' = ANY (c.flags),
       'security_or_data_integrity' = ANY (c.flags), 'campaign_delivery_failure' = ANY (c.flags),
       'peak_period' = ANY (c.flags), 'api_failure' = ANY (c.flags),
       'workaround_available' = ANY (c.flags), 'multi_client_impact' = ANY (c.flags)
  FROM cases c ORDER BY c.n;

SELECT c.n, t.priority, t.tier, t.priority_source AS source, coalesce(r.name, '(category default)') AS decided_by,
       r.name IS NOT DISTINCT FROM c.expected AS as_expected
  FROM cases c JOIN support.tickets t ON t.subject = c.subject
  LEFT JOIN support.triage_rules r ON r.rule_id = t.triage_rule_id
 ORDER BY c.n;
SELECT count(*) AS rules, count(*) FILTER (WHERE EXISTS (SELECT 1 FROM support.tickets t WHERE t.triage_rule_id = r.rule_id)) AS rules_hit
  FROM support.triage_rules r;

-- escalation on creation: an event and an alert in the outbox for each
SELECT t.subject, e.body FROM support.ticket_events e JOIN support.tickets t USING (account_id, ticket_id)
 WHERE e.kind = 'escalation' ORDER BY t.ticket_id;
SELECT m.target, m.body, m.payload ->> 'rule' AS rule FROM support.outbound_messages m
 WHERE m.destination = 'slack' ORDER BY m.ticket_id;
-- the created event says what decided
SELECT e.details ->> 'priority' AS priority, e.details ->> 'priority_source' AS source, e.details ->> 'triage_rule' AS rule
  FROM support.ticket_events e JOIN support.tickets t USING (account_id, ticket_id)
 WHERE e.kind = 'created' AND t.subject IN ('Dashboards are slow', 'Cannot log in');

-- a priority given at creation is kept (the rule is still recorded and still escalates)
SELECT priority, tier, priority_source, (SELECT name FROM support.triage_rules r WHERE r.rule_id = t.triage_rule_id) AS rule
  FROM support.open_ticket(1, :cam, 'Phoned in: a question', channel => 'phone', category => 'general_inquiry',
                           priority => 'P3', created_by => :tia) t;
-- an agent overrides later, with a reason, in the history
SELECT ticket_id AS slow FROM support.tickets WHERE subject = 'Dashboards are slow' \gset
SELECT (support.change_priority(:slow, 'P3', :tia, 'only one dashboard, cached copy works')).priority;
SELECT kind, old_value, new_value, body FROM support.ticket_events WHERE ticket_id = :slow AND kind = 'priority_change';

-- the rules are cached per backend and refreshed by an edit
UPDATE support.triage_rules SET priority = 'P1', keywords = 'slow OR sluggish'
 WHERE name = 'Partial service degradation affecting performance';
SELECT priority, priority_source FROM support.open_ticket(1, :cam, 'Everything is sluggish', category => 'reporting');
UPDATE support.triage_rules SET active = false WHERE name = 'Partial service degradation affecting performance';
SELECT priority, priority_source FROM support.open_ticket(1, :cam, 'Everything is sluggish again', category => 'reporting');
INSERT INTO support.triage_rules (position, name, category, keywords, priority)
VALUES (5, 'Sluggish means urgent here', 'reporting', 'sluggish', 'P2');
SELECT priority, priority_source FROM support.open_ticket(1, :cam, 'Sluggish once more', category => 'reporting');
UPDATE support.categories SET default_tier = 2 WHERE category = 'account_access';
SELECT tier FROM support.open_ticket(1, :cam, 'Locked out', category => 'account_access');
-- bad rules are refused
INSERT INTO support.triage_rules (position, name, required_flags, priority) VALUES (6, 'typo', '{revenue_impakt}', 'P1');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
INSERT INTO support.triage_rules (position, name, priority, escalate_to_tier) VALUES (7, 'half an escalation', 'P1', 3);
\echo SQLSTATE :LAST_ERROR_SQLSTATE

-- the client's acknowledgment: the initial-response template, rendered for the ticket
SELECT m.destination, m.target, m.template, m.subject, m.state
  FROM support.outbound_messages m JOIN support.tickets t USING (account_id, ticket_id)
 WHERE t.subject = 'Labels overlap';
SELECT m.body ~ 'Dear Cam Campaigns,' AND m.body ~ ('ticket #' || t.ticket_id) AND m.body ~ 'Priority Level: P3 \(Medium\)'
       AND m.body ~ 'to be assigned from the tier 1 queue' AND m.body !~ '\[[A-Za-z /]+\]' AS filled
  FROM support.outbound_messages m JOIN support.tickets t USING (account_id, ticket_id)
 WHERE t.subject = 'Labels overlap' AND m.destination = 'email';
SELECT count(*) FILTER (WHERE m.destination = 'email') = (SELECT count(*) FROM support.tickets) AS one_acknowledgment_per_ticket
  FROM support.outbound_messages m;

-- a ticket rolled back queues nothing
SELECT count(*) AS messages_before FROM support.outbound_messages \gset
BEGIN;
SELECT (support.open_ticket(1, :cam, 'Changed my mind', category => 'general_inquiry')).status;
ROLLBACK;
SELECT count(*) = :messages_before AS nothing_queued FROM support.outbound_messages;

-- nobody assigned while auto_assign was off: every ticket waits in its tier's queue
SELECT tier, count(*) AS waiting, min(position_in_queue) AS first, max(position_in_queue) AS last
  FROM support.ticket_queue GROUP BY tier ORDER BY tier;

-- least-loaded assignment: tier 1 campaign tickets spread over the two agents
-- with the skill, alternating on ties; the agent without it gets none
SET support.auto_assign = on;
INSERT INTO support.agents (email, full_name, tier, skills, on_shift) VALUES
  ('tao@bedrock.example', 'Tao Tier-One', 1, '{campaign_management,reporting}', true),
  ('ula@bedrock.example', 'Ula Off-Shift', 1, '{campaign_management}', false),
  ('ray@bedrock.example', 'Ray Reporting', 1, '{reporting}', true);
SELECT i, g.full_name
  FROM generate_series(1, 4) i
 CROSS JOIN LATERAL support.open_ticket(1, :cam, 'Campaign question ' || i, category => 'training') t
  JOIN support.agents g ON g.agent_id = t.assignee_id ORDER BY i;
-- many in one statement are spread too
INSERT INTO support.tickets (account_id, requester_id, subject, channel, category)
SELECT 1, :cam, 'Bulk campaign question ' || i, 'portal', 'training' FROM generate_series(1, 6) i;
SELECT g.full_name, count(*) AS open_tickets
  FROM support.tickets t JOIN support.agents g ON g.agent_id = t.assignee_id
 WHERE t.category = 'training' GROUP BY g.full_name ORDER BY 1;
-- routing follows the category's skill and tier; the assignment is in the history
SELECT g.full_name, t.tier FROM support.open_ticket(1, :cam, 'Export wrong', category => 'reporting', description => 'totals') t
  JOIN support.agents g ON g.agent_id = t.assignee_id;
SELECT e.body FROM support.ticket_events e JOIN support.tickets t USING (account_id, ticket_id)
 WHERE t.subject = 'Export wrong' AND e.kind = 'assignee_change';
-- a resolved ticket no longer counts: its agent is least loaded again
SELECT agent_id AS tao FROM support.agents WHERE email = 'tao@bedrock.example' \gset
SELECT count(*) FILTER (WHERE (support.change_status(t.ticket_id, 'triaged', :tao)).status IS NOT NULL
                          AND (support.change_status(t.ticket_id, 'in_progress', :tao)).status IS NOT NULL
                          AND (support.resolve_ticket(t.ticket_id, :tao, 'n/a', 'answered')).status IS NOT NULL) AS resolved
  FROM support.tickets t WHERE t.assignee_id = :tao AND t.category = 'training';
SELECT g.full_name FROM support.open_ticket(1, :cam, 'Campaign question after', category => 'training') t
  JOIN support.agents g ON g.agent_id = t.assignee_id;
-- no eligible agent (no tier 2 data analyst): unassigned, in the tier 2 queue
SELECT assignee_id IS NULL AS unassigned, tier FROM support.open_ticket(1, :cam, 'Revenue numbers differ', category => 'data_discrepancy');
SELECT tier, priority, position_in_queue FROM support.ticket_queue t
 WHERE t.ticket_id = (SELECT max(ticket_id) FROM support.tickets);
-- a restore inserts rows as they are: no triage
SET row_security = off;
INSERT INTO support.tickets (account_id, ticket_id, requester_id, subject, channel, category, priority, tier)
VALUES (1, 99999, :cam, 'restored', 'email', 'general_inquiry', 'P2', 2);
RESET row_security;
SELECT priority, tier, priority_source, assignee_id FROM support.tickets WHERE ticket_id = 99999;

-- the triggers keep every change of the agents' loads, through inserts,
-- bulk inserts, reassignment, resolution and reopening: in the agent's row
-- when no other transaction holds it (here, always), else in
-- support.agent_load_changes for the worker's fold
-- (test/specs/triage_assignment_no_wait.spec); either way they add up exactly
SELECT (support.assign_ticket(t.ticket_id, :tia, :tia)).assignee_id IS NOT NULL AS reassigned
  FROM support.tickets t WHERE t.subject = 'Export wrong';
SELECT (support.change_status(t.ticket_id, 'in_progress', :tao, 'December missing')).status AS reopened
  FROM support.tickets t WHERE t.subject = 'Campaign question 2';
SELECT count(*) AS changes_waiting_for_a_fold FROM support.agent_load_changes;
SELECT support.fold_agent_loads() AS folded;
SELECT g.full_name, g.open_tickets,
       (SELECT count(*) FROM support.tickets t WHERE t.assignee_id = g.agent_id
           AND t.status NOT IN ('resolved', 'closed')) AS counted
  FROM support.agents g ORDER BY g.agent_id;
