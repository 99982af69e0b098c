-- Property test of the "breach imminent" mark: on thousands of random
-- tickets (priorities, tiers, escalations, pauses, replies, waiting on the
-- client, resolved), the deadline trigger's escalation_due and tier
-- deadlines equal a straightforward SQL reading of the rule:
--   escalation_due = the earliest escalation_ratio share of every target
--   still running (the priority's first response and resolution, the
--   current tier's initial response and resolution since the ticket entered
--   it), among those later than the last escalation.
\i sql/include/fixture.sql
SET timezone = 'UTC';
SELECT setseed(0.16);

-- calendars across both DST changes of March 2026, with holidays
INSERT INTO support.calendar (name, hours, holidays) VALUES
  ('NY property', 'mon-fri 09:00-17:00 @ America/New_York', '{2026-03-10,2026-03-20}'),
  ('Berlin property', 'mon-fri 08:00-12:00,13:00-18:00 @ Europe/Berlin', '{2026-03-30}');
INSERT INTO support.accounts (name, time_zone, calendar_id)
SELECT c.name, split_part(c.hours::text, '@ ', 2), c.calendar_id
  FROM support.calendar c WHERE c.name LIKE '% property';
INSERT INTO support.account_users (account_id, email, full_name, role)
SELECT a.account_id, 'p' || a.account_id || '@property.example', 'Property ' || a.account_id, 'admin'
  FROM support.accounts a WHERE a.name LIKE '% property';

-- start + amount of business time on a clock, not counting the time the
-- ticket was paused: walk the pauses in order, spending the amount on the
-- working stretches between them
CREATE FUNCTION pg_temp.due_excluding_pauses(start timestamptz, amount interval,
                                             hours support.business_hours, holidays date[],
                                             pauses tstzmultirange) RETURNS timestamptz
LANGUAGE plpgsql AS $$
DECLARE
    cursor_at timestamptz := start;
    left_over interval := amount;
    pause tstzrange;
    reached timestamptz;
BEGIN
    FOR pause IN SELECT p FROM unnest(pauses) p ORDER BY lower(p) LOOP
        CONTINUE WHEN upper(pause) <= cursor_at;
        reached := support.business_add(cursor_at, left_over, hours, holidays);
        IF reached <= lower(pause) THEN
            RETURN reached;
        END IF;
        left_over := left_over - support.business_diff(cursor_at, greatest(lower(pause), cursor_at), hours, holidays);
        cursor_at := upper(pause);
    END LOOP;
    RETURN support.business_add(cursor_at, left_over, hours, holidays);
END $$;

CREATE FUNCTION pg_temp.share(amount interval, ratio numeric) RETURNS interval
LANGUAGE sql IMMUTABLE AS $$
    SELECT make_interval(secs => round(extract(epoch FROM amount) * 1000000 * ratio) / 1000000.0)
$$;

-- the rule, read from the row and the configuration
CREATE FUNCTION pg_temp.expected(t support.tickets,
    OUT escalation_due timestamptz, OUT tier_response_due timestamptz,
    OUT tier_resolution_due timestamptz, OUT resolution_due timestamptz, OUT mark_source text)
LANGUAGE plpgsql AS $$
DECLARE
    p support.sla_policies;
    r support.tiers;
    c support.calendar;
    p_hours support.business_hours;
    p_holidays date[];
    r_hours support.business_hours;
    r_holidays date[];
    open boolean := t.status NOT IN ('resolved', 'closed');
    waiting boolean := t.status = 'pending_client' AND t.pending_since IS NOT NULL;
    running boolean := t.status IN ('new', 'triaged', 'in_progress');
    marks timestamptz[] := '{}';
    sources text[] := '{}';
    m timestamptz;
