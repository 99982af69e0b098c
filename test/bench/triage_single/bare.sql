\set r random(1, 50)
\set s random(1, 6)
INSERT INTO support.tickets (account_id, requester_id, subject, channel, category, service_outage, priority, tier)
SELECT r.account_id, r.user_id, s.subject, s.channel, s.category, s.outage, 'P3', 1
  FROM pgbench_requesters r, pgbench_shapes s WHERE r.n = :r AND s.n = :s;
