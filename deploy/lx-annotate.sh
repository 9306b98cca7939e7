#!/usr/bin/env bash
# Runs `lx-annotate <command>` of the current release the way the systemd units run it: as the
# service user, with the units' default environment and the env file on top. For operators:
#   sudo /home/lx-annotate/lx-annotate-wheel/current/deploy/lx-annotate.sh check
#   sudo .../deploy/lx-annotate.sh backup /var/backups/lx-annotate/$(date -u +%F)
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
PROG=lx-annotate.sh
# shellcheck source=lib/common.sh
. "$HERE/lib/common.sh"

release="${RELEASE_DIR:-$(release_of current)}"
if [ -z "$release" ] || [ ! -d "$release" ]; then die "no current release under $APP_DIR (deploy one with deploy.sh)"; fi
lx_release "$release" "$@"
