#!/usr/bin/env python3
"""Assembles the install script from the schema sources:

    extension/assemble.py VERSION extension/schema/<concern>.sql ... > bedrock_support--VERSION.sql

Each source is one concern (the Makefile lists them in order), told in
sections, each headed by a line "--@section NAME", in the order a person
explains a concern: its types and their operators, the checks its tables'
columns call, its configuration tables, its tables, functions, views,
triggers, policies and grants, and the handbook's seed rows.

One concern's tables refer to another's (a ticket to its account, an
account to its calendar), so the script takes the sections in turn across
all concerns: every concern's types, then every concern's operators, and
so on. Within a section the concerns come in the Makefile's order.
"""
import re
import sys

SECTIONS = ['types', 'operators', 'checks', 'configuration', 'tables', 'functions', 'views',
            'triggers', 'policies', 'seeds', 'start']


def sections_of(path):
    parts = {}
    current = None
    with open(path) as f:
        for number, line in enumerate(f, 1):
            m = re.match(r'^--@section (\w+)\s*$', line)
            if m:
                current = m.group(1)
                if current not in SECTIONS:
                    sys.exit('%s:%d: unknown section "%s" (one of: %s)' % (path, number, current, ', '.join(SECTIONS)))
                if current in parts:
                    sys.exit('%s:%d: section "%s" appears twice' % (path, number, current))
                parts[current] = []
            elif current is None:
                if line.strip() and not line.startswith('--'):
                    sys.exit('%s:%d: a statement before the first --@section line' % (path, number))
            else:
                parts[current].append(line)
    return parts


def main(version, sources):
    concerns = [(path, sections_of(path)) for path in sources]
    out = sys.stdout
    out.write('-- bedrock_support %s, assembled by make from extension/schema/*.sql:\n'
              '-- edit those files, never this one (doc/operations.md, "Releases").\n'
              '\\echo Use "CREATE EXTENSION bedrock_support" to load this file. \\quit\n\n'
              '-- Bodies may read what a later section creates (a function the tables\'\n'
              '-- checks call reads a table); the tests check every body.\n'
              'SET LOCAL check_function_bodies = off;\n' % version)
    for section in SECTIONS:
        for path, parts in concerns:
            if section in parts:
                out.write('\n-- %s: %s\n' % (path.split('/')[-1], section))
                out.write(''.join(parts[section]))


if __name__ == '__main__':
    if len(sys.argv) < 3:
        sys.exit('usage: assemble.py VERSION SCHEMA_SOURCE...')
    main(sys.argv[1], sys.argv[2:])
