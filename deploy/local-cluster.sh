#!/usr/bin/env bash
# Runs a local call-event processor cluster: PostgreSQL (started here, or yours) and N silo processes on
# loopback, each with its own silo, gateway and HTTP port, sharing state and membership through PostgreSQL.
#
#   deploy/local-cluster.sh start [N]   start (or reuse) PostgreSQL and N silos (default 3)
#   deploy/local-cluster.sh status      list the silos and whether they answer
#   deploy/local-cluster.sh kill I      SIGKILL silo I (1-based), to try a crash
#   deploy/local-cluster.sh stop        stop the silos (SIGTERM, then SIGKILL after 20 s) and the PostgreSQL it started
#
# Environment (all optional):
#   CONNECTION_STRING   an existing PostgreSQL database (Npgsql form); unset = a local server under the state dir
#   CALLEVENTS_CLUSTER_DIR  state dir: pids, logs, PostgreSQL data (default: .local/cluster in the repo)
#   BASE_HTTP_PORT=5081 BASE_SILO_PORT=11111 BASE_GATEWAY_PORT=30000 PG_PORT=55432
#   HTTP_PORTS / SILO_PORTS / GATEWAY_PORTS  space-separated explicit ports (override the bases)
#   CLUSTER_ID=callevents-local   HOST_DLL=<built OrleansHost.dll> (default: builds src/OrleansHost in Release)
#   SILO_ARGS="--Key=value ..."  extra arguments for every silo (configuration, e.g. --FollowUps:Callbacks:DefaultUrl=...)
#   ASPNETCORE_ENVIRONMENT=Development  a loopback cluster is a development cluster: without Security:* credentials
#                       it runs open, with a warning. Set Production (and credentials) to try the real thing.
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
dir="${CALLEVENTS_CLUSTER_DIR:-$repo/.local/cluster}"
cluster_id="${CLUSTER_ID:-callevents-local}"
export ASPNETCORE_ENVIRONMENT="${ASPNETCORE_ENVIRONMENT:-Development}"
pg_port="${PG_PORT:-55432}"
mkdir -p "$dir"

log() { echo "local-cluster: $*" >&2; }

# Alive and not a zombie (a SIGKILLed silo may linger as one where nothing reaps orphans).
alive() {
  local pid="$1"
  kill -0 "$pid" 2>/dev/null || return 1
  [ "$(awk '{ print $3 }' "/proc/$pid/stat" 2>/dev/null)" != "Z" ]
}

pg_bin() {
  if command -v initdb >/dev/null 2>&1; then dirname "$(command -v initdb)"; return; fi
  local found
  found=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
  [ -n "$found" ] || { log "PostgreSQL server binaries not found: apt-get install postgresql, or set CONNECTION_STRING"; exit 1; }
  echo "$found"
}

