#!/bin/sh
# Starts PostGraphile 4.14.1 (installed here by `npm ci`) over a PostgreSQL
# database of this backend, as the reference the dashboard's ticket page is
# measured against. GraphiQL is off; it listens on loopback only.
#
#   scripts/postgraphile/run.sh DATABASE_URL [SCHEMA] [PORT]
#
# DATABASE_URL  postgres://user@host:port/database (the backend's migrated
#               database, e.g. one filled by `go run ./cmd/loadtest seed`)
# SCHEMA        the schema to expose (default public)
# PORT          the loopback port (default 5050); the endpoint is
#               http://127.0.0.1:PORT/graphql
#
# With PGL_JWT_SECRET set (the backend's PS_JWT_HS256_SECRET), PostGraphile
# verifies the bearer token of each request as the backend does (HS256,
# audience PGL_JWT_AUDIENCE, default priority-support; issuer
# PGL_JWT_ISSUER when set); without it, a request that carries a token is
# refused. PGL_POOL sets its PostgreSQL pool size (default 10).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
if [ $# -lt 1 ]; then
	echo "usage: $0 DATABASE_URL [SCHEMA] [PORT]" >&2
	exit 2
fi
if [ ! -x "$here/node_modules/.bin/postgraphile" ]; then
	(cd "$here" && npm ci --no-audit --no-fund)
fi
set -- --connection "$1" --schema "${2:-public}" --host 127.0.0.1 --port "${3:-5050}" \
	--disable-graphiql --disable-query-log --max-pool-size "${PGL_POOL:-10}"
if [ -n "${PGL_JWT_SECRET:-}" ]; then
	set -- "$@" --jwt-secret "$PGL_JWT_SECRET" --jwt-verify-algorithms HS256 \
		--jwt-verify-audience "${PGL_JWT_AUDIENCE:-priority-support}"
	if [ -n "${PGL_JWT_ISSUER:-}" ]; then
		set -- "$@" --jwt-verify-issuer "$PGL_JWT_ISSUER"
	fi
fi
export NODE_ENV=production
exec "$here/node_modules/.bin/postgraphile" "$@"
