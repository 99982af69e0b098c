-- A fresh extension and a small cast: one account with its three users,
-- three agents (tiers 1-3), a second account to prove isolation of data.
SET client_min_messages = warning;
-- These tests drive the escalation worker's actions by hand
-- (support.run_due_actions) at chosen times; the worker stays out.
SELECT current_database() AS regression_database \gset
ALTER DATABASE :"regression_database" SET support.worker_enabled = off;
DROP EXTENSION IF EXISTS bedrock_support CASCADE;
CREATE EXTENSION bedrock_support;
RESET client_min_messages;
-- the tests name the extension's functions and views without their schema
SET search_path = "$user", public, support;
INSERT INTO support.accounts (name, time_zone, calendar_id)
VALUES ('Acme Ads', 'America/New_York', 2), ('Globex', 'Europe/Berlin', 2);
INSERT INTO support.account_users (account_id, email, full_name, role) VALUES
  (1, 'ada@acme.example', 'Ada Admin', 'admin'),
  (1, 'cam@acme.example', 'Cam Campaigns', 'campaign_manager'),
  (1, 'rex@acme.example', 'Rex Reports', 'reporting_manager'),
  (2, 'gil@globex.example', 'Gil Globex', 'admin');
INSERT INTO support.agents (email, full_name, tier, skills, on_shift) VALUES
  ('tia@bedrock.example', 'Tia Tier-One', 1, '{campaign_management}', true),
  ('tom@bedrock.example', 'Tom Tier-Two', 2, '{api_integration}', true),
  ('tess@bedrock.example', 'Tess Tier-Three', 3, '{infrastructure}', true);
SELECT user_id AS ada FROM support.account_users WHERE email = 'ada@acme.example' \gset
SELECT user_id AS cam FROM support.account_users WHERE email = 'cam@acme.example' \gset
SELECT user_id AS gil FROM support.account_users WHERE email = 'gil@globex.example' \gset
SELECT agent_id AS tia FROM support.agents WHERE email = 'tia@bedrock.example' \gset
SELECT agent_id AS tom FROM support.agents WHERE email = 'tom@bedrock.example' \gset
SELECT agent_id AS tess FROM support.agents WHERE email = 'tess@bedrock.example' \gset
