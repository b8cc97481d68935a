# Sourced by .ci/run and scripts/test: a throwaway PostgreSQL server for the fleet store tests,
# Debian's postgresql run by hand (not the system cluster) on a free port of 127.0.0.1, trust
# auth, data and unix socket under a temp dir, stopped and removed on exit (trap).
# Exports FERRY_TEST_POSTGRES_URL=postgres://postgres@127.0.0.1:PORT, which every test process
# shares (ferry_testkit::postgres creates a database per test on it). Does nothing when that is
# set already (scripts/test under .ci/run), so one server serves the whole run.

test_postgres_start() {
  [ -z "${FERRY_TEST_POSTGRES_URL:-}" ] || return 0
  pg_bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
  if [ -z "$pg_bin" ] || [ ! -x "$pg_bin/pg_ctl" ]; then
    echo "test-postgres: Debian's postgresql is not installed (scripts/setup installs it)" >&2
    return 1
  fi
  pg_dir=$(mktemp -d "${TMPDIR:-/tmp}/ferry-test-pg.XXXXXX")
  pg_as=()
  # PostgreSQL refuses to run as root: CI runs as root, so the server runs as `postgres`.
  if [ "$(id -u)" = 0 ]; then
    chmod 755 "$pg_dir"
    chown postgres:postgres "$pg_dir"
    pg_as=(runuser -u postgres --)
  fi
  trap test_postgres_stop EXIT
  if ! "${pg_as[@]}" "$pg_bin/initdb" -D "$pg_dir/data" -U postgres --auth=trust -E UTF8 --no-locale \
      --no-sync --no-instructions >"$pg_dir/initdb.log" 2>&1; then
    cat "$pg_dir/initdb.log" >&2
    return 1
  fi
  local port
  port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
  # Durability is of no use to a test server: fsync off makes each CREATE DATABASE cheap.
  if ! "${pg_as[@]}" "$pg_bin/pg_ctl" -D "$pg_dir/data" -l "$pg_dir/server.log" -w -t 60 \
      -o "-h 127.0.0.1 -p $port -k $pg_dir -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200" \
      start >/dev/null; then
    cat "$pg_dir/server.log" >&2
    return 1
  fi
  export FERRY_TEST_POSTGRES_URL="postgres://postgres@127.0.0.1:$port"
  echo "test-postgres: PostgreSQL $("$pg_bin/postgres" --version | awk '{print $3}') on 127.0.0.1:$port" >&2
}

test_postgres_stop() {
  if [ -n "${pg_dir:-}" ] && [ -f "$pg_dir/data/postmaster.pid" ]; then
    "${pg_as[@]}" "$pg_bin/pg_ctl" -D "$pg_dir/data" -m fast -w stop >/dev/null 2>&1 || true
  fi
  [ -z "${pg_dir:-}" ] || rm -rf "$pg_dir"
}
