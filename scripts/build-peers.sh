#!/usr/bin/env bash
# Builds the identity providers `npm run bench -- --peers` compares Latchkey with, once, under
# $CACHE/peers/: ORY Hydra from the Go module proxy and Keycloak from Maven Central.
#
#   bash scripts/build-peers.sh [hydra] [keycloak]     (no argument: both)
#
# For each peer that is ready, prints one line on stdout that scripts/bench.sh reads:
#   hydra=<binary>   keycloak=<home directory>   keycloak_java_home=<JDK>
# Progress and errors go to stderr. Exits non-zero if any requested peer could not be built
# (offline, no Go, no JDK >= 21), after building the others.
set -euo pipefail
cd "$(dirname "$0")/.."
CACHE="${LATCHKEY_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/latchkey-test}"
PEERS="$CACHE/peers"
HYDRA_VERSION="${BENCH_HYDRA_VERSION:-v2.3.0}"
KEYCLOAK_VERSION="${BENCH_KEYCLOAK_VERSION:-26.7.3}"
MAVEN_CENTRAL="${BENCH_MAVEN_CENTRAL:-https://repo1.maven.org/maven2}"
# Build-time Keycloak options. dev-file: the embedded H2 database, the only one without a server.
# (The cache mode is a run-time option in Keycloak 26.7; bench/peer-servers.ts sets it.)
KEYCLOAK_BUILD_OPTIONS=(--db=dev-file)
log() { printf '[build-peers] %s\n' "$*" >&2; }

WORK=""
cleanup() { if [ -n "$WORK" ]; then rm -rf "$WORK"; fi; }
trap cleanup EXIT

# `go get -tool` / `go install` of Hydra fails: its go.mod replaces gobuffalo/pop with ory/pop,
# and Go ignores a dependency's replaces. So build the module itself, from its source in the
# module cache, where its own go.mod (and so the pop replace) applies.
build_hydra() {
  local dir="$PEERS/hydra-$HYDRA_VERSION" bin info src origin
  bin="$dir/hydra"
  if [ -x "$bin" ]; then
    echo "hydra=$bin"
    return 0
  fi
  if ! command -v go >/dev/null 2>&1; then
    log "Hydra: go is not installed; cannot build Hydra $HYDRA_VERSION"
    return 1
  fi
  if ! command -v gcc >/dev/null 2>&1 && ! command -v cc >/dev/null 2>&1; then
    log "Hydra: no C compiler; Hydra's SQLite driver (mattn/go-sqlite3) needs cgo"
    return 1
  fi
  log "Hydra: downloading github.com/ory/hydra/v2@$HYDRA_VERSION from the Go module proxy"
  if ! info=$(go mod download -json "github.com/ory/hydra/v2@$HYDRA_VERSION" 2>&1); then
    log "Hydra: cannot download github.com/ory/hydra/v2@$HYDRA_VERSION (offline, or GOPROXY unreachable?):"
    printf '%s\n' "$info" >&2
    return 1
  fi
  src=$(printf '%s' "$info" | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>{const j=JSON.parse(s);if(j.Error){console.error(j.Error);process.exit(1)}console.log(j.Dir)})') || {
    log "Hydra: the Go module proxy did not give the module source"
    return 1
  }
  origin=$(printf '%s' "$info" | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>console.log((JSON.parse(s).Origin||{}).Hash||"unknown"))')
  WORK=$(mktemp -d "${TMPDIR:-/tmp}/latchkey-build-hydra.XXXXXX")
  cp -r "$src" "$WORK/src"
  chmod -R u+w "$WORK/src"
  # The hydra-client-go replace points at ./internal/httpclient, a nested module that the module
  # zip leaves out, so the build cannot use it. Only the CLI's client commands (cmd/cmd_*_client.go
  # and friends) import hydra-client-go; the server does not. Without the replace they build
  # against the published hydra-client-go at the version go.mod requires (its go.sum has it).
  (cd "$WORK/src" && go mod edit -dropreplace=github.com/ory/hydra-client-go/v2)
  log "Hydra: compiling $HYDRA_VERSION with -tags sqlite,sqlite_omit_load_extension (several minutes on two slow cores)"
  mkdir -p "$dir"
  local ldflags="-X github.com/ory/hydra/v2/driver/config.Version=$HYDRA_VERSION -X github.com/ory/hydra/v2/driver/config.Commit=$origin"
  # -mod=mod: with the replace gone, go build stops at "missing go.sum entry" for the published
  # client; this lets it add the checksums (of a module it downloads from the same proxy).
  if ! (cd "$WORK/src" && CGO_ENABLED=1 GOFLAGS=-mod=mod go build -trimpath -tags sqlite,sqlite_omit_load_extension \
    -ldflags "$ldflags" -o "$bin.tmp" .) >&2; then
    log "Hydra: go build failed (see above)"
    rm -f "$bin.tmp"
    return 1
  fi
  mv "$bin.tmp" "$bin"
  rm -rf "$WORK"
  WORK=""
  log "Hydra: built $("$bin" version 2>/dev/null | head -1 | tr -s ' ')"
  echo "hydra=$bin"
}

