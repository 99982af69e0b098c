-- Times and durations in every text the desk writes, as the client reads
-- them: in the client's own time zone, named, whatever the session's zone,
-- and durations in words ("2 hours", never "02:00:00").
\i sql/include/fixture.sql
-- a session far from every client: nothing below may depend on it
SET timezone = 'Asia/Tokyo';
SET support.auto_assign = off;

SELECT span, support.duration_in_words(span::interval) AS words
  FROM (VALUES ('15 minutes'), ('1 hour'), ('2 hours'), ('1 hour 30 minutes'), ('24 hours'),
               ('1 day'), ('2 days 4 hours 5 minutes'), ('90 seconds'), ('1 month 2 days'),
               ('14 months'), ('0'), ('-2 hours'), ('0.5 seconds'), ('1 day -3 hours'), ('-1 day 3 hours'),
               ('-9223372036854775808 microseconds'),
               ('-2147483648 months -2147483648 days -9223372036854775808 microseconds')) v(span);

-- across New York's switch to summer time (Sunday 2026-03-08, 02:00 local)
SELECT at, support.local_time(at::timestamptz, 'America/New_York') AS new_york,
       support.local_time(at::timestamptz, 'Europe/Berlin') AS berlin
  FROM (VALUES ('2026-03-07 20:00 UTC'), ('2026-03-08 12:00 UTC'), ('2026-11-30 23:30 UTC')) v(at);
SELECT support.local_time(NULL, 'UTC') IS NULL AS null_time, support.duration_in_words(NULL) IS NULL AS null_span;
SELECT support.local_time('infinity', 'UTC') AS never, support.local_time('-infinity', 'Europe/Berlin') AS always;
\set VERBOSITY terse
SELECT support.local_time(now(), 'Mars/Olympus_Mons');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT support.local_time('infinity', 'Mars/Olympus_Mons');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
\set VERBOSITY default

-- the desk's texts: Acme Ads works in New York
SELECT ticket_id AS t FROM support.open_ticket(1, :cam, 'Spend report empty', channel => 'email',
       category => 'reporting') \gset
SELECT (support.request_escalation(:t, :cam, 'Board meeting tomorrow')).escalation_call_due AS call_due \gset
SELECT destination,
       body LIKE '%' || support.local_time(:'call_due'::timestamptz, 'America/New_York') || '%' AS client_time_named,
       CASE WHEN destination = 'email' THEN body LIKE '%every 2 hours%' END AS cadence_in_words,
       body !~ '\d\d:\d\d:\d\d' AS no_raw_interval_or_timestamp
  FROM support.outbound_messages
 WHERE ticket_id = :t AND payload->>'kind' IN ('escalation_acknowledgment', 'client_escalation')
 ORDER BY destination;
-- a breach alert and an update reminder at a known deadline
SELECT support.record_breach(t, 'resolution', '2026-03-09 18:30 UTC') FROM support.tickets t WHERE ticket_id = :t;
SELECT support.take_action(t, 'update_overdue', '2026-03-09 15:00 UTC', '2026-03-09 15:00 UTC')
  FROM support.tickets t WHERE ticket_id = :t;
SELECT payload->>'kind' AS kind, body FROM support.outbound_messages
 WHERE ticket_id = :t AND payload->>'kind' IN ('sla_breach', 'update_reminder') ORDER BY message_id;
