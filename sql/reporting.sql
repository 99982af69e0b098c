-- The dashboard and KPI views (1.1).
\i sql/include/fixture.sql

SELECT ticket_id AS a FROM support.open_ticket(1, :cam, 'one', category => 'service_outage') \gset
SELECT ticket_id AS b FROM support.open_ticket(1, :cam, 'two', category => 'data_discrepancy') \gset
SELECT ticket_id AS c FROM support.open_ticket(2, :gil, 'three', category => 'general_inquiry') \gset
SELECT ticket_id AS d FROM support.open_ticket(1, :ada, 'four', category => 'general_inquiry') \gset
SELECT (support.assign_ticket(:a, :tess, :tess)).ticket_id IS NOT NULL;
SELECT (support.change_status(:a, 'triaged', :tess)).ticket_id IS NOT NULL;
SELECT (support.change_status(:a, 'in_progress', :tess)).ticket_id IS NOT NULL;
SELECT support.reply_publicly(:a, :tess, 'on it') > 0;
SELECT (support.resolve_ticket(:a, :tess, 'disk full', 'disk grown')).ticket_id IS NOT NULL;
SELECT (support.rate_ticket(:a, :cam, 4)).ticket_id IS NOT NULL;
SELECT (support.change_status(:b, 'triaged', :tom)).ticket_id IS NOT NULL;
SELECT (support.assign_ticket(:b, :tom, :tom)).ticket_id IS NOT NULL;
SELECT (support.change_status(:b, 'in_progress', :tom)).ticket_id IS NOT NULL;
SELECT (support.change_status(:b, 'pending_client', :tom)).ticket_id IS NOT NULL;
UPDATE support.tickets SET tier = 3 WHERE ticket_id = :b;   -- an escalation
UPDATE support.tickets SET tier = 1 WHERE ticket_id = :d;   -- a de-escalation is not one

SELECT priority, open_tickets, unassigned, pending_client, younger_than_1h, older_than_7d
  FROM support.open_tickets_by_priority ORDER BY priority;
SELECT full_name, tier, open_tickets, open_p1, open_p2 FROM support.agent_workload ORDER BY agent_id;
SELECT priority, tickets, responded, average_first_response IS NOT NULL AS has_first_response,
       resolved, escalated_percent, reopened_percent, average_satisfaction, ratings
  FROM support.response_kpis ORDER BY priority;
SELECT count(*) AS days, sum(created) AS created, sum(resolved) AS resolved, sum(closed) AS closed,
       max(average_satisfaction) AS satisfaction
  FROM support.daily_summary;

-- views run with the reader's rights: a role without grants cannot read through them
CREATE ROLE bedrock_reporting_probe;
GRANT USAGE ON SCHEMA support TO bedrock_reporting_probe;
GRANT SELECT ON support.response_kpis TO bedrock_reporting_probe;
SET ROLE bedrock_reporting_probe;
SELECT * FROM support.response_kpis;
RESET ROLE;
REVOKE ALL ON support.response_kpis FROM bedrock_reporting_probe;
REVOKE ALL ON SCHEMA support FROM bedrock_reporting_probe;
DROP ROLE bedrock_reporting_probe;
