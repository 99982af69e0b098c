-- The acknowledgment triage queues at ticket creation carries what it looks
-- up of the requester, the account and the agent (src/triage_outbox_people.c reads
-- them by primary-key probes, once per batch for each): the client's name and
-- address, the agent's name, the deadlines in the account's time zone, and the
-- account's Slack channel for an enterprise account (else the hotline). Both
-- for a single ticket and for one INSERT of tickets of two accounts.
BEGIN;
SELECT plan(14);
SET LOCAL support.auto_assign = on;

INSERT INTO support.accounts (name, time_zone, calendar_id, enterprise, slack_channel)
VALUES ('Kumo KK', 'Asia/Tokyo', 2, true, '#kumo-support'),
       ('Prairie LLC', 'America/Chicago', 2, false, NULL);
INSERT INTO support.account_users (account_id, email, full_name, role)
SELECT account_id, v.email, v.full_name, 'campaign_manager'
  FROM support.accounts a
  JOIN (VALUES ('Kumo KK', 'aoi@kumo.example', 'Aoi Kumo'),
               ('Prairie LLC', 'bo@prairie.example', 'Bo Prairie')) AS v(account, email, full_name)
    ON v.account = a.name;
-- the only eligible agent for reporting at tier 1, so the routing is known
UPDATE support.agents SET on_shift = false;
INSERT INTO support.agents (email, full_name, tier, skills, on_shift)
VALUES ('rin@bedrock.example', 'Rin Okada', 1, '{reporting}', true);

CREATE TEMP VIEW acknowledgments AS
SELECT t.subject AS ticket, m.target, m.subject, m.body, t.first_response_due, t.resolution_due,
       a.time_zone, g.full_name AS agent
  FROM support.outbound_messages m
  JOIN support.tickets t USING (account_id, ticket_id)
  JOIN support.accounts a USING (account_id)
  LEFT JOIN support.agents g ON g.agent_id = t.assignee_id
 WHERE m.template = 'initial_response';

-- one ticket
INSERT INTO support.tickets (account_id, requester_id, subject, channel, category)
SELECT account_id, user_id, 'Weekly report is empty', 'email', 'reporting'
  FROM support.account_users WHERE email = 'aoi@kumo.example';

SELECT is((SELECT target FROM acknowledgments WHERE ticket = 'Weekly report is empty'), 'aoi@kumo.example',
          'the acknowledgment goes to the requester');
SELECT ok((SELECT body ~ '^Dear Aoi Kumo,' FROM acknowledgments WHERE ticket = 'Weekly report is empty'),
          'it greets the requester by name');
SELECT is((SELECT agent FROM acknowledgments WHERE ticket = 'Weekly report is empty'), 'Rin Okada',
          'the ticket went to the only eligible agent');
SELECT ok((SELECT strpos(body, '- Assigned Support Engineer: Rin Okada') > 0
                  AND strpos(body, E'Best regards,\nRin Okada') > 0
             FROM acknowledgments WHERE ticket = 'Weekly report is empty'),
          'it names the agent as the engineer and signs with their name');
SELECT ok((SELECT strpos(body, '- Estimated Resolution Time: by '
                         || to_char(resolution_due AT TIME ZONE 'Asia/Tokyo', 'Dy DD Mon YYYY HH24:MI')
                         || ' Asia/Tokyo') > 0
             FROM acknowledgments WHERE ticket = 'Weekly report is empty'),
          'the resolution deadline is given in the account''s time zone');
SELECT ok((SELECT strpos(body, '3. First response by '
                         || to_char(first_response_due AT TIME ZONE 'Asia/Tokyo', 'Dy DD Mon YYYY HH24:MI')
                         || ' Asia/Tokyo') > 0
             FROM acknowledgments WHERE ticket = 'Weekly report is empty'),
          'so is the first response');
SELECT ok((SELECT strpos(body, 'contact us via your Slack channel #kumo-support.') > 0
             FROM acknowledgments WHERE ticket = 'Weekly report is empty'),
          'an enterprise account is pointed to its Slack channel');

-- one INSERT: three tickets of two accounts, the same requester twice
INSERT INTO support.tickets (account_id, requester_id, subject, channel, category)
SELECT u.account_id, u.user_id, v.subject, 'portal', 'reporting'
  FROM (VALUES (1, 'aoi@kumo.example', 'Export has no header'),
               (2, 'bo@prairie.example', 'Totals look doubled'),
               (3, 'aoi@kumo.example', 'Filter resets on reload')) AS v(n, email, subject)
  JOIN support.account_users u ON u.email = v.email
 ORDER BY v.n;

SELECT results_eq(
    $$SELECT ticket, target, substring(body FROM '^Dear ([^,]+),') FROM acknowledgments
       WHERE ticket IN ('Export has no header', 'Totals look doubled', 'Filter resets on reload') ORDER BY ticket$$,
    $$VALUES ('Export has no header', 'aoi@kumo.example', 'Aoi Kumo'),
             ('Filter resets on reload', 'aoi@kumo.example', 'Aoi Kumo'),
             ('Totals look doubled', 'bo@prairie.example', 'Bo Prairie')$$,
    'each ticket of the statement is acknowledged to its own requester');
SELECT is((SELECT count(*)::int FROM acknowledgments
            WHERE ticket IN ('Export has no header', 'Totals look doubled', 'Filter resets on reload')
              AND strpos(body, '- Estimated Resolution Time: by '
                         || to_char(resolution_due AT TIME ZONE time_zone, 'Dy DD Mon YYYY HH24:MI')
                         || ' ' || time_zone) > 0),
          3, 'each gives its resolution deadline in its own account''s time zone');
SELECT ok((SELECT strpos(body, 'Chicago') > 0 FROM acknowledgments WHERE ticket = 'Totals look doubled')
          AND (SELECT strpos(body, 'Tokyo') > 0 FROM acknowledgments WHERE ticket = 'Filter resets on reload'),
          'the second account''s zone does not leak into the first''s repeated requester');
SELECT ok((SELECT strpos(body, 'contact us via the Emergency Hotline.') > 0
             FROM acknowledgments WHERE ticket = 'Totals look doubled'),
          'an account without a Slack channel is pointed to the hotline');
SELECT ok((SELECT strpos(body, 'contact us via your Slack channel #kumo-support.') > 0
             FROM acknowledgments WHERE ticket = 'Filter resets on reload'),
          'the repeated enterprise account keeps its channel');
SELECT is((SELECT count(*)::int FROM acknowledgments
            WHERE ticket IN ('Export has no header', 'Totals look doubled', 'Filter resets on reload')
              AND agent = 'Rin Okada' AND strpos(body, 'Assigned Support Engineer: Rin Okada') > 0),
          3, 'all three name the agent they went to');

-- nobody on shift: the queue stands in for the engineer
UPDATE support.agents SET on_shift = false WHERE email = 'rin@bedrock.example';
INSERT INTO support.tickets (account_id, requester_id, subject, channel, category)
SELECT account_id, user_id, 'Scheduled report late', 'email', 'reporting'
  FROM support.account_users WHERE email = 'bo@prairie.example';
SELECT ok((SELECT agent IS NULL AND strpos(body, 'Assigned Support Engineer: to be assigned from the tier 1 queue') > 0
                  AND strpos(body, E'Best regards,\nBedrock Platform Support') > 0
             FROM acknowledgments WHERE ticket = 'Scheduled report late'),
          'an unassigned ticket names the tier''s queue and is signed by the team');

SELECT * FROM finish();
ROLLBACK;
