-- What make demo prints: the scenario as a support lead would read it.
\set ON_ERROR_STOP on
\pset footer off
\pset null '-'

\echo
\echo '== Client accounts'
SELECT a.name AS account, a.time_zone, c.hours AS support_hours,
       CASE WHEN a.enterprise THEN 'enterprise ' || a.slack_channel ELSE '' END AS slack,
       CASE WHEN a.sensitive THEN 'sensitive' ELSE '' END AS flags,
       string_agg(u.full_name || ' (' || replace(u.role::text, '_', ' ') || ')', ', ' ORDER BY u.role) AS users
  FROM support.accounts a
  JOIN support.calendar c USING (calendar_id)
  JOIN support.account_users u USING (account_id)
 GROUP BY a.account_id, a.name, a.time_zone, c.hours, a.enterprise, a.slack_channel, a.sensitive
 ORDER BY a.account_id;

\echo '== Support team'
SELECT full_name AS agent, tier, array_to_string(skills, ', ') AS skills,
       concat_ws(' ', CASE WHEN is_support_manager THEN 'manager' END,
                      CASE WHEN is_super_user THEN 'super-user' END) AS roles,
       CASE WHEN on_shift THEN 'on shift' ELSE 'off' END AS shift
  FROM support.agents ORDER BY tier, agent_id;

\echo '== Tickets (most urgent first)'
SELECT '#' || t.ticket_id AS ticket, t.priority, support.priority_label(t.priority) AS level,
       a.name AS account, t.channel, t.category, 'T' || t.tier AS tier, t.status,
       COALESCE(g.full_name, '-') AS assignee, left(t.subject, 42) AS subject,
       date_trunc('millisecond', t.first_response_at - t.created_at) AS first_response,
       t.reopen_count AS reopened, t.satisfaction_rating AS rating
  FROM support.tickets t
  JOIN support.accounts a USING (account_id)
  LEFT JOIN support.agents g ON g.agent_id = t.assignee_id
 ORDER BY t.priority, t.ticket_id;

\echo '== Triage: how each new ticket was classified, routed and assigned (in its own INSERT)'
SELECT '#' || t.ticket_id AS ticket, left(t.subject, 40) AS subject, t.channel, t.priority,
       t.priority_source AS decided_by, COALESCE(r.name, '(category default)') AS rule,
       'T' || t.tier AS tier, COALESCE(r.alert_channel, '') AS alerted,
       COALESCE((SELECT g.full_name FROM support.ticket_events e JOIN support.agents g ON g.agent_id::text = e.new_value
                  WHERE e.account_id = t.account_id AND e.ticket_id = t.ticket_id AND e.kind = 'assignee_change'
                    AND e.actor_kind = 'system'), 'queue') AS routed_to
  FROM support.tickets t LEFT JOIN support.triage_rules r ON r.rule_id = t.triage_rule_id
 WHERE t.priority_source IS NOT NULL
 ORDER BY t.ticket_id;

SELECT min(ticket_id) AS first_ticket FROM support.tickets WHERE priority_source IS NOT NULL \gset
\echo '== Case history of the outage ticket, #':first_ticket
SELECT e.event_id AS event, e.kind, e.visibility,
       COALESCE(g.full_name, u.full_name, 'system') AS actor,
       CASE WHEN e.kind = 'assignee_change'
            THEN COALESCE(was.full_name, 'nobody') || ' -> ' || COALESCE(now_.full_name, 'nobody')
            WHEN e.old_value IS NOT NULL OR e.new_value IS NOT NULL
            THEN COALESCE(e.old_value, '') || ' -> ' || COALESCE(e.new_value, '') ELSE '' END AS change,
       left(COALESCE(e.body, ''), 60) AS text
  FROM support.ticket_events e
  LEFT JOIN support.agents g ON g.agent_id = e.actor_id
  LEFT JOIN support.account_users u ON u.account_id = e.account_id AND u.user_id = e.actor_id
  LEFT JOIN support.agents was ON e.kind = 'assignee_change' AND was.agent_id::text = e.old_value
  LEFT JOIN support.agents now_ ON e.kind = 'assignee_change' AND now_.agent_id::text = e.new_value
 WHERE e.ticket_id = :first_ticket
 ORDER BY e.event_id;

