-- The handbook's escalation triggers besides the SLA marks: "client
-- expresses dissatisfaction with progress" (a low rating, or a message a
-- dissatisfaction rule matches) and "revenue impact exceeds predefined
-- thresholds". Each escalates as the worker does at a mark, and the case
-- history shows why.
\i sql/include/fixture.sql
SET timezone = 'UTC';
SET support.auto_assign = off;
INSERT INTO support.agents (email, full_name, tier, skills, on_shift, is_support_manager) VALUES
  ('mia@bedrock.example', 'Mia Manager', 3, '{}', true, true),
  ('max@bedrock.example', 'Max Manager', 3, '{}', false, true),
  ('tara@bedrock.example', 'Tara Tier-Two', 2, '{reporting}', true, false);
CREATE FUNCTION new_ticket(subject text, category text DEFAULT 'reporting') RETURNS bigint
LANGUAGE sql AS $$ SELECT ticket_id FROM support.open_ticket(1, 2, subject, channel => 'email', category => category) $$;
CREATE FUNCTION worked(id bigint) RETURNS text LANGUAGE sql AS $$
    SELECT (support.change_status(id, 'triaged', 5)).status::text || ' '
           || (support.change_status(id, 'in_progress', 5)).status::text || ' '
           || (support.reply_publicly(id, 5, 'Looking into it.') > 0)::text
$$;
-- what the trigger did: tier, owner, the escalation events' text, who was told
CREATE FUNCTION outcome(id bigint) RETURNS TABLE (status text, tier smallint, owner text, escalations text, managers_emailed text, slack text)
LANGUAGE sql AS $$
    SELECT t.status::text, t.tier, g.full_name,
           (SELECT string_agg(e.body, ' | ' ORDER BY e.event_id) FROM support.ticket_events e
             WHERE e.ticket_id = id AND e.kind = 'escalation'),
           (SELECT string_agg(m.target, ', ' ORDER BY m.target) FROM support.outbound_messages m
             WHERE m.ticket_id = id AND m.payload->>'kind' = 'dissatisfaction' AND m.destination = 'email'),
           (SELECT string_agg(m.target, ', ' ORDER BY m.message_id) FROM support.outbound_messages m
             WHERE m.ticket_id = id AND m.destination = 'slack' AND m.payload->>'kind' IN ('dissatisfaction', 'escalation'))
      FROM support.tickets t LEFT JOIN support.agents g ON g.agent_id = t.assignee_id WHERE t.ticket_id = id
$$;

------------------------------------------------------------------------------
-- Dissatisfaction: a low rating
------------------------------------------------------------------------------
SELECT new_ticket('Export misses December') AS low \gset
SELECT worked(:low);
SELECT (support.resolve_ticket(:low, 5, 'Filter', 'Export re-run')).status;
-- 2 of 5 is at the threshold (support.escalation_triggers.dissatisfied_rating): reopened and escalated
SELECT (support.rate_ticket(:low, :cam, 2, 'Took a week')).status;
SELECT * FROM outcome(:low);
SELECT kind, old_value, new_value, body FROM support.ticket_events
 WHERE ticket_id = :low AND kind = 'status_change' ORDER BY event_id DESC LIMIT 1;
SELECT body FROM support.outbound_messages
 WHERE ticket_id = :low AND payload->>'kind' = 'dissatisfaction' AND destination = 'slack';
-- a good rating changes nothing
SELECT new_ticket('Where is the invoice?') AS happy \gset
SELECT worked(:happy);
SELECT (support.resolve_ticket(:happy, 5, 'Question', 'Sent the link')).status;
SELECT (support.rate_ticket(:happy, :cam, 4, 'Thanks')).status;
SELECT * FROM outcome(:happy);
-- on a closed ticket only the managers hear of it
SELECT new_ticket('Logo upload fails') AS closed \gset
SELECT worked(:closed);
SELECT (support.resolve_ticket(:closed, 5, 'Size limit', 'Resized')).status;
SELECT (support.close_ticket(:closed, :cam)).status;
SELECT (support.rate_ticket(:closed, :cam, 1)).status;
SELECT * FROM outcome(:closed);
-- rated low again and again: the managers hear of it once, until an agent answers
SELECT (support.rate_ticket(:closed, :cam, 1, 'still bad')).status;
SELECT (support.rate_ticket(:closed, :cam, 2, 'really')).status;
SELECT count(*) AS times_told FROM support.ticket_events
 WHERE ticket_id = :closed AND kind = 'escalation' AND details->>'trigger' = 'dissatisfaction';
