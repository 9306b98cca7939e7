#!/usr/bin/env bash
# Prepares a Debian/Ubuntu host for lx-annotate release artifacts (run as root):
#   - media and OCR binaries the readiness check requires: ffmpeg (with ffprobe), tesseract-ocr
#     with the eng and deu language data
#   - nginx and openssl (TLS, static assets, protected media handoff), curl (acceptance smoke)
#   - postgresql-client (pg_dump/pg_restore/psql for `lx-annotate backup` and `restore`)
#   - the C/C++ runtime of the bundled native addons (better-sqlite3, sharp)
#   - Node.js: the distribution's package when it is at least the supported version, otherwise a
#     clear message (the artifact bundles every npm dependency, but not Node.js itself)
#   - the service user `lx-annotate` (home /var/lib/lx-annotate) and nginx in its group
# The original's libgl1/libglib2.0-0/libxcb1 served OpenCV; nothing here needs them.
# Treat ffmpeg and tesseract updates as deployment changes: review, and hold them if needed.
set -euo pipefail

PROG=bootstrap-host.sh
NODE_MIN_VERSION="${NODE_MIN_VERSION:-20.19.0}"
SERVICE_USER="${SERVICE_USER:-lx-annotate}"
STATE_DIR="${STATE_DIR:-/var/lib/lx-annotate}"
NGINX_USER="${NGINX_USER:-www-data}"

log() { printf '[%s] %s\n' "$PROG" "$*"; }
die() { printf '[%s] ERROR: %s\n' "$PROG" "$*" >&2; exit 1; }

command -v apt-get >/dev/null 2>&1 || die "apt-get not found: this script supports Debian and Ubuntu hosts only"
[ "$(id -u)" -eq 0 ] || die "run as root (sudo $0)"

PACKAGES=(
  ffmpeg
  tesseract-ocr tesseract-ocr-eng tesseract-ocr-deu
  nginx openssl ca-certificates curl
  postgresql-client
  libstdc++6
  tar gzip coreutils util-linux
)

export DEBIAN_FRONTEND=noninteractive
log "installing: ${PACKAGES[*]}"
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${PACKAGES[@]}"

version_ok() { dpkg --compare-versions "$1" ge "$NODE_MIN_VERSION"; }

node_version=""
if command -v node >/dev/null 2>&1; then node_version="$(node --version | sed 's/^v//')"; fi
if [ -n "$node_version" ] && version_ok "$node_version"; then
  log "Node.js $node_version at $(command -v node)"
else
  candidate="$(apt-cache policy nodejs 2>/dev/null | sed -n 's/^ *Candidate: *//p' | sed 's/^[0-9]*://; s/[-~+].*$//')"
  if [ -n "$candidate" ] && [ "$candidate" != "(none)" ] && version_ok "$candidate"; then
    log "installing the distribution's nodejs $candidate"
    apt-get install -y -qq --no-install-recommends nodejs
  else
    die "Node.js >= $NODE_MIN_VERSION is required (found: ${node_version:-none}; distribution offers: ${candidate:-none}).
  Install Node.js 20 LTS (the major the release artifact was built with, see RELEASE.json) from NodeSource
  (https://deb.nodesource.com) or your distribution's backports so that /usr/bin/node is that version, then run this script again."
  fi
fi
[ -x /usr/bin/node ] || log "NOTE: the systemd units call /usr/bin/node; node is at $(command -v node): adjust ExecStart= or link it"

for lang in eng deu; do
  [ -f "/usr/share/tesseract-ocr/5/tessdata/$lang.traineddata" ] || log "NOTE: $lang.traineddata is not under /usr/share/tesseract-ocr/5/tessdata; set TESSDATA_PREFIX in .env.systemd"
done

if ! id -u "$SERVICE_USER" >/dev/null 2>&1; then
  useradd --system --home "$STATE_DIR" --create-home --shell /usr/sbin/nologin "$SERVICE_USER"
  log "created service user $SERVICE_USER (home $STATE_DIR)"
fi
install -d -m 0750 -o "$SERVICE_USER" -g "$SERVICE_USER" "$STATE_DIR"
if id -u "$NGINX_USER" >/dev/null 2>&1; then
  usermod -aG "$SERVICE_USER" "$NGINX_USER"
  log "$NGINX_USER is in group $SERVICE_USER (reads protected media and static assets through the group only)"
fi

log "host ready. Next: create $STATE_DIR/.env.systemd from deploy/.env.systemd.example, install the units and the nginx site, then deploy/deploy.sh <artifact>"
