-- At commit, the launcher looks for databases that gained the extension,
-- so this database's workers start now rather than at its next poll.
SELECT support.wake_worker();
