-- The workflow functions an application calls, their events and their errors.
\i sql/include/fixture.sql

-- open: priority from the triage rules (here none matches: the category's
-- default), tier from routing, unless given; the created event
SELECT ticket_id AS t1, priority, tier, status, channel, category
  FROM support.open_ticket(1, :cam, 'Conversions stopped on line item 7', 'None recorded since Monday',
                           channel => 'email', category => 'campaign_performance') \gset
SELECT :t1 > 10000 AS numbered, priority, tier, status FROM support.tickets WHERE ticket_id = :t1;
SELECT ticket_id AS t2 FROM support.open_ticket(1, :ada, 'API down', channel => 'phone',
       category => 'technical_integration', priority => 'critical', created_by => :tom,
       api_failure => true, revenue_impact => true) \gset
SELECT priority, tier, api_failure, revenue_impact, service_outage FROM support.tickets WHERE ticket_id = :t2;
SELECT kind, actor_kind, actor_id = :tom AS by_agent, visibility, body, new_value, details
  FROM support.ticket_events WHERE ticket_id = :t2;

-- open: bad input, each with its SQLSTATE, and nothing left behind
SELECT support.open_ticket(1, :gil, 'wrong account');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT support.open_ticket(1, :cam, '   ');
SELECT support.open_ticket(1, :cam, NULL);
SELECT support.open_ticket(1, :cam, 'fax', channel => 'fax');
SELECT support.open_ticket(1, :cam, 'what', category => 'astrology');
SELECT support.open_ticket(1, :cam, 'late', priority => 'P5');
SELECT support.open_ticket(1, :cam, 'by client', created_by => :ada);
SELECT support.open_ticket(99, :cam, 'no account');
\set VERBOSITY terse
SELECT support.open_ticket(1, :cam, repeat('x', 201));
\set VERBOSITY default
SELECT count(*) AS tickets FROM support.tickets;

-- the conversation
SELECT (support.change_status(:t1, 'triaged', :tia, 'routine')).ticket_id IS NOT NULL AS triaged;
SELECT (support.assign_ticket(:t1, :tia, :tia)).ticket_id IS NOT NULL AS assigned;
SELECT (support.change_status(:t1, 'in_progress', :tia)).ticket_id IS NOT NULL AS started;
SELECT support.reply_publicly(:t1, :tia, 'Looking into line item 7 now.') > 0 AS replied;
SELECT support.add_internal_note(:t1, :tia, 'Daily cap looks like 0 in the UI') > 0 AS noted;
SELECT (support.change_status(:t1, 'pending_client', :tia, 'asked for the cap')).ticket_id IS NOT NULL AS waiting;
SELECT support.post_client_message(:t1, :cam, 'The cap should be 5,000.') > 0 AS answered;
SELECT status FROM support.tickets WHERE ticket_id = :t1;
SELECT (support.change_priority(:t1, 'P2', :tia, 'Spend impact confirmed')).ticket_id IS NOT NULL AS reprioritised;
SELECT (support.resolve_ticket(:t1, :tia, root_cause => 'Daily cap set to 0 by a bulk edit',
        solution => 'Cap restored to 5,000', verification_steps => 'Spend resumed',
        prevention_measures => 'Bulk edits now confirm caps')).status;
SELECT (support.close_ticket(:t1, :cam)).status;
SELECT (support.rate_ticket(:t1, :cam, 5, 'Quick!')).satisfaction_rating;

-- the whole case history, in order, with actors
SELECT e.kind, e.actor_kind,
       COALESCE(a.full_name, u.full_name, 'system') AS actor, e.visibility,
       e.old_value, e.new_value, e.body
  FROM support.ticket_events e
  LEFT JOIN support.agents a ON a.agent_id = e.actor_id
  LEFT JOIN support.account_users u ON u.account_id = e.account_id AND u.user_id = e.actor_id
 WHERE e.ticket_id = :t1 ORDER BY e.event_id;
SELECT details FROM support.ticket_events WHERE ticket_id = :t1 AND kind IN ('resolution', 'rating') ORDER BY event_id;
SELECT root_cause, solution, verification_steps, prevention_measures, satisfaction_comment,
       first_response_at IS NOT NULL AS responded, paused_total > interval '0' AS paused
  FROM support.tickets WHERE ticket_id = :t1;
-- the actor settings are put back after each function
SELECT current_setting('support.actor_id') AS actor_id, current_setting('support.change_reason') AS reason;

-- workflow errors
SELECT support.reply_publicly(:t2, :cam, 'clients cannot reply publicly');
SELECT support.reply_publicly(:t2, :tia, '');
SELECT support.reply_publicly(424242, :tia, 'no such ticket');
SELECT support.add_internal_note(:t2, :ada, 'clients cannot write notes');
SELECT support.post_client_message(:t2, :gil, 'another account''s user');
-- (a client's message after closing opens a linked follow-up: sql/tickets_reopening.sql)
SELECT support.post_client_message(:t1, :cam, 'after closing') AS after_closing \gset
SELECT f.follows_up_ticket_id = :t1 AS follow_up_opened FROM support.tickets f
  JOIN support.ticket_events e USING (account_id, ticket_id) WHERE e.event_id = :after_closing;
SELECT support.reply_publicly(:t1, :tia, 'after closing');
SELECT support.change_status(:t2, 'resolved', :tom);
SELECT support.change_status(:t2, 'closed', :tom);
SELECT support.change_status(:t2, 'triaged', :cam);
SELECT support.change_priority(:t2, 'P3', :tom, NULL);
SELECT support.change_priority(:t2, 'P3', :tom, ' ');
SELECT support.resolve_ticket(:t2, :tom, 'cause', 'fix');
SELECT support.resolve_ticket(:t2, :tom, NULL, 'fix');
SELECT support.resolve_ticket(:t2, :tom, 'cause', '');
SELECT support.rate_ticket(:t2, :ada, 4);
SELECT support.rate_ticket(:t1, :cam, 6);
SELECT support.rate_ticket(:t1, :cam, 0);
SELECT support.rate_ticket(:t1, :gil, 3);
SELECT support.assign_ticket(:t2, :ada, :tom);
UPDATE support.agents SET active = false WHERE agent_id = :tess;
SELECT support.assign_ticket(:t2, :tess, :tom);
SELECT support.close_ticket(:t2, :gil);
-- none of the failures wrote anything
SELECT status, priority, assignee_id, (SELECT count(*) FROM support.ticket_events e WHERE e.ticket_id = :t2) AS events
  FROM support.tickets WHERE ticket_id = :t2;
