-- The demo scenario: four client companies on three continents, their
-- users, a support team of three tiers, and a morning's worth of tickets
-- on every channel and priority, worked through the lifecycle.
\set ON_ERROR_STOP on
\set QUIET on
SET client_min_messages = warning;

INSERT INTO support.calendar (name, hours) VALUES
  ('Northwind (New York)', 'mon-fri 09:00-17:00 @ America/New_York'),
  ('Kestrel (Berlin)', 'mon-thu 09:00-12:00,13:00-17:30; fri 09:00-13:00 @ Europe/Berlin'),
  ('Sakura (Tokyo)', 'mon-fri 10:00-18:00 @ Asia/Tokyo'),
  ('Outback (Sydney)', 'mon-fri 08:30-17:00 @ Australia/Sydney');

INSERT INTO support.accounts (name, time_zone, calendar_id, enterprise, slack_channel, sensitive)
SELECT a.name, a.zone, c.calendar_id, a.enterprise, a.slack, a.sensitive
  FROM (VALUES ('Northwind Media', 'America/New_York', 'Northwind (New York)', true, '#northwind-media', false),
               ('Kestrel Retail GmbH', 'Europe/Berlin', 'Kestrel (Berlin)', false, NULL, true),
               ('Sakura Apps KK', 'Asia/Tokyo', 'Sakura (Tokyo)', true, '#sakura-apps', false),
               ('Outback Outdoor', 'Australia/Sydney', 'Outback (Sydney)', false, NULL, false))
       AS a(name, zone, calendar, enterprise, slack, sensitive)
  JOIN support.calendar c ON c.name = a.calendar;

INSERT INTO support.account_users (account_id, email, full_name, role)
SELECT a.account_id, u.email, u.full_name, u.role::support.account_role
  FROM (VALUES ('Northwind Media', 'dana.admin@northwind.example', 'Dana Whitaker', 'admin'),
               ('Northwind Media', 'leo.campaigns@northwind.example', 'Leo Martinez', 'campaign_manager'),
               ('Northwind Media', 'ivy.reports@northwind.example', 'Ivy Chen', 'reporting_manager'),
               ('Kestrel Retail GmbH', 'anna.admin@kestrel.example', 'Anna Vogel', 'admin'),
               ('Kestrel Retail GmbH', 'jonas.kampagnen@kestrel.example', 'Jonas Becker', 'campaign_manager'),
               ('Kestrel Retail GmbH', 'mia.berichte@kestrel.example', 'Mia Schulz', 'reporting_manager'),
               ('Sakura Apps KK', 'haruto.admin@sakura.example', 'Haruto Sato', 'admin'),
               ('Sakura Apps KK', 'yui.campaigns@sakura.example', 'Yui Tanaka', 'campaign_manager'),
               ('Sakura Apps KK', 'ren.reports@sakura.example', 'Ren Suzuki', 'reporting_manager'),
               ('Outback Outdoor', 'jack.admin@outback.example', 'Jack Wilson', 'admin'),
               ('Outback Outdoor', 'olivia.campaigns@outback.example', 'Olivia Brown', 'campaign_manager'),
               ('Outback Outdoor', 'noah.reports@outback.example', 'Noah Taylor', 'reporting_manager'))
       AS u(account, email, full_name, role)
  JOIN support.accounts a ON a.name = u.account;

INSERT INTO support.agents (email, full_name, tier, skills, is_super_user, is_support_manager, on_shift) VALUES
  ('sam.t1@bedrock.example', 'Sam Rivera', 1, '{campaign_management,reporting,platform_ui,account_administration}', false, false, true),
  ('kim.t1@bedrock.example', 'Kim Okafor', 1, '{campaign_management,reporting,documentation}', false, false, true),
  ('raj.t2@bedrock.example', 'Raj Patel', 2, '{api_integration,data_analysis,reporting}', false, false, true),
  ('eva.t2@bedrock.example', 'Eva Lindqvist', 2, '{data_analysis,campaign_management}', false, false, false),
  ('max.t3@bedrock.example', 'Max Novak', 3, '{infrastructure,software_engineering,security}', false, false, true),
  ('grace.lead@bedrock.example', 'Grace Hopper-Lee', 3, '{infrastructure,security,product}', true, true, true);