\echo '== The client writes back: a resolved ticket reopens, a closed one gets a linked follow-up'
SELECT '#' || t.ticket_id AS ticket, t.status, t.reopen_count AS reopens,
       COALESCE('follows up #' || t.follows_up_ticket_id, '') AS follows_up,
       CASE WHEN t.follows_up_ticket_id IS NOT NULL THEN left(t.subject, 50) ELSE
       (SELECT left(e.body, 50) FROM support.ticket_events e
         WHERE e.account_id = t.account_id AND e.ticket_id = t.ticket_id
           AND (e.kind = 'status_change' AND e.old_value = 'resolved' OR e.kind = 'follow_up')
         ORDER BY e.event_id DESC LIMIT 1) END AS recorded
  FROM support.tickets t
 WHERE t.reopen_count > 0 OR t.follows_up_ticket_id IS NOT NULL
    OR t.ticket_id IN (SELECT f.follows_up_ticket_id FROM support.tickets f)
 ORDER BY t.ticket_id;

\echo '== Escalations beyond the SLA marks: the war room, revenue at risk, a dissatisfied client'
SELECT '#' || w.ticket_id AS ticket, w.channel AS war_room, array_to_string(w.executives, ', ') AS executives,
       k.task, CASE WHEN k.done_at IS NOT NULL THEN 'done' WHEN k.overdue THEN 'OVERDUE' ELSE 'open' END AS state
  FROM support.war_room_tasks k JOIN support.war_rooms w USING (account_id, ticket_id)
 ORDER BY w.ticket_id, k.task;
SELECT '#' || e.ticket_id AS ticket, left(e.body, 110) AS why
  FROM support.ticket_events e
 WHERE e.kind = 'escalation' AND e.details ? 'trigger'
 ORDER BY e.event_id;

\echo '== What the workflow did by itself'
SELECT '#' || t.ticket_id AS ticket, left(t.subject, 40) AS subject, x.what
  FROM support.tickets t
  CROSS JOIN LATERAL (
      SELECT 'client answered while pending: resumed to in_progress, '
             || date_trunc('millisecond', t.paused_total) || ' paused' AS what
       WHERE EXISTS (SELECT 1 FROM support.ticket_events e WHERE e.ticket_id = t.ticket_id
                       AND e.kind = 'status_change' AND e.old_value = 'pending_client' AND e.actor_kind = 'client')
      UNION ALL
      SELECT 'priority overridden ' || e.old_value || ' -> ' || e.new_value || ': ' || e.body
        FROM support.ticket_events e WHERE e.ticket_id = t.ticket_id AND e.kind = 'priority_change'
      UNION ALL
      SELECT 'reopened ' || t.reopen_count || ' time(s): ' || e.body
        FROM support.ticket_events e WHERE e.ticket_id = t.ticket_id AND e.kind = 'status_change'
         AND e.old_value = 'resolved' AND e.new_value = 'in_progress') x
 ORDER BY t.ticket_id;

\echo '== The lifecycle refuses an illegal move (a closed ticket cannot be reopened)'
\set ON_ERROR_STOP off
\set VERBOSITY terse
SELECT support.change_status(:first_ticket, 'in_progress', agent_id)
  FROM support.agents WHERE email = 'max.t3@bedrock.example';
\set ON_ERROR_STOP on

\echo
\echo '== SLA deadlines of open tickets, in each client''s local time (P1 runs 24x7, P2-P4 on the client''s hours)'
SELECT '#' || t.ticket_id AS ticket, t.priority, a.name AS account, t.status,
       to_char(t.created_at AT TIME ZONE a.time_zone, 'Dy DD Mon HH24:MI') AS opened,
       CASE WHEN t.first_response_at IS NOT NULL THEN 'answered'
            ELSE to_char(t.first_response_due AT TIME ZONE a.time_zone, 'Dy DD Mon HH24:MI') END AS first_response,
       to_char(t.escalation_due AT TIME ZONE a.time_zone, 'Dy DD Mon HH24:MI') AS breach_imminent,
       COALESCE(to_char(t.next_update_due AT TIME ZONE a.time_zone, 'Dy DD Mon HH24:MI'), 'paused') AS next_update,
       COALESCE(to_char(t.resolution_due AT TIME ZONE a.time_zone, 'Dy DD Mon HH24:MI'), 'paused') AS resolution
  FROM support.tickets t JOIN support.accounts a USING (account_id)
 WHERE t.status NOT IN ('resolved', 'closed')
 ORDER BY t.priority, t.ticket_id;

\echo '== SLA status: every running target, and the eight closest to their deadline (negative = overdue)'
SELECT count(*) AS running_targets, count(*) FILTER (WHERE s.breached) AS breached,
       count(DISTINCT s.ticket_id) AS tickets
  FROM support.sla_status s;
SELECT '#' || s.ticket_id AS ticket, s.priority, s.target, s.source,
       CASE WHEN s.breached THEN 'BREACHED' ELSE 'ok' END AS state,
       date_trunc('minute', s.remaining) AS business_time_left
  FROM support.sla_status s
 ORDER BY s.breached DESC, s.remaining, s.ticket_id
 LIMIT 8;

