#!/usr/bin/env bash
# The hot paths' exact SQL through pgbench (the C client: the physical limit of the machine), on a fresh database.
#   honua-benchmarks/pgbench/run.sh            # local server 127.0.0.1:5432, user postgres, 20 s per script, 1 client
#   PGHOST=.. PGPORT=.. PGUSER=.. SECONDS_PER_SCRIPT=30 CLIENTS=4 honua-benchmarks/pgbench/run.sh
# Then the real lifecycle (enqueue, claim, complete through the Honua functions) against floor.sql (the same rows on
# trigger-less copies of the tables: the data model's floor) and minimal.sql (a one-table SKIP LOCKED queue without
# triggers) at 1, 4 and 8 clients (SCALE_CLIENTS), and the 8-vs-1-client ratio of the lifecycle and the minimal queue;
# last, a worker's batch on the floor copies (batchfloor.sql) against db-scheduler's statements for the same no-op
# jobs (dbscheduler.sql) at 2 and 8 clients (PEER_CLIENTS).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
migrations="$here/../../honua-schema/src/main/resources/db/migration"
export PGOPTIONS="${PGOPTIONS:--c client_min_messages=warning}"
export PGHOST="${PGHOST:-127.0.0.1}" PGPORT="${PGPORT:-5432}" PGUSER="${PGUSER:-postgres}"
db="honua_pgbench_$$"
T="${SECONDS_PER_SCRIPT:-20}"
C="${CLIENTS:-1}"
PGBENCH="$(command -v pgbench || ls /usr/lib/postgresql/*/bin/pgbench | tail -1)"

psql -q -d postgres -c "CREATE DATABASE $db"
trap 'psql -q -d postgres -c "DROP DATABASE IF EXISTS $db WITH (FORCE)"' EXIT
# Flyway's history table (V15 grants SELECT on it, honua_health() reads it): Flyway's own layout, empty
psql -q -v ON_ERROR_STOP=1 -d "$db" -c "CREATE TABLE flyway_schema_history (installed_rank INT PRIMARY KEY,
  version VARCHAR(50), description VARCHAR(200) NOT NULL, type VARCHAR(20) NOT NULL, script VARCHAR(1000) NOT NULL,
  checksum INT, installed_by VARCHAR(100) NOT NULL, installed_on TIMESTAMP NOT NULL DEFAULT now(),
  execution_time INT NOT NULL, success BOOLEAN NOT NULL)"
# Flyway's order: versioned migrations by version, then repeatable ones (R__*.sql) by name
for f in $(ls "$migrations"/V*.sql | sort -V) $(ls "$migrations"/R__*.sql 2>/dev/null | sort); do
  psql -q -v ON_ERROR_STOP=1 -d "$db" -f "$f" >/dev/null
done
psql -q -v ON_ERROR_STOP=1 -d "$db" <<'SQL'
INSERT INTO customers (customer_id, name, tier, subscription_status) VALUES
  ('bench-customer', 'Benchmark', 'enterprise', 'active'), ('bench-enqueue', 'Benchmark', 'enterprise', 'active');
INSERT INTO build_queue (customer_id, priority) SELECT 'bench-customer', 1 + g % 10 FROM generate_series(1, 10000) g;
INSERT INTO build_cache_registry (manifest_hash, tier, image_reference, image_digest)
SELECT encode(sha256(g::text::bytea), 'hex'), 'standard', 'registry/app:' || g, 'sha256:' || g FROM generate_series(1, 10000) g;
-- a license whose limits the benchmark never reaches: the defaults (100 builds a month, 1 running build) would stop
-- lifecycle.sql after 100 enqueues (HL001) and serialise every client behind one running build
INSERT INTO licenses (customer_id, tier, status, license_key_hash, license_key_encrypted, encryption_key_id,
                      max_builds_per_month, max_concurrent_builds)
VALUES ('bench-customer', 'enterprise', 'active', encode(sha256('bench-license'::bytea), 'hex'), '\x00'::bytea, 'bench',
        2000000000, 100000);
CREATE TABLE minimal_queue (id BIGSERIAL PRIMARY KEY, payload TEXT NOT NULL, claimed_by TEXT, claimed_at TIMESTAMPTZ);
-- floor.sql's tables: copies of the queue's tables with their columns, defaults and indexes only
CREATE TABLE floor_queue (LIKE build_queue INCLUDING DEFAULTS INCLUDING IDENTITY INCLUDING INDEXES);
CREATE TABLE floor_events (LIKE build_events INCLUDING DEFAULTS INCLUDING IDENTITY INCLUDING INDEXES);
CREATE TABLE floor_attempts (LIKE build_attempts INCLUDING DEFAULTS INCLUDING IDENTITY INCLUDING INDEXES);
CREATE TABLE floor_results (LIKE build_results INCLUDING DEFAULTS INCLUDING IDENTITY INCLUDING INDEXES);
CREATE TABLE floor_runnable (LIKE build_queue_runnable INCLUDING DEFAULTS INCLUDING IDENTITY INCLUDING INDEXES);
CREATE TABLE floor_usage (LIKE license_build_usage INCLUDING DEFAULTS INCLUDING IDENTITY INCLUDING INDEXES);
INSERT INTO floor_queue (customer_id, priority, claim_rank, event_seq)
SELECT 'bench-customer', 1 + g % 10, (extract(epoch FROM now()) * 1000)::bigint - (1 + g % 10) * 60000, 1
  FROM generate_series(1, 10000) g;