-- a manager turns ratings off
UPDATE support.escalation_triggers SET dissatisfied_rating = 0;
SELECT new_ticket('Pixel fires twice') AS off \gset
SELECT worked(:off);
SELECT (support.resolve_ticket(:off, 5, 'Double tag', 'Removed one')).status;
SELECT (support.rate_ticket(:off, :cam, 1)).status;
UPDATE support.escalation_triggers SET dissatisfied_rating = 2;

------------------------------------------------------------------------------
-- Dissatisfaction: the client's words
------------------------------------------------------------------------------
SELECT new_ticket('Conversions missing') AS words \gset
SELECT worked(:words);
SELECT support.post_client_message(:words, :cam, 'Any news on this?') > 0 AS neutral;
SELECT tier FROM support.tickets WHERE ticket_id = :words;
SELECT support.post_client_message(:words, :cam, 'This is unacceptable, we are still waiting.') > 0 AS unhappy;
SELECT * FROM outcome(:words);
-- unhappy again before anyone answered: the escalation stands, no second one
SELECT support.post_client_message(:words, :cam, 'Frustrating. Really frustrating.') > 0 AS unhappy_again;
SELECT tier, (SELECT count(*) FROM support.ticket_events WHERE ticket_id = :words AND kind = 'escalation') AS escalations
  FROM support.tickets WHERE ticket_id = :words;
-- after an agent's reply, a new complaint escalates again
SELECT support.reply_publicly(:words, 8, 'We found the cause and are fixing it.') > 0 AS replied;
SELECT support.post_client_message(:words, :cam, 'I want to speak to a manager.') > 0 AS unhappy_after_reply;
SELECT tier, (SELECT count(*) FROM support.ticket_events WHERE ticket_id = :words AND kind = 'escalation') AS escalations
  FROM support.tickets WHERE ticket_id = :words;
-- a rule must require some word, at most 1,000 characters: one that could not
-- be matched would block every client's message
\set VERBOSITY terse
INSERT INTO support.dissatisfaction_rules (name, keywords) VALUES ('negation only', '-xyzzy');
INSERT INTO support.dissatisfaction_rules (name, keywords) VALUES ('negation or', 'unacceptable OR -xyzzy');
INSERT INTO support.dissatisfaction_rules (name, keywords) VALUES ('stop words', 'the and of');
INSERT INTO support.dissatisfaction_rules (name, keywords) VALUES ('huge', repeat('a ', 50000));
\set VERBOSITY default
-- a long message (990 kB, under the 1 MB bound) is matched on its first 100,000 characters, and accepted
SELECT support.post_client_message(:words, :cam,
       (SELECT string_agg(md5(i::text), ' ') FROM generate_series(1, 30000) i)) > 0 AS long_message_posted;
-- the bound is one for every keyword matcher (support.keyword_document, triage's
-- too): a word within the first 100,000 characters counts, one after them does not
SELECT support.keyword_document(repeat('x ', 49990) || 'unacceptable') @@ to_tsquery('english', 'unacceptable') AS word_within,
       support.keyword_document(repeat('x ', 50000) || 'unacceptable') @@ to_tsquery('english', 'unacceptable') AS word_after;
SELECT has_function_privilege('public', 'support.keyword_document(text)', 'EXECUTE') AS public_may_call;
-- a message written straight into the history is watched too; rules are a manager's to edit
INSERT INTO support.dissatisfaction_rules (name, keywords) VALUES ('Threatens to leave', 'cancel OR "switch provider"');
SELECT new_ticket('Budget pacing off') AS direct \gset
SELECT worked(:direct);
INSERT INTO support.ticket_events (account_id, ticket_id, kind, actor_id, actor_kind, visibility, body)
VALUES (1, :direct, 'client_message', :cam, 'client', 'public', 'We will cancel our contract.');
SELECT tier, escalations FROM outcome(:direct);

