#!/usr/bin/env bash
# The lab's faults on the Docker topology (deploy/docker-compose.yml): the actions of
# `lab kill|stop|start|pause|resume|partition|heal` and `lab zk …`, made with docker kill,
# docker pause and docker network disconnect. --dry-run prints the docker commands instead
# of running them. Never run against an engine here (these machines have none).
set -euo pipefail

NETWORK="${ZK_LAB_DOCKER_NETWORK:-zk-lab}"
PREFIX="${ZK_LAB_DOCKER_PREFIX:-zk-lab-}"
MASTER_PORTS=(8081 8082) # the host ports of m1 and m2 in the compose file
APPS=(master1 master2 worker1 worker2 worker3 producer)
SERVERS=(zk1 zk2 zk3)
DRY_RUN=false

usage() {
  cat <<'TEXT'
docker-chaos.sh: the lab's faults on deploy/docker-compose.yml (containers zk-lab-*,
network zk-lab)

Usage: deploy/docker-chaos.sh [--dry-run] COMMAND [ARGS]

Apps (NAME: m1 m2 w1 w2 w3 producer, or leader: the masters' leader from GET /status):
  kill NAME [--signal SIG]  docker kill (SIGKILL by default); it stays down until start
  term NAME                 docker kill --signal SIGTERM: the app closes its session at once
  stop NAME                 docker stop (SIGTERM, then SIGKILL after 10 s)
  start NAME                docker start
  pause NAME [SECONDS]      docker pause (SIGSTOP-like freeze); with SECONDS, unpause after
  resume NAME               docker unpause
  partition NAME            docker network disconnect: cut from ZooKeeper (and everything)
  heal [NAME|zk]            docker network connect (with its alias) every container, or
                            NAME's, or the servers', that is not on the network
ZooKeeper servers (N: 1 2 3, or leader: the server whose srvr says Mode: leader):
  zk kill N                 docker kill (SIGKILL)
  zk stop N                 docker stop (SIGTERM, then SIGKILL after 10 s)
  zk start N                docker start
  zk pause N [SECONDS]      docker pause; with SECONDS, unpause after
  zk resume N               docker unpause
  zk partition N            docker network disconnect: cut from its peers and its clients
Other:
  leader                    print the masters' leader and the ZooKeeper leader
  --dry-run                 print the docker commands instead of running them (leader
                            lookups print the lookup and use the placeholder LEADER)
  --help                    this text

Environment: ZK_LAB_DOCKER_NETWORK (default zk-lab), ZK_LAB_DOCKER_PREFIX (default zk-lab-).
Exit codes: 0 done, 1 a docker command failed, 2 bad usage.
TEXT
}

die() {
  echo "docker-chaos: $1" >&2
  exit "${2:-2}"
}

# Runs a docker command, or prints it with --dry-run.
run() {
  if $DRY_RUN; then
    echo "$*"
  else
    "$@" >/dev/null || die "failed: $*" 1
  fi
}

# The leader among the masters, as the name of its compose service (master1, master2).
master_leader() {
  if $DRY_RUN; then
    echo "# leader: curl -fsS http://127.0.0.1:${MASTER_PORTS[0]}/status (or :${MASTER_PORTS[1]}), field leaderId" >&2
    echo LEADER
    return
  fi
  local port id
  for port in "${MASTER_PORTS[@]}"; do
    id=$(curl -fsS --max-time 2 "http://127.0.0.1:$port/status" 2>/dev/null |
      sed -n 's/.*"leaderId":"\(m[0-9]*\)".*/\1/p') || true
    if [[ -n "$id" ]]; then
      echo "master${id#m}"
      return
    fi
  done
  die "no master names a leader (GET /status on ports ${MASTER_PORTS[*]})" 1
}

# The ZooKeeper leader's service name (zk1..zk3), from srvr through docker exec.
zk_leader() {
  if $DRY_RUN; then
    echo "# leader: docker exec ${PREFIX}zkN bash -c 'srvr to 127.0.0.1:2181', Mode: leader" >&2
    echo LEADER
    return
  fi
  local server
  for server in "${SERVERS[@]}"; do
    if docker exec "$PREFIX$server" bash -c \
      'exec 3<>/dev/tcp/127.0.0.1/2181 && echo srvr >&3 && cat <&3' 2>/dev/null |
      grep -q '^Mode: leader'; then
      echo "$server"
      return
    fi
  done
  die "no server says Mode: leader (srvr through docker exec)" 1
}