as_pg() {
  if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

start_postgres() {
  local bin data
  bin=$(pg_bin)
  data="$dir/pg"
  if [ ! -s "$data/PG_VERSION" ]; then
    mkdir -p "$data"
    [ "$(id -u)" -eq 0 ] && chown postgres "$data" "$dir"
    chmod 700 "$data"
    log "initdb $data"
    as_pg "$bin/initdb" -D "$data" -U postgres -A trust -E UTF8 >"$dir/initdb.log" 2>&1
  fi
  if as_pg "$bin/pg_ctl" -D "$data" status >/dev/null 2>&1; then
    log "PostgreSQL already running on port $pg_port"
  else
    log "starting PostgreSQL on 127.0.0.1:$pg_port"
    as_pg "$bin/pg_ctl" -D "$data" -w -l "$data/server.log" \
      -o "-p $pg_port -c listen_addresses=127.0.0.1 -k $data -c max_connections=200" start >/dev/null
    touch "$dir/pg.started-here"
  fi
  if ! as_pg psql -h 127.0.0.1 -p "$pg_port" -U postgres -tAc "select 1 from pg_database where datname='callevents'" | grep -q 1; then
    as_pg psql -h 127.0.0.1 -p "$pg_port" -U postgres -qc "create database callevents" >/dev/null
  fi
  echo "Host=127.0.0.1;Port=$pg_port;Username=postgres;Database=callevents"
}

ports() { # ports NAME BASE N -> the explicit list or BASE..BASE+N-1
  local list="$1" base="$2" n="$3"
  if [ -n "$list" ]; then echo "$list"; else seq "$base" $((base + n - 1)) | tr '\n' ' '; fi
}

cmd="${1:-}"
case "$cmd" in
  start)
    n="${2:-3}"
    if [ -n "${CONNECTION_STRING:-}" ]; then cs="$CONNECTION_STRING"; else cs=$(start_postgres); fi
    dll="${HOST_DLL:-}"
    if [ -z "$dll" ]; then
      log "building src/OrleansHost (Release)"
      dotnet build "$repo/src/OrleansHost" -c Release -v q -nologo >"$dir/build.log" 2>&1 || { cat "$dir/build.log" >&2; exit 1; }
      dll="$repo/src/OrleansHost/bin/Release/net10.0/OrleansHost.dll"
    fi
    read -r -a http <<<"$(ports "${HTTP_PORTS:-}" "${BASE_HTTP_PORT:-5081}" "$n")"
    read -r -a silo <<<"$(ports "${SILO_PORTS:-}" "${BASE_SILO_PORT:-11111}" "$n")"
    read -r -a gw <<<"$(ports "${GATEWAY_PORTS:-}" "${BASE_GATEWAY_PORT:-30000}" "$n")"
    for i in $(seq 1 "$n"); do
      pidfile="$dir/silo-$i.pid"
      if [ -f "$pidfile" ] && alive "$(cat "$pidfile")"; then
        log "silo $i already running (pid $(cat "$pidfile"))"; continue
      fi
      setsid dotnet "$dll" --contentRoot "$(dirname "$dll")" \
        --urls "http://127.0.0.1:${http[$((i-1))]}" \
        --Orleans:SiloPort="${silo[$((i-1))]}" --Orleans:GatewayPort="${gw[$((i-1))]}" \
        --Orleans:ClusterId="$cluster_id" --ConnectionStrings:Orleans="$cs" ${SILO_ARGS:-} \
        >"$dir/silo-$i.log" 2>&1 < /dev/null &
      echo $! >"$pidfile"
      echo "${http[$((i-1))]}" >"$dir/silo-$i.http"
    done
    for i in $(seq 1 "$n"); do
      port=$(cat "$dir/silo-$i.http")
      for _ in $(seq 1 120); do
        if curl -sf "http://127.0.0.1:$port/" >/dev/null 2>&1; then break; fi
        if ! alive "$(cat "$dir/silo-$i.pid")"; then log "silo $i exited; its log:"; tail -n 40 "$dir/silo-$i.log" >&2; exit 1; fi
        sleep 0.5
      done
      curl -sf "http://127.0.0.1:$port/" >/dev/null || { log "silo $i did not answer on port $port"; tail -n 40 "$dir/silo-$i.log" >&2; exit 1; }
      echo "silo $i: http://127.0.0.1:$port (pid $(cat "$dir/silo-$i.pid"), log $dir/silo-$i.log)"
    done
    ;;
  status)
    for pidfile in "$dir"/silo-*.pid; do
      [ -e "$pidfile" ] || { echo "no silos"; break; }
      i=$(basename "$pidfile" .pid); port=$(cat "$dir/$i.http")
      if alive "$(cat "$pidfile")" && curl -sf "http://127.0.0.1:$port/" >/dev/null; then s=up; else s=down; fi
      echo "$i: http://127.0.0.1:$port pid $(cat "$pidfile") $s"
    done
    ;;
  kill)
    i="${2:?which silo (1-based)?}"
    pid=$(cat "$dir/silo-$i.pid")
    kill -KILL "$pid"
    for _ in $(seq 1 100); do alive "$pid" || break; sleep 0.1; done
    log "silo $i killed (SIGKILL)"
    ;;
  stop)
    for pidfile in "$dir"/silo-*.pid; do
      [ -e "$pidfile" ] || continue
      pid=$(cat "$pidfile")
      if alive "$pid"; then
        kill -TERM "$pid" 2>/dev/null || true
        for _ in $(seq 1 40); do alive "$pid" || break; sleep 0.5; done
        alive "$pid" && { log "silo pid $pid did not stop; SIGKILL"; kill -KILL "$pid" || true; }
      fi
      rm -f "$pidfile" "${pidfile%.pid}.http"
    done
    if [ -f "$dir/pg.started-here" ]; then
      as_pg "$(pg_bin)/pg_ctl" -D "$dir/pg" -m fast -w stop >/dev/null 2>&1 || true
      rm -f "$dir/pg.started-here"
      log "PostgreSQL stopped"
    fi
    log "stopped"
    ;;
  *)
    sed -n '2,18p' "$0" | sed 's/^# \{0,1\}//'
    exit 2
    ;;
esac
