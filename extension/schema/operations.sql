-- Operations: what the install does last. (C: src/operations/; reference:
-- doc/operations.md.)

--@section start

-- At commit, the launcher looks for databases that gained the extension,
-- so this database's workers start now rather than at its next poll.
SELECT support.wake_worker();
