#!/usr/bin/env bash
# modelship VM startup script. Shipped as the instance metadata key `startup-script` (rendered by
# infra/vm/metadata.ts) and run as root by google-startup-scripts.service on every boot:
#
#   startup.sh          ensure Docker (+ the NVIDIA stack when the VM has a GPU), write the deployment's
#                       files from instance metadata to /opt/modelship, pull and start the stack, wait until
#                       it is healthy, and install the deploy watcher (modelship-watcher.service).
#   startup.sh watch    the deploy watcher: long-polls the metadata and redeploys, in place, whenever a
#                       `pulumi up` changes the compose files, image digests or settings.
#
# Idempotent: a second run changes nothing. One timestamped log line per step (read them with
# `journalctl -u google-startup-scripts` and `journalctl -u modelship-watcher`).
#
# For tests only (the rehearsal in test/vm), endpoints and OS-level steps can be overridden by env:
#   MODELSHIP_METADATA_URL   metadata server base (default http://metadata.google.internal/computeMetadata/v1)
#   MODELSHIP_ROOT           deployment directory (default /opt/modelship)
#   MODELSHIP_SKIP_INSTALL=1 never install OS packages (Docker, NVIDIA driver and toolkit)
#   MODELSHIP_NO_SYSTEMD=1   run the watcher as a background process (pid in $MODELSHIP_ROOT/.state/watcher.pid)
#   COMPOSE_PROJECT_NAME     compose project (default modelship)
set -euo pipefail

