-- support.business_hours: the handbook's forms, canonical output, errors.
\i sql/include/fixture.sql
SET timezone = 'UTC';

SELECT hours::support.business_hours AS canonical
  FROM (VALUES ('mon-fri 09:00-17:00 @ America/New_York'),
               ('mon-thu 09:00-12:00,13:00-17:30; fri 09:00-13:00 @ Europe/Berlin'),
               ('sat,sun 10:00-14:00 @ Asia/Tokyo'),
               ('24x7'),
               -- case, spacing, list order and overlapping or touching ranges do not matter
               ('  MON - FRI   09:00-17:00   @   america/new_york  '),
               ('fri 13:00-17:00, 09:00-13:00; mon-thu 08:00-09:00,09:00-17:00 @ UTC'),
               ('mon,wed,fri 09:00-12:00,11:00-13:00; sun 00:00-24:00 @ Asia/Kolkata'),
               ('tue,thu,sat 22:00-24:00; wed,fri,sun 00:00-02:00 @ Australia/Sydney'),
               ('24X7')) AS t(hours);

-- the output reads back to an equal value; equality ignores spelling
SELECT h::text::support.business_hours = h AS round_trips
  FROM (VALUES ('mon-thu 09:00-12:00,13:00-17:30; fri 09:00-13:00 @ Europe/Berlin'::support.business_hours),
               ('tue,thu,sat 22:00-24:00; wed,fri,sun 00:00-02:00 @ Australia/Sydney'),
               ('24x7')) AS t(h);
SELECT 'MON-FRI 09:00-17:00 @ utc'::support.business_hours = 'mon,tue,wed,thu,fri 09:00-17:00 @ UTC' AS same,
       'mon-fri 09:00-17:00 @ UTC'::support.business_hours <> 'mon-fri 09:00-17:00 @ Europe/London' AS other_zone,
       'mon-fri 09:00-17:00 @ UTC'::support.business_hours = '24x7' AS not_always;
SELECT support.weekly_hours('mon-thu 09:00-12:00,13:00-17:30; fri 09:00-13:00 @ Europe/Berlin'),
       support.weekly_hours('24x7');

-- schedules group, sort, deduplicate and join (by a stable, arbitrary order)
SELECT h AS hours, count(*) AS calendars
  FROM (VALUES ('mon-fri 09:00-17:00 @ UTC'::support.business_hours), ('MON-FRI 09:00-17:00 @ utc'),
               ('24x7'), ('24X7'), ('sat 10:00-12:00 @ UTC')) AS t(h)
 GROUP BY h ORDER BY count(*) DESC, h::text;
SELECT count(DISTINCT h) AS distinct_schedules
  FROM (VALUES ('mon-fri 09:00-17:00 @ UTC'::support.business_hours), ('mon,tue,wed,thu,fri 09:00-17:00 @ UTC')) AS t(h);
SELECT c.name, c.hours FROM support.calendar c
  JOIN (VALUES ('MON-FRI 09:00-17:00 @ utc'::support.business_hours)) AS wanted(h) ON wanted.h = c.hours;

-- every bad schedule names its bad part: 22P02 for syntax, 22023 for values
SELECT 'mox-fri 09:00-17:00 @ UTC'::support.business_hours;
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT 'monday 09:00-17:00 @ UTC'::support.business_hours;
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT 'fri-mon 09:00-17:00 @ UTC'::support.business_hours;
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT 'mon 17:00-09:00 @ UTC'::support.business_hours;
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT 'mon 09:00-09:00 @ UTC'::support.business_hours;
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT 'mon 09:00-24:30 @ UTC'::support.business_hours;
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT 'mon 9:00-17:00 @ UTC'::support.business_hours;
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT 'mon 09:60-17:00 @ UTC'::support.business_hours;
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT 'mon 09:00 17:00 @ UTC'::support.business_hours;
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT 'mon 09:00-17:00 @ Mars/Olympus_Mons'::support.business_hours;
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT 'mon 09:00-17:00 @ XYZ+3'::support.business_hours;
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT 'mon 09:00-17:00'::support.business_hours;
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT 'mon 09:00-17:00 @'::support.business_hours;
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT 'mon 09:00-17:00 @ UTC extra'::support.business_hours;
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT 'mon @ UTC'::support.business_hours;
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT '@ UTC'::support.business_hours;
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT ''::support.business_hours;
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT '24x7 @ UTC'::support.business_hours;
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT 'mon 09:00-17:00 | tue 09:00-17:00 @ UTC'::support.business_hours;
\echo SQLSTATE :LAST_ERROR_SQLSTATE

-- calendars are of this type; a bad one is refused at INSERT
SELECT calendar_id, name, hours FROM support.calendar ORDER BY calendar_id;
INSERT INTO support.calendar (name, hours) VALUES ('Broken', 'mon-fri 9-5 @ UTC');
\echo SQLSTATE :LAST_ERROR_SQLSTATE

-- binary COPY goes through send/recv
CREATE TEMP TABLE schedules (hours support.business_hours);
INSERT INTO schedules VALUES ('mon-thu 09:00-12:00,13:00-17:30; fri 09:00-13:00 @ Europe/Berlin'), ('24x7');
COPY schedules TO '/tmp/bedrock_support_schedules.bin' (FORMAT binary);
CREATE TEMP TABLE schedules_copy (hours support.business_hours);
COPY schedules_copy FROM '/tmp/bedrock_support_schedules.bin' (FORMAT binary);
SELECT hours FROM schedules_copy;
