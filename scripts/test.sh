#!/usr/bin/env bash
# The one test command (`npm test`): type-check, lint, audit dependencies, build, then every jest suite against a real
# Redis and a real MongoDB-protocol server, on this machine's Node and again on Node 24.
#
# Without REDIS_URL / REDIS_CLUSTER_URL / MONGODB_URI it provisions what is missing (Redis from
# apt, FerretDB from the Go module proxy), starts a Redis, a Redis Cluster of three masters and
# FerretDB on free loopback ports with throwaway data directories, and stops them on exit. With
# those variables set it uses the given servers instead (for example the MongoDB 7 and Redis 7
# of docker-compose.yml, and its redis-cluster profile).
set -euo pipefail

cd "$(dirname "$0")/.."
ROOT=$PWD
CACHE="${LATCHKEY_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/latchkey-test}"
STATE=$(mktemp -d "${TMPDIR:-/tmp}/latchkey-test.XXXXXX")
PIDS=()

log() { printf '[test] %s\n' "$*"; }

# shellcheck source=scripts/test-servers.sh
. "$ROOT/scripts/test-servers.sh"

RAN_JEST=0

cleanup() {
  local status=$?
  [ "$RAN_JEST" = 1 ] && summary
  for pid in "${PIDS[@]}"; do
    kill "$pid" 2>/dev/null || true
  done
  for pid in "${PIDS[@]}"; do
    wait "$pid" 2>/dev/null || true
  done
  [ "${#PIDS[@]}" -gt 0 ] && log "stopped the servers this run started"
  rm -rf "$STATE"
  exit "$status"
}
trap cleanup EXIT INT TERM


PASSED=0
FAILED=0

run_jest() {
  local node_bin=$1 results="$STATE/jest-$RANDOM.json" status=0
  log "jest on Node $("$node_bin" --version)"
  "$node_bin" --experimental-vm-modules node_modules/jest/bin/jest.js --ci --json --outputFile="$results" "${JEST_ARGS[@]}" || status=$?
  if [ -f "$results" ]; then
    read -r passed failed < <(node -e 'const r=require(process.argv[1]);console.log(r.numPassedTests, r.numFailedTests + r.numRuntimeErrorTestSuites)' "$results")
    PASSED=$((PASSED + passed))
    FAILED=$((FAILED + failed))
  fi
  return "$status"
}

summary() {
  [ -n "${AUDIT_LINE:-}" ] && echo "$AUDIT_LINE"
  # One closing line in the plain form CI reads: counts over every jest pass of this run.
  echo "tests: $PASSED passed, $FAILED failed"
}

JEST_ARGS=("$@")
ensure_node_modules

log "type-check and type-aware lint (npm run lint), dependency audit, build"
npm run --silent lint
# A skipped audit (endpoint unreachable) is repeated beside the closing line, so it is never read as a pass.
AUDIT_LINE=$(npm run --silent audit:deps)
echo "$AUDIT_LINE"
npm run --silent build

if [ -n "${REDIS_URL:-}" ]; then log "using Redis from REDIS_URL"; else start_redis; fi
if [ -n "${REDIS_CLUSTER_URL:-}" ]; then log "using the Redis Cluster from REDIS_CLUSTER_URL"; else start_redis_cluster; fi
if [ -n "${MONGODB_URI:-}" ]; then log "using MongoDB from MONGODB_URI"; else start_ferretdb; fi
# The store fault test starts, stops and kills servers of its own: it needs both binaries.
ensure_redis
if [ -z "${FERRETDB_BIN:-}" ] && command -v go >/dev/null 2>&1; then ensure_ferretdb; fi
export FERRETDB_BIN="${FERRETDB_BIN:-}" REDIS_SERVER_BIN="${REDIS_SERVER_BIN:-$(command -v redis-server || true)}"
ensure_chromium
export CHROMIUM_BIN
# The screenshots of every page state, at desktop and phone sizes: CI keeps this folder.
export SCREENSHOTS_DIR="${SCREENSHOTS_DIR:-$ROOT/test-artifacts/screenshots}"

RAN_JEST=1
run_jest node
if [ "${LATCHKEY_TEST_SKIP_ALT_NODE:-}" != "1" ]; then
  ensure_alt_node
  if [ -n "$ALT_NODE" ]; then
    run_jest "$ALT_NODE"
  else
    log "no Node $NODE_ALT_MAJOR build for $(uname -s)-$(uname -m); ran on $(node --version) only"
  fi
fi
log "all suites passed"
