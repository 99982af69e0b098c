-- bedrock_support 1.0 -> 1.1: the handbook's operations dashboard and KPI
-- views for BI tools. Views run with the caller's rights
-- (security_invoker), so row-level security decides what each reader sees.
\echo Use "ALTER EXTENSION bedrock_support UPDATE TO '1.1'" to load this file. \quit

CREATE VIEW support.open_tickets_by_priority WITH (security_invoker = true) AS
SELECT t.priority,
       count(*) AS open_tickets,
       count(*) FILTER (WHERE t.assignee_id IS NULL) AS unassigned,
       count(*) FILTER (WHERE t.status = 'pending_client') AS pending_client,
       count(*) FILTER (WHERE now() - t.created_at < interval '1 hour') AS younger_than_1h,
       count(*) FILTER (WHERE now() - t.created_at >= interval '1 hour'
                          AND now() - t.created_at < interval '1 day') AS from_1h_to_1d,
       count(*) FILTER (WHERE now() - t.created_at >= interval '1 day'
                          AND now() - t.created_at < interval '7 days') AS from_1d_to_7d,
       count(*) FILTER (WHERE now() - t.created_at >= interval '7 days') AS older_than_7d,
       max(now() - t.created_at) AS oldest_age
  FROM support.tickets t
 WHERE t.status NOT IN ('resolved', 'closed')
 GROUP BY t.priority;
COMMENT ON VIEW support.open_tickets_by_priority IS
    'real-time dashboard: open tickets by priority and age';

CREATE VIEW support.agent_workload WITH (security_invoker = true) AS
SELECT a.agent_id, a.full_name, a.tier, a.on_shift,
       count(t.ticket_id) AS open_tickets,
       count(t.ticket_id) FILTER (WHERE t.priority = 'P1') AS open_p1,
       count(t.ticket_id) FILTER (WHERE t.priority = 'P2') AS open_p2,
       min(t.created_at) AS oldest_open_since
  FROM support.agents a
  LEFT JOIN support.tickets t ON t.assignee_id = a.agent_id
                              AND t.status NOT IN ('resolved', 'closed')
 WHERE a.active
 GROUP BY a.agent_id, a.full_name, a.tier, a.on_shift;
COMMENT ON VIEW support.agent_workload IS
    'team availability and workload distribution: open tickets per active agent';

CREATE VIEW support.response_kpis WITH (security_invoker = true) AS
SELECT t.priority,
       count(*) AS tickets,
       count(t.first_response_at) AS responded,
       avg(t.first_response_at - t.created_at) AS average_first_response,
       count(t.resolved_at) + count(t.closed_at) FILTER (WHERE t.resolved_at IS NULL) AS resolved,
       avg(t.resolved_at - t.created_at - t.paused_total) AS average_resolution,
       round(100.0 * count(*) FILTER (WHERE EXISTS (
                 SELECT 1 FROM support.ticket_events e
                  WHERE e.account_id = t.account_id AND e.ticket_id = t.ticket_id
                    AND (e.kind = 'escalation'
                         OR (e.kind = 'tier_change' AND e.new_value::smallint > e.old_value::smallint))))
             / count(*), 1) AS escalated_percent,
       round(100.0 * count(*) FILTER (WHERE t.reopen_count > 0)
             / count(*), 1) AS reopened_percent,
       round(avg(t.satisfaction_rating), 2) AS average_satisfaction,
       count(t.satisfaction_rating) AS ratings
  FROM support.tickets t
 GROUP BY t.priority;
COMMENT ON VIEW support.response_kpis IS
    'operational KPIs by priority: first response and resolution times (pending-on-client time excluded), escalation and reopen rates, satisfaction';

CREATE VIEW support.daily_summary WITH (security_invoker = true) AS
SELECT day::date AS day,
       (SELECT count(*) FROM support.ticket_events e
         WHERE e.kind = 'created' AND e.created_at >= day AND e.created_at < day + interval '1 day') AS created,
       (SELECT count(*) FROM support.ticket_events e
         WHERE e.kind = 'status_change' AND e.new_value = 'resolved'
           AND e.created_at >= day AND e.created_at < day + interval '1 day') AS resolved,
       (SELECT count(*) FROM support.ticket_events e
         WHERE e.kind = 'status_change' AND e.new_value = 'closed'
           AND e.created_at >= day AND e.created_at < day + interval '1 day') AS closed,
       (SELECT round(avg((e.details ->> 'rating')::numeric), 2) FROM support.ticket_events e
         WHERE e.kind = 'rating' AND e.created_at >= day AND e.created_at < day + interval '1 day')
           AS average_satisfaction
  FROM generate_series(date_trunc('day', now()) - interval '6 days', date_trunc('day', now()),
                       interval '1 day') AS day;
COMMENT ON VIEW support.daily_summary IS
    'daily summary of the last seven days (server time zone): tickets created, resolved and closed, average satisfaction';