# An app's name as the lab says it (m1, w2, producer, leader) → its compose service.
app_service() {
  case "$1" in
    m[1-2]) echo "master${1#m}" ;;
    w[1-3]) echo "worker${1#w}" ;;
    producer) echo producer ;;
    leader) master_leader ;;
    *) die "unknown app '$1': expected m1 m2 w1 w2 w3 producer or leader" ;;
  esac
}

zk_service() {
  case "$1" in
    [1-3]) echo "zk$1" ;;
    leader) zk_leader ;;
    *) die "unknown server '$1': expected 1 2 3 or leader" ;;
  esac
}

seconds() {
  [[ "$1" =~ ^[0-9]+$ ]] || die "bad SECONDS '$1': expected a whole number"
}

pause() {
  local service=$1 for=${2:-}
  [[ -z "$for" ]] || seconds "$for"
  run docker pause "$PREFIX$service"
  if [[ -n "$for" ]]; then
    run sleep "$for"
    run docker unpause "$PREFIX$service"
  fi
}

# Connects a service's container again under its service name (the name others resolve).
reconnect() {
  local service=$1 container="$PREFIX$1"
  if $DRY_RUN ||
    ! docker inspect -f '{{json .NetworkSettings.Networks}}' "$container" | grep -q "\"$NETWORK\""; then
    run docker network connect --alias "$service" "$NETWORK" "$container"
  fi
}

heal() {
  local services service
  case "${1:-}" in
    '') services=("${SERVERS[@]}" "${APPS[@]}") ;;
    zk) services=("${SERVERS[@]}") ;;
    *)
      service=$(app_service "$1")
      services=("$service")
      ;;
  esac
  for service in "${services[@]}"; do reconnect "$service"; done
}

# One action on a service's container (an app's or a server's).
act() {
  local action=$1 service=$2
  shift 2
  case "$action" in
    kill)
      local signal=SIGKILL
      if [[ $# -gt 0 ]]; then
        [[ "$1" == --signal && $# -eq 2 ]] || die "kill takes NAME [--signal SIG]"
        signal=$2
      fi
      run docker kill --signal "$signal" "$PREFIX$service"
      ;;
    term) run docker kill --signal SIGTERM "$PREFIX$service" ;;
    stop) run docker stop "$PREFIX$service" ;;
    start) run docker start "$PREFIX$service" ;;
    pause) pause "$service" "$@" ;;
    resume) run docker unpause "$PREFIX$service" ;;
    partition) run docker network disconnect "$NETWORK" "$PREFIX$service" ;;
  esac
}

zk_command() {
  [[ $# -ge 2 ]] || die "zk takes an action and a server: zk kill|stop|start|pause|resume|partition N"
  case "$1" in
    kill | stop | start | pause | resume | partition) ;;
    *) die "unknown zk action '$1': expected kill stop start pause resume partition" ;;
  esac
  local action=$1 service
  service=$(zk_service "$2")
  shift 2
  [[ "$action" == pause || $# -eq 0 ]] || die "zk $action takes one server, not '$*'"
  act "$action" "$service" "$@"
}

main() {
  while [[ $# -gt 0 ]]; do
    case "$1" in
      --dry-run) DRY_RUN=true ;;
      --help | -h | help)
        usage
        exit 0
        ;;
      -*) die "unknown option '$1' (see --help)" ;;
      *) break ;;
    esac
    shift
  done
  [[ $# -gt 0 ]] || die "no command (see --help)"
  if ! $DRY_RUN; then
    command -v docker >/dev/null || die "docker is not on the PATH" 1
  fi
  local command=$1
  shift
  case "$command" in
    kill | term | stop | start | pause | resume | partition)
      [[ $# -ge 1 ]] || die "$command takes an app: m1 m2 w1 w2 w3 producer or leader"
      local service
      service=$(app_service "$1")
      shift
      if [[ "$command" != kill && "$command" != pause && $# -gt 0 ]]; then
        die "$command takes one app, not '$*'"
      fi
      act "$command" "$service" "$@"
      ;;
    heal)
      [[ $# -le 1 ]] || die "heal takes at most one name"
      heal "${1:-}"
      ;;
    zk) zk_command "$@" ;;
    leader)
      echo "masters: $(master_leader)"
      echo "zookeeper: $(zk_leader)"
      ;;
    *) die "unknown command '$command' (see --help)" ;;
  esac
}

main "$@"
