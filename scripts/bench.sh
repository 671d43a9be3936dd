#!/usr/bin/env bash
# `npm run bench`: builds, starts Redis and FerretDB on CPU 1 (as the tests do), and runs
# bench/run-bench.ts on CPU 1 against servers pinned to CPU 0. Results go to bench/results.md.
# `npm run bench -- --peers` runs bench/peers.ts instead (results in bench/results-peers.md).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
CACHE="${LATCHKEY_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/latchkey-test}"
STATE=$(mktemp -d "${TMPDIR:-/tmp}/latchkey-bench.XXXXXX")
PIDS=()
log() { printf '[bench] %s\n' "$*"; }
cleanup() {
  local status=$?
  # The drivers list every server they start here ("-pgid" for a peer's process group; see
  # bench/kill-list.ts) and stop them themselves; this only matters if one died without running
  # its exit handlers (SIGKILL, OOM).
  if [ -s "$STATE/kill-on-exit" ]; then
    while read -r target; do kill -KILL -- "$target" 2>/dev/null || true; done < "$STATE/kill-on-exit"
  fi
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
  rm -rf "$STATE"
  exit "$status"
}
trap cleanup EXIT INT TERM
# shellcheck source=scripts/test-servers.sh
. "$ROOT/scripts/test-servers.sh"

command -v taskset >/dev/null || { log "taskset (util-linux) is required"; exit 1; }
[ "$(nproc)" -ge 2 ] || { log "needs two CPUs: one for the server, one for the load"; exit 1; }
ensure_node_modules
npm run --silent build
# `npm run bench -- --peers`: the same scenarios on ORY Hydra and Keycloak, built once into
# $CACHE/peers by scripts/build-peers.sh; a peer that cannot be built is left out and said so.
PEERS=""
if [ "${1:-}" = "--peers" ]; then
  PEERS=1
  peer_paths=$(bash "$ROOT/scripts/build-peers.sh") || log "not every peer could be built (see above); measuring the others"
  while IFS='=' read -r key value; do
    case "$key" in
      hydra) export BENCH_HYDRA_BIN=$value ;;
      keycloak) export BENCH_KEYCLOAK_HOME=$value ;;
      keycloak_java_home) export BENCH_KEYCLOAK_JAVA_HOME=$value ;;
    esac
  done <<< "$peer_paths"
fi
export SERVER_CPU=1
if [ -z "${REDIS_URL:-}" ]; then start_redis; fi
if [ -z "${MONGODB_URI:-}" ]; then start_ferretdb; fi
# `npm run bench -- footprint`: bytes per session and token in Redis instead of throughput.
if [ "${1:-}" = "footprint" ]; then
  node --import tsx bench/redis-footprint.ts
  exit 0
fi
if [ -n "$PEERS" ]; then
  BENCH_KILL_LIST="$STATE/kill-on-exit" BENCH_PEER_STATE_DIR="$STATE" BENCH_COMMIT=$(git rev-parse --short HEAD 2>/dev/null || echo unknown) \
    taskset -c 1 node --import tsx bench/peers.ts
  exit 0
fi
# `npm run bench -- --node 24`: the servers (Latchkey and the ceilings) on Node 24, the runtime
# of the production image; the load generator stays on this Node.
if [ "${1:-}" = "--node" ]; then
  [ "${2:-}" = "$NODE_ALT_MAJOR" ] || { log "--node takes $NODE_ALT_MAJOR (the production image's Node)"; exit 1; }
  ensure_alt_node
  [ -n "$ALT_NODE" ] || { log "no Node $NODE_ALT_MAJOR build for this platform"; exit 1; }
  export BENCH_SERVER_NODE=$ALT_NODE
fi
BENCH_KILL_LIST="$STATE/kill-on-exit" BENCH_COMMIT=$(git rev-parse --short HEAD 2>/dev/null || echo unknown) taskset -c 1 node --import tsx bench/run-bench.ts
