#!/usr/bin/env bash
# Deploys an lx-annotate release artifact (built by `npm run release`), or rolls back.
#
#   deploy/deploy.sh /tmp/lx-annotate-<version>.tar.gz
#   deploy/deploy.sh --rollback
#
# Releases live side by side in $APP_DIR/releases/<version>; $APP_DIR/current and
# $APP_DIR/previous are symlinks, switched atomically. Steps: verify and unpack the artifact,
# check that it runs on this host's Node.js, back up the database when migrations are pending,
# migrate with the NEW release (a failure stops here: nothing switched, nothing restarted),
# copy the web assets to $STATIC_ROOT, switch `current`, restart $SERVICE_NAME, then run
# acceptance-smoke.sh unless RUN_POST_DEPLOY_ACCEPTANCE=0.
#
# Environment (defaults in lib/common.sh): APP_DIR, STATE_DIR, DATA_DIR, STATIC_ROOT, ENV_FILE,
# SERVICE_NAME, SERVICE_USER, NODE_BIN, RUN_POST_DEPLOY_ACCEPTANCE, KEEP_RELEASES (5),
# PRE_DEPLOY_BACKUP (1), UNIT_DIR (/etc/systemd/system).
set -euo pipefail
umask 022

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
PROG=deploy.sh
# shellcheck source=lib/common.sh
. "$HERE/lib/common.sh"

KEEP_RELEASES="${KEEP_RELEASES:-5}"
PRE_DEPLOY_BACKUP="${PRE_DEPLOY_BACKUP:-1}"
UNIT_DIR="${UNIT_DIR:-/etc/systemd/system}"
RELEASES="$APP_DIR/releases"

usage() {
  printf 'usage: %s <lx-annotate-<version>.tar.gz> | --rollback\n' "$PROG" >&2
  exit 1
}

systemctl_do() {
  if ! command -v systemctl >/dev/null 2>&1; then
    log "WARNING: systemctl not found; run 'systemctl $*' yourself"
    return 0
  fi
  # fd 9 holds the deploy lock; nothing systemctl starts may keep it.
  if is_root; then systemctl "$@" 9>&-; else sudo -n systemctl "$@" 9>&-; fi
}

# Creates a missing directory with its contract mode; existing ones keep the operator's choice.
ensure_dir() {
  local dir="$1" mode="$2" owner="$3"
  [ -d "$dir" ] && return 0
  mkdir -p "$dir"
  chmod "$mode" "$dir"
  if [ "$owner" = service ] && is_root && [ "$SERVICE_USER" != root ]; then
    chown "$SERVICE_USER:$(id -gn "$SERVICE_USER")" "$dir"
  fi
  log "created $dir ($mode)"
}

prepare_runtime_dirs() {
  ensure_dir "$STATE_DIR" 0750 service
  ensure_dir "$DATA_DIR" 0750 service
  ensure_dir "$STATIC_ROOT" 0775 service
}

# Points $APP_DIR/<name> at <target> with one rename, so no reader ever sees it missing.
point() {
  local name="$1" target="$2"
  ln -s "$target" "$APP_DIR/.$name.$$"
  mv -Tf "$APP_DIR/.$name.$$" "$APP_DIR/$name"
}

# Mirrors the release's web assets into $STATIC_ROOT (the previous set stays as .previous).
sync_static() {
  local release="$1"
  if [ ! -d "$release/staticfiles" ]; then
    log "release carries no web assets; $STATIC_ROOT left unchanged"
    return 0
  fi
  local incoming="$STATIC_ROOT.incoming.$$"
  rm -rf "$incoming"
  cp -R "$release/staticfiles" "$incoming"
  chmod 0775 "$incoming"
  if is_root && [ "$SERVICE_USER" != root ]; then chown -R "$SERVICE_USER:$(id -gn "$SERVICE_USER")" "$incoming"; fi
  if [ -d "$STATIC_ROOT" ]; then
    rm -rf "$STATIC_ROOT.previous"
    mv -T "$STATIC_ROOT" "$STATIC_ROOT.previous"
  fi
  mv -T "$incoming" "$STATIC_ROOT"
  ln -sfn "$STATIC_ROOT" "$APP_DIR/staticfiles"
  log "web assets of $(basename "$release") in $STATIC_ROOT"
}

restart_services() {
  log "restarting $SERVICE_NAME (watcher and workers are PartOf= it)"
  systemctl_do restart "$SERVICE_NAME"
}

