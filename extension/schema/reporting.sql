-- Reporting: the dashboard and KPI views. (Reference: doc/reporting.md.)

--@section views

CREATE VIEW support.open_tickets_by_priority WITH (security_invoker='true') AS
 SELECT t.priority,
    count(*) AS open_tickets,
    count(*) FILTER (WHERE (t.assignee_id IS NULL)) AS unassigned,
    count(*) FILTER (WHERE (t.status = 'pending_client'::support.ticket_status)) AS pending_client,
    count(*) FILTER (WHERE ((now() - t.created_at) < '01:00:00'::interval)) AS younger_than_1h,
    count(*) FILTER (WHERE (((now() - t.created_at) >= '01:00:00'::interval) AND ((now() - t.created_at) < '1 day'::interval))) AS from_1h_to_1d,
    count(*) FILTER (WHERE (((now() - t.created_at) >= '1 day'::interval) AND ((now() - t.created_at) < '7 days'::interval))) AS from_1d_to_7d,
    count(*) FILTER (WHERE ((now() - t.created_at) >= '7 days'::interval)) AS older_than_7d,
    max((now() - t.created_at)) AS oldest_age
   FROM support.tickets t
  WHERE (t.status <> ALL (ARRAY['resolved'::support.ticket_status, 'closed'::support.ticket_status]))
  GROUP BY t.priority;
COMMENT ON VIEW support.open_tickets_by_priority IS 'real-time dashboard: open tickets by priority and age';
GRANT SELECT ON TABLE support.open_tickets_by_priority TO support_client, support_agent, support_manager;

-- Reporting: views for dashboards and BI tools; each runs with the
-- reader's rights (security_invoker), so row-level security applies.
CREATE VIEW support.agent_workload WITH (security_invoker='true') AS
 SELECT a.agent_id,
    a.full_name,
    a.tier,
    a.on_shift,
    count(t.ticket_id) AS open_tickets,
    count(t.ticket_id) FILTER (WHERE (t.priority = 'P1'::support.priority)) AS open_p1,
    count(t.ticket_id) FILTER (WHERE (t.priority = 'P2'::support.priority)) AS open_p2,
    min(t.created_at) AS oldest_open_since
   FROM (support.agents a
     LEFT JOIN support.tickets t ON (((t.assignee_id = a.agent_id) AND (t.status <> ALL (ARRAY['resolved'::support.ticket_status, 'closed'::support.ticket_status])))))
  WHERE a.active
  GROUP BY a.agent_id, a.full_name, a.tier, a.on_shift;
COMMENT ON VIEW support.agent_workload IS 'team availability and workload distribution: open tickets per active agent';
GRANT SELECT ON TABLE support.agent_workload TO support_agent, support_manager;

CREATE VIEW support.daily_summary WITH (security_invoker='true') AS
 SELECT (day.day)::date AS day,
    ( SELECT count(*) AS count
           FROM support.ticket_events e
          WHERE ((e.kind = 'created'::support.event_kind) AND (e.created_at >= day.day) AND (e.created_at < (day.day + '1 day'::interval)))) AS created,
    ( SELECT count(*) AS count
           FROM support.ticket_events e
          WHERE ((e.kind = 'status_change'::support.event_kind) AND (e.new_value = 'resolved'::text) AND (e.created_at >= day.day) AND (e.created_at < (day.day + '1 day'::interval)))) AS resolved,
    ( SELECT count(*) AS count
           FROM support.ticket_events e
          WHERE ((e.kind = 'status_change'::support.event_kind) AND (e.new_value = 'closed'::text) AND (e.created_at >= day.day) AND (e.created_at < (day.day + '1 day'::interval)))) AS closed,
    ( SELECT round(avg(((e.details ->> 'rating'::text))::numeric), 2) AS round
           FROM support.ticket_events e
          WHERE ((e.kind = 'rating'::support.event_kind) AND (e.created_at >= day.day) AND (e.created_at < (day.day + '1 day'::interval)))) AS average_satisfaction
   FROM generate_series((date_trunc('day'::text, now()) - '6 days'::interval), date_trunc('day'::text, now()), '1 day'::interval) day(day);
COMMENT ON VIEW support.daily_summary IS 'daily summary of the last seven days (server time zone): tickets created, resolved and closed, average satisfaction';
GRANT SELECT ON TABLE support.daily_summary TO support_client, support_agent, support_manager;

CREATE VIEW support.response_kpis WITH (security_invoker='true') AS
 SELECT t.priority,
    count(*) AS tickets,
    count(t.first_response_at) AS responded,
    avg((t.first_response_at - t.created_at)) AS average_first_response,
    (count(t.resolved_at) + count(t.closed_at) FILTER (WHERE (t.resolved_at IS NULL))) AS resolved,
    avg(((t.resolved_at - t.created_at) - t.paused_total)) AS average_resolution,
    round(((100.0 * (count(*) FILTER (WHERE (EXISTS ( SELECT 1
           FROM support.ticket_events e
          WHERE ((e.account_id = t.account_id) AND (e.ticket_id = t.ticket_id) AND ((e.kind = 'escalation'::support.event_kind) OR ((e.kind = 'tier_change'::support.event_kind) AND ((e.new_value)::smallint > (e.old_value)::smallint))))))))::numeric) / (count(*))::numeric), 1) AS escalated_percent,
    round(((100.0 * (count(*) FILTER (WHERE (t.reopen_count > 0)))::numeric) / (count(*))::numeric), 1) AS reopened_percent,
    round(avg(t.satisfaction_rating), 2) AS average_satisfaction,
    count(t.satisfaction_rating) AS ratings
   FROM support.tickets t
  GROUP BY t.priority;
COMMENT ON VIEW support.response_kpis IS 'operational KPIs by priority: first response and resolution times (pending-on-client time excluded), escalation and reopen rates, satisfaction';
GRANT SELECT ON TABLE support.response_kpis TO support_client, support_agent, support_manager;

CREATE VIEW support.ticket_queue WITH (security_invoker='true') AS
 SELECT t.tier,
    t.account_id,
    t.ticket_id,
    t.priority,
    t.status,
    t.category,
    c.required_skill,
    t.created_at,
    t.first_response_due,
    t.escalation_due,
    row_number() OVER (PARTITION BY t.tier ORDER BY t.priority, t.first_response_due, t.ticket_id) AS position_in_queue
   FROM (support.tickets t
     JOIN support.categories c ON ((c.category = t.category)))
  WHERE ((t.assignee_id IS NULL) AND (t.status <> ALL (ARRAY['resolved'::support.ticket_status, 'closed'::support.ticket_status])));
COMMENT ON VIEW support.ticket_queue IS 'open tickets no agent holds, per tier, most urgent first: what the next free agent of that tier should take';
GRANT SELECT ON TABLE support.ticket_queue TO support_agent, support_manager;
