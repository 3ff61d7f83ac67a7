#!/usr/bin/env bash
# One side-by-side performance run (docs/PERFORMANCE.md): seeds a fresh PostgreSQL database with the full
# perfdata set, starts this server (production mode) and PostGraphile 4.14.1 on it, and runs the load
# command against each, every workload followed by its reference (pgbench -S / -N, PostGraphile's page).
#
#   scripts/perf-run.sh OUTDIR        (D=10s by default: how long each workload runs)
#
# Needs PostgreSQL on 127.0.0.1:5432 (user postgres, trust), pgbench, Node and npm; port 8080 and 5050
# free. Writes load.txt, seed.txt and both servers' logs into OUTDIR.
set -uo pipefail
out=${1:?usage: scripts/perf-run.sh OUTDIR}
mkdir -p "$out"; out=$(cd "$out" && pwd)
cd "$(dirname "$0")/.."
PG=postgres://postgres@127.0.0.1:5432
SECRET=perf-secret-0123456789abcdef0123456789abcdef
DB=ps_perf_run
bin=$(mktemp -d)
go build -o "$bin/server" . && go build -o "$bin/loadtest" ./cmd/loadtest || exit 1
dropdb -h 127.0.0.1 -U postgres --if-exists $DB; createdb -h 127.0.0.1 -U postgres $DB
DATABASE_URL="$PG/$DB?sslmode=disable" "$bin/server" migrate >/dev/null 2>&1
"$bin/loadtest" seed -database-url "$PG/$DB?sslmode=disable" -jwt-secret "$SECRET" >"$out/seed.txt" 2>&1 \
  || { cat "$out/seed.txt"; exit 1; }
CID=$(grep -oE '[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}' "$out/seed.txt" | head -1)
DATABASE_URL="$PG/$DB?sslmode=disable" PS_JWT_HS256_SECRET="$SECRET" PS_ENV=production PS_JWT_ISSUER=perf \
  PS_JWT_AUDIENCE=perf PS_SUPPORT_DOMAIN=vendor.test PS_INBOUND_SECRET=perf-inbound-secret-0123 \
  PS_METRICS_TOKEN=perf-metrics-token-0123456789abcdef0123 "$bin/server" >"$out/server.log" 2>&1 &
srv=$!
PGL_POOL=10 PGL_JWT_SECRET="$SECRET" PGL_JWT_AUDIENCE=perf PGL_JWT_ISSUER=perf \
  scripts/postgraphile/run.sh "$PG/$DB" public 5050 >"$out/postgraphile.log" 2>&1 &
pgl=$!
trap 'kill $srv $pgl 2>/dev/null; rm -rf "$bin"' EXIT
for _ in $(seq 1 120); do
  curl -sf localhost:8080/healthz >/dev/null && curl -s -o /dev/null 127.0.0.1:5050/graphql && break
  sleep 1
done
D=${D:-10s}
LT="$bin/loadtest -url http://localhost:8080 -jwt-secret $SECRET -issuer perf -audience perf -d $D \
  -metrics-token perf-metrics-token-0123456789abcdef0123"
PGLQ=$(cat scripts/postgraphile/dashboard_tickets.graphql)
PGLT="$bin/loadtest -url http://127.0.0.1:5050 -jwt-secret $SECRET -issuer perf -audience perf \
  -customer-id $CID -workload custom -d $D"
{
  uptime
  echo "== P1 c=32";  $LT -workload p1 -customer-id "$CID" -c 32 -pgbench "$PG/postgres"
  echo "== P2 c=32";  $LT -workload p2 -customer-id "$CID" -c 32
  echo "== PostGraphile P2 c=32"; $PGLT -query "$PGLQ" -vars "{\"customerId\":\"$CID\"}" -c 32
  echo "== P2 c=1";   $LT -workload p2 -customer-id "$CID" -c 1
  echo "== PostGraphile P2 c=1"; $PGLT -query "$PGLQ" -vars "{\"customerId\":\"$CID\"}" -c 1
  echo "== P4 c=8";   $LT -workload p4 -c 8 -inbound-secret perf-inbound-secret-0123 -pgbench "$PG/postgres"
  uptime
} 2>&1 | tee "$out/load.txt"
