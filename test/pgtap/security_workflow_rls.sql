-- The whole workflow as the applications run it: each step by a login role
-- in its group, with the key of the person acting, under row-level security.
-- Every step must work with exactly the rights the policies give.
BEGIN;
SET client_min_messages = warning;
SET LOCAL support.auto_assign = off;
SELECT plan(38);

INSERT INTO support.accounts (name, time_zone, calendar_id) VALUES ('Acme Ads', 'UTC', 2);
SELECT account_id AS acme FROM support.accounts WHERE name = 'Acme Ads' \gset
INSERT INTO support.account_users (account_id, email, full_name, role) VALUES
  (:acme, 'ada@acme.example', 'Ada Admin', 'admin'), (:acme, 'cam@acme.example', 'Cam Campaigns', 'campaign_manager');
SELECT user_id AS ada FROM support.account_users WHERE email = 'ada@acme.example' \gset
SELECT user_id AS cam FROM support.account_users WHERE email = 'cam@acme.example' \gset
INSERT INTO support.agents (email, full_name, tier, skills, on_shift, is_support_manager) VALUES
  ('tia@bedrock.example', 'Tia Tier-One', 1, '{reporting}', true, false),
  ('tom@bedrock.example', 'Tom Tier-Two', 2, '{reporting}', true, false),
  ('max@bedrock.example', 'Max Manager', 3, '{infrastructure}', true, true);
SELECT agent_id AS tia FROM support.agents WHERE email = 'tia@bedrock.example' \gset
SELECT agent_id AS tom FROM support.agents WHERE email = 'tom@bedrock.example' \gset
SELECT agent_id AS max FROM support.agents WHERE email = 'max@bedrock.example' \gset
CREATE ROLE wf_client LOGIN IN ROLE support_client;
CREATE ROLE wf_agent LOGIN IN ROLE support_agent;
CREATE ROLE wf_manager LOGIN IN ROLE support_manager;
SELECT support.issue_key(:cam) AS k_cam \gset
SELECT support.issue_key(:ada) AS k_ada \gset
SELECT support.issue_key(:tia) AS k_tia \gset
SELECT support.issue_key(:tom) AS k_tom \gset
SELECT support.issue_key(:max) AS k_max \gset

\ir include/as_role.sql

SELECT pg_temp.kept_value('wf_client', :'k_cam',
       format($$SELECT ticket_id::text FROM support.open_ticket(%s, %s, 'Spend report shows zero', 'Since Monday', 'portal', 'reporting')$$, :acme, :cam)) AS t \gset
SELECT ok(:'t' ~ '^\d+$', 'the Campaign Manager opens a ticket through the portal');
SELECT is((SELECT count(*)::int FROM support.outbound_messages WHERE ticket_id = :t AND template = 'initial_response'), 1,
          'and its acknowledgment is queued (written as the owner)');
SELECT is(pg_temp.kept_value('wf_agent', :'k_tia', format($$SELECT (support.change_status(%s, 'triaged', %s)).status::text$$, :t, :tia)),
          'triaged', 'the tier-1 agent triages it');
SELECT is(pg_temp.kept_value('wf_agent', :'k_tia', format($$SELECT (support.assign_ticket(%s, %s, %s)).assignee_id::text$$, :t, :tia, :tia)),
          :'tia'::text, 'takes it');
SELECT is(pg_temp.kept_value('wf_agent', :'k_tia', format($$SELECT (support.change_status(%s, 'in_progress', %s)).status::text$$, :t, :tia)),
          'in_progress', 'starts work');
SELECT ok(pg_temp.kept_value('wf_agent', :'k_tia', format($$SELECT support.reply_publicly(%s, %s, 'Which date range do you use?')::text$$, :t, :tia)) ~ '^\d+$',
          'replies (the first response)');
SELECT ok(pg_temp.kept_value('wf_agent', :'k_tia', format($$SELECT support.add_internal_note(%s, %s, 'Pixel misfires on Safari')::text$$, :t, :tia)) ~ '^\d+$',
          'writes an internal note');
SELECT is(pg_temp.kept_value('wf_agent', :'k_tia', format($$SELECT (support.change_status(%s, 'pending_client', %s, 'asked for the range')).status::text$$, :t, :tia)),
          'pending_client', 'waits for the client');
SELECT ok(pg_temp.kept_value('wf_client', :'k_cam', format($$SELECT support.post_client_message(%s, %s, 'Last 7 days')::text$$, :t, :cam)) ~ '^\d+$',
          'the client answers');
SELECT is((SELECT status::text FROM support.tickets WHERE ticket_id = :t), 'in_progress',
          'which resumes the ticket (the effects trigger runs as the owner)');
SELECT ok(pg_temp.kept_value('wf_agent', :'k_tia', format($$SELECT support.send_progress_update(%s, %s, 'Reproduced', 'Safari pixel', 'Patch the tag', 'Today 17:00', 'None', 'Compare reports')::text$$, :t, :tia)) ~ '^\d+$',
          'the agent emails a progress update');
