-- The workflow as an application drives it, checked with pgTAP.
BEGIN;
SELECT plan(17);
\ir include/as_role.sql

INSERT INTO support.accounts (account_id, name, time_zone, calendar_id) VALUES (900, 'Tap Co', 'Asia/Kolkata', 2);
INSERT INTO support.account_users (account_id, user_id, email, full_name, role)
VALUES (900, 9001, 'ana@tap.example', 'Ana', 'campaign_manager'),
       (900, 9002, 'raj@tap.example', 'Raj', 'reporting_manager');
INSERT INTO support.agents (agent_id, email, full_name, tier) VALUES (9100, 'ben@bedrock.example', 'Ben', 1);

SELECT lives_ok($$SELECT support.open_ticket(900, 9001, 'Pixel not firing', category => 'data_discrepancy')$$,
                'a client opens a ticket');
SELECT is((SELECT priority::text FROM support.tickets WHERE account_id = 900), 'P2',
          'the category sets the default priority');
SELECT is((SELECT tier FROM support.tickets WHERE account_id = 900), 2::smallint,
          'the category sets the starting tier');
SELECT is((SELECT status::text FROM support.tickets WHERE account_id = 900), 'new', 'a ticket starts new');

CREATE TEMP TABLE t AS SELECT ticket_id AS id FROM support.tickets WHERE account_id = 900;

SELECT throws_ok($$SELECT support.change_status((SELECT id FROM t), 'in_progress', 9100)$$,
                 '55000', NULL, 'skipping triage is refused');
SELECT lives_ok($$SELECT support.change_status((SELECT id FROM t), 'triaged', 9100)$$, 'triage');
SELECT lives_ok($$SELECT support.change_status((SELECT id FROM t), 'in_progress', 9100)$$, 'work starts');
SELECT throws_ok($$SELECT support.reply_publicly((SELECT id FROM t), 9001, 'me again')$$,
                 '42501', 'user 9001 is not an active support agent', 'a client cannot post an agent reply');
SELECT lives_ok($$SELECT support.reply_publicly((SELECT id FROM t), 9100, 'Checking the pixel')$$, 'agent replies');
SELECT isnt((SELECT first_response_at FROM support.tickets WHERE ticket_id = (SELECT id FROM t)), NULL,
            'the first reply is the first response');
SELECT throws_ok($$SELECT support.rate_ticket((SELECT id FROM t), 9001, 5)$$,
                 '55000', NULL, 'no rating before resolution');
SELECT lives_ok($$SELECT support.resolve_ticket((SELECT id FROM t), 9100, 'Tag manager paused', 'Resumed the tag')$$,
                'resolved with root cause and solution');
-- The matrix (doc/security.md): a Reporting Manager reads and never writes,
-- a rating included; an Admin or Campaign Manager rates.
SELECT support.issue_key(9002) AS raj_key \gset
SELECT is(pg_temp.error_of('support_client', :'raj_key',
                           format('SELECT support.rate_ticket(%s, 4)', (SELECT id FROM t))),
          format('42501: ticket %s is read-only for user 9002', (SELECT id FROM t)),
          'a Reporting Manager cannot rate, with her own key');
SELECT throws_ok($$SELECT support.rate_ticket((SELECT id FROM t), 9001, 6)$$, '22003', NULL, 'ratings are 1 to 5');
SELECT lives_ok($$SELECT support.rate_ticket((SELECT id FROM t), 9001, 4, 'ok')$$,
                'a Campaign Manager of the account rates');
SELECT results_eq(
    $$SELECT kind::text FROM support.ticket_events WHERE ticket_id = (SELECT id FROM t) ORDER BY event_id$$,
    ARRAY['created', 'status_change', 'status_change', 'public_reply', 'status_change', 'resolution', 'rating'],
    'the case history records every step in order');
SELECT throws_ok($$DELETE FROM support.ticket_events WHERE ticket_id = (SELECT id FROM t)$$,
                 '42501', NULL, 'the case history cannot be deleted');

SELECT * FROM finish();
ROLLBACK;
