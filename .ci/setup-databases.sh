#!/bin/bash
# Create the openstack_citest user and database that oslo.db's
# opportunistic test fixtures look for, on MariaDB/MySQL and PostgreSQL.
#
# Idempotent: safe to run any number of times. Run as root (CI does).
# A server that is not running is reported and skipped, never fatal:
# the opportunistic tests then skip with oslo.db's own reason.

set -u

DB_USER=openstack_citest
DB_PW=openstack_citest
DB_NAME=openstack_citest

# NOTE: the services of this machine kind are started before the session,
# but a CI run may find one stopped; try to start it once, quietly.
start_mysql() {
    if command -v start-stop-daemon >/dev/null && [ -x /usr/sbin/mariadbd ]; then
        start-stop-daemon --start --oknodo --background \
            --exec /usr/sbin/mariadbd >/dev/null 2>&1 || true
    fi
}

start_postgresql() {
    if command -v pg_ctlcluster >/dev/null && [ -d /etc/postgresql ]; then
        for ver in $(ls /etc/postgresql); do
            pg_ctlcluster --skip-systemctl-redirect "$ver" main start \
                >/dev/null 2>&1 || true
        done
    fi
}

# wait_for NAME COMMAND...: up to ~15 s for a server to answer.
wait_for() {
    local name=$1; shift
    for _ in $(seq 1 15); do
        if "$@" >/dev/null 2>&1; then
            return 0
        fi
        sleep 1
    done
    echo "setup-databases: $name is not reachable; skipping its setup" \
         "(its opportunistic tests will be skipped)."
    return 1
}

mysql_root() {
    # NOTE: root may be reachable over the unix socket only (unix_socket
    # auth) or over TCP with an empty password; try both.
    mysql -uroot "$@" 2>/dev/null || mysql -uroot -h127.0.0.1 "$@"
}

setup_mysql() {
    if ! command -v mysql >/dev/null; then
        echo "setup-databases: no mysql client; skipping MariaDB/MySQL."
        return 0
    fi
    if ! mysql_root -e 'SELECT 1' >/dev/null 2>&1; then
        start_mysql
    fi
    wait_for "MariaDB/MySQL" mysql_root -e 'SELECT 1' || return 0
    # NOTE: oslo.db connects as openstack_citest@localhost over TCP
    # (PyMySQL), which the server may see as 'localhost', '127.0.0.1' or
    # '::1', so the user exists for each host. Grants are global
    # (*.*) because provisioning creates and drops randomly named
    # databases beside openstack_citest.
    local sql="CREATE DATABASE IF NOT EXISTS ${DB_NAME}
                 CHARACTER SET utf8mb4 COLLATE utf8mb4_general_ci;"
    for host in localhost 127.0.0.1 '::1' '%'; do
        sql+="
CREATE USER IF NOT EXISTS '${DB_USER}'@'${host}' IDENTIFIED BY '${DB_PW}';
ALTER USER '${DB_USER}'@'${host}' IDENTIFIED BY '${DB_PW}';
GRANT ALL PRIVILEGES ON *.* TO '${DB_USER}'@'${host}' WITH GRANT OPTION;"
    done
    sql+="
FLUSH PRIVILEGES;"
    if mysql_root -e "$sql"; then
        echo "setup-databases: MariaDB/MySQL user and database" \
             "${DB_USER}/${DB_NAME} are ready."
    else
        echo "setup-databases: could not set up MariaDB/MySQL; continuing."
    fi
}

PSQL_VIA=
psql_admin() {
    # NOTE: as root, prefer the postgres OS user over the socket; fall
    # back to TCP as the postgres role (trust auth on this machine). The
    # way that worked is kept, so a heredoc on stdin is read only once.
    if [ -z "$PSQL_VIA" ]; then
        if [ "$(id -u)" = 0 ] && id postgres >/dev/null 2>&1 \
                && runuser -u postgres -- psql -X -d postgres \
                    -c 'SELECT 1' >/dev/null 2>&1; then
            PSQL_VIA=socket
        else
            PSQL_VIA=tcp
        fi
    fi
    if [ "$PSQL_VIA" = socket ]; then
        runuser -u postgres -- psql -X -q -v ON_ERROR_STOP=1 "$@"
    else
        psql -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -U postgres "$@"
    fi
}

setup_postgresql() {
    if ! command -v psql >/dev/null; then
        echo "setup-databases: no psql client; skipping PostgreSQL."
        return 0
    fi
    if ! psql_admin -d postgres -c 'SELECT 1' >/dev/null 2>&1; then
        start_postgresql
        PSQL_VIA=
    fi
    wait_for "PostgreSQL" psql_admin -d postgres -c 'SELECT 1' || return 0
    # NOTE: CREATEDB because provisioning creates random databases;
    # CREATE ROLE/DATABASE have no IF NOT EXISTS, hence the DO block and
    # the \gexec guard.
    if psql_admin -d postgres <<SQL
DO \$\$
BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '${DB_USER}') THEN
    CREATE ROLE ${DB_USER};
  END IF;
END
\$\$;
ALTER ROLE ${DB_USER} WITH LOGIN CREATEDB PASSWORD '${DB_PW}';
SELECT 'CREATE DATABASE ${DB_NAME} OWNER ${DB_USER}'
  WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = '${DB_NAME}')
\gexec
ALTER DATABASE ${DB_NAME} OWNER TO ${DB_USER};
SQL
    then
        echo "setup-databases: PostgreSQL role and database" \
             "${DB_USER}/${DB_NAME} are ready."
    else
        echo "setup-databases: could not set up PostgreSQL; continuing."
    fi
}

setup_mysql
setup_postgresql
exit 0