------------------------------------------------------------------------------
-- Revenue at risk
------------------------------------------------------------------------------
SELECT new_ticket('Campaigns under-delivering') AS revenue \gset
SELECT worked(:revenue);
-- below the everyone's USD threshold (10,000): recorded, no escalation
SELECT (support.report_revenue_at_risk(:revenue, :cam, 2000, 'usd', 'Two days of spend')).tier;
SELECT revenue_at_risk, revenue_currency, revenue_impact, revenue_escalated_at IS NULL AS not_escalated
  FROM support.tickets WHERE ticket_id = :revenue;
-- crossing it escalates, once, and the case history says why
SELECT (support.report_revenue_at_risk(:revenue, 5, 12500.5, 'USD', 'The whole week is affected')).tier;
SELECT (support.report_revenue_at_risk(:revenue, :cam, 50000, 'USD', 'And the launch')).tier;
SELECT e.kind, e.actor_kind, e.visibility, e.body, e.details->>'amount' AS amount
  FROM support.ticket_events e WHERE e.ticket_id = :revenue AND e.kind IN ('revenue_at_risk', 'escalation')
 ORDER BY e.event_id;
-- the most specific threshold applies: the account's own, then the priority's
INSERT INTO support.revenue_thresholds (account_id, priority, currency, amount) VALUES (1, NULL, 'USD', 1000);
SELECT new_ticket('Feed rejected') AS account_threshold \gset
SELECT (support.report_revenue_at_risk(:account_threshold, :cam, 1500, 'USD', 'Feed down')).tier AS account_threshold_tier;
SELECT new_ticket('Checkout pixel down', 'campaign_performance') AS euros \gset
SELECT (support.change_priority(:euros, 'P1', 5, 'revenue')).priority;
SELECT (support.report_revenue_at_risk(:euros, :cam, 6000, 'EUR', 'EU shop')).tier > 1 AS p1_euro_threshold_crossed;
-- no threshold in that currency: recorded only
SELECT new_ticket('Yen report') AS yen \gset
SELECT (support.report_revenue_at_risk(:yen, :cam, 99999999, 'JPY', 'Japan')).revenue_escalated_at IS NULL AS no_threshold;

\set VERBOSITY terse
SELECT support.report_revenue_at_risk(:yen, :cam, -1, 'USD', 'negative');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT support.report_revenue_at_risk(:yen, :cam, 999999999999.995, 'USD', 'rounds over the limit');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT support.report_revenue_at_risk(:yen, :cam, 10, 'dollars', 'not a code');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT support.report_revenue_at_risk(:yen, :cam, 10, 'USD', ' ');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT support.report_revenue_at_risk(:yen, :gil, 10, 'USD', 'another account');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT support.report_revenue_at_risk(:closed, :cam, 10, 'USD', 'closed ticket');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
INSERT INTO support.revenue_thresholds (account_id, priority, currency, amount) VALUES (NULL, NULL, 'USD', 5);
\echo SQLSTATE :LAST_ERROR_SQLSTATE
INSERT INTO support.revenue_thresholds (currency, amount) VALUES ('usd', 5);
\echo SQLSTATE :LAST_ERROR_SQLSTATE
UPDATE support.escalation_triggers SET dissatisfied_rating = 6;
\echo SQLSTATE :LAST_ERROR_SQLSTATE
INSERT INTO support.escalation_triggers (singleton) VALUES (false);
\echo SQLSTATE :LAST_ERROR_SQLSTATE
-- the watcher cannot be attached to another table
CREATE TABLE not_events (kind support.event_kind, body text);
CREATE TRIGGER borrowed AFTER INSERT ON not_events FOR EACH ROW EXECUTE FUNCTION support.watch_dissatisfaction();
INSERT INTO not_events VALUES ('client_message', 'unacceptable');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
