#!/usr/bin/env bash
# modelship VM startup script. Shipped as the instance metadata key `startup-script` (rendered by
# infra/vm/metadata.ts) and run as root by google-startup-scripts.service on every boot:
#
#   startup.sh          install the deploy watcher (modelship-watcher.service) first, then converge: ensure
#                       Docker (+ the NVIDIA stack when the VM has a GPU), write the deployment's files from
#                       instance metadata to /opt/modelship, pull and start the stack, wait until healthy.
#   startup.sh watch    the deploy watcher: retries a failed converge with backoff until it succeeds, then
#                       long-polls the metadata and converges again, in place, whenever a `pulumi up` changes
#                       the compose files, image digests or settings.
#
# A first boot meets transient failures: the new service account's registry permission is not propagated
# yet (403 for minutes), Ubuntu's first-boot updater holds the apt lock, a mirror or registry hiccups. Every
# network step retries a bounded number of times; past that, the watcher (installed before anything can
# fail) starts the whole converge again, with backoff, until it works. No reboot needed.
#
# Idempotent: a second run changes nothing. One timestamped log line per step (read them with
# `journalctl -u google-startup-scripts` and `journalctl -u modelship-watcher`).
#
# For tests only (the rehearsal in test/vm), endpoints and OS-level steps can be overridden by env:
#   MODELSHIP_METADATA_URL   metadata server base (default http://metadata.google.internal/computeMetadata/v1)
#   MODELSHIP_ROOT           deployment directory (default /opt/modelship)
#   MODELSHIP_SKIP_INSTALL=1 never install OS packages (Docker, NVIDIA driver and toolkit)
#   MODELSHIP_NO_SYSTEMD=1   run the watcher as a background process (pid in $MODELSHIP_ROOT/.state/watcher.pid)
#   MODELSHIP_SECRETS_URL    Secret Manager API base (default https://secretmanager.googleapis.com/v1)
#   MODELSHIP_RETRY_ATTEMPTS attempts of each network step (default 5)
#   MODELSHIP_RETRY_DELAY    seconds before the first retry, doubling after each (default 5)
#   MODELSHIP_WATCH_BACKOFF  the watcher's first wait after a failed deploy, in seconds (default 1, doubling
#                            up to 60)
#   COMPOSE_PROJECT_NAME     compose project (default modelship)
set -euo pipefail

