#!/usr/bin/env bash
# modelship VM operations, next to the deploy: the Ops Agent (logs and metrics in the Cloud console) and the
# idle auto-stop. Shipped with the deployment's files (metadata key `modelship-operate`, written to
# infra/vm/operate.sh under the deployment's root)
# and run by the startup script after each deploy (`bash operate.sh setup`):
#
#   operate.sh setup        install and configure the Ops Agent (bounded retries; a failure is logged, never
#                           fails the deploy), then start or stop the idle watcher per IDLE_STOP_MINUTES in .env
#   operate.sh idle-watch   the idle watcher (modelship-idle-stop.service): powers the VM off by a guest
#                           shutdown -- GCE then marks it stopped, which ends compute and GPU billing -- once no
#                           prediction request has arrived for IDLE_STOP_MINUTES. It reads the API's own counter
#                           (modelship_http_requests_total with a model label, from each API container's
#                           /metrics), not access logs. A deploy in progress counts as activity.
#
# It reuses the startup script's functions (log, metadata, env_value, write_if_changed, settings), sourced
# from bin/modelship-vm on the VM (startup.sh next to it in the repository).
#
# For tests (infra/test/operate.test.ts and the VM rehearsal), besides the startup script's overrides:
#   MODELSHIP_OPS_AGENT_DIR        the agent's config directory (default /etc/google-cloud-ops-agent)
#   MODELSHIP_IDLE_CHECK_SECONDS   how often the counter is read (default 60)
#   MODELSHIP_IDLE_STOP_SECONDS    the idle limit in seconds, instead of IDLE_STOP_MINUTES (when that is on)
#   MODELSHIP_IDLE_STOP_COMMAND    what stops the VM (default: systemctl poweroff)
set -euo pipefail

self=$(readlink -f "$0")
lib=$(dirname "$self")/startup.sh # in the repository
[ -f "$lib" ] || lib=${MODELSHIP_ROOT:-/opt/modelship}/bin/modelship-vm # on the VM
# shellcheck source=infra/vm/startup.sh
source "$lib" lib

OPS_AGENT_DIR=${MODELSHIP_OPS_AGENT_DIR:-/etc/google-cloud-ops-agent}
OPS_AGENT_REPO_SCRIPT=https://dl.google.com/cloudagents/add-google-cloud-ops-agent-repo.sh
OPS_AGENT_ATTEMPTS=3

# --- Ops Agent ----------------------------------------------------------------------------------

ops_agent_installed() {
  dpkg-query -W -f='${Status}' google-cloud-ops-agent 2>/dev/null | grep -q 'install ok installed'
}

# Google's repository script adds the agent's apt repository and installs it; tried a bounded number of times.
install_ops_agent() {
  local attempt script
  script=$(mktemp)
  for ((attempt = 1; attempt <= OPS_AGENT_ATTEMPTS; attempt++)); do
    log "ops-agent: installing (attempt $attempt of $OPS_AGENT_ATTEMPTS)"
    if curl -fsSL --retry 3 --max-time 60 -o "$script" "$OPS_AGENT_REPO_SCRIPT" &&
      timeout 900 bash "$script" --also-install >/dev/null 2>&1; then
      rm -f "$script"
      return 0
    fi
    [ "$attempt" -lt "$OPS_AGENT_ATTEMPTS" ] && sleep $((attempt * 20))
  done
  rm -f "$script"
  return 1
}

ensure_ops_agent() {
  local conf=$ROOT/ops-agent.yaml
  [ -f "$conf" ] || { log "ops-agent: no configuration in the metadata; skipped"; return 0; }
  if ! ops_agent_installed; then
    if [ "$SKIP_INSTALL" = 1 ]; then
      log "ops-agent: not installed (MODELSHIP_SKIP_INSTALL=1)"
      # only a test's own directory gets the configuration then, never this machine's /etc
      [ -n "${MODELSHIP_OPS_AGENT_DIR:-}" ] || return 0
    elif ! install_ops_agent; then
      log "ops-agent: NOT INSTALLED after $OPS_AGENT_ATTEMPTS attempts; logs and metrics stay on the VM until the next boot or deploy retries"
      return 0
    fi
  fi
  mkdir -p "$OPS_AGENT_DIR"
  if write_if_changed "$OPS_AGENT_DIR/config.yaml" 644 <"$conf"; then
    if ops_agent_installed && ! systemctl restart google-cloud-ops-agent >/dev/null 2>&1; then
      log "ops-agent: configuration written, but the agent failed to restart (systemctl status google-cloud-ops-agent)"
      return 0
    fi
    log "ops-agent: configuration updated"
  else
    log "ops-agent: configuration unchanged"
  fi
}

# --- idle auto-stop -----------------------------------------------------------------------------

# The idle limit in seconds; 0 means off.
idle_limit() {
  local minutes
  minutes=$(env_value IDLE_STOP_MINUTES 2>/dev/null || true)
  if [ "${minutes:-0}" -gt 0 ] && [ -n "${MODELSHIP_IDLE_STOP_SECONDS:-}" ]; then
    echo "$MODELSHIP_IDLE_STOP_SECONDS"
  else
    echo $((${minutes:-0} * 60))
  fi
}

