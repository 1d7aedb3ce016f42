# Shared by scripts/up, scripts/down and scripts/test. Sourced, not run.
# shellcheck shell=bash

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
# Where scripts/up keeps its builds, data, logs and pid files; a test runs a second stack in a temp dir.
RUN_DIR="${THERMALPLANT_RUN_DIR:-$REPO_ROOT/.run}"

log() { printf '[%s] %s\n' "$(date -u +%H:%M:%S)" "$*" >&2; }

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; elif command -v sudo >/dev/null 2>&1; then sudo -n "$@"; else
    log "need root to run: $*"; return 1; fi
}

# ensure_apt PACKAGE... : installs the Debian packages that are missing (apt-get update once first).
# Installed is the status's last two words ("ok installed"), whatever the selection before them: a package an
# administrator holds ("hold ok installed") is installed, and apt-get install would refuse to touch it.
ensure_apt() {
  local missing=() status
  for pkg in "$@"; do
    status="$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null)" || status=""
    case "$status" in
      *" ok installed") ;;
      *) missing+=("$pkg") ;;
    esac
  done
  [ "${#missing[@]}" -eq 0 ] && return 0
  log "installing Debian packages: ${missing[*]}"
  as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

ensure_dotnet() {
  command -v dotnet >/dev/null 2>&1 && return 0
  log "the .NET 10 SDK is required (https://dot.net); install it and run again"
  return 1
}

# ensure_npm_peers: installs the pinned npm peers (node-opcua) where a package-lock.json is committed.
ensure_npm_peers() {
  local lock
  for lock in "$REPO_ROOT"/tests/peers/*/package-lock.json; do
    [ -f "$lock" ] || continue
    local dir; dir="$(dirname "$lock")"
    if [ ! -d "$dir/node_modules" ] || [ "$lock" -nt "$dir/node_modules" ]; then
      { command -v node && command -v npm; } >/dev/null 2>&1 || ensure_apt nodejs npm
      log "installing npm peers in ${dir#"$REPO_ROOT"/}"
      (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error)
      touch "$dir/node_modules"
    fi
  done
}

# Starts a long-running program in the background with its log in $RUN_DIR/logs/NAME.log and its pid in
# $RUN_DIR/NAME.pid: start_service NAME DIRECTORY COMMAND... (exec, so the pid is the program's own).
start_service() {
  local name="$1" directory="$2"
  shift 2
  (cd "$directory" && exec nohup "$@" >"$RUN_DIR/logs/$name.log" 2>&1 </dev/null) &
  echo $! >"$RUN_DIR/$name.pid"
}

# port_taken PORT: true when something already listens on 127.0.0.1:PORT.
port_taken() {
  (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

# wait_http URL SECONDS: waits until URL answers 2xx.
wait_http() {
  local url="$1" deadline=$((SECONDS + $2))
  until curl -fsS --max-time 5 -o /dev/null "$url" 2>/dev/null; do
    [ "$SECONDS" -ge "$deadline" ] && return 1
    sleep 0.5
  done
}

# The released TimescaleDB source the tests build (Debian does not package it); see ../shared/vendor/README.md.
TIMESCALEDB_TARBALL="${THERMALPLANT_TIMESCALEDB_TARBALL:-$REPO_ROOT/../shared/vendor/timescaledb-2.28.3.tar.gz}"

# timescaledb_installed: true when PostgreSQL 15's library dir holds the TimescaleDB extension.
timescaledb_installed() {
  local libdir
  libdir="$(/usr/lib/postgresql/15/bin/pg_config --pkglibdir 2>/dev/null || echo /usr/lib/postgresql/15/lib)"
  [ -f "$libdir/timescaledb.so" ]
}

# ensure_timescaledb: builds and installs TimescaleDB from the vendored tarball when it is not installed and the
# tarball is there (about 2.5 minutes once). The headers must be the running server's own version (an extension
# built against other headers does not load), so postgresql-server-dev-15 is pinned to the installed server's
# version and the server itself is never upgraded. Returns 1, saying what to install, when neither is available.
ensure_timescaledb() {
  timescaledb_installed && return 0
  if [ ! -f "$TIMESCALEDB_TARBALL" ]; then
    log "TimescaleDB is not installed and $TIMESCALEDB_TARBALL is missing: install TimescaleDB for PostgreSQL 15 (or put its source tarball there)"
    return 1
  fi
  local server_version
  server_version="$(dpkg-query -W -f='${Version}' postgresql-15)"
  ensure_apt "postgresql-server-dev-15=$server_version" cmake gcc make libssl-dev libkrb5-dev
  local build; build="$(mktemp -d /tmp/thermalplant-timescaledb-XXXXXX)"
  log "building TimescaleDB from $(basename "$TIMESCALEDB_TARBALL") against PostgreSQL $server_version (log: $build/build.log)"
  tar -xzf "$TIMESCALEDB_TARBALL" -C "$build" --strip-components=1
  if ! (cd "$build" && ./bootstrap -DREGRESS_CHECKS=OFF -DWARNINGS_AS_ERRORS=OFF -DTAP_CHECKS=OFF \
          -DPG_CONFIG=/usr/lib/postgresql/15/bin/pg_config && cd build && make -j"$(nproc)" && as_root make install) \
          >"$build/build.log" 2>&1; then
    tail -n 30 "$build/build.log" >&2
    log "building TimescaleDB failed; the full log is $build/build.log"
    return 1
  fi
  rm -rf "$build"
  timescaledb_installed
}
