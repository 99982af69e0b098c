\set r random(1, 50)
\set s random(1, 6)
INSERT INTO support.tickets (account_id, requester_id, subject, channel, category, service_outage)
SELECT r.account_id, r.user_id, s.subject, s.channel, s.category, s.outage
  FROM pgbench_requesters r, pgbench_shapes s WHERE r.n = :r AND s.n = :s;
