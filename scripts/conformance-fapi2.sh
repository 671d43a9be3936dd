#!/usr/bin/env bash
# Runs the OpenID conformance suite's FAPI 2.0 Security Profile (Final) plan against this
# checkout's committed HEAD, on the harness in ../shared/conformance (whose run.sh knows the
# OpenID Connect plans only):
#
#   1. run.sh brings up FerretDB, Redis, Latchkey behind TLS, the suite and nginx (running its
#      short `config` plan) and, with KEEP=1, leaves them up;
#   2. this script makes two FAPI 2.0 clients (`clients create --profile fapi2`, private_key_jwt
#      with ES256 keys made here, kept under $CONF_DIR), writes the plan's configuration and
#      drives the plan with the harness's driver (headless Chromium signs in with password + TOTP);
#   3. it prints the harness's summary and stops the services run.sh started.
#
# usage: SUITE_REPO=<conformance-suite git dir> bash scripts/conformance-fapi2.sh
# env:   HARNESS (default ../shared/conformance beside this checkout), CONF_DIR, ONLY=<module regexp>,
#        and run.sh's own (JAVA_HOME, FRESH, ...). Results: $CONF_DIR/results-fapi2.json.
set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
HARNESS=${HARNESS:-$(cd "$REPO/../shared/conformance" 2>/dev/null && pwd || true)}
[ -n "$HARNESS" ] && [ -f "$HARNESS/run.sh" ] || { echo "conformance-fapi2.sh: the harness (run.sh) is not at ../shared/conformance; set HARNESS" >&2; exit 1; }
C=${CONF_DIR:-/tmp/latchkey-conformance}
ISSUER=https://localhost:${LATCHKEY_TLS_PORT:-9443}
SUITE_URL=https://localhost:${SUITE_TLS_PORT:-8443}
PLAN=fapi2-security-profile-final-test-plan
# private_key_jwt and DPoP (no mutual TLS here), OpenID Connect; the plan itself fixes unsigned
# PAR requests and plain responses.
VARIANT='{"fapi_profile":"plain_fapi","client_auth_type":"private_key_jwt","sender_constrain":"dpop","openid":"openid_connect","authorization_request_type":"simple"}'

log() { echo "== $(date +%H:%M:%S) $*"; }

