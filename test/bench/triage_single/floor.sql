\set r random(1, 50)
\set s random(1, 6)
WITH t AS (
  INSERT INTO support.tickets (account_id, requester_id, subject, channel, category, service_outage,
                               priority, tier, assignee_id)
  SELECT r.account_id, r.user_id, s.subject, s.channel, s.category, s.outage, 'P3', g.tier, g.agent_id
    FROM pgbench_requesters r, pgbench_shapes s, pgbench_shape_agents g
   WHERE r.n = :r AND s.n = :s AND g.shape = :s AND g.client = :client_id
  RETURNING account_id, ticket_id, requester_id, subject, channel, category, assignee_id),
events AS (
  INSERT INTO support.ticket_events (account_id, ticket_id, kind, actor_id, actor_kind, visibility,
                                     body, new_value, details)
  SELECT t.account_id, t.ticket_id, 'created'::support.event_kind, t.requester_id,
         'client'::support.actor_kind, 'public'::support.visibility, t.subject, 'new',
         jsonb_build_object('channel', t.channel, 'category', t.category, 'priority', 'P3')
    FROM t
  UNION ALL
  SELECT t.account_id, t.ticket_id, 'assignee_change', NULL, 'system', 'internal',
         'Routed to the least-loaded agent', t.assignee_id::text, '{}'::jsonb
    FROM t),
messages AS (
  INSERT INTO support.outbound_messages (account_id, ticket_id, destination, target, template,
                                         subject, body, payload, send_order)
  SELECT t.account_id, t.ticket_id, 'email', 'user@pgbench.example', 'initial_response',
         'Re: ' || t.subject || ' [#' || t.ticket_id || ']',
         'Dear Bench User, thank you for contacting Bedrock Platform Support about ' || t.subject ||
         '. Your ticket #' || t.ticket_id || ' is assigned and we will update you shortly.', '{}',
         support.next_send_order(t.account_id, false)
    FROM t)
UPDATE support.agents g SET open_tickets = g.open_tickets + 1, last_assigned_at = clock_timestamp()
  FROM t WHERE g.agent_id = t.assignee_id;
