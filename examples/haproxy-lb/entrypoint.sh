#!/bin/sh
# Writes haproxy.cfg from the environment, then runs HAProxy in the foreground.
#   LB_PORT         port to serve (default 80); LB_HTTPS_PORT (default 9001) when /run/secrets/lb.pem exists
#   LB_BACKENDS     "<stack>=<host>:<port> ..." such as "auth-blue=tasks.auth-blue_auth-service:9000"
#   LB_HEALTH_PATH  HTTP health check path (default /health)
#   LB_ACTIVE       the backend serving until drover-lb-switch says otherwise (default the first)
#   LB_TASK         this task's id ("{{.Task.ID}}" in the stack file): names its admin socket
#                   in the state volume, where drover-lb-switch finds it (default the hostname)
set -eu
state=/var/lib/drover-lb
map="$state/active.map"
cfg=/etc/haproxy/haproxy.cfg
first=""
for b in $LB_BACKENDS; do [ -n "$first" ] || first=${b%%=*}; done
mkdir -p "$state/run"
chmod 700 "$state/run"
[ -s "$map" ] || printf 'active %s\n' "${LB_ACTIVE:-$first}" >"$map"
# The admin socket lives in the state volume, so a job that mounts the volume on this node (and
# nothing else: it is on no network) can switch this task. Sockets of tasks gone are removed.
for s in "$state"/run/*.sock; do
  if [ -S "$s" ] && ! socat -u OPEN:/dev/null "UNIX-CONNECT:$s" 2>/dev/null; then rm -f "$s"; fi
done
sock="$state/run/${LB_TASK:-$(hostname)}.sock"

{
  cat <<CFG
global
    stats socket $sock mode 600 level admin
    log stdout format raw local0 notice

defaults
    mode http
    log global
    timeout connect 2s
    timeout client 30s
    timeout server 30s
    timeout check 2s
    retries 3
    option redispatch
    option http-server-close

# Docker's embedded DNS answers NXDOMAIN for a running service for a moment (seen while the
# daemon starts the other stack's tasks), or late: such an answer keeps the servers of the last
# good one for 30 s instead of taking the serving backend out ("DNS NX status", then 503 "No
# server is available"). A task that leaves the answer (a rolling update removed it) leaves the
# backend within a second: its address no longer answers at all, so requests would wait on it.
resolvers docker
    nameserver dns 127.0.0.11:53
    resolve_retries 3
    timeout resolve 1s
    timeout retry 1s
    hold valid 1s
    hold nx 30s
    hold obsolete 1s
    hold other 30s
    hold refused 30s
    hold timeout 30s

frontend web
    bind :${LB_PORT:-80}
CFG
  if [ -f /run/secrets/lb.pem ]; then printf '    bind :%s ssl crt /run/secrets/lb.pem\n' "${LB_HTTPS_PORT:-9001}"; fi
  printf '    use_backend %%[str(active),map(%s,%s)]\n\n' "$map" "$first"
  for b in $LB_BACKENDS; do
    name=${b%%=*}
    addr=${b#*=}
    cat <<CFG
backend $name
    balance roundrobin
    option httpchk GET ${LB_HEALTH_PATH:-/health}
    default-server check inter 1s fall 3 rise 2 resolvers docker init-addr none
    server-template s 10 $addr

CFG
  done
} >"$cfg"
exec haproxy -db -f "$cfg"
