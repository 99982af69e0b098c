-- business_add, business_diff and business_days_add: exact semantics.
\i sql/include/fixture.sql
SET timezone = 'UTC';
CREATE TEMP TABLE cal AS
SELECT 'mon-fri 09:00-17:00 @ America/New_York'::support.business_hours AS ny;

-- 2026-03-06 is a Friday; all times below are New York wall-clock times
SELECT label, support.business_add(start AT TIME ZONE 'America/New_York', amount, (SELECT ny FROM cal))
              AT TIME ZONE 'America/New_York' AS due
  FROM (VALUES ('inside hours, same day',           '2026-03-06 10:00'::timestamp, '2 hours'::interval),
               ('ends exactly at closing time',     '2026-03-06 16:00', '1 hour'),
               ('carries over the weekend',         '2026-03-06 16:00', '2 hours'),
               ('outside hours waits for opening',  '2026-03-07 10:00', '1 hour'),
               ('zero amount returns the start',    '2026-03-07 10:00', '0'),
               ('one microsecond',                  '2026-03-06 16:59:59.999999', '00:00:00.000001'),
               ('a business week',                  '2026-03-06 10:00', '40 hours'),
               ('a day counts 24 hours of business', '2026-03-06 10:00', '1 day'),
               ('a month counts 30 days',           '2026-03-02 09:00', '1 mon'),
               ('1000 hours: 25 weeks in a step',   '2026-01-05 09:00', '1000 hours')) AS t(label, start, amount);

SELECT label, support.business_diff(f AT TIME ZONE 'America/New_York', t AT TIME ZONE 'America/New_York',
                                    (SELECT ny FROM cal)) AS business_time
  FROM (VALUES ('over a weekend',    '2026-03-06 16:00'::timestamp, '2026-03-09 10:00'::timestamp),
               ('backwards',         '2026-03-09 10:00', '2026-03-06 16:00'),
               ('empty',             '2026-03-09 10:00', '2026-03-09 10:00'),
               ('all outside hours', '2026-03-07 00:00', '2026-03-08 23:59'),
               ('a year',            '2026-01-01 00:00', '2027-01-01 00:00')) AS t(label, f, t);

-- DST: business hours are what the wall clock shows. New York springs
-- forward on 2026-03-08 (02:00 -> 03:00) and falls back on 2026-11-01.
SELECT label, support.business_diff(f::timestamptz, t::timestamptz, h::support.business_hours) AS business_time
  FROM (VALUES ('spring-forward Sunday has 23 hours', '2026-03-08 00:00-05', '2026-03-09 00:00-04', 'sun 00:00-24:00 @ America/New_York'),
               ('fall-back Sunday has 25 hours',      '2026-11-01 00:00-04', '2026-11-02 00:00-05', 'sun 00:00-24:00 @ America/New_York'),
               ('01:00-04:00 loses the skipped hour', '2026-03-08 00:00-05', '2026-03-09 00:00-04', 'sun 01:00-04:00 @ America/New_York'),
               ('01:00-02:00 happens twice',          '2026-11-01 00:00-04', '2026-11-02 00:00-05', 'sun 01:00-02:00 @ America/New_York'),
               ('02:00-03:00 never happens',          '2026-03-08 00:00-05', '2026-03-09 00:00-04', 'sun 02:00-03:00 @ America/New_York'),
               ('London, last Sunday of March',       '2026-03-29 00:00+00', '2026-03-30 00:00+01', 'sun 00:00-24:00 @ Europe/London'),
               ('Sydney falls back in April',         '2026-04-05 00:00+11', '2026-04-06 00:00+10', 'sun 00:00-24:00 @ Australia/Sydney'),
               ('Kolkata: half-hour offset, no DST',  '2026-03-09 03:30+00', '2026-03-09 11:30+00', 'mon 09:00-17:00 @ Asia/Kolkata')
       ) AS t(label, f, t, h);
SELECT support.business_add('2026-03-08 00:30-05', '1 hour', 'sun 01:00-04:00 @ America/New_York')
       AT TIME ZONE 'America/New_York' AS across_the_gap,
       support.business_add('2026-11-01 00:30-04', '90 minutes', 'sun 01:00-02:00 @ America/New_York')
       AT TIME ZONE 'America/New_York' AS in_the_repeated_hour;

-- holidays are local dates without hours
SELECT support.business_add('2026-12-24 16:00-05', '2 hours', 'mon-fri 09:00-17:00 @ America/New_York',
                            '{2026-12-25}') AT TIME ZONE 'America/New_York' AS over_christmas,
       support.business_diff('2026-12-21 00:00-05', '2027-01-04 00:00-05', 'mon-fri 09:00-17:00 @ America/New_York',
                             '{2026-12-25,2027-01-01,2026-12-26,NULL}') AS two_weeks_with_two_holidays,
       support.business_add('2026-12-24 16:00-05', '2 hours', '24x7', '{2026-12-25}')
       AT TIME ZONE 'America/New_York' AS around_the_clock_ignores_holidays;