BEGIN
    SELECT * INTO p FROM support.sla_policies WHERE priority = t.priority;
    SELECT * INTO r FROM support.tiers WHERE tier = t.tier;
    SELECT cal.* INTO c FROM support.calendar cal JOIN support.accounts a USING (calendar_id)
     WHERE a.account_id = t.account_id;
    IF p.clock = '24x7' THEN p_hours := '24x7'; p_holidays := '{}';
    ELSE p_hours := c.hours; p_holidays := c.holidays; END IF;
    IF NOT r.business_hours_only THEN r_hours := '24x7'; r_holidays := '{}';
    ELSE r_hours := c.hours; r_holidays := c.holidays; END IF;

    resolution_due := pg_temp.due_excluding_pauses(t.created_at, p.resolution_target, p_hours, p_holidays, t.sla_paused);
    IF waiting AND resolution_due > t.pending_since THEN
        resolution_due := NULL;
    END IF;
    IF t.first_response_at IS NULL AND open THEN
        marks := marks || support.business_add(t.created_at, pg_temp.share(p.response_target, p.escalation_ratio), p_hours, p_holidays);
        sources := sources || 'priority response'::text;
    END IF;
    IF running OR waiting THEN
        m := pg_temp.due_excluding_pauses(t.created_at, pg_temp.share(p.resolution_target, p.escalation_ratio),
                                          p_hours, p_holidays, t.sla_paused);
        IF NOT waiting OR m <= t.pending_since THEN marks := marks || m; sources := sources || 'priority resolution'::text; END IF;
    END IF;
    IF t.priority = ANY (r.targets_apply_to) AND open AND NOT coalesce(t.last_public_reply_at > t.tier_entered_at, false) THEN
        tier_response_due := support.business_add(t.tier_entered_at, r.initial_response, r_hours, r_holidays);
        marks := marks || support.business_add(t.tier_entered_at, pg_temp.share(r.initial_response, p.escalation_ratio),
                                                r_hours, r_holidays);
        sources := sources || 'tier response'::text;
    END IF;
    IF t.priority = ANY (r.targets_apply_to) AND r.resolution_target IS NOT NULL AND (running OR waiting) THEN
        tier_resolution_due := pg_temp.due_excluding_pauses(t.tier_entered_at, r.resolution_target,
                                                            r_hours, r_holidays, t.sla_paused);
        IF waiting AND tier_resolution_due > t.pending_since THEN
            tier_resolution_due := NULL;
        END IF;
        m := pg_temp.due_excluding_pauses(t.tier_entered_at, pg_temp.share(r.resolution_target, p.escalation_ratio),
                                          r_hours, r_holidays, t.sla_paused);
        IF NOT waiting OR m <= t.pending_since THEN marks := marks || m; sources := sources || 'tier resolution'::text; END IF;
    END IF;
    SELECT x.mark, x.source INTO escalation_due, mark_source
      FROM unnest(marks, sources) x(mark, source)
     WHERE t.escalated_at IS NULL OR x.mark > t.escalated_at
     ORDER BY x.mark LIMIT 1;
END $$;

-- n random ticket histories, restored verbatim (row_security = off) and
-- then touched, so the trigger computes their deadlines from the row
CREATE FUNCTION pg_temp.random_tickets(n integer, marker text) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    SET LOCAL row_security = off;
    INSERT INTO support.tickets (account_id, requester_id, subject, channel, category, priority, tier,
                                 status, created_at, updated_at, tier_entered_at, escalated_at,
                                 first_response_at, last_public_reply_at, pending_since, resolved_at,
                                 sla_paused)
    SELECT u.account_id, u.user_id, marker, 'email', 'reporting', g.priority, g.tier, g.status,
           g.created, g.created, g.entered, g.escalated, g.responded,
           greatest(g.responded, g.replied), g.pending, g.resolved, g.paused
      FROM (
        SELECT s.*,
               CASE WHEN s.status = 'pending_client' THEN s.created + random() * interval '4 days' END AS pending,
               CASE WHEN s.status IN ('resolved', 'closed') THEN s.created + random() * interval '5 days' END AS resolved,
               -- up to three pauses, in order, none overlapping
               (SELECT coalesce(range_agg(tstzrange(s.created + (k * 2 + random()) * interval '20 hours',
                                                    s.created + (k * 2 + 1 + random()) * interval '20 hours')),
                                '{}')
                  FROM generate_series(0, s.pauses - 1) k) AS paused
          FROM (
            SELECT i,
                   ('P' || (1 + floor(random() * 4))::int)::support.priority AS priority,
                   (1 + floor(random() * 3))::smallint AS tier,
                   floor(random() * 4)::int AS pauses,  -- per row: a generate_series of constants would be read once
                   (ARRAY['new', 'triaged', 'in_progress', 'in_progress', 'pending_client',
                          'resolved', 'closed'])[1 + floor(random() * 7)::int]::support.ticket_status AS status,
                   c.created,
                   e.entered,
                   CASE WHEN random() < 0.6 THEN e.entered + (random() < 0.5)::int * random() * interval '6 hours' END AS escalated,
                   CASE WHEN random() < 0.5 THEN c.created + random() * interval '30 hours' END AS responded,
                   CASE WHEN random() < 0.1 THEN e.entered
                        WHEN random() < 0.5 THEN e.entered + (random() - 0.3) * interval '20 hours' END AS replied
              FROM generate_series(1, n) i
             CROSS JOIN LATERAL (SELECT timestamptz '2026-03-01' + random() * interval '30 days' + i * interval '0' AS created) c
             CROSS JOIN LATERAL (SELECT CASE WHEN random() < 0.5 THEN c.created
                                             ELSE c.created + random() * interval '2 days' END AS entered) e
          ) s
      ) g
      CROSS JOIN LATERAL (SELECT u.account_id, u.user_id FROM support.account_users u
                           WHERE u.email LIKE '%@property.example'
                           ORDER BY (u.user_id + g.i) % 2 LIMIT 1) u;
    SET LOCAL row_security = on;
    UPDATE support.tickets SET subject = marker || ', computed' WHERE subject = marker;
