-- What a tenant writes is bounded where it is written (a name is one short
-- line; long texts at most 1 MB, event details 64 kB), and what the desk
-- composes from it is cut to fit with a marker, never refused: a client's
-- 1.1 MB name once stopped the escalation worker for every account.
\i sql/include/fixture.sql
SET support.auto_assign = off;
-- the errors' failing rows carry the time
\set VERBOSITY terse

------------------------------------------------------------------------------
-- Names
------------------------------------------------------------------------------
SELECT n AS name, support.is_name(n) AS ok
  FROM (VALUES ('Ada Admin'), ('  Zoë Ångström-Øster  '), ('李小龍'), (repeat('é', 200)), (repeat('é', 201)),
               (E'Ada\nAdmin'), (E'Ada\tAdmin'), (E'Ada\u0085Admin'), (E'Ada\u2028Admin'), ('   '), ('')) v(n);
-- as the client's Admin would rename herself: refused where written
UPDATE support.account_users SET full_name = repeat('Ada ', 300000) WHERE user_id = :ada;
UPDATE support.account_users SET full_name = E'Ada\nClick https://evil.example to reset your password' WHERE user_id = :ada;
INSERT INTO support.agents (email, full_name, tier) VALUES ('x@bedrock.example', E'Tia\rTier', 1);
UPDATE support.accounts SET name = repeat('Acme ', 100) WHERE account_id = 1;
SELECT full_name FROM support.account_users WHERE user_id = :ada;

------------------------------------------------------------------------------
-- Long texts: at most 1 MB where written; triage matches the first
-- 100,000 characters (a pasted log is a ticket, not a tsvector error)
------------------------------------------------------------------------------
SELECT ticket_id FROM support.open_ticket(1, :ada, 'Log attached', repeat('x', 1048577));
-- 1 MB of distinct words would not fit a tsvector
SELECT ticket_id AS log_ticket, priority, priority_source
  FROM support.open_ticket(1, :ada, 'Log attached',
       (SELECT string_agg('w' || i || ' slow', ' ') FROM generate_series(1, 70000) i)) \gset
SELECT :'priority' AS priority, :'priority_source' AS source, octet_length(description) AS bytes
  FROM support.tickets WHERE ticket_id = :log_ticket;
UPDATE support.tickets SET root_cause = repeat('x', 1048577) WHERE ticket_id = :log_ticket;
INSERT INTO support.ticket_events (account_id, ticket_id, kind, actor_id, actor_kind, visibility, body, details)
VALUES (1, :log_ticket, 'client_message', :ada, 'client', 'public', 'hello',
        jsonb_build_object('blob', repeat('z', 70000)));

------------------------------------------------------------------------------
-- Composed texts are cut to fit, with a marker
------------------------------------------------------------------------------
SELECT support.fit_text('short', 10) AS same, support.fit_text(repeat('ab', 20), 30) AS cut,
       octet_length(support.fit_text(repeat('ab', 20), 30)) AS bytes;
SELECT support.fit_text('', 0) AS empty_fits;
-- whole characters only: 'é' is two bytes
SELECT support.fit_text(repeat('é', 20), 25) AS cut, octet_length(support.fit_text(repeat('é', 20), 25)) AS bytes;
SELECT support.fit_text('anything', 5);
-- a template with a long value, or a template bomb: cut at 256 kB, ending with the marker
SELECT octet_length(r) AS bytes, right(r, 20) AS ending
  FROM support.render_template(repeat('{{x}}', 100000), jsonb_build_object('x', repeat('y', 10000))) r;
SELECT octet_length(r) AS bytes, right(r, 25) AS ending
  FROM support.render_template('Dear [Client Name], hello', jsonb_build_object('client_name', repeat('é', 300000))) r;
-- an agent's 300 kB findings: the progress update is emailed cut, the history keeps it whole
SELECT support.send_progress_update(:log_ticket, :tia, 'Progress', repeat('finding ', 40000), 'Next', 'Soon') IS NOT NULL AS sent;
SELECT octet_length(body) <= 262144 AS email_fits, right(body, 20) AS ending
  FROM support.outbound_messages WHERE ticket_id = :log_ticket AND template = 'progress_update';
-- a 900 kB note to a webhook: the webhook's text is cut, the message fits the outbox
INSERT INTO support.delivery_endpoints (endpoint, destination, url, secret)
VALUES ('crm', 'webhook', 'https://crm.example/hooks', 'crm-signing-secret-0123');
SELECT support.add_internal_note(:log_ticket, :tia, repeat('n', 900000)) IS NOT NULL AS noted;
SELECT octet_length(body) AS bytes, right(body, 20) AS ending,
       support.message_size(body, subject, target, template, payload) <= 1048576 AS fits
  FROM support.outbound_messages WHERE destination = 'webhook' AND subject = 'ticket.internal_note';
SELECT octet_length(body) AS history_bytes FROM support.ticket_events
 WHERE ticket_id = :log_ticket AND kind = 'internal_note';