METADATA_URL=${MODELSHIP_METADATA_URL:-http://metadata.google.internal/computeMetadata/v1}
ROOT=${MODELSHIP_ROOT:-/opt/modelship}
SKIP_INSTALL=${MODELSHIP_SKIP_INSTALL:-0}
NO_SYSTEMD=${MODELSHIP_NO_SYSTEMD:-0}
HEALTH_TIMEOUT=${MODELSHIP_HEALTH_TIMEOUT:-900}
SECRETS_URL=${MODELSHIP_SECRETS_URL:-https://secretmanager.googleapis.com/v1}
RETRY_ATTEMPTS=${MODELSHIP_RETRY_ATTEMPTS:-5}
RETRY_DELAY=${MODELSHIP_RETRY_DELAY:-5}
WATCH_BACKOFF=${MODELSHIP_WATCH_BACKOFF:-1}
# the watcher's longest wait before it retries a failed deploy by itself
WATCH_BACKOFF_MAX=$((WATCH_BACKOFF > 60 ? WATCH_BACKOFF : 60))
STATE=$ROOT/.state
export COMPOSE_PROJECT_NAME=${COMPOSE_PROJECT_NAME:-modelship}
# registry credentials live with the deployment instead of in root's home
export DOCKER_CONFIG=$ROOT/.docker

log() { printf '%s modelship: %s\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$*"; }
die() { log "ERROR: $*"; exit 1; }

# Runs "$@" up to RETRY_ATTEMPTS times, waiting RETRY_DELAY seconds, then twice as long after each failure.
# $1 names the step for the log. For the network steps of a deploy, whose failures are mostly transient.
retry() {
  local what=$1 attempt=1 delay=$RETRY_DELAY
  shift
  until "$@"; do
    if [ "$attempt" -ge "$RETRY_ATTEMPTS" ]; then
      log "$what: failed $attempt times"
      return 1
    fi
    log "$what: attempt $attempt failed; retrying in ${delay}s"
    sleep "$delay"
    attempt=$((attempt + 1)) delay=$((delay * 2))
  done
}

# Runs "$@" in a subshell that stops at the first failing command, and returns its status. (Inside `if`,
# `&&` or `||`, bash ignores `set -e` even in a subshell, so a failed step would not stop the deploy.)
attempt() {
  set +e
  (
    set -e
    "$@"
  )
  ATTEMPT_STATUS=$?
  set -e
}

# --- metadata -----------------------------------------------------------------------------------

metadata() { # $1: path below the metadata base
  curl -fsS --retry 5 --retry-connrefused --retry-delay 2 --max-time 30 \
    -H 'Metadata-Flavor: Google' "$METADATA_URL/$1"
}

# Writes file $1 from stdin when the content differs (atomically, mode $2); returns 0 when it changed.
write_if_changed() {
  local tmp
  tmp=$(mktemp "$1.XXXXXX")
  cat >"$tmp"
  if cmp -s "$tmp" "$1"; then rm -f "$tmp"; return 1; fi
  chmod "${2:-644}" "$tmp"
  mv -f "$tmp" "$1"
}

# Writes attribute $1 to file $2 (mode $3) and counts it in FILES_CHANGED when it changed. A metadata
# error stops the run before anything is overwritten.
sync_attribute() {
  local tmp
  tmp=$(mktemp "$STATE/attr.XXXXXX")
  metadata "instance/attributes/$1" >"$tmp" || { rm -f "$tmp"; die "metadata: cannot read attribute $1"; }
  if write_if_changed "$2" "${3:-644}" <"$tmp"; then FILES_CHANGED=$((FILES_CHANGED + 1)); fi
  rm -f "$tmp"
}

# Copies the deployment's files and settings from metadata into $ROOT; sets FILES_CHANGED.
sync_files() {
  local key path mode list
  FILES_CHANGED=0
  mkdir -p "$ROOT/bin" "$STATE"
  list=$(metadata instance/attributes/modelship-files) || die "metadata: cannot read attribute modelship-files"
  while read -r key path; do
    [ -n "$key" ] || continue
    case "$path" in
      /* | *..* | *[!A-Za-z0-9._/-]*) die "metadata: modelship-files: refusing path '$path'" ;;
    esac
    mkdir -p "$ROOT/$(dirname "$path")"
    mode=644
    [ "$path" = .env ] && mode=600 # holds the basic-auth hash
    sync_attribute "$key" "$ROOT/$path" "$mode"
  done <<<"$list"
  for key in modelship-compose-files modelship-compose-gpu-files modelship-registry modelship-gpu \
    modelship-version modelship-basic-auth-secret; do
    sync_attribute "$key" "$STATE/$key"
  done
  # this script itself: the watcher runs the installed copy
  sync_attribute startup-script "$ROOT/bin/modelship-vm" 755
}

setting() { cat "$STATE/$1"; }

env_value() { # $1: variable name in $ROOT/.env (values are single-quoted by metadata.ts)
  sed -n "s/^$1='\(.*\)'\$/\1/p" "$ROOT/.env"
}

# --- OS packages --------------------------------------------------------------------------------

# Ubuntu's first boot runs unattended-upgrades, which holds the dpkg lock for a while: wait for it (up to
# 10 min) instead of failing; a mirror that fails a fetch is retried.
apt_get() {
  DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 -o Acquire::Retries=3 -qq "$@" >/dev/null
}

apt_install() {
  [ "$SKIP_INSTALL" = 1 ] && { log "install: skipped ($*), MODELSHIP_SKIP_INSTALL=1"; return 1; }
  log "install: apt-get install $*"
  retry "install: apt-get update" apt_get update &&
    retry "install: apt-get install $*" apt_get install -y --no-install-recommends "$@"
}

ensure_docker() {
  if ! command -v docker >/dev/null 2>&1; then
    apt_install docker.io || die "docker: not installed and could not be installed"
  fi
  if ! docker compose version >/dev/null 2>&1; then
    # Ubuntu names the Compose v2 plugin docker-compose-v2; Debian (trixie+) ships it as docker-compose
    apt_install docker-compose-v2 || apt_install docker-compose || true
    docker compose version >/dev/null 2>&1 || die "docker: the Compose v2 plugin is missing"
  fi
  if ! docker info >/dev/null 2>&1; then
    systemctl enable --now docker >/dev/null 2>&1 || true
    docker info >/dev/null 2>&1 || die "docker: the engine does not answer"
  fi
  log "docker: $(docker version --format 'engine {{.Server.Version}}'), $(docker compose version --short 2>/dev/null || echo compose)"
}

# --- GPU ----------------------------------------------------------------------------------------

GPU_PROBLEM=""
FILES_CHANGED=0

# Driver, container toolkit and Docker's nvidia runtime. Sets GPU_PROBLEM when something is missing.
ensure_gpu_stack() {
  if ! command -v nvidia-smi >/dev/null 2>&1; then
    if [ -x /opt/deeplearning/install-driver.sh ]; then
      log "gpu: installing the NVIDIA driver (Deep Learning VM installer)"
      [ "$SKIP_INSTALL" = 1 ] || /opt/deeplearning/install-driver.sh >/dev/null 2>&1 || true
    elif apt_install ubuntu-drivers-common; then
      log "gpu: installing the NVIDIA driver (ubuntu-drivers)"
      ubuntu-drivers install --gpgpu >/dev/null 2>&1 || true
    fi
  fi
  if ! command -v nvidia-smi >/dev/null 2>&1; then GPU_PROBLEM="no NVIDIA driver (nvidia-smi not found)"; return; fi
  if ! nvidia-smi -L >/dev/null 2>&1; then GPU_PROBLEM="nvidia-smi fails: $(nvidia-smi 2>&1 | head -n 1)"; return; fi
  log "gpu: $(nvidia-smi --query-gpu=name,driver_version --format=csv,noheader | head -n 1)"
  if ! command -v nvidia-ctk >/dev/null 2>&1; then
    if add_nvidia_toolkit_repo; then apt_install nvidia-container-toolkit || true; fi
  fi
  if ! command -v nvidia-ctk >/dev/null 2>&1; then GPU_PROBLEM="the NVIDIA container toolkit is missing"; return; fi
  if [[ "$(docker info --format '{{json .Runtimes}}')" != *nvidia* ]]; then
    log "gpu: configuring Docker's nvidia runtime"
    if ! nvidia-ctk runtime configure --runtime=docker >/dev/null || ! systemctl restart docker; then
      GPU_PROBLEM="configuring Docker's nvidia runtime failed"
      return
    fi
  fi
}

add_nvidia_toolkit_repo() {
  [ "$SKIP_INSTALL" = 1 ] && return 1
  [ -f /etc/apt/sources.list.d/nvidia-container-toolkit.list ] && return 0
  log "gpu: adding NVIDIA's container toolkit apt repository"
  retry "gpu: NVIDIA's repository" fetch_nvidia_toolkit_repo
}

fetch_nvidia_toolkit_repo() {
  local list
  curl -fsSL --max-time 60 https://nvidia.github.io/libnvidia-container/gpgkey |
    gpg --dearmor --yes -o /usr/share/keyrings/nvidia-container-toolkit-keyring.gpg || return 1
  list=$(curl -fsSL --max-time 60 https://nvidia.github.io/libnvidia-container/stable/deb/nvidia-container-toolkit.list) ||
    return 1
  # written only when complete: a half-written list would break every later apt-get update
  printf '%s\n' "${list//deb https:\/\//deb [signed-by=\/usr\/share\/keyrings\/nvidia-container-toolkit-keyring.gpg] https:\/\/}" |
    write_if_changed /etc/apt/sources.list.d/nvidia-container-toolkit.list || true
}

# One GPU-visible container, with the API image, before the stack starts.
gpu_container_check() {
  local out
  if ! out=$(docker run --rm --gpus all --entrypoint nvidia-smi "$(env_value API_IMAGE)" -L 2>&1); then
    GPU_PROBLEM="a container cannot see the GPU: $(printf '%s' "$out" | tail -n 1)"
  fi
}

# --- deploy -------------------------------------------------------------------------------------

compose() {
  local files=() f
  read -r -a files <<<"$(setting modelship-compose-files)"
  if [ "$(cat "$STATE/gpu-mode" 2>/dev/null)" = gpu ]; then
    read -r -a f <<<"$(setting modelship-compose-gpu-files)"
    files+=("${f[@]}")
  fi
  local args=()
  for f in "${files[@]}"; do args+=(-f "$f"); done
  # BASIC_AUTH_HASH is derived on this VM (basic_auth_hash) and never written to the metadata or the .env
  (cd "$ROOT" && BASIC_AUTH_HASH=$(sed -n 2p "$STATE/basic-auth" 2>/dev/null) docker compose "${args[@]}" "$@")
}

# Fingerprint of everything a deploy depends on; a deploy records it once healthy.
deploy_fingerprint() {
  (cd "$ROOT" && { cat .env ./*.yml deploy/* "$STATE"/modelship-* "$STATE/gpu-mode" 2>/dev/null || true; }) |
    sha256sum | cut -d' ' -f1
}

access_token() { # the VM service account's OAuth token, from the metadata server
  local token
  token=$(metadata instance/service-accounts/default/token | sed -n 's/.*"access_token" *: *"\([^"]*\)".*/\1/p')
  [ -n "$token" ] || { log "the metadata server gave no access token" >&2; return 1; }
  printf '%s' "$token"
}

try_registry_login() {
  local registry token out
  registry=$(setting modelship-registry)
  token=$(access_token) || return 1
  if ! out=$(printf '%s' "$token" | docker login -u oauth2accesstoken --password-stdin "https://$registry" 2>&1); then
    log "registry: docker login $registry failed: $out"
    return 1
  fi
}

registry_login() {
  retry "registry: login" try_registry_login || return 1
  log "registry: logged in to $(setting modelship-registry)"
}

# Pulls with fresh credentials on each attempt. A new VM's service account may be refused (403) for a few
# minutes while its registry permission propagates through IAM.
pull() { # $@: services (default: all)
  retry "pull" pull_once "$@" || return 1
  log "pull: $(env_value API_IMAGE) $(env_value UI_IMAGE)"
}

pull_once() { try_registry_login && compose pull --quiet "$@"; }

# --- basic auth ---------------------------------------------------------------------------------

# The image of compose service $1, as the compose files resolve it.
service_image() {
  compose config | awk -v s="  $1:" '$0 == s { f = 1; next } f && /^  [^ ]/ { f = 0 } f && $1 == "image:" { print $2; exit }'
}

# The basic-auth password lives in Secret Manager, readable by this VM's service account alone; the bcrypt
# hash Caddy checks is derived here, with a random salt, once per secret version (an unchanged password
# changes nothing), and kept in $STATE/basic-auth (mode 600): no hash of it travels through the metadata.
basic_auth_hash() {
  local version hash secret
  version=$(setting modelship-basic-auth-secret)
  if [ "$version" = none ]; then
    rm -f "$STATE/basic-auth"
    return 0
  fi
  [ "$(head -n 1 "$STATE/basic-auth" 2>/dev/null)" = "$version" ] && return 0
  secret=$(mktemp "$STATE/secret.XXXXXX") # mode 600
  if ! retry "basic auth: reading $version" read_secret "$version" "$secret"; then
    rm -f "$secret"
    return 1
  fi
  hash=$(hash_password <"$secret") || true
  rm -f "$secret"
  [[ "$hash" == "\$2"* ]] || { log "basic auth: caddy hash-password gave no bcrypt hash"; return 1; }
  (umask 077 && printf '%s\n%s\n' "$version" "$hash" >"$STATE/basic-auth.tmp")
  mv -f "$STATE/basic-auth.tmp" "$STATE/basic-auth"
  log "basic auth: password of $version hashed (bcrypt, random salt)"
}

read_secret() { # $1: secret version name, $2: file to write the secret to (the token goes through stdin)
  local token body
  token=$(access_token) || return 1
  body=$(printf 'header = "Authorization: Bearer %s"\n' "$token" |
    curl -fsS --max-time 30 --config - "$SECRETS_URL/$1:access") || return 1
  sed -n 's/.*"data" *: *"\([^"]*\)".*/\1/p' <<<"$body" | base64 -d >"$2" && [ -s "$2" ]
}

hash_password() { # stdin: the password; the Caddy image's own hasher, fed through stdin (never argv)
  local image
  image=$(service_image caddy)
  [ -n "$image" ] || return 1
  { cat; echo; } | docker run --rm -i --network none --entrypoint caddy "$image" hash-password 2>/dev/null | tail -n 1
}

# Prints what is not ready yet: nothing once every container of the project runs (healthy, where it has a
# healthcheck) and the API's /health reports the deployed version.
stack_pending() {
  local ids id state health name pending="" version
  ids=$(compose ps -q)
  [ -n "$ids" ] || { echo " no containers"; return 0; }
  for id in $ids; do
    read -r name state health < <(docker inspect \
      -f '{{.Name}} {{.State.Status}} {{if .State.Health}}{{.State.Health.Status}}{{else}}none{{end}}' "$id")
    if [ "$state" != running ] || { [ "$health" != healthy ] && [ "$health" != none ]; }; then
      pending+=" ${name#/}=$state/$health"
    fi
  done
  version=$(setting modelship-version)
  if [ -z "$pending" ] && ! api_versions_ok "$version"; then
    pending=" api /health does not report version $version yet"
  fi
  printf '%s' "$pending"
}

wait_healthy() {
  local deadline pending
  deadline=$((SECONDS + HEALTH_TIMEOUT))
  while pending=$(stack_pending) && [ -n "$pending" ]; do
    [ "$SECONDS" -lt "$deadline" ] || die "health: not healthy after ${HEALTH_TIMEOUT}s:$pending"
    sleep 3
  done
}

api_versions_ok() { # $1: version; every API container's /health must report it
  local id ids health
  ids=$(compose ps -q api)
  [ -n "$ids" ] || return 1
  for id in $ids; do
    health=$(docker exec "$id" node -e \
      'fetch("http://127.0.0.1:8000/health").then((r) => r.text()).then(console.log)' 2>/dev/null) || return 1
    [[ "$health" == *"\"version\":\"$1\""* ]] || return 1
  done
}

replicas() { local n; n=$(env_value API_REPLICAS); echo "${n:-1}"; }

up() { compose up -d --no-build --remove-orphans --scale "api=$(replicas)"; }

api_ready() { # $1: container id; the image's own HEALTHCHECK probe, without waiting for its interval
  docker exec "$1" healthcheck >/dev/null 2>&1
}

# The config hash Compose gives service $1's containers (label com.docker.compose.config-hash): `up`
# recreates, stop first, every container whose label differs.
config_hash() { compose config --hash="$1" | awk -v s="$1" '$1 == s { print $2 }'; }

# A new API image or API setting replaces the running API without a gap: the new containers start next to
# the old ones, and the old ones are stopped (gracefully: their requests in flight finish) once every new
# one is ready. (`up` alone would stop the old container before starting the new one.)
roll_api() {
  local want old stale="" id new deadline
  old=$(compose ps -q api)
  [ -n "$old" ] || return 0 # first deploy
  want="$(docker image inspect -f '{{.Id}}' "$(env_value API_IMAGE)") running $(config_hash api)"
  for id in $old; do
    [ "$(docker inspect -f '{{.Image}} {{.State.Status}} {{index .Config.Labels "com.docker.compose.config-hash"}}' \
      "$id")" = "$want" ] || stale+=" $id"
  done
  [ -n "$stale" ] || return 0
  log "deploy: starting the new API next to the running one"
  compose up -d --no-build --no-deps --no-recreate --scale "api=$(($(wc -w <<<"$old") + $(replicas)))" api
  new=$(compose ps -q api | grep -v -F "$old" || true)
  deadline=$((SECONDS + HEALTH_TIMEOUT))
  for id in $new; do
    until api_ready "$id"; do
      if [ "$SECONDS" -ge "$deadline" ]; then
        # shellcheck disable=SC2086 # a list of container ids
        docker rm -f $new >/dev/null
        die "deploy: the new API was not ready after ${HEALTH_TIMEOUT}s; the old one keeps serving"
      fi
      sleep 1
    done
  done
  log "deploy: new API ready; stopping the old one"
  # shellcheck disable=SC2086 # word splitting wanted: a list of container ids
  docker stop $stale >/dev/null && docker rm $stale >/dev/null
}

# Pulls and (re)starts the stack unless it already runs exactly this deployment.
deploy() {
  local fingerprint pending version
  fingerprint=$(deploy_fingerprint)
  version=$(setting modelship-version)
  if [ "$fingerprint" = "$(cat "$STATE/deployed" 2>/dev/null)" ]; then
    pending=$(stack_pending)
    if [ -z "$pending" ]; then log "deploy: unchanged, version $version running"; return 0; fi
    log "deploy: unchanged, but not running:$pending; starting it"
    registry_login # up pulls any image that went missing
    up
  else
    pull
    basic_auth_hash
    log "deploy: starting version $version ($(cat "$STATE/gpu-mode") mode)"
    roll_api
    up
  fi
  wait_healthy
  echo "$fingerprint" >"$STATE/deployed"
  log "deploy: healthy, version $version"
}

# The Ops Agent and the idle auto-stop (infra/vm/operate.sh); a failure there never fails the deploy.
operate() { bash "$ROOT/infra/vm/operate.sh" setup || log "operate: setup failed (exit $?)"; }

# --- watcher ------------------------------------------------------------------------------------

install_watcher() {
  local unit=/etc/systemd/system/modelship-watcher.service pid
  if [ "$NO_SYSTEMD" = 1 ] || [ ! -d /run/systemd/system ]; then
    pid=$(cat "$STATE/watcher.pid" 2>/dev/null || true)
    if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then log "watcher: running (pid $pid)"; return 0; fi
    setsid "$ROOT/bin/modelship-vm" watch </dev/null >>"$ROOT/watcher.log" 2>&1 9>&- &
    echo $! >"$STATE/watcher.pid"
    log "watcher: started without systemd (pid $!, log $ROOT/watcher.log)"
    return 0
  fi
  if write_if_changed "$unit" <<UNIT; then
[Unit]
Description=modelship deploy watcher: retries a failed deploy, applies instance metadata changes in place
After=docker.service network-online.target
Wants=docker.service network-online.target

[Service]
Environment=MODELSHIP_METADATA_URL=$METADATA_URL MODELSHIP_ROOT=$ROOT COMPOSE_PROJECT_NAME=$COMPOSE_PROJECT_NAME
Environment=MODELSHIP_SKIP_INSTALL=$SKIP_INSTALL
ExecStart=$ROOT/bin/modelship-vm watch
Restart=always
RestartSec=10

[Install]
WantedBy=multi-user.target
UNIT
    systemctl daemon-reload
    log "watcher: unit installed"
  fi
  systemctl enable modelship-watcher.service >/dev/null 2>&1
  if systemctl is-active --quiet modelship-watcher.service; then
    log "watcher: running"
  else
    systemctl start modelship-watcher.service
    log "watcher: started"
  fi
}

# The deploy, from any state: Docker, the files and settings from metadata, the GPU mode, the stack. Quick
# when nothing changed. The caller holds the lock. $1: who runs it (startup or watcher), for the log.
converge() {
  ensure_docker
  sync_files
  if [ "$1" != watcher ]; then
    log "metadata: $FILES_CHANGED file(s) changed under $ROOT"
  elif [ "$FILES_CHANGED" -gt 0 ]; then
    log "watcher: $FILES_CHANGED file(s) changed in metadata"
  fi
  choose_gpu_mode
  deploy
  operate
}

# The lock keeps the watcher and a (re)running startup script from deploying at the same time.
locked_converge() {
  exec 9>"$STATE/lock"
  flock 9
  converge "$@"
}

# The watcher. After a deploy it long-polls the metadata for the next change (300 s per request). After a
# failed one it retries with backoff, and waits out the backoff as a long-poll too, so that any metadata
# change starts the retry at once: a new `pulumi up`, or a nudge. A nudge changes `modelship-nudge` only
# (the readiness step of `pulumi up` sets it when the URL does not work, README: "When something goes
# wrong"): a stuck deploy is retried now, and a healthy one is left as it is (its converge changes nothing).
watch_loop() {
  local etag="" backoff=$WATCH_BACKOFF pending=1 failed=0 headers wait_args timeout new self nudge="" nudged
  mkdir -p "$STATE"
  self=$(sha256sum <"$0")
  headers=$STATE/watch.headers
  log "watcher: started (metadata $METADATA_URL, root $ROOT)"
  while :; do
    wait_args="recursive=true" timeout=300
    if [ -n "$etag" ]; then
      [ "$pending" = 0 ] || timeout=$backoff
      wait_args+="&wait_for_change=true&timeout_sec=$timeout&last_etag=$etag"
    fi
    if curl -fsS -D "$headers" -o /dev/null --max-time $((timeout + 30)) -H 'Metadata-Flavor: Google' \
      "$METADATA_URL/instance/attributes/?$wait_args"; then
      new=$(sed -n 's/^[Ee][Tt][Aa][Gg]: *\([^[:space:]]*\).*/\1/p' "$headers")
      if [ "$new" != "$etag" ] || [ "$pending" = 1 ]; then
        nudged=$(curl -fsS --max-time 10 -H 'Metadata-Flavor: Google' \
          "$METADATA_URL/instance/attributes/modelship-nudge" 2>/dev/null || true)
        if [ -n "$etag" ] && [ "$nudged" != "$nudge" ]; then log "watcher: nudged ($nudged), deploying now"; fi
        nudge=$nudged etag=$new
        attempt locked_converge watcher
        if [ "$ATTEMPT_STATUS" = 0 ]; then
          pending=0 failed=0 backoff=$WATCH_BACKOFF
        else
          [ "$failed" = 0 ] || backoff=$((backoff * 2 < WATCH_BACKOFF_MAX ? backoff * 2 : WATCH_BACKOFF_MAX))
          pending=1 failed=1
          log "watcher: deploy failed; retrying in ${backoff}s, or at once when the metadata changes"
        fi
      fi
      # the script itself changed: continue as the new version
      if [ "$pending" = 0 ] && [ "$(sha256sum <"$ROOT/bin/modelship-vm")" != "$self" ]; then
        log "watcher: startup script changed, restarting the watcher"
        exec "$ROOT/bin/modelship-vm" watch
      fi
      continue
    fi
    log "watcher: metadata server failed; retrying in ${backoff}s"
    sleep "$backoff"
    backoff=$((backoff * 2 < WATCH_BACKOFF_MAX ? backoff * 2 : WATCH_BACKOFF_MAX))
  done
}

# --- main ---------------------------------------------------------------------------------------

# Once per boot (and per gpu setting): the GPU overlay when a container sees the GPU, else the CPU image.
choose_gpu_mode() {
  local want decided
  want=$(setting modelship-gpu)
  decided="$(cat /proc/sys/kernel/random/boot_id 2>/dev/null || true) $want"
  if [ "$(cat "$STATE/gpu-decided" 2>/dev/null)" = "$decided" ] && [ -s "$STATE/gpu-mode" ]; then return 0; fi
  GPU_PROBLEM=""
  if [ "$want" = true ]; then
    ensure_gpu_stack
    if [ -z "$GPU_PROBLEM" ]; then
      pull api
      gpu_container_check
    fi
  fi
  if [ "$want" != true ]; then
    echo cpu | write_if_changed "$STATE/gpu-mode" || true
  elif [ -n "$GPU_PROBLEM" ]; then
    log "gpu: NOT USED, starting the API on CPU because $GPU_PROBLEM"
    echo cpu | write_if_changed "$STATE/gpu-mode" || true
  else
    log "gpu: OK, a container sees the GPU; starting the API with the GPU overlay"
    echo gpu | write_if_changed "$STATE/gpu-mode" || true
  fi
  echo "$decided" >"$STATE/gpu-decided"
}

startup() {
  local started=$SECONDS
  log "startup: begin (root $ROOT, compose project $COMPOSE_PROJECT_NAME)"
  mkdir -p "$ROOT/bin" "$STATE"
  chmod 700 "$ROOT"
  # Held through the first converge: the watcher, started next, waits for it instead of racing it.
  exec 9>"$STATE/lock"
  flock 9
  # The watcher first (it runs the installed copy of this script): whatever fails below, it starts the
  # whole converge again, with backoff, until it succeeds.
  write_if_changed "$ROOT/bin/modelship-vm" 755 <"$0" || true
  install_watcher
  attempt converge startup
  flock -u 9
  if [ "$ATTEMPT_STATUS" != 0 ]; then
    log "startup: not deployed yet; the watcher retries until it is (journalctl -u modelship-watcher -f)"
    exit 1
  fi
  log "startup: done in $((SECONDS - started))s"
}

case "${1:-}" in
  watch) watch_loop ;;
  "") startup ;;
  lib) ;; # `source startup.sh lib` defines the functions only (infra/test/vm-startup.test.ts)
  *) die "usage: $0 [watch]" ;;
esac
