#!/usr/bin/env bash
# Runs once, on the database volume's first start (mounted into /docker-entrypoint-initdb.d/ by
# docker-compose.yml; works with the official postgres image and with docker/postgres/).
#
# Creates one database per TwinTag deployable, each owned by a login role of the same name that can
# connect to its own database only: no service can read another's tables.
#   TWINTAG_DATABASES    names to create (default: monolith users uploads recognition results)
#   TWINTAG_DB_PASSWORD  the roles' password (docker-compose.yml passes a dev-only default)
# Written to work both executed and sourced (the official entrypoint sources non-executable scripts).
set -e

for twintag_db in ${TWINTAG_DATABASES:-monolith users uploads recognition results}; do
  echo "init-databases: role and database $twintag_db"
  psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname "${POSTGRES_DB:-$POSTGRES_USER}" --no-psqlrc -q \
    -v db="$twintag_db" -v password="${TWINTAG_DB_PASSWORD:?TWINTAG_DB_PASSWORD must be set}" <<'SQL'
CREATE ROLE :"db" LOGIN PASSWORD :'password';
CREATE DATABASE :"db" OWNER :"db";
REVOKE ALL ON DATABASE :"db" FROM PUBLIC;
SQL
done
unset twintag_db
