#!/bin/sh
# drover-lb-switch <backend>: sends the traffic to that backend at once (HAProxy's runtime API)
# and keeps the choice in the state volume for the next start.
set -eu
want=${1:?usage: drover-lb-switch <backend>}
known=no
for b in $LB_BACKENDS; do [ "${b%%=*}" = "$want" ] && known=yes; done
[ "$known" = yes ] || { echo "drover-lb-switch: no backend $want" >&2; exit 2; }
map=/var/lib/drover-lb/active.map
answer=$(printf 'set map %s active %s\n' "$map" "$want" | socat stdio unix-connect:/run/haproxy/admin.sock)
[ -z "$answer" ] || { echo "drover-lb-switch: $answer" >&2; exit 1; }
printf 'active %s\n' "$want" >"$map.new" && mv "$map.new" "$map"
echo "active: $want"
