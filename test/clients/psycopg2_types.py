"""The extension's types through psycopg2 (Debian's python3-psycopg2), as an
application or a BI tool binds them: strings and lists of strings, with the
server's default search_path. Prints one line per check for 007_client_types.pl.

usage: psycopg2_types.py CONNINFO
"""
import sys

import psycopg2

connection = psycopg2.connect(sys.argv[1])
connection.autocommit = True
cursor = connection.cursor()


def check(name, query, parameters, expected):
    cursor.execute(query, parameters)
    rows = cursor.fetchall()
    verdict = "ok" if rows == expected else "not ok"
    print(f"{verdict} {name}: {rows!r}" + ("" if rows == expected else f" (expected {expected!r})"))


cursor.execute("SHOW search_path")
print(f"search_path {cursor.fetchone()[0]}")
check("a priority bound as a string",
      "SELECT count(*) FROM support.tickets WHERE priority = %s", ("P1",), [(1,)])
check("a status bound as a string",
      "SELECT count(*) FROM support.tickets WHERE status = %s", ("triaged",), [(1,)])
check("a list of priorities (ANY of a text array)",
      "SELECT count(*) FROM support.tickets WHERE priority = ANY(%s)", (["P1", "P4"],), [(2,)])
check("a list of statuses (ANY of a text array)",
      "SELECT count(*) FROM support.tickets WHERE status = ANY(%s)", (["new", "closed"],), [(2,)])
check("a tuple of priorities (IN)",
      "SELECT count(*) FROM support.tickets WHERE priority IN %s", (("P1", "P2"),), [(2,)])
check("a range of priorities",
      "SELECT count(*) FROM support.tickets WHERE priority BETWEEN %s AND %s", ("P2", "P4"), [(2,)])
check("min and max with a string filter",
      "SELECT min(priority)::text, max(priority)::text FROM support.tickets WHERE status <> %s",
      ("closed",), [("P1", "P4")])
check("a join of a view to the configuration, filtered by a string",
      "SELECT p.name FROM support.ticket_queue q JOIN support.sla_policies p ON p.priority = q.priority"
      " WHERE q.priority = %s", ("P2",), [("High",)])
check("an event kind bound as a string",
      "SELECT count(*) FROM support.ticket_events WHERE kind = %s AND visibility = %s",
      ("created", "public"), [(3,)])
try:
    cursor.execute("SELECT count(*) FROM support.tickets WHERE priority = %s", ("P9",))
    print("not ok a bad priority is refused: no error")
except psycopg2.Error as error:
    verdict = "ok" if error.pgcode == "22P02" else "not ok"
    print(f"{verdict} a bad priority is refused: {error.pgcode}")
