#!/usr/bin/env python3
"""Assembles an upgrade script from its source and the schema sources:

    extension/assemble_upgrade.py extension/upgrade/bedrock_support--A--B.sql \
        extension/schema/*.sql > build/bedrock_support--A--B.sql

The upgrade source holds what only an upgrade does (ALTER TABLE, moving data,
dropping what is gone) and, where the development version defines an object
anew, a line naming it:

    --@include function support.open_ticket
    --@include view support.sla_status
    --@include table support.escalation_triggers
    --@include policy client_updates_tickets on support.tickets

which becomes the object's definition as the schema sources write it, with
every statement about it there (ALTER, COMMENT ON, GRANT, REVOKE; a table's
indexes, policies, triggers, seed rows and pg_extension_config_dump too): a
changed function is written once, in its concern's file, and both the install
script and the upgrade script carry it. A function or view is created OR
REPLACE; a table is included only where the upgrade creates it; a policy is
dropped (if it exists) and created again.
"""
import re
import sys


def statements(text):
    """Splits SQL into (leading_comments, statement) pairs at top-level
    semicolons, honouring quotes, dollar quotes and comments."""
    out, start, i, n = [], 0, 0, len(text)
    atomic = 0      # inside a BEGIN ATOMIC body: its CASEs and its END count
    while i < n:
        c = text[i]
        word = re.match(r'[A-Za-z_]+', text[i:i + 16]) if (i == 0 or not (text[i - 1].isalnum() or text[i - 1] in '_$')) else None
        if word:
            w = word.group(0).upper()
            if w == 'BEGIN' and re.match(r'BEGIN\s+ATOMIC\b', text[i:i + 40], re.I):
                atomic += 1
            elif atomic and w == 'CASE':
                atomic += 1
            elif atomic and w == 'END':
                atomic -= 1
            i += len(word.group(0))
            continue
        if text.startswith('--', i):
            j = text.find('\n', i)
            i = n if j < 0 else j + 1
        elif text.startswith('/*', i):
            depth, i = 1, i + 2
            while i < n and depth:
                if text.startswith('/*', i):
                    depth, i = depth + 1, i + 2
                elif text.startswith('*/', i):
                    depth, i = depth - 1, i + 2
                else:
                    i += 1
        elif c == "'":
            escapes = i > 0 and text[i - 1] in 'eE' and (i < 2 or not (text[i - 2].isalnum() or text[i - 2] == '_'))
            i += 1
            while i < n:
                if escapes and text[i] == '\\':
                    i += 2
                elif text[i] == "'":
                    if text.startswith("''", i):
                        i += 2
                    else:
                        i += 1
                        break
                else:
                    i += 1
        elif c == '"':
            j = text.find('"', i + 1)
            i = n if j < 0 else j + 1
        elif c == '$':
            m = re.match(r'\$([A-Za-z_][A-Za-z_0-9]*)?\$', text[i:])
            if m and not (i > 0 and (text[i - 1].isalnum() or text[i - 1] == '_')):
                tag = m.group(0)
                j = text.find(tag, i + len(tag))
                i = n if j < 0 else j + len(tag)
            else:
                i += 1
        elif c == ';' and not atomic:
            out.append(text[start:i + 1])
            start = i = i + 1
        else:
            i += 1
    if text[start:].strip():
        out.append(text[start:])
    return [split_comments(s) for s in out]


def split_comments(chunk):
    """(the comment lines before a statement, the statement)."""
    lines = chunk.split('\n')
    k = 0
    while k < len(lines) and (not lines[k].strip() or lines[k].lstrip().startswith('--')):
        k += 1
    return '\n'.join(lines[:k]), '\n'.join(lines[k:])


def head(statement):
    """The statement without comments, on one line, for matching."""
    text = re.sub(r'--[^\n]*', ' ', statement)
    return re.sub(r'\s+', ' ', text).strip()


IDENT = r'([a-z_][a-z_0-9]*\.[a-z_][a-z_0-9]*)'
DEFINES = [
    ('function', re.compile(r'^CREATE (?:OR REPLACE )?(?:FUNCTION|PROCEDURE|AGGREGATE) ' + IDENT + r'\s*\(', re.I)),
    ('view', re.compile(r'^CREATE (?:OR REPLACE )?VIEW ' + IDENT + r'\b', re.I)),
    ('table', re.compile(r'^CREATE TABLE ' + IDENT + r'\b', re.I)),
]