# Unit files are installed by the operator; say when the release ships different ones.
report_unit_drift() {
  local release="$1" unit name
  for unit in "$release"/deploy/*.service "$release"/deploy/*.path; do
    [ -f "$unit" ] || continue
    name="$(basename "$unit")"
    if [ -f "$UNIT_DIR/$name" ] && ! cmp -s "$unit" "$UNIT_DIR/$name"; then
      log "NOTE: $UNIT_DIR/$name differs from the release's deploy/$name; review it, copy it, then systemctl daemon-reload"
    fi
  done
}

run_acceptance() {
  local release="$1"
  if [ "$RUN_POST_DEPLOY_ACCEPTANCE" = "0" ]; then
    log "acceptance smoke skipped (RUN_POST_DEPLOY_ACCEPTANCE=0)"
    return 0
  fi
  if ! RELEASE_DIR="$release" bash "$release/deploy/acceptance-smoke.sh"; then
    die "acceptance smoke FAILED for $(basename "$release"), which is now running; '$HERE/deploy.sh --rollback' returns to $(basename "$(release_of previous)")"
  fi
}

prune_releases() {
  local current previous kept=0 stamp name
  current="$(release_of current)"
  previous="$(release_of previous)"
  while read -r stamp name; do
    [ -n "$name" ] || continue
    : "$stamp"
    if [ "$RELEASES/$name" = "$current" ] || [ "$RELEASES/$name" = "$previous" ]; then continue; fi
    kept=$((kept + 1))
    if [ "$kept" -gt "$((KEEP_RELEASES - 2))" ]; then
      rm -rf "${RELEASES:?}/$name"
      log "removed old release $name"
    fi
  done < <(find "$RELEASES" -mindepth 1 -maxdepth 1 -type d ! -name '.*' -printf '%T@ %f\n' | sort -rn)
}

migration_failed() {
  local version="$1" current="$2" backup="$3"
  cat >&2 <<EOF
[$PROG] ERROR: lx-annotate migrate failed for release $version. Nothing was switched or restarted.
[$PROG] The running release is still ${current:-(none)}; $APP_DIR/current is unchanged.
[$PROG] Recovery (rehearse it outside production first):
[$PROG]   1. Read the migration error above; check the database and its locks:
[$PROG]        $HERE/lx-annotate.sh migrate --status
[$PROG]   2. If the database was changed, stop $SERVICE_NAME and restore it${backup:+ from the pre-deploy backup}:
[$PROG]        ${backup:+$HERE/lx-annotate.sh restore $backup --force}${backup:-(your backup/restore policy; $HERE/lx-annotate.sh restore <backup dir> --force)}
[$PROG]   3. Keep the current release, or deploy a fixed artifact (the failed one was removed).
[$PROG]   4. Restart $SERVICE_NAME only after 'lx-annotate check' is green again.
EOF
  exit 1
}

deploy() {
  local artifact="$1"
  [ -f "$artifact" ] || die "artifact not found: $artifact"
  artifact="$(cd "$(dirname "$artifact")" && pwd)/$(basename "$artifact")"
  command -v "$NODE_BIN" >/dev/null 2>&1 || [ -x "$NODE_BIN" ] || die "Node.js not found at $NODE_BIN (run deploy/bootstrap-host.sh or set NODE_BIN)"

  if [ -f "$artifact.sha256" ]; then
    (cd "$(dirname "$artifact")" && sha256sum --check --status "$(basename "$artifact").sha256") || die "checksum mismatch: $artifact does not match $artifact.sha256"
    log "checksum ok"
  fi

  mkdir -p "$RELEASES"
  local incoming
  incoming="$(mktemp -d "$RELEASES/.incoming.XXXXXX")"
  # shellcheck disable=SC2064 # the path is fixed now, on purpose
  trap "rm -rf '$incoming'" EXIT
  tar -xzf "$artifact" -C "$incoming" --no-same-owner
  local unpacked
  unpacked="$(find "$incoming" -mindepth 1 -maxdepth 1 -type d)"
  if [ "$(printf '%s\n' "$unpacked" | wc -l)" -ne 1 ] || [ ! -f "$unpacked/RELEASE.json" ]; then
    die "$artifact is not an lx-annotate release (no single top directory with RELEASE.json)"
  fi

  local version release_abi host_abi
  version="$("$NODE_BIN" -p 'JSON.parse(require("fs").readFileSync(process.argv[1], "utf8")).version' "$unpacked/RELEASE.json")"
  [[ "$version" =~ ^[0-9A-Za-z][0-9A-Za-z.+_-]*$ ]] || die "unusable release version '$version'"
  release_abi="$("$NODE_BIN" -p 'JSON.parse(require("fs").readFileSync(process.argv[1], "utf8")).node.abi' "$unpacked/RELEASE.json")"
  host_abi="$("$NODE_BIN" -p 'process.versions.modules')"
  [ "$release_abi" = "$host_abi" ] || die "release $version was built for Node.js ABI $release_abi, this host's $NODE_BIN has ABI $host_abi ($("$NODE_BIN" --version)); install the Node.js major the release was built with"

  local target="$RELEASES/$version" current
  current="$(release_of current)"
  [ "$target" != "$current" ] || die "release $version is already current; to restart it: systemctl restart $SERVICE_NAME"
  rm -rf "$target"
  mv -T "$unpacked" "$target"
  rm -rf "$incoming"
  trap - EXIT
  log "unpacked $version into $target"

  local printed
  printed="$("$NODE_BIN" "$target/apps/server/bin/lx-annotate.js" --version)" || printed="(does not run)"
  if [ "$printed" != "$version" ]; then
    rm -rf "$target"
    die "release $version does not run on this host (it reports '$printed')"
  fi

  prepare_runtime_dirs

  # Migrations: status first, so a database with pending migrations is backed up before they run.
  local status rc=0 backup=""
  status="$(lx_release "$target" migrate --status 2>&1)" || rc=$?
  if [ "$rc" -eq 2 ]; then
    printf '%s\n' "$status" >&2
    rm -rf "$target"
    die "configuration error (see above); fix $ENV_FILE and deploy again"
  fi
  if [ "$rc" -ne 0 ] && [ "$PRE_DEPLOY_BACKUP" = "1" ] && ! printf '%s\n' "$status" | grep -q '^applied: (none)$'; then
    ensure_dir "$STATE_DIR/backups" 0700 service
    backup="$STATE_DIR/backups/pre-deploy-$version-$(date -u +%Y%m%dT%H%M%SZ)"
    log "pending migrations: backing up the database to $backup"
    lx_release "$target" backup "$backup" --database-only || { rm -rf "$target"; die "pre-deploy database backup failed; nothing changed"; }
  fi
  log "migrating with $version"
  if ! lx_release "$target" migrate --noinput; then
    rm -rf "$target"
    migration_failed "$version" "$(basename "${current:-}")" "$backup"
  fi

  sync_static "$target"
  if [ -n "$current" ]; then point previous "releases/$(basename "$current")"; fi
  point current "releases/$version"
  log "current -> releases/$version${current:+ (previous: $(basename "$current"))}"
  report_unit_drift "$target"
  restart_services
  prune_releases
  run_acceptance "$target"
  log "Deployment complete."
}

rollback() {
  local previous current status rc=0
  previous="$(release_of previous)"
  current="$(release_of current)"
  if [ -z "$previous" ] || [ ! -d "$previous" ]; then die "no previous release recorded in $APP_DIR/previous; nothing to roll back to"; fi
  log "rolling back from $(basename "$current") to $(basename "$previous")"
  status="$(lx_release "$previous" migrate --status 2>&1)" || rc=$?
  if printf '%s\n' "$status" | grep -q '^unknown'; then
    printf '%s\n' "$status" >&2
    die "the database carries migrations of $(basename "$current") that $(basename "$previous") does not know; restore the matching pre-deploy backup first (RELEASE_DIR=$previous $HERE/lx-annotate.sh restore $STATE_DIR/backups/pre-deploy-$(basename "$current")-<time> --force), then roll back again"
  fi
  [ "$rc" -ne 2 ] || { printf '%s\n' "$status" >&2; die "configuration error (see above)"; }
  if [ "$rc" -ne 0 ]; then
    lx_release "$previous" migrate --noinput || die "migrating for $(basename "$previous") failed; nothing was switched"
  fi
  sync_static "$previous"
  point current "releases/$(basename "$previous")"
  if [ -n "$current" ]; then point previous "releases/$(basename "$current")"; fi
  restart_services
  run_acceptance "$previous"
  log "Rollback complete: current is $(basename "$previous")."
}

[ "$#" -eq 1 ] || usage
mkdir -p "$APP_DIR"
# One deploy at a time.
exec 9>"$APP_DIR/.deploy.lock"
flock -n 9 || die "another deploy.sh is running ($APP_DIR/.deploy.lock)"
case "$1" in
  --rollback) rollback ;;
  -h | --help) usage ;;
  -*) usage ;;
  *) deploy "$1" ;;
esac
