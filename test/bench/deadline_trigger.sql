-- Benchmark: one INSERT ... SELECT of 100,000 tickets with the deadline
-- triggers (the C row trigger computing four deadlines on business time,
-- and the statement trigger writing each target's activation event)
-- against the same INSERT with those two triggers disabled. Everything
-- else (lifecycle trigger, creation events, keys) runs in both. Each run is
-- rolled back; the best of three of each is kept.
--   psql -v tickets=100000 -f test/bench/deadline_trigger.sql   (in a database with the extension)
\ir include/session.sql
\if :{?tickets}
\else
\set tickets 100000
\endif

INSERT INTO support.calendar (name, hours, holidays)
SELECT 'bench ' || zone, 'mon-fri 09:00-17:00 @ ' || zone, '{2026-12-24,2026-12-25,2027-01-01}'
  FROM unnest(ARRAY['America/New_York', 'Europe/Berlin', 'Asia/Tokyo', 'Australia/Sydney']) AS zone
ON CONFLICT (name) DO NOTHING;
INSERT INTO support.accounts (name, time_zone, calendar_id)
SELECT 'bench account ' || i, split_part(c.hours::text, ' @ ', 2), c.calendar_id
  FROM generate_series(1, 100) i
  JOIN support.calendar c ON c.name = 'bench ' || (ARRAY['America/New_York', 'Europe/Berlin', 'Asia/Tokyo', 'Australia/Sydney'])[1 + i % 4];
INSERT INTO support.account_users (account_id, email, full_name, role)
SELECT a.account_id, 'user' || a.account_id || '@bench.example', 'Bench User', 'campaign_manager'
  FROM support.accounts a WHERE a.name LIKE 'bench account %';
CREATE TEMP TABLE bench_requesters AS
SELECT row_number() OVER (ORDER BY account_id) AS n, account_id, user_id
  FROM support.account_users WHERE email LIKE '%@bench.example';

CREATE OR REPLACE FUNCTION pg_temp.insert_tickets_ms(tickets int) RETURNS float8 LANGUAGE plpgsql AS $$
DECLARE
    started timestamptz := clock_timestamp();
BEGIN
    INSERT INTO support.tickets (account_id, requester_id, subject, channel, category, priority)
    SELECT r.account_id, r.user_id, 'bench ticket ' || i, 'email', 'reporting',
           ('P' || (1 + i % 4))::support.priority
      FROM generate_series(1, tickets) i
      JOIN bench_requesters r ON r.n = 1 + i % 100;
    RETURN extract(epoch FROM clock_timestamp() - started) * 1000;
END $$;

BEGIN; SELECT pg_temp.insert_tickets_ms(:tickets) AS on1 \gset
ROLLBACK;
BEGIN; ALTER TABLE support.tickets DISABLE TRIGGER ticket_40_sla_deadlines, DISABLE TRIGGER ticket_70_sla_activated;
SELECT pg_temp.insert_tickets_ms(:tickets) AS off1 \gset
ROLLBACK;
BEGIN; SELECT pg_temp.insert_tickets_ms(:tickets) AS on2 \gset
ROLLBACK;
BEGIN; ALTER TABLE support.tickets DISABLE TRIGGER ticket_40_sla_deadlines, DISABLE TRIGGER ticket_70_sla_activated;
SELECT pg_temp.insert_tickets_ms(:tickets) AS off2 \gset
ROLLBACK;
BEGIN; SELECT pg_temp.insert_tickets_ms(:tickets) AS on3 \gset
ROLLBACK;
BEGIN; ALTER TABLE support.tickets DISABLE TRIGGER ticket_40_sla_deadlines, DISABLE TRIGGER ticket_70_sla_activated;
SELECT pg_temp.insert_tickets_ms(:tickets) AS off3 \gset
ROLLBACK;

\pset tuples_only on
\pset format unaligned
\echo
\echo 'INSERT ... SELECT of' :tickets 'tickets across 100 accounts on 4 zones'' calendars, P1-P4 (best of 3)'
SELECT format('  deadline triggers disabled  %s ms  (%s tickets/s)', round(least(:off1, :off2, :off3)::numeric),
              round(:tickets / least(:off1, :off2, :off3) * 1000))
UNION ALL
SELECT format('  deadline triggers enabled   %s ms  (%s tickets/s)', round(least(:on1, :on2, :on3)::numeric),
              round(:tickets / least(:on1, :on2, :on3) * 1000))
UNION ALL
SELECT format('  rate with deadlines: %s of the rate without', round((least(:off1, :off2, :off3) / least(:on1, :on2, :on3))::numeric, 2));
