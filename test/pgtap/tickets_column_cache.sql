-- The ticket triggers keep the positions of the columns they read per
-- backend (src/spi_support.c). A column renamed, and a new one added under
-- its old name at a new position, must be read at the new position by the
-- next statement of the same backend: ALTER TABLE's relcache invalidation
-- drops the cache. Run in one transaction, rolled back.
BEGIN;
SELECT plan(5);
SET LOCAL support.auto_assign = off;

INSERT INTO support.accounts (name, time_zone, calendar_id) VALUES ('Columns Co', 'UTC', 2);
INSERT INTO support.account_users (account_id, email, full_name, role)
SELECT account_id, 'cols@columns.example', 'Col Umn', 'campaign_manager' FROM support.accounts WHERE name = 'Columns Co';

-- a first ticket fills the cache; its description decides its priority
INSERT INTO support.tickets (account_id, requester_id, subject, channel, category, description)
SELECT account_id, user_id, 'Dashboard question one', 'email', 'reporting', 'The dashboard is slow since Monday'
  FROM support.account_users WHERE email = 'cols@columns.example';
SELECT is((SELECT priority::text || ' ' || priority_source FROM support.tickets WHERE subject = 'Dashboard question one'),
          'P2 rule', 'the description''s keyword gives the first ticket P2 by rule');

ALTER TABLE support.tickets RENAME COLUMN description TO description_before;
ALTER TABLE support.tickets ADD COLUMN description text NOT NULL DEFAULT '';

INSERT INTO support.tickets (account_id, requester_id, subject, channel, category, description)
SELECT account_id, user_id, 'Dashboard question two', 'email', 'reporting', 'The dashboard is slow again'
  FROM support.account_users WHERE email = 'cols@columns.example';
SELECT is((SELECT description_before FROM support.tickets WHERE subject = 'Dashboard question two'), '',
          'the old column, now description_before, stays empty');
SELECT is((SELECT priority::text || ' ' || priority_source FROM support.tickets WHERE subject = 'Dashboard question two'),
          'P2 rule', 'triage reads the new description column at its new position');

INSERT INTO support.tickets (account_id, requester_id, subject, channel, category, description_before)
SELECT account_id, user_id, 'Dashboard question three', 'email', 'reporting', 'The dashboard is slow once more'
  FROM support.account_users WHERE email = 'cols@columns.example';
SELECT is((SELECT priority::text || ' ' || priority_source FROM support.tickets WHERE subject = 'Dashboard question three'),
          'P3 category', 'text in the renamed column no longer counts as the description');
SELECT ok((SELECT first_response_due IS NOT NULL AND status::text = 'new' FROM support.tickets
            WHERE subject = 'Dashboard question three'),
          'the deadline and lifecycle triggers still find their columns');

SELECT * FROM finish();
ROLLBACK;