SELECT is(pg_temp.kept_value('wf_agent', :'k_tia', format($$SELECT (support.change_priority(%s, 'P2', %s, 'decisions depend on it')).priority::text$$, :t, :tia)),
          'P2', 'raises the priority, with a reason');
SELECT is(pg_temp.kept_value('wf_agent', :'k_tia', format($$SELECT (support.resolve_ticket(%s, %s, 'Safari blocked the pixel', 'Server-side tag')).status::text$$, :t, :tia)),
          'resolved', 'resolves it (the resolution email queued by an agent)');
SELECT is(pg_temp.kept_value('wf_client', :'k_cam', format($$SELECT (support.close_ticket(%s, %s)).status::text$$, :t, :cam)),
          'closed', 'the client closes it');
SELECT is(pg_temp.kept_value('wf_client', :'k_cam', format($$SELECT (support.rate_ticket(%s, %s, 5, 'Fast and clear')).satisfaction_rating::text$$, :t, :cam)),
          '5', 'and rates it (the feedback alert queued as the owner)');

-- a second ticket: the client escalates, the agent moves it up a tier, the manager steps in
SELECT pg_temp.kept_value('wf_client', :'k_cam',
       format($$SELECT ticket_id::text FROM support.open_ticket(%s, %s, 'Dashboard totals wrong', '', 'portal', 'reporting')$$, :acme, :cam)) AS t2 \gset
SELECT ok(pg_temp.kept_value('wf_client', :'k_cam', format($$SELECT (support.request_escalation(%s, %s, 'Board meeting tomorrow')).escalation_call_due::text$$, :t2, :cam)) !~ '^ERROR',
          'the client requests an escalation');
SELECT is(pg_temp.kept_value('wf_agent', :'k_tia', format($$SELECT (support.escalate_ticket(t, 'needs tier 2', now())).tier::text FROM support.tickets t WHERE ticket_id = %s$$, :t2)),
          'ERROR: permission denied for function escalate_ticket', 'the worker''s own escalation is not an agent''s to call');
SELECT is(pg_temp.kept_value('wf_agent', :'k_tia', format($$UPDATE support.tickets SET tier = 2 WHERE ticket_id = %s$$, :t2)),
          'ERROR: tier of ticket ' || :t2 || ' cannot be changed by UPDATE',
          'an UPDATE cannot move a ticket out of what the agent may see: the tier is escalate()''s');
SELECT is(pg_temp.kept_value('wf_agent', :'k_tia', format($$SELECT (support.escalate(%s, %s, 'needs data analysis')).assignee_id::text$$, :t2, :tia)),
          :'tom'::text, 'support.escalate() moves it up to tier 2, to the on-shift tier-2 agent');
SELECT is((SELECT tier::int FROM support.tickets WHERE ticket_id = :t2), 2, 'it is at tier 2');
SELECT is((SELECT actor_id FROM support.ticket_events WHERE ticket_id = :t2 AND kind = 'tier_change'), :tia::bigint,
          'and the tier change names the agent who escalated it');
SELECT is(pg_temp.kept_value('wf_agent', :'k_tia', format($$SELECT (support.escalate(%s, %s, 'again')).tier::text$$, :t2, :tia)),
          'ERROR: ticket ' || :t2 || ' does not exist', 'an agent cannot escalate a ticket they no longer hold');
SELECT is(pg_temp.kept_value('wf_agent', :'k_tia', format($$SELECT count(*)::text FROM support.tickets WHERE ticket_id = %s$$, :t2)),
          '0', 'and, no longer its tier or its assignee, no longer sees it');
SELECT ok(pg_temp.kept_value('wf_agent', :'k_tom', format($$SELECT support.record_escalation_call(%s, %s, 'Called Cam, plan agreed')::text$$, :t2, :tom)) !~ '^ERROR',
          'the tier-2 agent records the escalation call');
SELECT ok(pg_temp.kept_value('wf_manager', :'k_max', format($$SELECT support.escalate_to_executive(%s, %s, 'Board-level client')::text$$, :t2, :max)) !~ '^ERROR',
          'the manager escalates to the executives');
SELECT is((SELECT count(*)::int FROM support.ticket_events WHERE ticket_id IN (:t, :t2) AND actor_id IS NOT NULL
             AND actor_id NOT IN (:cam, :tia, :tom, :max)), 0,
          'every event names the key''s user as its actor');

-- an account's Admin opens a ticket for a colleague, as the insert policy allows
SELECT pg_temp.kept_value('wf_client', :'k_ada',
       format($$SELECT ticket_id::text FROM support.open_ticket(%s, %s, 'Cam cannot log in', '', 'portal', 'account_access')$$, :acme, :cam)) AS for_cam \gset