-- the executives an executive escalation seats in its war room
INSERT INTO support.agents (email, full_name, tier, is_executive) VALUES
  ('dana.vp@bedrock.example', 'Dana Whitfield (VP Customer Success)', 3, true),
  ('priya.cto@bedrock.example', 'Priya Raman (CTO)', 3, true);

-- psql variables for the people the story follows
SELECT user_id AS leo FROM support.account_users WHERE email = 'leo.campaigns@northwind.example' \gset
SELECT user_id AS ivy FROM support.account_users WHERE email = 'ivy.reports@northwind.example' \gset
SELECT user_id AS jonas FROM support.account_users WHERE email = 'jonas.kampagnen@kestrel.example' \gset
SELECT user_id AS yui FROM support.account_users WHERE email = 'yui.campaigns@sakura.example' \gset
SELECT user_id AS haruto FROM support.account_users WHERE email = 'haruto.admin@sakura.example' \gset
SELECT user_id AS noah FROM support.account_users WHERE email = 'noah.reports@outback.example' \gset
SELECT user_id AS jack FROM support.account_users WHERE email = 'jack.admin@outback.example' \gset
SELECT agent_id AS sam FROM support.agents WHERE email = 'sam.t1@bedrock.example' \gset
SELECT agent_id AS kim FROM support.agents WHERE email = 'kim.t1@bedrock.example' \gset
SELECT agent_id AS raj FROM support.agents WHERE email = 'raj.t2@bedrock.example' \gset
SELECT agent_id AS max FROM support.agents WHERE email = 'max.t3@bedrock.example' \gset
SELECT account_id AS northwind FROM support.accounts WHERE name = 'Northwind Media' \gset
SELECT account_id AS kestrel FROM support.accounts WHERE name = 'Kestrel Retail GmbH' \gset
SELECT account_id AS sakura FROM support.accounts WHERE name = 'Sakura Apps KK' \gset
SELECT account_id AS outback FROM support.accounts WHERE name = 'Outback Outdoor' \gset

-- Every channel, every priority.
SELECT ticket_id AS outage FROM support.open_ticket(:sakura, :haruto,
  'Ad serving down for all campaigns', 'Since 09:40 JST no impressions are served; revenue stopped.',
  channel => 'phone', category => 'service_outage', created_by => :max,
  service_outage => true, revenue_impact => true) \gset
SELECT ticket_id AS pacing FROM support.open_ticket(:northwind, :leo,
  'Holiday campaign underspending by 40%', 'Budget pacing stalled since yesterday; spend is far below plan.',
  channel => 'slack', category => 'campaign_performance', priority => 'high') \gset
SELECT ticket_id AS numbers FROM support.open_ticket(:kestrel, :jonas,
  'Conversions differ from our analytics', 'Platform shows 1,240 conversions, our analytics 1,010.',
  channel => 'email', category => 'data_discrepancy') \gset
SELECT ticket_id AS webhook FROM support.open_ticket(:northwind, :ivy,
  'Webhook deliveries time out', 'Our endpoint receives no events since the last deployment.',
  channel => 'api', category => 'technical_integration', workaround_available => true) \gset
SELECT ticket_id AS export FROM support.open_ticket(:outback, :noah,
  'Export of 2024 spend by month', 'We need last year''s spend per month for our audit.',
  channel => 'portal', category => 'historical_data') \gset
SELECT ticket_id AS anomaly FROM support.open_ticket(:sakura, :yui,
  'API error rate above 5% for Sakura Apps', 'Monitoring: 7.2% of API calls returned 5xx in the last 15 minutes.',
  channel => 'monitoring', category => 'technical_integration', api_failure => true, priority => 'P1') \gset
SELECT ticket_id AS darkmode FROM support.open_ticket(:outback, :jack,
  'Dashboard chart labels overlap in dark mode', 'Cosmetic, but our execs notice it.',
  channel => 'portal', category => 'ui_issue') \gset

