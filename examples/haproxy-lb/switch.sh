#!/bin/sh
# drover-lb-switch <backend> [<task-id> ...]: sends the traffic to that backend at once (HAProxy's
# runtime API, no reload, no dropped connection) and keeps the choice in the state volume for the
# next start.
#   In a load balancer task, with no task ids: that task's own HAProxy.
#   In a job that mounts the load balancer's state volume on a node: the HAProxy of each task
#   named (its socket in the volume). A task not on this node is skipped; on any failure, the
#   tasks already switched go back to the backend they had, and it exits 1.
# Prints "active <backend> <task>" for each task it switched and read back.
set -eu
want=${1:?usage: drover-lb-switch <backend> [<task-id> ...]}
shift
state=/var/lib/drover-lb
map=$state/active.map
if [ $# -eq 0 ]; then set -- "${LB_TASK:-$(hostname)}"; fi

ask() { printf '%s\n' "$2" | socat -t 5 stdio "unix-connect:$state/run/$1.sock"; }
# The backend a task sends traffic to, as its HAProxy answers.
active_of() { ask "$1" "get map $map active" | sed -n 's/.*value="\([^"]*\)".*/\1/p'; }
# Switch only once HAProxy itself sees the backend healthy: its DNS and health checks lag the
# swarm's view by a second or two. Every server it has resolved must be UP, and at least one.
until_up() {
  tries=0
  while :; do
    states=$(ask "$1" 'show stat' | awk -F, -v b="$want" '$1 == b && $2 != "BACKEND" && $2 != "FRONTEND" && $18 !~ /^MAINT/ { print $18 }')
    up=$(printf '%s\n' "$states" | grep -c '^UP$' || true)
    other=$(printf '%s\n' "$states" | grep -v -c -e '^UP$' -e '^$' || true)
    [ "$up" -gt 0 ] && [ "$other" -eq 0 ] && return 0
    tries=$((tries + 1))
    [ "$tries" -lt 120 ] || { echo "drover-lb-switch: $1: $want has $up healthy servers and $other others after 60 s; not switched" >&2; return 1; }
    sleep 0.5
  done
}
switch_one() {
  ask "$1" 'show backend' | grep -qx "$want" || { echo "drover-lb-switch: $1: no backend $want" >&2; return 2; }
  until_up "$1" || return 1
  answer=$(ask "$1" "set map $map active $want")
  [ -z "$answer" ] || { echo "drover-lb-switch: $1: $answer" >&2; return 1; }
  [ "$(active_of "$1")" = "$want" ] || { echo "drover-lb-switch: $1: still sends traffic to $(active_of "$1")" >&2; return 1; }
}

done_tasks=""
for task in "$@"; do
  case $task in *[!a-zA-Z0-9_.-]*) echo "drover-lb-switch: not a task id: $task" >&2; exit 2 ;; esac
  [ -S "$state/run/$task.sock" ] || continue # another node's task
  before=$(active_of "$task") || before=""
  if ! switch_one "$task"; then
    for d in $done_tasks; do ask "${d%%=*}" "set map $map active ${d#*=}" >/dev/null || true; done
    echo "drover-lb-switch: $task not switched; the tasks switched here went back" >&2
    exit 1
  fi
  done_tasks="$done_tasks $task=$before"
  echo "active $want $task"
done
printf 'active %s\n' "$want" >"$map.new" && mv "$map.new" "$map"
