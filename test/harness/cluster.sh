#!/usr/bin/env bash
# Private PostgreSQL 15 clusters for the demo and the tests.
#   cluster.sh start NAME PORT   initdb if needed, start, print nothing else
#   cluster.sh stop NAME
# The data directory lives in .pgdata/NAME inside the checkout (git-ignored);
# the socket in /tmp, since checkout paths can exceed the socket path limit.
set -euo pipefail
source "$(dirname "$0")/common.sh"

command=$1 name=$2 port=${3:-}
dir=$(private_dir "$name")
data=$dir/data

case "$command" in
start)
    socket_dir=/tmp/bedrock_support-$port
    mkdir -p "$socket_dir"
    [ "$(id -u)" -eq 0 ] && chown "$SERVER_USER" "$socket_dir"
    if as_server_user "$PGBIN/pg_ctl" -D "$data" status >/dev/null 2>&1; then
        exit 0
    fi
    if [ ! -f "$data/PG_VERSION" ]; then
        as_server_user "$PGBIN/initdb" -D "$data" -U postgres --auth=trust --no-sync \
            -E UTF8 --locale=C.UTF-8 >"$dir/initdb.log"
        cat >>"$data/postgresql.conf" <<CONF
port = $port
listen_addresses = '127.0.0.1'
unix_socket_directories = '$socket_dir'
shared_preload_libraries = 'bedrock_support'
fsync = off
max_prepared_transactions = 10
log_min_messages = warning
CONF
    fi
    as_server_user "$PGBIN/pg_ctl" -D "$data" -l "$dir/server.log" -w -t 60 start >/dev/null \
        || { cat "$dir/server.log" >&2; exit 1; }
    ;;
stop)
    if [ -f "$data/PG_VERSION" ] && as_server_user "$PGBIN/pg_ctl" -D "$data" status >/dev/null 2>&1; then
        as_server_user "$PGBIN/pg_ctl" -D "$data" -m fast -w stop >/dev/null
        echo "stopped the $name cluster"
    fi
    ;;
*)
    echo "usage: cluster.sh start NAME PORT | stop NAME" >&2; exit 2 ;;
esac
