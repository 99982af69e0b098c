# Shared settings of the harness scripts (sourced, not run).
PGBIN=/usr/lib/postgresql/15/bin
PG_CONFIG=$PGBIN/pg_config
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)

# The server refuses to run as root: as root we run it (and the tests) as
# this unprivileged user.
SERVER_USER=postgres

as_server_user() {
    if [ "$(id -u)" -eq 0 ]; then
        runuser -u "$SERVER_USER" -- env PATH="$PATH" "$@"
    else
        "$@"
    fi
}

# A place the server user can write: inside the checkout when that user can
# reach it, else a directory of its own under /var/tmp.
private_dir() {
    local name=$1
    local dir="$REPO/.pgdata/$name"
    if [ "$(id -u)" -eq 0 ]; then
        mkdir -p "$REPO/.pgdata"
        chown "$SERVER_USER" "$REPO/.pgdata"
        if ! runuser -u "$SERVER_USER" -- test -w "$REPO/.pgdata"; then
            dir="/var/tmp/bedrock_support-$(echo "$REPO" | md5sum | cut -c1-8)/$name"
            mkdir -p "$(dirname "$dir")"
            chown "$SERVER_USER" "$(dirname "$dir")"
        fi
    fi
    mkdir -p "$dir"
    [ "$(id -u)" -eq 0 ] && chown "$SERVER_USER" "$dir"
    echo "$dir"
}
