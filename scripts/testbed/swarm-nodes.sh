#!/usr/bin/env bash
# A three-node swarm beside the test bed's own engine, as teams run one: a manager and two
# workers, each a Docker engine in a network namespace of its own (its own data root, exec root
# and socket), joined over a Linux bridge. The manager runs an SSH server for the `deploy` user,
# which is how a runner off the cluster reaches it. Every node pulls from the test bed's
# registry under its usual name (127.0.0.1:5000, forwarded to the host over the bridge), and
# has the base images the examples' stacks run (redis:7.0, mariadb:10.11), loaded from the engine.
#
#   swarm-nodes.sh up     start what is not running (idempotent); prints the variables tests read
#   swarm-nodes.sh down   remove all of it: swarm, engines, mounts, namespaces, bridge, rules
set -euo pipefail

TESTBED=${DROVER_TESTBED:-/var/lib/drover-testbed}
REGISTRY_PORT=${DROVER_REGISTRY_PORT:-5000}
NODES_DIR="$TESTBED/nodes"
BRIDGE=drover-br0
NET=100.64.77 # shared address space (RFC 6598): in none of Docker's default pools
HOST_IP=$NET.1
NODES=(n1 n2 n3) # n1 is the manager
log() { printf '[swarm-nodes] %s\n' "$*" >&2; }
ip_of() { echo "$NET.$((10 + ${1#n}))"; }
ns_of() { echo "drover-$1"; }
sock_of() { echo "$NODES_DIR/$1/docker.sock"; }
on() { local n=$1; shift; docker -H "unix://$(sock_of "$n")" "$@"; }
alive() { [ -f "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }
# A process started in the background, its pid kept in a file.
spawn() {
  local pidfile=$1 logfile=$2
  shift 2
  setsid nohup "$@" >>"$logfile" 2>&1 </dev/null &
  echo $! >"$pidfile"
}

TLS_DIR="$NODES_DIR/tls"
# A CA, the manager engine's certificate (for its address) and a client certificate, made once; keys 0600
tls_material() {
  [ -f "$TLS_DIR/client-cert.pem" ] && return
  mkdir -p "$TLS_DIR" && chmod 700 "$TLS_DIR"
  (
    cd "$TLS_DIR"
    umask 077
    openssl req -x509 -newkey rsa:2048 -nodes -keyout ca-key.pem -out ca.pem -days 3650 -subj /CN=drover-testbed-ca 2>/dev/null
    openssl req -newkey rsa:2048 -nodes -keyout server-key.pem -out server.csr -subj "/CN=$(ip_of n1)" 2>/dev/null
    printf 'subjectAltName=IP:%s\nextendedKeyUsage=serverAuth\n' "$(ip_of n1)" >server.ext
    openssl x509 -req -in server.csr -CA ca.pem -CAkey ca-key.pem -CAcreateserial -out server-cert.pem -days 3650 -extfile server.ext 2>/dev/null
    openssl req -newkey rsa:2048 -nodes -keyout client-key.pem -out client.csr -subj /CN=drover-deploy 2>/dev/null
    printf 'extendedKeyUsage=clientAuth\n' >client.ext
    openssl x509 -req -in client.csr -CA ca.pem -CAkey ca-key.pem -CAcreateserial -out client-cert.pem -days 3650 -extfile client.ext 2>/dev/null
    rm -f ./*.csr ./*.ext ca.srl
  )
}

down() {
  for n in "${NODES[@]}"; do
    local dir="$NODES_DIR/$n"
    [ -S "$(sock_of "$n")" ] && on "$n" swarm leave --force >/dev/null 2>&1 || true
    for p in "$dir/docker.pid" "$dir/registry-forward.pid" "$dir/sshd.pid"; do
      if alive "$p"; then kill "$(cat "$p")" 2>/dev/null || true; fi
    done
    for _ in $(seq 1 40); do alive "$dir/docker.pid" || break; sleep 0.25; done
    # what the engine left mounted (its containers' and netns' mounts), innermost first
    { grep -o -E " ($dir|/run/drover-$n)/[^ ]*" /proc/mounts || true; } | sort -r | while read -r m; do umount -l "$m" 2>/dev/null || true; done
    # whatever still runs in the node (an SSH session whose client went away, say) holds its namespace
    ip netns pids "$(ns_of "$n")" 2>/dev/null | xargs -r kill -9 2>/dev/null || true
    ip netns del "$(ns_of "$n")" 2>/dev/null || true
    ip link del "v-$n" 2>/dev/null || true
    rm -rf "/run/drover-$n" "$dir"
  done
  if alive "$NODES_DIR.registry-forward.pid"; then kill "$(cat "$NODES_DIR.registry-forward.pid")" || true; fi
  rm -f "$NODES_DIR.registry-forward.pid" "$NODES_DIR.registry-forward.log"
  rm -rf "$NODES_DIR"
  ip link del "$BRIDGE" 2>/dev/null || true
  while iptables -D FORWARD -i "$BRIDGE" -o "$BRIDGE" -j ACCEPT 2>/dev/null; do :; done
  while iptables -D FORWARD -i "$BRIDGE" ! -o "$BRIDGE" -j ACCEPT 2>/dev/null; do :; done
  while iptables -D FORWARD -o "$BRIDGE" -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT 2>/dev/null; do :; done
  while iptables -t nat -D POSTROUTING -s "$NET.0/24" ! -o "$BRIDGE" -j MASQUERADE 2>/dev/null; do :; done
  log "removed"
}

up() {
  command -v socat >/dev/null || { log "socat is missing (apt-get install socat)"; exit 1; }
  mkdir -p "$NODES_DIR"
  # The bridge, and forwarding on it (the test bed's engine sets the FORWARD policy to DROP)
  if ! ip link show "$BRIDGE" >/dev/null 2>&1; then
    ip link add "$BRIDGE" type bridge
    ip addr add "$HOST_IP/24" dev "$BRIDGE"
    ip link set "$BRIDGE" up
  fi
  iptables -C FORWARD -i "$BRIDGE" -o "$BRIDGE" -j ACCEPT 2>/dev/null || iptables -I FORWARD -i "$BRIDGE" -o "$BRIDGE" -j ACCEPT
  # The nodes reach the host's resolvers, as a real node does: Docker's embedded DNS forwards what
  # it cannot answer (MariaDB's reverse lookup of a client, say), and an unreachable resolver
  # makes each such lookup wait seconds
  iptables -t nat -C POSTROUTING -s "$NET.0/24" ! -o "$BRIDGE" -j MASQUERADE 2>/dev/null || iptables -t nat -A POSTROUTING -s "$NET.0/24" ! -o "$BRIDGE" -j MASQUERADE
  iptables -C FORWARD -i "$BRIDGE" ! -o "$BRIDGE" -j ACCEPT 2>/dev/null || iptables -I FORWARD -i "$BRIDGE" ! -o "$BRIDGE" -j ACCEPT
  iptables -C FORWARD -o "$BRIDGE" -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT 2>/dev/null || iptables -I FORWARD -o "$BRIDGE" -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT
  # The registry, reachable from the nodes at the bridge address
  alive "$NODES_DIR.registry-forward.pid" ||
    spawn "$NODES_DIR.registry-forward.pid" "$NODES_DIR.registry-forward.log" socat "TCP-LISTEN:$REGISTRY_PORT,bind=$HOST_IP,fork,reuseaddr" "TCP:127.0.0.1:$REGISTRY_PORT"

  tls_material
  for n in "${NODES[@]}"; do
    local ns dir ip
    ns=$(ns_of "$n") dir="$NODES_DIR/$n" ip=$(ip_of "$n")
    mkdir -p "$dir"
    if ! ip netns list | grep -qx "$ns\( .*\)\?"; then
      ip netns add "$ns"
      ip link del "v-$n" 2>/dev/null || true # the host end of an earlier node's link
      ip link add "v-$n" type veth peer name "v-$n-in"
      ip link set "v-$n-in" netns "$ns"
      ip link set "v-$n" master "$BRIDGE" up
      ip -n "$ns" link set lo up
      ip -n "$ns" link set "v-$n-in" name eth0
      ip -n "$ns" addr add "$ip/24" dev eth0
      ip -n "$ns" link set eth0 up
      ip -n "$ns" route add default via "$HOST_IP"
    fi
    # The registry under the name the images carry, inside the node
    alive "$dir/registry-forward.pid" ||
      spawn "$dir/registry-forward.pid" "$dir/registry-forward.log" nsenter "--net=/var/run/netns/$ns" socat "TCP-LISTEN:$REGISTRY_PORT,bind=127.0.0.1,fork,reuseaddr" "TCP:$HOST_IP:$REGISTRY_PORT"
    # The manager's engine also listens on TCP with TLS both ways (a runner off the cluster may use that instead of SSH)
    local tcp=()
    [ "$n" = n1 ] && tcp=(-H "tcp://$ip:2376" --tlsverify --tlscacert "$TLS_DIR/ca.pem" --tlscert "$TLS_DIR/server-cert.pem" --tlskey "$TLS_DIR/server-key.pem")
    if [ "$n" = n1 ] && alive "$dir/docker.pid" && ! nsenter "--net=/var/run/netns/$ns" bash -c "exec 3<>/dev/tcp/$ip/2376" 2>/dev/null; then
      log "restarting the engine of $n to listen on TLS"
      kill "$(cat "$dir/docker.pid")"
      for _ in $(seq 1 60); do alive "$dir/docker.pid" || break; sleep 0.25; done
    fi
    # `nsenter --net`, not `ip netns exec`, which remounts /sys and leaves the engine without its devices cgroup
    if ! alive "$dir/docker.pid"; then
      log "starting the engine of $n ($ip)"
      rm -f "$dir/docker.pid"
      spawn "$dir/dockerd.wrapper.pid" "$dir/dockerd.log" nsenter "--net=/var/run/netns/$ns" dockerd \
        --data-root "$dir/data" --exec-root "/run/drover-$n" --pidfile "$dir/docker.pid" \
        -H "unix://$(sock_of "$n")" --group docker --containerd-namespace "drover-$n" \
        --containerd-plugins-namespace "drover-$n-plugins" --cgroup-parent "drover-$n" --log-level warn "${tcp[@]}"
    fi
  done
  for n in "${NODES[@]}"; do
    for _ in $(seq 1 120); do on "$n" info >/dev/null 2>&1 && break; sleep 0.25; done
    on "$n" info >/dev/null 2>&1 || { tail -20 "$NODES_DIR/$n/dockerd.log" >&2; exit 1; }
  done

  # One swarm: n1 manages, n2 and n3 work
  local manager
  manager=$(ip_of n1)
  if [ "$(on n1 info --format '{{.Swarm.LocalNodeState}}')" != active ]; then
    log "initialising the swarm on n1"
    on n1 swarm init --advertise-addr "$manager" >/dev/null
  fi
  local token
  token=$(on n1 swarm join-token -q worker)
  for n in n2 n3; do
    if [ "$(on "$n" info --format '{{.Swarm.LocalNodeState}}')" != active ]; then
      log "joining $n"
      on "$n" swarm join --token "$token" --advertise-addr "$(ip_of "$n")" "$manager:2377" >/dev/null
    fi
  done
  for _ in $(seq 1 120); do [ "$(on n1 node ls --format '{{.Status}}' | grep -c Ready)" = 3 ] && break; sleep 0.5; done
  [ "$(on n1 node ls --format '{{.Status}}' | grep -c Ready)" = 3 ] || { on n1 node ls >&2; exit 1; }
  # The public base images the examples' stacks run (built by setup.sh from Debian packages), on every node
  for n in "${NODES[@]}"; do
    for image in redis:7.0 mariadb:10.11; do
      if docker image inspect "$image" >/dev/null 2>&1 && ! on "$n" image inspect "$image" >/dev/null 2>&1; then
        log "loading $image into $n"
        docker save "$image" | on "$n" load -q >/dev/null
      fi
    done
  done
  # Each node labelled with its name, so a test can place a service on a given node
  for n in "${NODES[@]}"; do
    on n1 node update --label-add "drover.node=$n" "$(on "$n" info --format '{{.Swarm.NodeID}}')" >/dev/null
  done

  # SSH on the manager for the test bed's deploy user (made by setup.sh), its docker the manager's engine
  local sshd_conf="$NODES_DIR/sshd_config"
  [ -f "$NODES_DIR/host_ed25519" ] || ssh-keygen -q -t ed25519 -N '' -C drover-swarm-manager -f "$NODES_DIR/host_ed25519"
  cat >"$sshd_conf" <<SSHD
Port 22
ListenAddress $manager
HostKey $NODES_DIR/host_ed25519
PidFile $NODES_DIR/n1/sshd.pid
AllowUsers deploy
PasswordAuthentication no
KbdInteractiveAuthentication no
PermitRootLogin no
UsePAM no
SetEnv DOCKER_HOST=unix://$(sock_of n1)
SSHD
  alive "$NODES_DIR/n1/sshd.pid" || nsenter "--net=/var/run/netns/$(ns_of n1)" /usr/sbin/sshd -f "$sshd_conf"

  cat <<ENV
SWARM_NODES_MANAGER=$manager
SWARM_NODES_HOST_KEY_ED25519=$(cut -d' ' -f2 "$NODES_DIR/host_ed25519.pub")
SWARM_NODES_SOCKETS=$(for n in "${NODES[@]}"; do printf '%s,' "unix://$(sock_of "$n")"; done | sed 's/,$//')
SWARM_NODES_TLS=tcp://$manager:2376
SWARM_NODES_TLS_DIR=$TLS_DIR
SWARM_NODES_IPS=$(for n in "${NODES[@]}"; do printf '%s,' "$(ip_of "$n")"; done | sed 's/,$//')
ENV
  log "ready: 3 nodes ($(on n1 node ls --format '{{.ManagerStatus}}' | grep -c Leader) leader), ssh deploy@$manager"
}

case ${1:-} in
  up) up ;;
  down) down ;;
  *) echo "usage: $0 up|down" >&2; exit 2 ;;
esac
