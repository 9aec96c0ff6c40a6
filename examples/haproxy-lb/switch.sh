#!/bin/sh
# drover-lb-switch <backend>: sends the traffic to that backend at once (HAProxy's runtime API)
# and keeps the choice in the state volume for the next start.
set -eu
want=${1:?usage: drover-lb-switch <backend>}
known=no
for b in $LB_BACKENDS; do [ "${b%%=*}" = "$want" ] && known=yes; done
[ "$known" = yes ] || { echo "drover-lb-switch: no backend $want" >&2; exit 2; }
map=/var/lib/drover-lb/active.map
sock=/run/haproxy/admin.sock
# Switch only once HAProxy itself sees the backend healthy: its DNS and health checks lag the
# swarm's view by a second or two. Every server it has resolved must be UP, and at least one.
tries=0
while :; do
  states=$(printf 'show stat\n' | socat stdio "unix-connect:$sock" | awk -F, -v b="$want" '$1 == b && $2 != "BACKEND" && $2 != "FRONTEND" && $18 !~ /^MAINT/ { print $18 }')
  up=$(printf '%s\n' "$states" | grep -c '^UP$' || true)
  other=$(printf '%s\n' "$states" | grep -v -c -e '^UP$' -e '^$' || true)
  [ "$up" -gt 0 ] && [ "$other" -eq 0 ] && break
  tries=$((tries + 1))
  [ "$tries" -lt 120 ] || { echo "drover-lb-switch: $want has $up healthy servers and $other others after 60 s; not switched" >&2; exit 1; }
  sleep 0.5
done
answer=$(printf 'set map %s active %s\n' "$map" "$want" | socat stdio "unix-connect:$sock")
[ -z "$answer" ] || { echo "drover-lb-switch: $answer" >&2; exit 1; }
printf 'active %s\n' "$want" >"$map.new" && mv "$map.new" "$map"
echo "active: $want"
