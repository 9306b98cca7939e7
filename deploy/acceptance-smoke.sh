#!/usr/bin/env bash
# Post-deploy acceptance of the running release (deploy.sh runs it after the restart).
#
#   1. runtime checks with the production environment (`lx-annotate check`: schema, directories and
#      permission contract, nginx handoff, ffmpeg/tesseract, master key, role)
#   2. encrypted-storage round trip without plaintext on disk (`lx-annotate verify-encrypted-storage`)
#   3. watcher dry run (`lx-annotate watch --once --dry-run`)
#   4. nginx TLS and static handoff: https://<host>/static/.vite/manifest.json
#   5. the web process answers through nginx with the deployed version (https://<host>/healthz)
#
# SMOKE_HOST defaults to the host of BASE_URL (env file or environment). The request goes to
# SMOKE_CONNECT_ADDR (127.0.0.1) port SMOKE_HTTPS_PORT (443) with that host name for SNI and Host;
# SMOKE_CA_FILE verifies the certificate, otherwise it is not verified (self-signed hosts).
# SMOKE_WAIT_SECONDS (60) bounds the wait for the restarted web process.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
PROG=acceptance-smoke.sh
# shellcheck source=lib/common.sh
. "$HERE/lib/common.sh"

RELEASE_DIR="${RELEASE_DIR:-$(release_of current)}"
if [ -z "$RELEASE_DIR" ] || [ ! -d "$RELEASE_DIR" ]; then die "no release to check (RELEASE_DIR unset and $APP_DIR/current missing)"; fi
SMOKE_HTTPS_PORT="${SMOKE_HTTPS_PORT:-443}"
SMOKE_CONNECT_ADDR="${SMOKE_CONNECT_ADDR:-127.0.0.1}"
SMOKE_WAIT_SECONDS="${SMOKE_WAIT_SECONDS:-60}"

base_url="${BASE_URL:-$(env_file_value BASE_URL)}"
host="${SMOKE_HOST:-}"
if [ -z "$host" ]; then
  host="${base_url#*://}"
  host="${host%%/*}"
  host="${host%%:*}"
fi
[ -n "$host" ] || die "no host to check: set SMOKE_HOST or BASE_URL (in $ENV_FILE)"
command -v curl >/dev/null 2>&1 || die "curl is required (deploy/bootstrap-host.sh installs it)"

expected_version="$("$NODE_BIN" "$RELEASE_DIR/apps/server/bin/lx-annotate.js" --version)"
log "checking release $expected_version, host $host via $SMOKE_CONNECT_ADDR:$SMOKE_HTTPS_PORT"

log "1/5 runtime checks"
lx_release "$RELEASE_DIR" check || die "lx-annotate check reports a critical finding (listed above)"

log "2/5 encrypted storage round trip"
lx_release "$RELEASE_DIR" verify-encrypted-storage || die "encrypted storage round trip failed"

log "3/5 watcher dry run"
if lx_release "$RELEASE_DIR" watch --help >/dev/null 2>&1; then
  lx_release "$RELEASE_DIR" watch --once --dry-run || die "watcher dry run failed"
else
  log "SKIPPED: release $expected_version has no watch command"
fi

curl_https() {
  local path="$1"
  local -a tls=(--insecure)
  [ -n "${SMOKE_CA_FILE:-}" ] && tls=(--cacert "$SMOKE_CA_FILE")
  curl --fail --silent --show-error --max-time 20 "${tls[@]}" \
    --resolve "$host:$SMOKE_HTTPS_PORT:$SMOKE_CONNECT_ADDR" "https://$host:$SMOKE_HTTPS_PORT$path"
}

log "4/5 TLS static handoff"
manifest="$(curl_https /static/.vite/manifest.json)" || die "https://$host/static/.vite/manifest.json not served by nginx"
printf '%s' "$manifest" | "$NODE_BIN" -e '
  let text = ""; process.stdin.on("data", (c) => (text += c)).on("end", () => {
    const entry = JSON.parse(text)["src/main.ts"];
    if (!entry || typeof entry.file !== "string") { console.error("manifest has no src/main.ts entry"); process.exit(1); }
  });' || die "the served manifest is not a Vite manifest with src/main.ts"

log "5/5 web process through nginx"
deadline=$((SECONDS + SMOKE_WAIT_SECONDS))
served=""
while :; do
  health="$(curl_https /healthz 2>/dev/null)" || health=""
  served="$(printf '%s' "$health" | "$NODE_BIN" -e 'let t="";process.stdin.on("data",(c)=>(t+=c)).on("end",()=>{try{process.stdout.write(JSON.parse(t).version??"")}catch{}})')"
  [ "$served" = "$expected_version" ] && break
  [ "$SECONDS" -lt "$deadline" ] || die "https://$host/healthz did not report $expected_version within ${SMOKE_WAIT_SECONDS}s (last: '${served:-no answer}')"
  sleep 1
done

log "lx-annotate acceptance smoke passed."
