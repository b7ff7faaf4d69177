#!/usr/bin/env bash
# The hot paths' exact SQL through pgbench (the C client: the physical limit of the machine), on a fresh database.
#   honua-benchmarks/pgbench/run.sh            # local server 127.0.0.1:5432, user postgres, 20 s per script, 1 client
#   PGHOST=.. PGPORT=.. PGUSER=.. SECONDS_PER_SCRIPT=30 CLIENTS=4 honua-benchmarks/pgbench/run.sh
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
migrations="$here/../../honua-schema/src/main/resources/db/migration"
export PGHOST="${PGHOST:-127.0.0.1}" PGPORT="${PGPORT:-5432}" PGUSER="${PGUSER:-postgres}"
db="honua_pgbench_$$"
T="${SECONDS_PER_SCRIPT:-20}"
C="${CLIENTS:-1}"
PGBENCH="$(command -v pgbench || ls /usr/lib/postgresql/*/bin/pgbench | tail -1)"

psql -q -d postgres -c "CREATE DATABASE $db"
trap 'psql -q -d postgres -c "DROP DATABASE IF EXISTS $db WITH (FORCE)"' EXIT
for f in $(ls "$migrations"/V*.sql | sort -V); do psql -q -v ON_ERROR_STOP=1 -d "$db" -f "$f" >/dev/null; done
psql -q -v ON_ERROR_STOP=1 -d "$db" <<'SQL'
INSERT INTO customers (customer_id, name, tier, subscription_status) VALUES
  ('bench-customer', 'Benchmark', 'enterprise', 'active'), ('bench-enqueue', 'Benchmark', 'enterprise', 'active');
INSERT INTO build_queue (customer_id, priority) SELECT 'bench-customer', 1 + g % 10 FROM generate_series(1, 10000) g;
INSERT INTO build_cache_registry (manifest_hash, tier, image_reference, image_digest)
SELECT encode(sha256(g::text::bytea), 'hex'), 'standard', 'registry/app:' || g, 'sha256:' || g FROM generate_series(1, 10000) g;
INSERT INTO licenses (customer_id, tier, status, license_key_hash, license_key_encrypted, encryption_key_id)
VALUES ('bench-customer', 'enterprise', 'active', encode(sha256('bench-license'::bytea), 'hex'), '\x00'::bytea, 'bench');
VACUUM ANALYZE;
SQL

echo "pgbench ($("$PGBENCH" --version)), $C client(s), ${T}s per script, database $db"
for script in claim enqueue lifecycle lookup record recordbatch; do
  tps=$("$PGBENCH" -n -M prepared -c "$C" -j "$C" -T "$T" -f "$here/$script.sql" "$db" 2>&1 | awk '/^tps/ {print $3; exit}')
  printf '%-11s %10s tps%s\n' "$script" "$tps" "$([[ $script == recordbatch ]] && echo ' (x1000 accesses each)')"
  if [[ $script == enqueue ]]; then psql -q -d "$db" -c "DELETE FROM build_queue WHERE customer_id = 'bench-enqueue'"; fi
done