SELECT ticket_id AS pacing_ticket FROM support.tickets WHERE subject LIKE 'Holiday campaign%' \gset
\echo '== SLA trail of the pacing ticket #':pacing_ticket' (the reply fulfils, waiting on the client pauses)'
SELECT e.sla_event_id AS event, e.target, e.kind,
       to_char(e.due AT TIME ZONE a.time_zone, 'Dy DD Mon HH24:MI') AS deadline_in_force
  FROM support.sla_events e JOIN support.accounts a USING (account_id)
 WHERE e.ticket_id = :pacing_ticket
 ORDER BY e.sla_event_id;

\echo '== Business time: a P2 resolution target (4 business hours) starting now, in each office'
SELECT c.name AS calendar, c.hours,
       to_char(now() AT TIME ZONE split_part(c.hours::text, ' @ ', 2), 'Dy DD Mon HH24:MI') AS local_now,
       to_char(support.business_add(now(), '4 hours', c.hours, c.holidays)
               AT TIME ZONE split_part(c.hours::text, ' @ ', 2), 'Dy DD Mon HH24:MI') AS due_local,
       date_trunc('minute', support.business_add(now(), '4 hours', c.hours, c.holidays) - now()) AS wall_clock_wait
  FROM support.calendar c WHERE c.hours <> '24x7'
 ORDER BY c.calendar_id;

\echo
\echo '== The outbox: what the desk decided to send, the first two of each destination'
\echo '   (how much and in what state: "Delivery" below)'
SELECT destination, target, ticket, subject_or_text, state FROM (
    SELECT m.destination, m.target, '#' || m.ticket_id AS ticket,
           left(COALESCE(m.subject, m.body), 64) AS subject_or_text, m.state,
           row_number() OVER (PARTITION BY m.destination ORDER BY m.message_id) AS n, m.message_id
      FROM support.outbound_messages m) first
 WHERE n <= 2 ORDER BY destination, message_id;

SELECT min(m.message_id) AS ack FROM support.outbound_messages m WHERE m.destination = 'email' \gset
\echo '== The acknowledgment of the first ticket, rendered from the handbook''s template'
\pset format unaligned
\pset tuples_only on
SELECT 'To: ' || m.target || E'\nSubject: ' || m.subject || E'\n\n' || m.body
  FROM support.outbound_messages m WHERE m.message_id = :ack;
\pset format aligned
\pset tuples_only off

\echo
\echo '== Queues: open tickets nobody holds, per tier'
SELECT tier, position_in_queue AS place, '#' || ticket_id AS ticket, priority, category, required_skill
  FROM support.ticket_queue ORDER BY tier, position_in_queue;

\echo '== Dashboard: open tickets by priority'
SELECT priority, open_tickets, unassigned, pending_client FROM support.open_tickets_by_priority ORDER BY priority;

\echo '== KPIs by priority'
SELECT priority, tickets, responded, date_trunc('millisecond', average_first_response) AS avg_first_response,
       resolved, escalated_percent, reopened_percent, average_satisfaction
  FROM support.response_kpis ORDER BY priority;

\echo '== Workload'
SELECT full_name AS agent, tier, on_shift, open_tickets, open_p1, open_p2 FROM support.agent_workload ORDER BY tier, agent_id;

\echo
\echo '== The escalation worker: what it did on its own (breaches, reminders, escalations)'
SELECT '#' || e.ticket_id AS ticket, e.kind, e.body, split_part(e.action_key, '@', 1) AS action,
       to_char((e.details->>'due')::timestamptz AT TIME ZONE a.time_zone, 'Dy DD Mon HH24:MI') AS due_local
  FROM support.ticket_events e JOIN support.accounts a USING (account_id)
 WHERE e.action_key IS NOT NULL ORDER BY e.event_id;
\echo '== The worker of this database'
SELECT state, passes, actions_taken, errors, to_char(last_pass_at, 'HH24:MI:SS') AS last_pass,
       to_char(next_wakeup, 'HH24:MI:SS') AS next_wakeup, to_char(next_deadline, 'Dy DD Mon HH24:MI TZ') AS next_deadline
  FROM support.worker_status;

\echo
\echo '== Delivery: the outbox as the delivery worker left it'
SELECT destination, state, count(*) AS messages, max(attempts) AS max_attempts,
       round(avg(extract(epoch FROM delivered_at - created_at))::numeric * 1000) AS avg_ms_to_deliver
  FROM support.outbound_messages GROUP BY destination, state ORDER BY destination, state;
SELECT state, pid IS NOT NULL AS running, delivered, errors, pending_messages, waiting_for_an_endpoint, dead_letters
  FROM support.delivery_status;
