#!/usr/bin/env bash
# CI: a Docker engine, Compose and local base images for the Docker test tier (tests/docker/).
#
# No container registry is reachable in CI, so nothing is pulled: the Python base image is built with
# debootstrap from the Debian mirror apt already uses, and PostgreSQL is built on top of it from
# docker/postgres/. Idempotent: a second run only checks that everything is there (a few seconds).
#
# Usage (from .ci/run; a plain assignment stops the run under set -e when this fails, `eval "$(...)"` would not):
#   docker_env=$(.ci/docker-setup.sh)
#   eval "$docker_env"
# Progress goes to stderr; stdout carries only the `export` lines for eval:
#   TWINTAG_PYTHON_IMAGE  the Python base image the Dockerfiles build FROM (ARG PYTHON_IMAGE)
#   POSTGRES_IMAGE        the PostgreSQL image docker-compose.yml runs
set -euo pipefail
cd "$(dirname "$0")/.."
export DEBIAN_FRONTEND=noninteractive

PYTHON_BASE=twintag/python-base:bookworm
POSTGRES_LOCAL=twintag/postgres:15-bookworm
DOCKERD_LOG=${TWINTAG_DOCKERD_LOG:-/var/log/dockerd.log}
say() { echo "docker-setup: $*" >&2; }

# 1. Packages: the engine (docker.io), Compose v1 (docker-compose; reads the same compose spec as
#    `docker compose`) and debootstrap for the base image.
missing=()
command -v dockerd >/dev/null 2>&1 || missing+=(docker.io)
command -v docker-compose >/dev/null 2>&1 || docker compose version >/dev/null 2>&1 || missing+=(docker-compose)
command -v debootstrap >/dev/null 2>&1 || missing+=(debootstrap)
if ((${#missing[@]})); then
  say "installing ${missing[*]}"
  apt-get update -qq
  apt-get install -y -qq "${missing[@]}" >/dev/null
fi

# 2. The engine: start dockerd unless one already answers, then wait for it.
if ! docker info >/dev/null 2>&1; then
  say "starting dockerd (log: $DOCKERD_LOG)"
  nohup dockerd >"$DOCKERD_LOG" 2>&1 &
  for _ in $(seq 60); do
    docker info >/dev/null 2>&1 && break
    sleep 1
  done
  docker info >/dev/null 2>&1 || { say "dockerd did not start; last log lines:"; tail -20 "$DOCKERD_LOG" >&2; exit 1; }
fi

# The Debian mirror apt is configured with (deb822 .sources first, then one-line sources.list).
debian_mirror() {
  local mirror=""
  if compgen -G "/etc/apt/sources.list.d/*.sources" >/dev/null; then
    mirror=$(awk 'BEGIN { RS = ""; FS = "\n" }
      { uri = ""; ok = 0
        for (i = 1; i <= NF; i++) {
          if ($i ~ /^URIs:/) { split($i, w, " "); uri = w[2] }
          if ($i ~ /^Suites:/ && (" " $i " ") ~ / bookworm /) ok = 1
        }
        if (ok && uri != "") { print uri; exit } }' /etc/apt/sources.list.d/*.sources)
  fi
  if [[ -z $mirror && -f /etc/apt/sources.list ]]; then
    mirror=$(awk '$1 == "deb" { for (i = 2; i < NF; i++) if ($(i + 1) == "bookworm" && $i ~ /^https?:/) { print $i; exit } }' \
      /etc/apt/sources.list)
  fi
  echo "${mirror:-http://deb.debian.org/debian}"
}

# 3. The Python base image: Debian bookworm minbase with python3 (3.11) and venv, plus this host's CA
#    bundle (which may include a proxy's CA that pip inside the build needs).
if ! docker image inspect "$PYTHON_BASE" >/dev/null 2>&1; then
  mirror=$(debian_mirror)
  rootfs=$(mktemp -d /tmp/twintag-rootfs.XXXXXX)
  trap 'rm -rf "$rootfs"' EXIT
  say "building $PYTHON_BASE with debootstrap from $mirror"
  debootstrap --variant=minbase --include=python3,python3-venv,ca-certificates bookworm "$rootfs" "$mirror" \
    >/tmp/twintag-debootstrap.log 2>&1 || { tail -20 /tmp/twintag-debootstrap.log >&2; exit 1; }
  cp /etc/ssl/certs/ca-certificates.crt "$rootfs/etc/ssl/certs/ca-certificates.crt"
  rm -rf "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/var/lib/apt/lists/* "$rootfs"/var/log/* "$rootfs"/tmp/*
  tar -C "$rootfs" -c . | docker import -c 'ENV LANG=C.UTF-8' -c 'CMD ["/bin/bash"]' - "$PYTHON_BASE" >/dev/null
  rm -rf "$rootfs"
  trap - EXIT
fi

# 4. The PostgreSQL image (a layer-cached rebuild takes about a second, and picks up changes to docker/postgres/).
say "building $POSTGRES_LOCAL"
docker build -q --network host --build-arg BASE_IMAGE="$PYTHON_BASE" -t "$POSTGRES_LOCAL" docker/postgres >/dev/null

printf 'export TWINTAG_PYTHON_IMAGE=%q\n' "$PYTHON_BASE"
printf 'export POSTGRES_IMAGE=%q\n' "$POSTGRES_LOCAL"