-- The outage: triaged at once, worked, resolved, closed and rated.
SELECT support.change_status(:outage, 'triaged', :max) \gset ignored_
SELECT support.assign_ticket(:outage, :max, :max) \gset ignored_
SELECT support.change_status(:outage, 'in_progress', :max) \gset ignored_
SELECT support.reply_publicly(:outage, :max, 'We are on it: an ad-server cluster in Tokyo lost its database connection.') \gset ignored_
SELECT support.add_internal_note(:outage, :max, 'Connection pool exhausted after failover; restarting the pool.') \gset ignored_
SELECT support.escalate_to_executive(:outage, :max, 'Ad serving down for every Sakura campaign: revenue-critical') \gset ignored_
SELECT support.resolve_ticket(:outage, :max,
  root_cause => 'Connection pool exhausted after a database failover',
  solution => 'Pool restarted and sized for failover; impressions flowing again',
  verification_steps => 'Impressions back to baseline for 30 minutes',
  prevention_measures => 'Failover drill added to the weekly checks') \gset ignored_
SELECT support.close_ticket(:outage, :haruto) \gset ignored_
SELECT support.rate_ticket(:outage, :haruto, 5, 'Fast and clear, thank you.') \gset ignored_
SELECT support.record_post_incident_review(:outage, :max,
  'Failover drill weekly; pool sized for failover; alert on pool exhaustion') \gset ignored_

-- The pacing issue: waits on the client, who answers, which resumes it.
SELECT support.change_status(:pacing, 'triaged', :sam) \gset ignored_
SELECT support.assign_ticket(:pacing, :sam, :sam) \gset ignored_
SELECT support.change_status(:pacing, 'in_progress', :sam) \gset ignored_
SELECT support.reply_publicly(:pacing, :sam, 'Could you confirm the daily cap on line item 7?') \gset ignored_
SELECT support.change_status(:pacing, 'pending_client', :sam, 'asked for the daily cap') \gset ignored_
SELECT support.post_client_message(:pacing, :leo, 'The daily cap is 5,000 USD.') \gset ignored_
-- ...and reports what the under-delivery puts at risk: over the 10,000 USD threshold, it escalates.
SELECT support.report_revenue_at_risk(:pacing, :leo, 14500, 'USD', 'Holiday flight: 40% under-delivery for a week') \gset ignored_

-- The discrepancy: re-prioritised by an agent, with the reason recorded.
SELECT support.change_status(:numbers, 'triaged', :raj) \gset ignored_
SELECT support.assign_ticket(:numbers, :raj, :raj) \gset ignored_
SELECT support.change_priority(:numbers, 'P3', :raj, 'Attribution window difference, no decision blocked') \gset ignored_
-- The client is unhappy with progress: the words escalate it, and the managers hear of it by name.
SELECT support.post_client_message(:numbers, :jonas, 'Still waiting for a real answer. This is not good enough.') \gset ignored_

-- The export: resolved, then reopened by the client's reply (a month was missing).
SELECT support.change_status(:export, 'triaged', :kim) \gset ignored_
SELECT support.assign_ticket(:export, :raj, :kim) \gset ignored_
SELECT support.change_status(:export, 'in_progress', :raj) \gset ignored_
SELECT support.resolve_ticket(:export, :raj, 'Report request', 'Export sent as CSV') \gset ignored_
SELECT support.post_client_message(:export, :noah, 'December is missing from the export.') \gset ignored_

-- The outage, closed, comes back: the client's message opens a linked follow-up.
SELECT support.post_client_message(:outage, :haruto, 'Delivery stopped again for our EU campaigns.') \gset ignored_

-- The monitoring alert: acknowledged publicly, still in triage.
SELECT support.change_status(:anomaly, 'triaged', :max) \gset ignored_
SELECT support.reply_publicly(:anomaly, :max, 'We see the elevated error rate and are investigating.') \gset ignored_

-- Two tickets imported from the previous help desk with their original
-- creation times. An import, like a restore, writes rows as they are
-- (row_security = off); the SLA engine then computes the deadlines of every
-- ticket that has none, so these two are already overdue.
SET row_security = off;
INSERT INTO support.tickets (account_id, ticket_id, requester_id, subject, description, channel, category,
                             priority, tier, status, created_at, updated_at)
VALUES (:kestrel, 9001, :jonas, 'Feed import rejects product IDs', 'Imported from the old help desk.',
        'email', 'technical_integration', 'P2', 2, 'in_progress', now() - interval '2 days', now() - interval '2 days'),
       (:outback, 9002, :noah, 'Monthly report arrives empty', 'Imported from the old help desk.',
        'email', 'reporting', 'P3', 1, 'triaged', now() - interval '6 days', now() - interval '6 days');
RESET row_security;
UPDATE support.tickets SET sla_paused = sla_paused WHERE first_response_due IS NULL;