def defined(statement):
    h = head(statement)
    for kind, pattern in DEFINES:
        m = pattern.match(h)
        if m:
            return kind, m.group(1).lower()
    return None


def about(kind, name, statement):
    """Whether a statement other than the definition concerns the object."""
    h = head(statement)
    q = re.escape(name)
    if kind == 'function':
        return re.match(r'^(COMMENT ON (FUNCTION|PROCEDURE|AGGREGATE)|ALTER (FUNCTION|PROCEDURE|AGGREGATE)) ' + q + r'\s*\(', h, re.I) \
            or re.match(r'^(GRANT|REVOKE) .* ON (FUNCTION|PROCEDURE) (.*, )?' + q + r'\s*\(', h, re.I)
    if re.match(r'^(COMMENT ON (VIEW|TABLE|COLUMN)|ALTER VIEW|ALTER TABLE( ONLY)?) ' + q + r'\b', h, re.I) \
            or re.match(r'^(GRANT|REVOKE) [^;]* ON (TABLE )?(\S+, )*' + q + r'(,| TO| FROM)', h, re.I):
        return True
    # a table's indexes, policies, triggers, seed rows and dump registration
    return kind == 'table' and (
        re.match(r'^CREATE (UNIQUE )?INDEX \S+ ON (ONLY )?' + q + r'\b', h, re.I)
        or re.match(r'^CREATE POLICY \S+ ON ' + q + r'\b', h, re.I)
        or re.match(r'^CREATE (CONSTRAINT )?TRIGGER \S+ .*? ON ' + q + r'\b', h, re.I)
        or re.match(r'^INSERT INTO ' + q + r'\b', h, re.I)
        or re.match(r"^SELECT (pg_catalog\.)?pg_extension_config_dump\('" + q + r"'", h, re.I))


def policy_of(statement):
    m = re.match(r'^CREATE POLICY ([a-z_0-9]+) ON ' + IDENT + r'\b', head(statement), re.I)
    return (m.group(1).lower(), m.group(2).lower()) if m else None


def or_replace(statement):
    return re.sub(r'^(\s*)CREATE (?!OR REPLACE)(FUNCTION|PROCEDURE|VIEW)', r'\1CREATE OR REPLACE \2',
                  statement, count=1, flags=re.I)


def main(upgrade_source, schema_sources):
    schema = []
    for path in schema_sources:
        with open(path) as f:
            schema += [s for _, s in statements(f.read())]
    with open(upgrade_source) as f:
        source = f.read()
    out = ['-- Assembled by make from %s and extension/schema/*.sql:\n'
           '-- edit those, never this file (doc/operations.md, "Releases").\n' % upgrade_source]
    for line in source.splitlines(keepends=True):
        p = re.match(r'^--@include policy ([a-z_][a-z_0-9]*) on ([a-z_][a-z_0-9]*\.[a-z_][a-z_0-9]*)\s*$', line)
        if p:
            policies = [s for s in schema if policy_of(s) == (p.group(1), p.group(2))]
            if len(policies) != 1:
                sys.exit('%s: --@include policy %s on %s: the schema sources define no such policy'
                         % (upgrade_source, p.group(1), p.group(2)))
            out.append('DROP POLICY IF EXISTS %s ON %s;\n' % (p.group(1), p.group(2)))
            out.append(policies[0].strip() + '\n')
            continue
        m = re.match(r'^--@include (function|view|table) ([a-z_][a-z_0-9]*\.[a-z_][a-z_0-9]*)\s*$', line)
        if not m:
            out.append(line)
            continue
        kind, name = m.group(1), m.group(2)
        definitions = [s for s in schema if defined(s) == (kind, name)]
        if not definitions:
            sys.exit('%s: --@include %s %s: the schema sources define no such %s' % (upgrade_source, kind, name, kind))
        for s in schema:
            if defined(s) == (kind, name):
                out.append(or_replace(s.strip()) + '\n')
            elif defined(s) is None and about(kind, name, s):
                out.append(s.strip() + '\n')
    sys.stdout.write(''.join(out))


if __name__ == '__main__':
    if len(sys.argv) < 3:
        sys.exit('usage: assemble_upgrade.py UPGRADE_SOURCE SCHEMA_SOURCE...')
    main(sys.argv[1], sys.argv[2:])