END $$;

CREATE FUNCTION pg_temp.mismatches(marker text) RETURNS TABLE (ticket_id bigint, computed text, expected text)
LANGUAGE sql AS $$
    SELECT t.ticket_id,
           format('%s / %s / %s / %s', t.escalation_due, t.tier_response_due, t.tier_resolution_due, t.resolution_due),
           format('%s / %s / %s / %s', x.escalation_due, x.tier_response_due, x.tier_resolution_due, x.resolution_due)
      FROM support.tickets t, pg_temp.expected(t) x
     WHERE t.subject = marker || ', computed'
       AND (t.escalation_due IS DISTINCT FROM x.escalation_due
            OR t.tier_response_due IS DISTINCT FROM x.tier_response_due
            OR t.tier_resolution_due IS DISTINCT FROM x.tier_resolution_due
            OR t.resolution_due IS DISTINCT FROM x.resolution_due)
     ORDER BY t.ticket_id LIMIT 5
$$;

-- the handbook's configuration
SELECT pg_temp.random_tickets(2500, 'handbook');
SELECT * FROM pg_temp.mismatches('handbook');
-- the histories reach every case: each kind of target sets the mark, on
-- paused, waiting and escalated tickets too
SELECT x.mark_source, count(*) > 50 AS often,
       count(*) FILTER (WHERE t.sla_paused <> '{}') > 10 AS paused,
       count(*) FILTER (WHERE t.escalated_at IS NOT NULL) > 10 AS after_an_escalation
  FROM support.tickets t, pg_temp.expected(t) x
 WHERE t.subject = 'handbook, computed' GROUP BY 1 ORDER BY 1;
SELECT count(*) FILTER (WHERE status = 'pending_client' AND escalation_due IS NOT NULL) > 10 AS waiting_and_marked,
       count(*) FILTER (WHERE escalated_at IS NOT NULL AND escalation_due < resolution_due) > 50 AS escalated_mark_before_resolution
  FROM support.tickets WHERE subject = 'handbook, computed';

-- a priority change recomputes every deadline from the row: a third of the
-- histories change priority, and still agree
WITH changed AS (
    UPDATE support.tickets SET priority = ('P' || (1 + (ticket_id * 7) % 4))::support.priority
     WHERE subject = 'handbook, computed' AND ticket_id % 3 = 0
       AND priority::text <> 'P' || (1 + (ticket_id * 7) % 4)
    RETURNING 1)
SELECT count(*) > 400 AS many_changed FROM changed;
SELECT * FROM pg_temp.mismatches('handbook');

-- another configuration: other ratios, tier 2 for reference only, tier 3
-- for every priority, tier 1 around the clock with a 45-minute response, P3
-- on the 24x7 clock
UPDATE support.sla_policies SET escalation_ratio = 0.735 WHERE priority = 'P2';
UPDATE support.sla_policies SET escalation_ratio = 0.5, clock = '24x7' WHERE priority = 'P3';
UPDATE support.tiers SET targets_apply_to = '{}' WHERE tier = 2;
UPDATE support.tiers SET targets_apply_to = '{P1,P2,P3,P4}' WHERE tier = 3;
UPDATE support.tiers SET business_hours_only = false, initial_response = '45 minutes' WHERE tier = 1;
SELECT pg_temp.random_tickets(1500, 'reconfigured');
SELECT * FROM pg_temp.mismatches('reconfigured');
SELECT count(*) FILTER (WHERE tier = 2 AND (tier_response_due IS NOT NULL OR tier_resolution_due IS NOT NULL)) AS tier_2_targets,
       count(*) FILTER (WHERE tier = 1 AND tier_response_due IS NOT NULL) > 100 AS tier_1_targets
  FROM support.tickets WHERE subject = 'reconfigured, computed';
