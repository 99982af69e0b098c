-- Benchmark: business_add over rows whose amounts are the handbook's
-- targets, against the same rows' start + amount, and against the same
-- function written in PL/pgSQL the way a user would (a loop over local days
-- with AT TIME ZONE). All three run in this session on the same rows.
--   psql -v rows=1000000 -f test/bench/business_time.sql
\ir include/session.sql
\if :{?rows}
\else
\set rows 1000000
\endif
SET search_path = public, pg_catalog;

DROP TABLE IF EXISTS bench_deadlines;
CREATE UNLOGGED TABLE bench_deadlines AS
SELECT '2026-01-01 00:00+00'::timestamptz + random() * interval '365 days' AS start,
       (ARRAY['15 minutes', '1 hour', '2 hours', '4 hours', '8 hours', '24 hours', '72 hours'])
           [1 + floor(random() * 7)::int]::interval AS amount
  FROM generate_series(1, :rows);
VACUUM ANALYZE bench_deadlines;

-- The baseline a user would write: Mon-Fri, opens..closes local time.
CREATE OR REPLACE FUNCTION pg_temp.business_add_plpgsql(start timestamptz, amount interval, zone text,
                                                        opens time, closes time)
RETURNS timestamptz LANGUAGE plpgsql IMMUTABLE AS $$
DECLARE
    remaining interval := amount;
    local_start timestamp := start AT TIME ZONE zone;
    day date := local_start::date;
    window_start timestamp;
    window_end timestamp;
BEGIN
    IF remaining <= interval '0' THEN
        RETURN start;
    END IF;
    LOOP
        IF extract(isodow FROM day) BETWEEN 1 AND 5 THEN
            window_start := greatest(day + opens, local_start);
            window_end := day + closes;
            IF window_end > window_start THEN
                IF window_end - window_start >= remaining THEN
                    RETURN (window_start + remaining) AT TIME ZONE zone;
                END IF;
                remaining := remaining - (window_end - window_start);
            END IF;
        END IF;
        day := day + 1;
    END LOOP;
END $$;

CREATE OR REPLACE FUNCTION pg_temp.elapsed_ms(query text) RETURNS float8 LANGUAGE plpgsql AS $$
DECLARE
    started timestamptz := clock_timestamp();
BEGIN
    EXECUTE query;
    RETURN extract(epoch FROM clock_timestamp() - started) * 1000;
END $$;

-- warm the cache, then keep the best of three runs of each
SELECT count(*) FROM bench_deadlines \gset warm_
SELECT min(pg_temp.elapsed_ms($q$SELECT max(start + amount) FROM bench_deadlines$q$)) AS plain_ms
  FROM generate_series(1, 3) \gset
SELECT min(pg_temp.elapsed_ms($q$SELECT max(support.business_add(start, amount,
                                   'mon-fri 09:00-17:00 @ America/New_York')) FROM bench_deadlines$q$)) AS c_ms
  FROM generate_series(1, 3) \gset
SELECT pg_temp.elapsed_ms($q$SELECT max(pg_temp.business_add_plpgsql(start, amount, 'America/New_York',
                                   '09:00', '17:00')) FROM bench_deadlines$q$) AS plpgsql_ms \gset

-- the two implementations agree on every row (9-17 never crosses a DST change)
SELECT count(*) AS disagreements FROM bench_deadlines
 WHERE support.business_add(start, amount, 'mon-fri 09:00-17:00 @ America/New_York')
       <> pg_temp.business_add_plpgsql(start, amount, 'America/New_York', '09:00', '17:00') \gset

\pset tuples_only on
\pset format unaligned
\echo
\echo 'business_add over' :rows 'rows (amounts 15 min .. 72 h, Mon-Fri 09:00-17:00 America/New_York, jit off)'
SELECT format('  start + amount            %s ms', lpad(round(:plain_ms::numeric, 1)::text, 9)) AS " "
UNION ALL SELECT format('  business_add (C)          %s ms   %sx the cost of start + amount',
                        lpad(round(:c_ms::numeric, 1)::text, 9), round((:c_ms / :plain_ms)::numeric, 2))
UNION ALL SELECT format('  business_add (PL/pgSQL)   %s ms   C is %sx faster',
                        lpad(round(:plpgsql_ms::numeric, 1)::text, 9), round((:plpgsql_ms / :c_ms)::numeric, 1))
UNION ALL SELECT format('  rows where C and PL/pgSQL disagree: %s', :disagreements);

-- whole weeks are one step: a 2000-hour amount costs about what a 1-hour one does
SELECT min(pg_temp.elapsed_ms($q$SELECT max(support.business_add(start, interval '1 hour',
                                   'mon-fri 09:00-17:00 @ America/New_York')) FROM bench_deadlines$q$)) AS short_ms,
       min(pg_temp.elapsed_ms($q$SELECT max(support.business_add(start, interval '2000 hours',
                                   'mon-fri 09:00-17:00 @ America/New_York')) FROM bench_deadlines$q$)) AS long_ms
  FROM generate_series(1, 3) \gset
SELECT format('  amount 1 hour: %s ms; 2000 hours (50 weeks): %s ms (%sx)', round(:short_ms::numeric, 1),
              round(:long_ms::numeric, 1), round((:long_ms / :short_ms)::numeric, 2)) AS " ";
DROP TABLE bench_deadlines;
