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

# The released open62541 source the OPC UA benchmarks and interop tests build (a C stack, the speed and conformance
# reference; not in Debian); see ../shared/vendor/README.md.
OPEN62541_TARBALL="${THERMALPLANT_OPEN62541_TARBALL:-$REPO_ROOT/../shared/vendor/open62541-v1.4.19.tar.gz}"
# Builds live outside the repository so every worktree and run shares them: the library once per version and options,
# the programs once per source and library.
THERMALPLANT_CACHE="${THERMALPLANT_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/thermalplant}"

# ensure_open62541: builds open62541 1.4.19 from the vendored tarball into $THERMALPLANT_CACHE (about 4 minutes of
# compiling at -j2, once; OpenSSL for the secured policies, no PubSub), then our C server and client on it
# (bench/open62541/*.c, seconds). Sets OPEN62541_BIN to the directory holding tp-open62541-server and
# tp-open62541-client. A lock keeps concurrent callers (a test run and a bench run) from building twice. Returns 1,
# saying what is missing, when it cannot build.
ensure_open62541() {
  if [ ! -f "$OPEN62541_TARBALL" ]; then
    log "open62541 is not built and $OPEN62541_TARBALL is missing: put open62541 1.4.19's source tarball there"
    return 1
  fi
  ensure_apt cmake gcc make python3 libssl-dev || return 1
  local options=(-DCMAKE_BUILD_TYPE=Release -DUA_NAMESPACE_ZERO=REDUCED -DUA_ENABLE_SUBSCRIPTIONS=ON
    -DUA_ENABLE_HISTORIZING=ON -DUA_ENABLE_ENCRYPTION=OPENSSL -DUA_ENABLE_PUBSUB=OFF -DUA_ENABLE_PUBSUB_INFORMATIONMODEL=OFF
    -DUA_ENABLE_DISCOVERY_MULTICAST=OFF -DOPEN62541_VERSION=v1.4.19
    -DUA_MULTITHREADING=0 -DUA_LOGLEVEL=300 -DUA_BUILD_EXAMPLES=OFF -DUA_BUILD_UNIT_TESTS=OFF)
  local key; key="$( { sha256sum "$OPEN62541_TARBALL" | cut -c1-64; echo "${options[*]}"; } | sha256sum | cut -c1-12)"
  local prefix="$THERMALPLANT_CACHE/open62541-1.4.19-$key"
  mkdir -p "$THERMALPLANT_CACHE"
  (
    flock 9
    [ -f "$prefix/.built" ] && exit 0
    local build; build="$(mktemp -d "$THERMALPLANT_CACHE/open62541-build-XXXXXX")"
    log "building open62541 from $(basename "$OPEN62541_TARBALL") into $prefix (a few minutes once; log: $build/build.log)"
    tar -xzf "$OPEN62541_TARBALL" -C "$build" --strip-components=1
    rm -rf "$prefix"
    # -j2 at most: the build is shared with whatever else the machine runs.
    if ! (mkdir -p "$build/build" && cd "$build/build" && cmake .. "${options[@]}" -DCMAKE_INSTALL_PREFIX="$prefix" \
            && make -j2 && make install) >"$build/build.log" 2>&1; then
      tail -n 30 "$build/build.log" >&2
      log "building open62541 failed; the full log is $build/build.log"
      exit 1
    fi
    touch "$prefix/.built"
    rm -rf "$build"
  ) 9>"$THERMALPLANT_CACHE/open62541.lock" || return 1
  local sources=("$REPO_ROOT"/bench/open62541/*.c "$REPO_ROOT"/bench/open62541/*.h)
  local tools_key; tools_key="$( { echo "$key"; cat "${sources[@]}"; } | sha256sum | cut -c1-12)"
  OPEN62541_BIN="$THERMALPLANT_CACHE/open62541-tools-$tools_key"
  [ -x "$OPEN62541_BIN/tp-open62541-server" ] && [ -x "$OPEN62541_BIN/tp-open62541-client" ] && return 0
  local libdir="$prefix/lib"; [ -d "$prefix/lib64" ] && libdir="$prefix/lib64"
  local tmp; tmp="$(mktemp -d "$THERMALPLANT_CACHE/open62541-tools-build-XXXXXX")"
  local source
  # Our sources compile with warnings as errors; the link does not, because the library's link-time optimisation
  # reports its own code's warnings there.
  for source in common server client; do
    if ! gcc -std=c99 -O2 -Wall -Wextra -Werror -D_DEFAULT_SOURCE -I"$prefix/include" -c -o "$tmp/$source.o" \
          "$REPO_ROOT/bench/open62541/$source.c"; then
      log "compiling bench/open62541/$source.c against open62541 failed"
      rm -rf "$tmp"
      return 1
    fi
  done
  for source in server client; do
    if ! gcc -O2 -o "$tmp/tp-open62541-$source" "$tmp/$source.o" "$tmp/common.o" "$libdir/libopen62541.a" \
          -lssl -lcrypto -lpthread -lm 2>"$tmp/link.log"; then
      cat "$tmp/link.log" >&2
      log "linking tp-open62541-$source failed"
      rm -rf "$tmp"
      return 1
    fi
  done
  rm -f "$tmp"/*.o "$tmp/link.log"
  rm -rf "$OPEN62541_BIN"
  mv "$tmp" "$OPEN62541_BIN"
}
