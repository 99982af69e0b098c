-- Account time zones must be IANA names PostgreSQL can load.
\i sql/include/fixture.sql

INSERT INTO support.accounts (name, time_zone, calendar_id)
VALUES ('Tokyo Co', 'Asia/Tokyo', 2), ('Kolkata Co', 'Asia/Kolkata', 2), ('Legacy Co', 'EST5EDT', 2),
       ('Etc Co', 'Etc/GMT+5', 2), ('Utc Co', 'UTC', 2)
RETURNING name, time_zone;

-- typos, POSIX specs and blanks are refused with 22023 and a hint
INSERT INTO support.accounts (name, time_zone, calendar_id) VALUES ('Mars Co', 'Mars/Olympus_Mons', 2);
INSERT INTO support.accounts (name, time_zone, calendar_id) VALUES ('Posix Co', 'XYZ+3', 2);
INSERT INTO support.accounts (name, time_zone, calendar_id) VALUES ('Posix Co', '<+03>-3', 2);
INSERT INTO support.accounts (name, time_zone, calendar_id) VALUES ('Blank Co', '', 2);
INSERT INTO support.accounts (name, time_zone, calendar_id) VALUES ('Typo Co', 'America/NewYork', 2);
UPDATE support.accounts SET time_zone = 'Europe/Berln' WHERE name = 'Acme Ads';
SELECT support.check_time_zone('Australia/Sydney');
SELECT support.check_time_zone(NULL) IS NULL AS strict;

-- the other account constraints (terse: the failing row shows creation times)
\set VERBOSITY terse
INSERT INTO support.accounts (name, time_zone, calendar_id, enterprise) VALUES ('Big Co', 'UTC', 2, true);
INSERT INTO support.accounts (name, time_zone, calendar_id, enterprise, slack_channel)
VALUES ('Big Co', 'UTC', 2, true, 'not-a-channel');
INSERT INTO support.accounts (name, time_zone, calendar_id) VALUES ('Ghost Co', 'UTC', 999);
INSERT INTO support.accounts (name, time_zone, calendar_id) VALUES ('  ', 'UTC', 2);
\set VERBOSITY default
SELECT count(*) AS accounts FROM support.accounts;
