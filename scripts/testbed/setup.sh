#!/usr/bin/env bash
# Installs and starts the test bed, idempotently: Docker engine, Compose v2 and buildx, a
# password-protected registry on 127.0.0.1, base images built from Debian packages under the
# public names the examples use, an SSH server, and a three-node swarm beside the engine. A second run reuses whatever is already there.
# Prints the variables tests read (also written to $TESTBED/env).
set -euo pipefail

TESTBED=${DROVER_TESTBED:-/var/lib/drover-testbed}
REGISTRY_PORT=${DROVER_REGISTRY_PORT:-5000}
here=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$TESTBED"
log() { printf '[testbed] %s\n' "$*" >&2; }

mirror() {
  sed -n 's/^URIs:[[:space:]]*\([^[:space:]]*\).*/\1/p' /etc/apt/sources.list.d/*.sources 2>/dev/null | grep -v security | head -1 ||
    true
}

# 1. Debian packages, only those this machine lacks: where Docker already runs (a hosted runner,
# a laptop) no engine is installed, and debootstrap only when the base image must be built.
need=()
docker info >/dev/null 2>&1 || command -v dockerd >/dev/null || need+=(docker.io)
command -v docker-registry >/dev/null || need+=(docker-registry)
command -v htpasswd >/dev/null || need+=(apache2-utils)
if ! docker image inspect debian:bookworm-slim >/dev/null 2>&1; then command -v debootstrap >/dev/null || need+=(debootstrap); fi
command -v docker-compose >/dev/null || need+=(docker-compose) # Compose v1, the fallback
command -v tinyproxy >/dev/null || need+=(tinyproxy)         # a real forward proxy for the proxy tests
command -v moto_server >/dev/null || need+=(python3-moto python3-flask python3-flask-cors) # Route53 for dns-switch
[ -x /usr/sbin/sshd ] || need+=(openssh-server)                 # a swarm manager reached over SSH
command -v socat >/dev/null || need+=(socat)                    # the registry, forwarded to the swarm nodes
if [ ${#need[@]} -gt 0 ]; then
  log "installing ${need[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >"$TESTBED/apt.log"
fi

# 2. Compose v2 and buildx: the ones the docker CLI already has, else from Debian 13 packages
# (Debian 12 has only Compose v1)
plugins="$TESTBED/cli-plugins"
mkdir -p "$plugins"
for p in compose buildx; do
  [ -x "$plugins/docker-$p" ] && continue
  for dir in /usr/libexec/docker/cli-plugins /usr/local/lib/docker/cli-plugins /usr/lib/docker/cli-plugins; do
    if [ -x "$dir/docker-$p" ] && "$dir/docker-$p" docker-cli-plugin-metadata >/dev/null 2>&1; then
      log "using $dir/docker-$p"
      ln -sf "$dir/docker-$p" "$plugins/docker-$p"
      break
    fi
  done
done
if [ ! -x "$plugins/docker-compose" ] || [ ! -x "$plugins/docker-buildx" ]; then
  log "fetching Compose v2 and buildx from trixie"
  apt_dir="$TESTBED/apt-trixie"
  mkdir -p "$apt_dir/lists/partial" "$apt_dir/cache/archives/partial" "$apt_dir/debs"
  printf 'deb %s trixie main\n' "$(mirror)" >"$apt_dir/sources.list"
  opts=(-o "Dir::Etc::SourceList=$apt_dir/sources.list" -o Dir::Etc::SourceParts=/dev/null
    -o "Dir::State::Lists=$apt_dir/lists" -o "Dir::Cache=$apt_dir/cache" -o APT::Architecture=amd64)
  apt-get "${opts[@]}" update -qq
  (cd "$apt_dir/debs" && apt-get "${opts[@]}" download docker-compose docker-buildx >/dev/null)
  rm -rf "$apt_dir/x" && mkdir -p "$apt_dir/x" "$plugins"
  for deb in "$apt_dir"/debs/*.deb; do dpkg -x "$deb" "$apt_dir/x"; done
  cp "$apt_dir/x/usr/libexec/docker/cli-plugins/docker-compose" "$apt_dir/x/usr/libexec/docker/cli-plugins/docker-buildx" "$plugins/"
fi
mkdir -p "$HOME/.docker/cli-plugins"
for p in docker-compose docker-buildx; do ln -sf "$plugins/$p" "$HOME/.docker/cli-plugins/$p"; done

# 3. The Docker engine
if ! docker info >/dev/null 2>&1; then
  if ! pgrep -x dockerd >/dev/null; then rm -f /var/run/docker.pid; fi
  log "starting dockerd"
  setsid nohup dockerd >>"$TESTBED/dockerd.log" 2>&1 </dev/null &
  for _ in $(seq 1 60); do docker info >/dev/null 2>&1 && break; sleep 0.5; done
  docker info >/dev/null 2>&1 || { tail -20 "$TESTBED/dockerd.log" >&2; exit 1; }
fi
docker compose version >/dev/null && docker buildx version >/dev/null

# A single-node swarm for the deploy tests (the swarm state survives a daemon restart)
if [ "$(docker info --format '{{.Swarm.LocalNodeState}}')" != active ]; then
  log "initialising a single-node swarm"
  docker swarm init --advertise-addr 127.0.0.1 >/dev/null
fi

# 4. A registry with password auth on 127.0.0.1
reg="$TESTBED/registry"
mkdir -p "$reg/data"
# The credentials, the password file and the variables file are root's alone (an earlier run's too).
if [ ! -f "$reg/credentials" ]; then
  (umask 077 && printf 'REGISTRY_USER=drover\nREGISTRY_PASSWORD=%s\n' "$(head -c 18 /dev/urandom | base64 | tr '+/' '-_')" >"$reg/credentials")
fi
# shellcheck disable=SC1091
. "$reg/credentials"
(umask 077 && htpasswd -Bbn "$REGISTRY_USER" "$REGISTRY_PASSWORD" >"$reg/htpasswd" 2>/dev/null)
cat >"$reg/config.yml" <<YML
version: 0.1
storage:
  filesystem:
    rootdirectory: $reg/data
  delete:
    enabled: true
http:
  addr: 127.0.0.1:$REGISTRY_PORT
auth:
  htpasswd:
    realm: drover-testbed
    path: $reg/htpasswd
YML
if ! curl -s -o /dev/null "http://127.0.0.1:$REGISTRY_PORT/v2/"; then
  log "starting the registry on 127.0.0.1:$REGISTRY_PORT"
  setsid nohup docker-registry serve "$reg/config.yml" >>"$reg/registry.log" 2>&1 </dev/null &
  for _ in $(seq 1 40); do curl -s -o /dev/null "http://127.0.0.1:$REGISTRY_PORT/v2/" && break; sleep 0.25; done
fi
code=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$REGISTRY_PORT/v2/")
[ "$code" = 401 ] || { log "registry answers $code, expected 401"; exit 1; }

# 5. Base images from Debian packages, under the public names Dockerfiles use
if ! docker image inspect debian:bookworm-slim >/dev/null 2>&1; then
  log "building debian:bookworm-slim with debootstrap"
  root="$TESTBED/rootfs-bookworm"
  rm -rf "$root"
  debootstrap --variant=minbase bookworm "$root" "$(mirror)" >"$TESTBED/debootstrap.log" 2>&1
  rm -rf "$root"/var/cache/apt/archives/*.deb "$root"/var/lib/apt/lists/*
  tar -C "$root" -c . | docker import -c 'CMD ["bash"]' - debian:bookworm-slim >/dev/null
  rm -rf "$root"
fi
docker image inspect debian:bookworm >/dev/null 2>&1 || docker tag debian:bookworm-slim debian:bookworm

# 6. MariaDB 10.11 (Debian 12's version) with the official image's interface, under its public name
if ! docker image inspect mariadb:10.11 >/dev/null 2>&1; then
  log "building mariadb:10.11 from Debian packages"
  docker build -q -t mariadb:10.11 "$here/mariadb" >/dev/null
fi

# 7. Redis 7.0 (Debian 12's version) under its public name, for examples/notes-service
if ! docker image inspect redis:7.0 >/dev/null 2>&1; then
  log "building redis:7.0 from Debian packages"
  docker build -q -t redis:7.0 "$here/redis" >/dev/null
fi

# 8. An SSH server on 127.0.0.1 for a `deploy` user in the docker group: a swarm manager as a
# runner off the cluster reaches it (DOCKER_HOST=ssh://deploy@...). Keys only; its host key is
# the test bed's own.
SSH_PORT=${DROVER_SSH_PORT:-22022}
sshd_dir="$TESTBED/sshd"
mkdir -p "$sshd_dir" /run/sshd
id deploy >/dev/null 2>&1 || useradd -m -s /bin/bash -G docker deploy
usermod -p '*' deploy # no password, yet not locked: sshd without PAM refuses a locked account
install -d -m 700 -o deploy -g deploy /home/deploy/.ssh
[ -f /home/deploy/.ssh/authorized_keys ] || install -m 600 -o deploy -g deploy /dev/null /home/deploy/.ssh/authorized_keys
[ -f "$sshd_dir/host_ed25519" ] || ssh-keygen -q -t ed25519 -N '' -C drover-testbed -f "$sshd_dir/host_ed25519"
cat >"$sshd_dir/sshd_config" <<SSHD
Port $SSH_PORT
ListenAddress 127.0.0.1
HostKey $sshd_dir/host_ed25519
PidFile $sshd_dir/sshd.pid
AllowUsers deploy
PasswordAuthentication no
KbdInteractiveAuthentication no
PermitRootLogin no
UsePAM no
SSHD
if ! { [ -f "$sshd_dir/sshd.pid" ] && kill -0 "$(cat "$sshd_dir/sshd.pid")" 2>/dev/null; }; then
  log "starting sshd on 127.0.0.1:$SSH_PORT"
  /usr/sbin/sshd -f "$sshd_dir/sshd_config"
fi

touch "$TESTBED/env" && chmod 600 "$TESTBED/env" "$reg/credentials" "$reg/htpasswd"
cat >"$TESTBED/env" <<ENV
DROVER_TESTBED=$TESTBED
DROVER_CLI_PLUGINS=$plugins
REGISTRY=127.0.0.1:$REGISTRY_PORT
REGISTRY_USER=$REGISTRY_USER
REGISTRY_PASSWORD=$REGISTRY_PASSWORD
SSH_PORT=$SSH_PORT
SSH_HOST_KEY_ED25519=$(cut -d' ' -f2 "$sshd_dir/host_ed25519.pub")
ENV
# 9. A three-node swarm (manager and two workers in network namespaces), reached over SSH (swarm-nodes.sh)
bash "$here/swarm-nodes.sh" up >>"$TESTBED/env"

log "ready: docker $(docker version --format '{{.Server.Version}}'), $(docker compose version --short 2>/dev/null | sed 's/^/compose /'), registry 127.0.0.1:$REGISTRY_PORT, swarm $(docker info --format '{{.Swarm.LocalNodeState}}')"
