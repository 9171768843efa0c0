#!/usr/bin/env bash
# Start or stop a throwaway PostgreSQL cluster for tests and benchmarks.
#   scripts/pg-throwaway.sh start [DIR]   prints a connection URL on stdout
#   scripts/pg-throwaway.sh stop  [DIR]
#   scripts/pg-throwaway.sh restart [DIR]   a fast restart (clients are cut off), same port
# The cluster listens on 127.0.0.1 only (on AFTERWARD_PG_PORT, else a free port),
# trusts local connections, keeps its data in DIR (default /tmp/afterward-pg) and
# is fast-and-unsafe (fsync off).
set -euo pipefail
action=${1:-start}
dir=${2:-/tmp/afterward-pg}
port=${AFTERWARD_PG_PORT:-$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')}
bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
if [ -z "$bin" ] || [ ! -x "$bin/initdb" ]; then
  echo "PostgreSQL server binaries not found (install the Debian package 'postgresql')" >&2
  exit 1
fi
as_owner() {
  if [ "$(id -u)" = 0 ]; then
    su postgres -s /bin/sh -c "$*"
  else
    sh -c "$*"
  fi
}
case "$action" in
  start)
    if [ -f "$dir/data/postmaster.pid" ]; then
      as_owner "'$bin/pg_ctl' -D '$dir/data' -m immediate stop" >/dev/null 2>&1 || true
    fi
    rm -rf "$dir"
    mkdir -p "$dir"
    if [ "$(id -u)" = 0 ]; then chown postgres: "$dir"; fi
    as_owner "'$bin/initdb' -D '$dir/data' -U postgres -A trust -E UTF8 --locale=C.UTF-8" >"$dir/initdb.log" 2>&1 \
      || { cat "$dir/initdb.log" >&2; exit 1; }
    as_owner "'$bin/pg_ctl' -D '$dir/data' -l '$dir/server.log' -w -o \"-p $port -k '$dir' -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200\" start" >/dev/null \
      || { cat "$dir/server.log" >&2; exit 1; }
    echo "postgresql://postgres@127.0.0.1:$port/postgres"
    ;;
  restart)
    as_owner "'$bin/pg_ctl' -D '$dir/data' -l '$dir/server.log' -m fast -w restart" >/dev/null \
      || { cat "$dir/server.log" >&2; exit 1; }
    ;;
  stop)
    if [ -d "$dir/data" ]; then
      as_owner "'$bin/pg_ctl' -D '$dir/data' -m fast stop" >/dev/null 2>&1 || true
    fi
    ;;
  *)
    echo "usage: $0 start|stop|restart [DIR]" >&2
    exit 2
    ;;
esac
