-- The session every SQL benchmark runs in: stop at the first error, no
-- notices in the output, and no JIT, whose compile time would swamp a
-- per-row figure and vary from run to run.
\set ON_ERROR_STOP on
SET client_min_messages = warning;
SET jit = off;
