#!/usr/bin/env bash
# Installs PostgreSQL from Debian's packages if needed and starts it on 127.0.0.1:5432 with a
# role and database for the storage tests. Prints the connection URL on stdout.
set -euo pipefail
if ! command -v pg_ctlcluster >/dev/null 2>&1 || ! ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1; then
  apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >&2
fi
version=$(ls /usr/lib/postgresql | sort -V | tail -n 1)
if ! pg_lsclusters -h | grep -q "^$version main"; then
  pg_createcluster "$version" main >&2
fi
pg_ctlcluster "$version" main start >&2 2>/dev/null || pg_ctlcluster "$version" main status >/dev/null
for _ in $(seq 1 30); do
  pg_isready -q -h 127.0.0.1 -p 5432 && break
  sleep 1
done
runuser -u postgres -- psql -q -v ON_ERROR_STOP=1 >&2 <<'SQL'
SELECT 'CREATE ROLE halobot LOGIN PASSWORD ''halobot'' CREATEDB'
WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'halobot')\gexec
SELECT 'CREATE DATABASE halobot_test OWNER halobot'
WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = 'halobot_test')\gexec
SQL
echo "postgresql+asyncpg://halobot:halobot@127.0.0.1:5432/halobot_test"