stop_services() {
  local pidfile pid
  for pidfile in "$C"/pids/*.pid; do
    [ -f "$pidfile" ] || continue
    pid=$(cat "$pidfile")
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 1 30); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
    kill -9 "$pid" 2>/dev/null || true
    rm -f "$pidfile"
  done
}
trap stop_services EXIT

(cd "$REPO" && KEEP=1 bash "$HARNESS/run.sh" config)

# FAPI 2.0 (section 5.2.1) asks the server's TLS for 1.2 or later with BCP 195's cipher suites.
# The harness's nginx is Latchkey's TLS terminator here, as a deployment's proxy would be: give its
# Latchkey server what FAPI asks of one (README, "FAPI 2.0 for chosen clients"), then reload it.
NGINX_CONF=$C/nginx/nginx.conf
if ! grep -q 'ssl_protocols' "$NGINX_CONF"; then
  python3 - "$NGINX_CONF" "${LATCHKEY_TLS_PORT:-9443}" <<'EOF'
import sys
path, port = sys.argv[1], sys.argv[2]
conf = open(path).read()
listen = f"    listen 127.0.0.1:{port} ssl;\n"
if conf.count(listen) != 1:
    sys.exit(f"conformance-fapi2.sh: no single '{listen.strip()}' in {path}")
tls = ("    ssl_protocols TLSv1.2 TLSv1.3;\n"
       "    ssl_ciphers ECDHE-RSA-AES128-GCM-SHA256:ECDHE-RSA-AES256-GCM-SHA384:DHE-RSA-AES128-GCM-SHA256:DHE-RSA-AES256-GCM-SHA384;\n"
       "    ssl_prefer_server_ciphers on;\n")
open(path, 'w').write(conf.replace(listen, listen + tls))
EOF
  nginx -c "$NGINX_CONF" -s reload
  sleep 1
fi

set -a; . "$C/latchkey.env"; set +a
LK=$C/latchkey
lk() { (cd "$LK" && npx latchkey "$@" 2>> "$C/logs/latchkey-cli.log"); }
CB=$SUITE_URL/test/a/latchkey/callback

for n in 1 2; do
  # Made once per work directory; delete $C/fapi2-client*.json to make them afresh.
  if [ ! -s "$C/fapi2-client$n.json" ]; then
    # The suite signs client assertions and DPoP proofs with the private key; Latchkey gets the public half.
    (cd "$LK" && node --input-type=module -e "
      import { writeFileSync } from 'node:fs';
      import { exportJWK, generateKeyPair } from 'jose';
      const { publicKey, privateKey } = await generateKeyPair('ES256', { extractable: true });
      const kid = 'fapi2-client-$n';
      const meta = { kid, alg: 'ES256', use: 'sig' };
      writeFileSync('$C/fapi2-client$n.private.json', JSON.stringify({ keys: [{ ...(await exportJWK(privateKey)), ...meta }] }));
      writeFileSync('$C/fapi2-client$n.public.json', JSON.stringify({ keys: [{ ...(await exportJWK(publicKey)), ...meta }] }));
    ")
    # The plan sends the second client back to the callback with a query (FAPI 2.0 allows it).
    extra=()
    [ "$n" = 2 ] && extra=(--redirect-uri "$CB?dummy1=lorem&dummy2=ipsum")
    lk clients create --name "OIDF FAPI2 conformance $n" --redirect-uri "$CB" "${extra[@]}" --profile fapi2 \
      --grant-type authorization_code --grant-type refresh_token \
      --jwks-file "$C/fapi2-client$n.public.json" --scope "openid email profile offline_access" --json > "$C/fapi2-client$n.json" \
      || { rm -f "$C/fapi2-client$n.json"; echo "creating FAPI 2.0 client $n failed (log: $C/logs/latchkey-cli.log)" >&2; exit 1; }
  fi
done

python3 - "$C" "$ISSUER" <<'EOF'
import json, sys, urllib.request, ssl
C, issuer = sys.argv[1], sys.argv[2]
ld = lambda f: json.load(open(f'{C}/{f}'))
context = ssl._create_unverified_context()
discovery = json.load(urllib.request.urlopen(f'{issuer}/.well-known/openid-configuration', context=context))
def client(n):
    # offline_access: the plan's refresh-token module runs only when a refresh token is issued.
    return {"client_id": ld(f'fapi2-client{n}.json')["client_id"], "scope": "openid email profile offline_access",
            "jwks": ld(f'fapi2-client{n}.private.json'), "dpop_signing_alg": "ES256"}
json.dump({"alias": "latchkey", "description": "Latchkey, FAPI 2.0 clients (private_key_jwt, DPoP)",
           "server": {"discoveryUrl": f"{issuer}/.well-known/openid-configuration"},
           "client": client(1), "client2": client(2),
           # The protected resource the plan calls with the DPoP-bound access token: userinfo.
           "resource": {"resourceUrl": discovery["userinfo_endpoint"], "resourceMethod": "GET"}},
          open(f'{C}/config-fapi2.json', 'w'), indent=1)
EOF

# Two modules ask the person testing to deny, or to leave a sign-in page unanswered; a copy of
# the harness's driver does what they ask (scripts/conformance-driver-tester.py).
rm -rf "$C/driver-fapi2" && cp -r "$C/driver" "$C/driver-fapi2"
python3 "$REPO/scripts/conformance-driver-tester.py" "$C/driver-fapi2/run-plan.mjs"

log "plan $PLAN $VARIANT"
export NODE_TLS_REJECT_UNAUTHORIZED=0 SUITE_URL CONF_DIR=$C USERS_FILE=$C/users.json SHOTS_DIR=$C/shots CHROMIUM=${CHROMIUM:-$(command -v chromium)}
rm -f "$C/results-fapi2.json"
(cd "$C/driver-fapi2" && node run-plan.mjs "$PLAN" "$VARIANT" "$C/config-fapi2.json" "$C/results-fapi2.json" "${ONLY:-}" 2>&1) \
  | grep --line-buffered -v -e NODE_TLS_REJECT -e trace-warnings | tee "$C/logs/run-results-fapi2.log"
[ -s "$C/results-fapi2.json" ] || { echo "conformance-fapi2.sh: the driver produced no results (log: $C/logs/run-results-fapi2.log)" >&2; exit 3; }
log "summary"
python3 "$HARNESS/summarize.py" "$C/results-fapi2.json"
echo "results: $C/results-fapi2.json   logs: $C/logs"