SELECT ok(:'for_cam' ~ '^\d+$', 'an Admin opens a ticket for a colleague');
SELECT is((SELECT format('%s by %s', t.requester_id, e.actor_id) FROM support.tickets t
             JOIN support.ticket_events e USING (account_id, ticket_id)
            WHERE t.ticket_id = :for_cam::bigint AND e.kind = 'created'),
          format('%s by %s', :cam, :ada), 'the colleague is the requester and the Admin the actor of its creation');
SELECT is(pg_temp.error_of('wf_client', :'k_cam',
          format($$SELECT support.open_ticket(%s, %s, 'for Ada', '', 'portal', 'account_access')$$, :acme, :ada)),
          '42501: user ' || :cam || ' cannot open a ticket for user ' || :ada,
          'a Campaign Manager opens only their own');
-- the client writes again after closing: a linked follow-up ticket carries the message
SELECT pg_temp.kept_value('wf_client', :'k_cam',
       format($$SELECT support.post_client_message(%s, %s, 'It is back since this morning')::text$$, :t, :cam)) AS again \gset
SELECT is((SELECT format('%s %s %s', f.follows_up_ticket_id = :t, f.status, f.subject LIKE 'Follow-up to #' || :t || ':%')
             FROM support.ticket_events e JOIN support.tickets f USING (account_id, ticket_id)
            WHERE e.event_id = :again::bigint AND e.body = 'It is back since this morning'),
          't new t', 'on a closed ticket, the message opens a linked follow-up ticket');
SELECT is((SELECT status::text FROM support.tickets WHERE ticket_id = :t), 'closed', 'the closed ticket stays closed');
SELECT is(pg_temp.error_of('wf_client', :'k_cam',
          format($$INSERT INTO support.ticket_events (account_id, ticket_id, kind, actor_id, actor_kind, visibility, body)
                   VALUES (%s, %s, 'client_message', %s, 'client', 'public', 'direct')$$, :acme, :t, :cam), true),
          '55000: ticket ' || :t || ' is closed |  | support.post_client_message() opens a follow-up ticket linked to it.',
          'a message written straight into a closed ticket is refused, naming the function that follows it up');

-- nobody writes history in another's voice: the kind of actor is the key's
SELECT is(pg_temp.error_of('wf_agent', :'k_tia',
          format($$INSERT INTO support.ticket_events (account_id, ticket_id, kind, actor_id, actor_kind, visibility, body)
                   VALUES (%s, %s, 'client_message', %s, 'client', 'public', 'This is unacceptable')$$, :acme, :for_cam, :tia)),
          '42501: new row violates row-level security policy for table "ticket_events"',
          'an agent cannot write a client''s message (nor so make the client look dissatisfied)');
SELECT is(pg_temp.error_of('wf_agent', :'k_tia',
          format($$INSERT INTO support.ticket_events (account_id, ticket_id, kind, actor_id, actor_kind, visibility, body)
                   VALUES (%s, %s, 'internal_note', %s, 'client', 'internal', 'note')$$, :acme, :for_cam, :tia)),
          '42501: new row violates row-level security policy for table "ticket_events"',
          'an agent''s event names an agent');
SELECT is(pg_temp.error_of('wf_client', :'k_cam',
          format($$INSERT INTO support.ticket_events (account_id, ticket_id, kind, actor_id, actor_kind, visibility, body)
                   VALUES (%s, %s, 'client_message', %s, 'agent', 'public', 'from support, honest')$$, :acme, :for_cam, :cam)),
          '42501: new row violates row-level security policy for table "ticket_events"',
          'a client''s message names a client');

-- nor any event the workflow writes: a rating, a reply the client never sees, a worker's action
SELECT is(pg_temp.error_of('wf_agent', :'k_tia',
          format($$INSERT INTO support.ticket_events (account_id, ticket_id, kind, actor_id, actor_kind, visibility, body, details)
                   VALUES (%s, %s, 'rating', %s, 'agent', 'public', 'great', '{"rating": 5}')$$, :acme, :for_cam, :tia)),
          '42501: new row violates row-level security policy for table "ticket_events"',
          'an agent cannot write a rating');
SELECT is(pg_temp.error_of('wf_agent', :'k_tia',
          format($$INSERT INTO support.ticket_events (account_id, ticket_id, kind, actor_id, actor_kind, visibility, body)
                   VALUES (%s, %s, 'public_reply', %s, 'agent', 'internal', 'the client never sees this')$$, :acme, :for_cam, :tia)),
          '42501: new row violates row-level security policy for table "ticket_events"',
          'an agent''s public reply is public');
SELECT is(pg_temp.error_of('wf_manager', :'k_max',
          format($$INSERT INTO support.ticket_events (account_id, ticket_id, kind, actor_id, actor_kind, visibility, body, action_key)
                   VALUES (%s, %s, 'internal_note', %s, 'agent', 'internal', 'pre-empted', 'escalation_mark@1')$$, :acme, :for_cam, :max)),
          '42501: new row violates row-level security policy for table "ticket_events"',
          'a manager cannot take a worker''s action key');

SELECT * FROM finish();
ROLLBACK;