METADATA_URL=${MODELSHIP_METADATA_URL:-http://metadata.google.internal/computeMetadata/v1}
ROOT=${MODELSHIP_ROOT:-/opt/modelship}
SKIP_INSTALL=${MODELSHIP_SKIP_INSTALL:-0}
NO_SYSTEMD=${MODELSHIP_NO_SYSTEMD:-0}
HEALTH_TIMEOUT=${MODELSHIP_HEALTH_TIMEOUT:-900}
STATE=$ROOT/.state
export COMPOSE_PROJECT_NAME=${COMPOSE_PROJECT_NAME:-modelship}
# registry credentials live with the deployment instead of in root's home
export DOCKER_CONFIG=$ROOT/.docker

log() { printf '%s modelship: %s\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$*"; }
die() { log "ERROR: $*"; exit 1; }

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
    modelship-version; do
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

apt_install() {
  [ "$SKIP_INSTALL" = 1 ] && { log "install: skipped ($*), MODELSHIP_SKIP_INSTALL=1"; return 1; }
  log "install: apt-get install $*"
  # Ubuntu's first boot runs unattended-upgrades, which holds the dpkg lock for a while
  apt-get -o DPkg::Lock::Timeout=600 update -qq &&
    DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y -qq \
      --no-install-recommends "$@" >/dev/null
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
  curl -fsSL https://nvidia.github.io/libnvidia-container/gpgkey |
    gpg --dearmor --yes -o /usr/share/keyrings/nvidia-container-toolkit-keyring.gpg &&
    curl -fsSL https://nvidia.github.io/libnvidia-container/stable/deb/nvidia-container-toolkit.list |
    sed 's#deb https://#deb [signed-by=/usr/share/keyrings/nvidia-container-toolkit-keyring.gpg] https://#g' \
      >/etc/apt/sources.list.d/nvidia-container-toolkit.list
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
  (cd "$ROOT" && docker compose "${args[@]}" "$@")
}

# Fingerprint of everything a deploy depends on; a deploy records it once healthy.
deploy_fingerprint() {
  (cd "$ROOT" && { cat .env ./*.yml deploy/* "$STATE"/modelship-* "$STATE/gpu-mode" 2>/dev/null || true; }) |
    sha256sum | cut -d' ' -f1
}

registry_login() {
  local registry token out
  registry=$(setting modelship-registry)
  token=$(metadata instance/service-accounts/default/token | sed -n 's/.*"access_token" *: *"\([^"]*\)".*/\1/p')
  [ -n "$token" ] || die "registry: the metadata server gave no access token"
  if ! out=$(printf '%s' "$token" | docker login -u oauth2accesstoken --password-stdin "https://$registry" 2>&1); then
    die "registry: docker login $registry failed: $out"
  fi
  log "registry: logged in to $registry"
}

pull() {
  registry_login
  compose pull --quiet
  log "pull: $(env_value API_IMAGE) $(env_value UI_IMAGE)"
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

api_ready() { # $1: container id; the same check as the image's HEALTHCHECK, without waiting for its interval
  docker exec "$1" node -e \
    'fetch("http://127.0.0.1:8000/ready").then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))' \
    >/dev/null 2>&1
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
Description=modelship deploy watcher: applies instance metadata changes in place
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

# Re-reads the metadata and redeploys when anything changed. The lock keeps the watcher and a
# (re)running startup script from deploying at the same time.
apply_metadata() {
  exec 9>"$STATE/lock"
  flock 9
  sync_files
  if [ "$FILES_CHANGED" -gt 0 ]; then log "watcher: $FILES_CHANGED file(s) changed in metadata"; fi
  deploy
  flock -u 9
  operate
}

watch_loop() {
  local etag="" backoff=1 pending=1 headers wait_args new self
  mkdir -p "$STATE"
  self=$(sha256sum <"$0")
  headers=$STATE/watch.headers
  log "watcher: started (metadata $METADATA_URL, root $ROOT)"
  while :; do
    # Long-poll for the next change; a failed deploy is retried without waiting for one.
    wait_args="recursive=true"
    if [ -n "$etag" ] && [ "$pending" = 0 ]; then
      wait_args+="&wait_for_change=true&timeout_sec=300&last_etag=$etag"
    fi
    if curl -fsS -D "$headers" -o /dev/null --max-time 330 -H 'Metadata-Flavor: Google' \
      "$METADATA_URL/instance/attributes/?$wait_args"; then
      new=$(sed -n 's/^[Ee][Tt][Aa][Gg]: *\([^[:space:]]*\).*/\1/p' "$headers")
      if [ "$new" != "$etag" ] || [ "$pending" = 1 ]; then
        etag=$new
        if (apply_metadata); then
          pending=0 backoff=1
        else
          pending=1
        fi
      fi
      # the script itself changed: continue as the new version
      if [ "$pending" = 0 ] && [ "$(sha256sum <"$ROOT/bin/modelship-vm")" != "$self" ]; then
        log "watcher: startup script changed, restarting the watcher"
        exec "$ROOT/bin/modelship-vm" watch
      fi
      [ "$pending" = 0 ] && continue
    fi
    log "watcher: metadata or deploy failed; retrying in ${backoff}s"
    sleep "$backoff"
    backoff=$((backoff < 60 ? backoff * 2 : 60))
  done
}

# --- main ---------------------------------------------------------------------------------------

startup() {
  local started=$SECONDS
  log "startup: begin (root $ROOT, compose project $COMPOSE_PROJECT_NAME)"
  mkdir -p "$ROOT" "$STATE"
  chmod 700 "$ROOT"
  exec 9>"$STATE/lock"
  flock 9
  ensure_docker
  sync_files
  log "metadata: $FILES_CHANGED file(s) changed under $ROOT"
  GPU_PROBLEM=""
  if [ "$(setting modelship-gpu)" = true ]; then
    ensure_gpu_stack
    if [ -z "$GPU_PROBLEM" ]; then
      registry_login
      compose pull --quiet api
      gpu_container_check
    fi
  fi
  if [ "$(setting modelship-gpu)" != true ]; then
    echo cpu | write_if_changed "$STATE/gpu-mode" || true
  elif [ -n "$GPU_PROBLEM" ]; then
    log "gpu: NOT USED, starting the API on CPU because $GPU_PROBLEM"
    echo cpu | write_if_changed "$STATE/gpu-mode" || true
  else
    log "gpu: OK, a container sees the GPU; starting the API with the GPU overlay"
    echo gpu | write_if_changed "$STATE/gpu-mode" || true
  fi
  deploy
  flock -u 9
  install_watcher
  operate
  log "startup: done in $((SECONDS - started))s"
}

case "${1:-}" in
  watch) watch_loop ;;
  "") startup ;;
  lib) ;; # `source startup.sh lib` defines the functions only (infra/test/vm-startup.test.ts)
  *) die "usage: $0 [watch]" ;;
esac