# Prometheus text on stdin -> the number of prediction requests it counts.
count_predictions() {
  awk '/^modelship_http_requests_total\{/ && !/model=""/ { s += $NF } END { printf "%d\n", s }'
}

# Predictions served so far by the running API containers: the sum of their request counters that carry a
# model label (only the routes that run a model set it). Fails when no API container answers.
prediction_count() {
  local ids id text total=0 answered=0 n
  ids=$(docker ps -q --filter "label=com.docker.compose.project=$COMPOSE_PROJECT_NAME" \
    --filter label=com.docker.compose.service=api)
  for id in $ids; do
    text=$(docker exec "$id" node -e \
      'fetch("http://127.0.0.1:8000/metrics").then((r) => r.text()).then((t) => process.stdout.write(t))' \
      2>/dev/null) || continue
    n=$(count_predictions <<<"$text")
    total=$((total + n))
    answered=$((answered + 1))
  done
  [ "$answered" -gt 0 ] || return 1
  echo "$total"
}

# True while the startup script or the deploy watcher holds the deploy lock.
deploying() { ! flock -n "$STATE/lock" true 2>/dev/null; }

idle_watch() {
  local check=${MODELSHIP_IDLE_CHECK_SECONDS:-60} limit count last="" since=$SECONDS idle name zone
  mkdir -p "$STATE"
  log "idle-stop: watching prediction requests (limit $(idle_limit)s)"
  while :; do
    limit=$(idle_limit)
    if [ "$limit" -le 0 ]; then log "idle-stop: turned off"; return 0; fi
    count=$(prediction_count || echo unavailable)
    if [ "$count" != "$last" ] || deploying; then
      last=$count
      since=$SECONDS
    fi
    idle=$((SECONDS - since))
    echo "$count $idle" >"$STATE/idle"
    if [ "$idle" -ge "$limit" ]; then
      name=$(metadata instance/name 2>/dev/null || echo '<instance>')
      zone=$(metadata instance/zone 2>/dev/null || echo '<zone>')
      log "idle-stop: no prediction request for ${idle}s (limit ${limit}s); stopping the VM. The URL fails until: gcloud compute instances start ${name} --zone ${zone##*/}"
      bash -c "${MODELSHIP_IDLE_STOP_COMMAND:-systemctl poweroff}"
      return 0
    fi
    sleep "$check"
  done
}

# Starts, keeps or stops the idle watcher to match the setting.
setup_idle_stop() {
  local unit=/etc/systemd/system/modelship-idle-stop.service pid limit
  limit=$(idle_limit)
  if [ "$NO_SYSTEMD" = 1 ] || [ ! -d /run/systemd/system ]; then
    pid=$(cat "$STATE/idle-stop.pid" 2>/dev/null || true)
    if [ "$limit" -le 0 ]; then
      if [ -n "$pid" ] && kill "$pid" 2>/dev/null; then log "idle-stop: off, watcher stopped"; fi
      rm -f "$STATE/idle-stop.pid"
      return 0
    fi
    if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then log "idle-stop: running (pid $pid)"; return 0; fi
    setsid bash "$self" idle-watch </dev/null >>"$ROOT/idle-stop.log" 2>&1 9>&- &
    echo $! >"$STATE/idle-stop.pid"
    log "idle-stop: started without systemd (pid $!, log $ROOT/idle-stop.log)"
    return 0
  fi
  if [ "$limit" -le 0 ]; then
    if systemctl is-active --quiet modelship-idle-stop.service; then
      systemctl disable --now modelship-idle-stop.service >/dev/null 2>&1 || true
      log "idle-stop: off, watcher stopped"
    fi
    return 0
  fi
  if write_if_changed "$unit" <<UNIT; then
[Unit]
Description=modelship idle auto-stop: powers the VM off after IDLE_STOP_MINUTES without a prediction
After=docker.service
Wants=docker.service

[Service]
Environment=MODELSHIP_METADATA_URL=$METADATA_URL MODELSHIP_ROOT=$ROOT COMPOSE_PROJECT_NAME=$COMPOSE_PROJECT_NAME
ExecStart=/bin/bash $self idle-watch
Restart=on-failure
RestartSec=30

[Install]
WantedBy=multi-user.target
UNIT
    systemctl daemon-reload
    systemctl enable modelship-idle-stop.service >/dev/null 2>&1
    systemctl restart modelship-idle-stop.service
    log "idle-stop: watcher installed ($((limit / 60)) min)"
  elif ! systemctl is-active --quiet modelship-idle-stop.service; then
    systemctl enable --now modelship-idle-stop.service >/dev/null 2>&1
    log "idle-stop: watcher started ($((limit / 60)) min)"
  else
    log "idle-stop: watcher running ($((limit / 60)) min)"
  fi
}

case "${1:-}" in
  setup)
    ensure_ops_agent
    setup_idle_stop
    ;;
  idle-watch) idle_watch ;;
  ops-lib) ;; # `source operate.sh ops-lib` defines the functions only (infra/test/operate.test.ts)
  *) die "usage: $0 setup|idle-watch" ;;
esac
