# shellcheck shell=bash
# Shared by deploy.sh and acceptance-smoke.sh: the path defaults of the
# original deployment (overridable from the environment) and how the CLI of a release is run.
# Sourced, never executed. No shell tracing anywhere: the env file holds secrets.

APP_DIR="${APP_DIR:-/home/lx-annotate/lx-annotate-wheel}"
STATE_DIR="${STATE_DIR:-/var/lib/lx-annotate}"
DATA_DIR="${DATA_DIR:-$STATE_DIR/data}"
STATIC_ROOT="${STATIC_ROOT:-$STATE_DIR/staticfiles}"
ENV_FILE="${ENV_FILE:-$STATE_DIR/.env.systemd}"
SERVICE_NAME="${SERVICE_NAME:-lx-annotate.service}"
SERVICE_USER="${SERVICE_USER:-lx-annotate}"
NODE_BIN="${NODE_BIN:-/usr/bin/node}"
TESSDATA_PREFIX_DEFAULT="/usr/share/tesseract-ocr/5/tessdata"
RUN_POST_DEPLOY_ACCEPTANCE="${RUN_POST_DEPLOY_ACCEPTANCE:-1}"

PROG="${PROG:-$(basename "$0")}"

log() {
  printf '[%s] %s\n' "$PROG" "$*"
}

die() {
  printf '[%s] ERROR: %s\n' "$PROG" "$*" >&2
  exit 1
}

is_root() {
  [ "$(id -u)" -eq 0 ]
}

# Runs a command as the service user when we are root and the service user is another account,
# so that files the CLI creates (database, directories) belong to the services.
as_service_user() {
  if is_root && [ "$SERVICE_USER" != "root" ] && [ "$SERVICE_USER" != "$(id -un)" ]; then
    id -u "$SERVICE_USER" >/dev/null 2>&1 || die "service user $SERVICE_USER does not exist (useradd --system --home $STATE_DIR lx-annotate, or set SERVICE_USER)"
    runuser -u "$SERVICE_USER" -- "$@"
  else
    "$@"
  fi
}

# The value of NAME in the env file (last assignment wins), without `export ` and surrounding quotes.
# The file is parsed, never sourced: it is data, not code.
env_file_value() {
  local name="$1" line value=""
  [ -r "$ENV_FILE" ] || return 0
  while IFS= read -r line || [ -n "$line" ]; do
    line="${line#"${line%%[![:space:]]*}"}"
    line="${line#export }"
    case "$line" in
      "$name="*) value="${line#"$name="}" ;;
    esac
  done <"$ENV_FILE"
  value="${value%"${value##*[![:space:]]}"}"
  case "$value" in
    \"*\") value="${value#\"}"; value="${value%\"}" ;;
    \'*\') value="${value#\'}"; value="${value%\'}" ;;
  esac
  printf '%s' "$value"
}

env_file_defines() {
  [ -n "$(env_file_value "$1")" ]
}

# Runs `lx-annotate <args>` of the release in $1 the way the systemd units run it: a clean
# environment with the units' Environment= defaults, the env file on top (same names win).
lx_release() {
  local release="$1"
  shift
  local -a env=(PATH="/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin" HOME="$STATE_DIR" LANG=C.UTF-8)
  [ -r "$ENV_FILE" ] && env+=(LX_ANNOTATE_ENV_FILE="$ENV_FILE")
  env_file_defines LX_ANNOTATE_ENCRYPTED_DATA_DIR || env+=(LX_ANNOTATE_ENCRYPTED_DATA_DIR="$DATA_DIR")
  env_file_defines DJANGO_STATIC_ROOT || env+=(DJANGO_STATIC_ROOT="$STATIC_ROOT")
  env_file_defines TESSDATA_PREFIX || env+=(TESSDATA_PREFIX="$TESSDATA_PREFIX_DEFAULT")
  # Relative paths mean the caller's directory, unless the service user may not enter it: then /.
  local dir=/
  if as_service_user test -x "$PWD" 2>/dev/null; then dir="$PWD"; fi
  (cd "$dir" && as_service_user env -i "${env[@]}" "$NODE_BIN" "$release/apps/server/bin/lx-annotate.js" "$@")
}

# The release directory a symlink under $APP_DIR points at, or nothing.
release_of() {
  local link="$APP_DIR/$1"
  [ -L "$link" ] || return 0
  local target
  target="$(readlink "$link")"
  case "$target" in
    /*) printf '%s' "$target" ;;
    *) printf '%s/%s' "$APP_DIR" "$target" ;;
  esac
}