# A JDK that can run Keycloak 26 (Java >= 21): BENCH_KEYCLOAK_JAVA_HOME, else JAVA_HOME, else
# the newest under /usr/lib/jvm. Debian's apt only has 17.
find_java_home() {
  local candidate major
  for candidate in "${BENCH_KEYCLOAK_JAVA_HOME:-}" "${JAVA_HOME:-}" $(ls -d /usr/lib/jvm/* 2>/dev/null | sort -rV); do
    [ -n "$candidate" ] && [ -x "$candidate/bin/java" ] || continue
    major=$("$candidate/bin/java" -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java.specification.version = \([0-9]*\).*/\1/p')
    if [ -n "$major" ] && [ "$major" -ge 21 ]; then
      echo "$candidate"
      return 0
    fi
  done
  return 1
}

build_keycloak() {
  local home="$PEERS/keycloak-$KEYCLOAK_VERSION" java_home stamp url zip expected actual
  stamp="$home/.latchkey-build"
  if ! java_home=$(find_java_home); then
    log "Keycloak: needs a JDK >= 21 (Debian's apt has 17); install one (e.g. Temurin 21 or 25) and set BENCH_KEYCLOAK_JAVA_HOME"
    return 1
  fi
  if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "${KEYCLOAK_BUILD_OPTIONS[*]}" ]; then
    echo "keycloak=$home"
    echo "keycloak_java_home=$java_home"
    return 0
  fi
  if [ ! -x "$home/bin/kc.sh" ]; then
    command -v unzip >/dev/null 2>&1 || { log "Keycloak: unzip is required"; return 1; }
    url="$MAVEN_CENTRAL/org/keycloak/keycloak-quarkus-dist/$KEYCLOAK_VERSION/keycloak-quarkus-dist-$KEYCLOAK_VERSION.zip"
    WORK=$(mktemp -d "${TMPDIR:-/tmp}/latchkey-build-keycloak.XXXXXX")
    zip="$WORK/keycloak.zip"
    log "Keycloak: downloading $url"
    if ! curl -fsSL --retry 2 -o "$zip" "$url" || ! expected=$(curl -fsSL --retry 2 "$url.sha1"); then
      log "Keycloak: cannot download keycloak-quarkus-dist $KEYCLOAK_VERSION from Maven Central (offline, or not published?)"
      return 1
    fi
    actual=$(sha1sum "$zip" | cut -d' ' -f1)
    if [ "$actual" != "${expected%% *}" ]; then
      log "Keycloak: checksum mismatch for $url (sha1 $actual, Maven Central says $expected)"
      return 1
    fi
    unzip -q "$zip" -d "$WORK"
    mkdir -p "$PEERS"
    rm -rf "$home"
    mv "$WORK/keycloak-$KEYCLOAK_VERSION" "$home"
    rm -rf "$WORK"
    WORK=""
  fi
  log "Keycloak: kc.sh build ${KEYCLOAK_BUILD_OPTIONS[*]} with $java_home"
  if ! JAVA_HOME="$java_home" PATH="$java_home/bin:$PATH" "$home/bin/kc.sh" build "${KEYCLOAK_BUILD_OPTIONS[@]}" >&2; then
    log "Keycloak: kc.sh build failed (see above)"
    return 1
  fi
  printf '%s' "${KEYCLOAK_BUILD_OPTIONS[*]}" > "$stamp"
  echo "keycloak=$home"
  echo "keycloak_java_home=$java_home"
}

wanted=("$@")
[ ${#wanted[@]} -gt 0 ] || wanted=(hydra keycloak)
status=0
for peer in "${wanted[@]}"; do
  case "$peer" in
    hydra) build_hydra || status=1 ;;
    keycloak) build_keycloak || status=1 ;;
    *) log "unknown peer '$peer' (hydra, keycloak)"; status=2 ;;
  esac
  cleanup
  WORK=""
done
exit "$status"