INSERT INTO floor_runnable (customer_id) VALUES ('bench-customer');
INSERT INTO floor_usage (customer_id, period_start) VALUES ('bench-customer', date_trunc('month', now())::date);
-- dbscheduler.sql's table: db-scheduler's scheduled_tasks with its indexes, 300,000 due no-op executions; and as many
-- queued builds on the floor copy for batchfloor.sql
CREATE TABLE dbscheduler_tasks (task_name TEXT NOT NULL, task_instance TEXT NOT NULL, task_data BYTEA,
  execution_time TIMESTAMPTZ NOT NULL, picked BOOLEAN NOT NULL, picked_by TEXT, last_success TIMESTAMPTZ,
  last_failure TIMESTAMPTZ, consecutive_failures INT, last_heartbeat TIMESTAMPTZ, version BIGINT NOT NULL,
  priority SMALLINT, PRIMARY KEY (task_name, task_instance));
CREATE INDEX ON dbscheduler_tasks (execution_time);
CREATE INDEX ON dbscheduler_tasks (last_heartbeat);
CREATE INDEX ON dbscheduler_tasks (priority DESC, execution_time);
INSERT INTO dbscheduler_tasks (task_name, task_instance, execution_time, picked, version, priority)
SELECT 'noop', 'i' || g, now() - interval '1 hour', false, 1, 0 FROM generate_series(1, 300000) g;
INSERT INTO floor_queue (customer_id, priority, claim_rank, event_seq)
SELECT 'bench-customer', 5, (extract(epoch FROM now()) * 1000)::bigint + g, 1 FROM generate_series(1, 300000) g;
VACUUM ANALYZE;
SQL

echo "pgbench ($("$PGBENCH" --version)), $C client(s), ${T}s per script, database $db"
# tps of one script; a script that fails (any client aborted, or no tps line) stops the run with pgbench's output
bench() { # script clients
  local out tps
  # every script starts from a vacuumed database, as autovacuum keeps a server's (CI's server runs without it): the
  # dead index entries earlier scripts' claims left would otherwise be walked by the next script's claims
  psql -q -d "$db" -c "VACUUM"
  out=$("$PGBENCH" -n -M prepared -c "$2" -j "$2" -T "$T" -f "$here/$1.sql" "$db" 2>&1) || { echo "$1 failed:" >&2; echo "$out" >&2; exit 1; }
  tps=$(awk '/^tps/ {print $3; exit}' <<<"$out")
  if [[ -z "$tps" ]] || grep -q "aborted" <<<"$out"; then echo "$1 failed:" >&2; echo "$out" >&2; exit 1; fi
  echo "$tps"
}
for script in claim enqueue lifecycle batch lookup record recordbatch minimal; do
  tps=$(bench "$script" "$C")
  printf '%-11s %10s tps%s\n' "$script" "$tps" "$([[ $script == recordbatch ]] && echo ' (x1000 accesses each)'; [[ $script == batch ]] && echo ' (x10 builds each)')"
  if [[ $script == enqueue ]]; then psql -q -d "$db" -c "DELETE FROM build_queue WHERE customer_id = 'bench-enqueue'"; fi
done

echo
echo "real lifecycle (enqueue + claim + complete, Honua schema) vs the same rows without the library (floor.sql) vs"
echo "minimal SKIP LOCKED queue (one table, no triggers)"
printf '%-8s %11s %11s %11s %17s %14s %16s\n' clients lifecycle floor minimal lifecycle/minimal floor/minimal lifecycle/floor
declare -A life mini flo
ratio() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.3f", a / b}'; }
for c in ${SCALE_CLIENTS:-1 4 8}; do
  life[$c]=$(bench lifecycle "$c")
  flo[$c]=$(bench floor "$c")
  mini[$c]=$(bench minimal "$c")
  printf '%-8s %11s %11s %11s %17s %14s %16s\n' "$c" "${life[$c]}" "${flo[$c]}" "${mini[$c]}" "$(ratio "${life[$c]}" "${mini[$c]}")" \
    "$(ratio "${flo[$c]}" "${mini[$c]}")" "$(ratio "${life[$c]}" "${flo[$c]}")"
done
echo
echo "a worker's batch (claim 10, complete them) without the library (batchfloor.sql) vs db-scheduler's statements for"
echo "10 no-op jobs (dbscheduler.sql), jobs/s"
printf '%-8s %16s %16s %22s\n' clients batchfloor dbscheduler batchfloor/dbscheduler
for c in ${PEER_CLIENTS:-2 8}; do
  b=$(bench batchfloor "$c"); d=$(bench dbscheduler "$c")
  printf '%-8s %16.1f %16.1f %22s\n' "$c" "$(awk -v t="$b" 'BEGIN {print t * 10}')" "$(awk -v t="$d" 'BEGIN {print t * 10}')" "$(ratio "$b" "$d")"
done
set -- ${SCALE_CLIENTS:-1 4 8}; first=$1; last=${!#}
printf '%s-vs-%s-client ratio: lifecycle %s, minimal %s\n' "$last" "$first" \
  "$(awk -v a="${life[$last]}" -v b="${life[$first]}" 'BEGIN {printf "%.2f", a / b}')" \
  "$(awk -v a="${mini[$last]}" -v b="${mini[$first]}" 'BEGIN {printf "%.2f", a / b}')"