-- the same local time N business days later
SELECT label, support.business_days_add(start AT TIME ZONE 'America/New_York', n, (SELECT ny FROM cal), '{2026-03-10}')
              AT TIME ZONE 'America/New_York' AS due
  FROM (VALUES ('Friday + 1 is Monday',                '2026-03-06 10:00'::timestamp, 1),
               ('over a holiday',                      '2026-03-09 10:00', 1),
               ('Saturday starts at the next opening', '2026-03-07 12:00', 1),
               ('zero days: the next opening',         '2026-03-07 12:00', 0),
               ('two days from the evening',           '2026-03-05 18:00', 2)) AS t(label, start, n);

-- a schedule literal resolves without a cast; calendars by id
SELECT support.business_add('2026-03-06 16:00+00', '2 hours', 'mon-fri 09:00-17:00 @ UTC') AS literal,
       support.business_add('2026-03-06 16:00+00', '2 hours', 2) AS calendar_2,
       support.business_diff('2026-03-06 16:00+00', '2026-03-09 10:00+00', 2) AS diff_calendar_2,
       support.business_days_add('2026-03-06 16:00+00', 1, 2) AS days_calendar_2;
SELECT support.business_add(now(), '1 hour', 99);
\echo SQLSTATE :LAST_ERROR_SQLSTATE

-- strict, immutable, parallel safe
SELECT support.business_add(NULL, '1 hour', '24x7') IS NULL AS null_start,
       support.business_add(now(), NULL, '24x7') IS NULL AS null_amount,
       support.business_diff(now(), now(), NULL) IS NULL AS null_hours,
       support.business_add(now(), '1 hour', '24x7', NULL) IS NULL AS null_holidays;
SELECT p.oid::regprocedure, p.provolatile, p.proparallel, p.proisstrict
  FROM pg_proc p WHERE p.pronamespace = 'support'::regnamespace
   AND p.proname IN ('business_add', 'business_diff', 'business_days_add')
 ORDER BY 1::text;

-- errors: negative amounts, results past the timestamp range, infinity
SELECT support.business_add(now(), '-1 minute', '24x7');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT support.business_add('2026-01-01', '100000 years', 'mon 09:00-10:00 @ UTC');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT support.business_add('294000-01-01', '10000 years', 'mon-fri 09:00-17:00 @ UTC');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT support.business_add('294000-01-01', '10000 years', '24x7');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT support.business_days_add(now(), -1, '24x7');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT support.business_diff('-infinity', now(), '24x7');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT support.business_add('infinity', '1 hour', 'mon-fri 09:00-17:00 @ UTC') AS infinity_stays;

-- property: business_diff(s, business_add(s, a)) = a, on random schedules,
-- zones, starts (to the microsecond), amounts and holidays
SELECT setseed(0.42);
CREATE TEMP TABLE property_cases AS
SELECT s, a, h::support.business_hours AS h, hol
  FROM (SELECT '2025-06-01'::timestamptz + random() * interval '900 days' AS s,
               random() * interval '400 hours' AS a,
               (ARRAY['mon-fri 09:00-17:00 @ America/New_York',
                      'mon-thu 09:00-12:00,13:00-17:30; fri 09:00-13:00 @ Europe/Berlin',
                      'sat,sun 10:00-14:00 @ Asia/Tokyo',
                      'sun 01:00-03:00; mon 00:00-24:00 @ Europe/London',
                      'mon-sun 00:30-02:30 @ Australia/Sydney',
                      'tue,fri 08:15-11:45 @ Asia/Kolkata',
                      'mon-fri 02:00-03:00 @ America/New_York',
                      '24x7'])[1 + floor(random() * 8)::int] AS h,
               ARRAY['2026-03-09'::date + floor(random() * 30)::int,
                     '2026-11-02'::date + floor(random() * 30)::int] AS hol
          FROM generate_series(1, 5000)) AS cases;
SELECT count(*) AS cases,
       count(*) FILTER (WHERE support.business_diff(s, support.business_add(s, a, h, hol), h, hol) <> a) AS add_then_diff_differs,
       count(*) FILTER (WHERE support.business_diff(s, s + a, h, hol) <> -support.business_diff(s + a, s, h, hol)) AS diff_not_antisymmetric,
       count(*) FILTER (WHERE support.business_add(s, a, h, hol) < s) AS add_before_start
  FROM property_cases;

-- A long walk day by day (dense holidays, a one-hour week, two billion
-- business days) honours statement_timeout instead of running to the end
-- of time (about a second without the interrupt checks)
CREATE TEMP TABLE dense_holidays AS
SELECT array_agg(d::date) AS holidays FROM generate_series('2000-01-01'::date, '4000-01-01', '1 day') d;
SET statement_timeout = '100ms';
SELECT support.business_days_add('2000-01-01', 2000000000, 'mon 09:00-10:00 @ UTC'::support.business_hours,
                                 (SELECT holidays FROM dense_holidays));
RESET statement_timeout;
-- and business hours are written in at most 64 kB
SELECT ('mon-fri 09:00-17:00' || repeat(' ', 70000) || '@ UTC')::support.business_hours;
SELECT ('mon-fri 09:00-17:00' || repeat(' ', 60000) || '@ UTC')::support.business_hours;
