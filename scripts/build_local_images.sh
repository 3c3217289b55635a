#!/usr/bin/env bash
# Build, without any container registry, the three images docker-compose.yml needs:
#   funnelhouse/base:local      a Debian bookworm rootfs made by debootstrap from the apt mirror this
#                               machine uses (Python 3.11, PostgreSQL 15, Redis 7), `docker import`ed
#   funnelhouse/postgres:local  stands in for the official postgres image (docker/Dockerfile.postgres)
#   funnelhouse/redis:local     stands in for the official redis image (docker/Dockerfile.redis)
#   funnelhouse/airflow:local   Airflow 3.3.2 + this project pip-installed from PyPI with
#                               constraints.txt (docker/Dockerfile.local), the same layout as the root
#                               Dockerfile's image (which extends the official apache/airflow image)
# Every build step uses the host's network namespace (`--network host`): no bridge is needed.
# Cached: the rootfs tarball ($FUNNELHOUSE_IMAGE_CACHE, default /var/cache/funnelhouse-images) and the
# base/postgres/redis images are reused when present, the Airflow image through Docker's layer cache
# (dependencies are one layer keyed on pyproject.toml + constraints.txt). FORCE=1 rebuilds everything.
# Needs: root (debootstrap), debootstrap, a Docker daemon (DOCKER_HOST is honoured).
# Prints the variables docker compose needs to use the images (FUNNELHOUSE_IMAGE, POSTGRES_IMAGE, REDIS_IMAGE).
set -euo pipefail
cd "$(dirname "$0")/.."
DOCKER=${DOCKER:-docker}
CACHE=${FUNNELHOUSE_IMAGE_CACHE:-/var/cache/funnelhouse-images}
BASE=funnelhouse/base:local
APP=funnelhouse/airflow:local
FORCE=${FORCE:-0}
# The Debian mirror apt is configured with (one-line .list or deb822 .sources), never a comment line.
mirror_from_apt() {
  cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources 2>/dev/null \
    | grep -vE '^\s*#' | grep -oE 'https?://[^ ]*/debian/?( |$)' | tr -d ' ' | head -1
}
MIRROR=${DEBIAN_MIRROR:-$(mirror_from_apt || true)}
MIRROR=${MIRROR:-http://deb.debian.org/debian}
PACKAGES=python3,python3-venv,postgresql-15,postgresql-client-15,redis-server,redis-tools,curl,ca-certificates,dumb-init,procps,libpq5,tzdata
have() { "$DOCKER" image inspect "$1" >/dev/null 2>&1; }
step() { printf '[images] %s\n' "$*"; }
command -v "$DOCKER" >/dev/null || { echo "docker CLI not found (apt-get install docker.io)" >&2; exit 2; }
"$DOCKER" info >/dev/null 2>&1 || { echo "no Docker daemon answers (DOCKER_HOST=${DOCKER_HOST:-default})" >&2; exit 2; }
mkdir -p "$CACHE"

if [[ "$FORCE" == 1 ]] || ! have "$BASE"; then
  if [[ "$FORCE" == 1 || ! -s "$CACHE/rootfs.tar" ]]; then
    command -v debootstrap >/dev/null || { echo "debootstrap not found (apt-get install debootstrap)" >&2; exit 2; }
    step "debootstrap bookworm from $MIRROR"
    root=$(mktemp -d "$CACHE/rootfs.XXXXXX")
    trap 'umount "$root/proc" 2>/dev/null || true; rm -rf "$root"' EXIT
    debootstrap --variant=minbase bookworm "$root" "$MIRROR" >"$CACHE/debootstrap.log" 2>&1 \
      || { tail -20 "$CACHE/debootstrap.log" >&2; exit 1; }
    # Then the packages, with every service start refused (policy-rc.d): the chroot shares the host's
    # network, and a PostgreSQL or Redis started by a postinst would listen on the host's 5432/6379.
    printf '#!/bin/sh\nexit 101\n' >"$root/usr/sbin/policy-rc.d"; chmod +x "$root/usr/sbin/policy-rc.d"
    printf 'deb %s bookworm main\ndeb %s bookworm-updates main\n' "$MIRROR" "$MIRROR" >"$root/etc/apt/sources.list"
    cp /etc/resolv.conf "$root/etc/resolv.conf"
    mount -t proc proc "$root/proc"
    step "apt-get install (chroot) ${PACKAGES//,/ }"
    chroot "$root" /usr/bin/env DEBIAN_FRONTEND=noninteractive sh -c \
      "apt-get update -qq && apt-get install -y -qq --no-install-recommends ${PACKAGES//,/ } && apt-get clean" \
      >>"$CACHE/debootstrap.log" 2>&1 || { tail -20 "$CACHE/debootstrap.log" >&2; exit 1; }
    umount "$root/proc"
    # The package's default cluster, caches and docs are not part of the image (the entrypoint runs initdb).
    rm -rf "$root"/var/lib/postgresql/15 "$root"/etc/postgresql/15 "$root"/var/lib/apt/lists/* \
      "$root"/usr/share/doc/* "$root"/usr/share/man/* "$root"/usr/sbin/policy-rc.d
    : >"$root/etc/resolv.conf"
    tar --numeric-owner -C "$root" -cf "$CACHE/rootfs.tar.tmp" . && mv "$CACHE/rootfs.tar.tmp" "$CACHE/rootfs.tar"
    rm -rf "$root"; trap - EXIT
  fi
  step "docker import $BASE"
  "$DOCKER" import --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin LANG=C.UTF-8' \
    --change 'CMD ["/bin/bash"]' "$CACHE/rootfs.tar" "$BASE" >/dev/null
fi

for img in postgres redis; do
  if [[ "$FORCE" == 1 ]] || ! have "funnelhouse/$img:local"; then
    step "build funnelhouse/$img:local"
    "$DOCKER" build --network host --force-rm -q -t "funnelhouse/$img:local" --build-arg BASE="$BASE" \
      -f "docker/Dockerfile.$img" docker >/dev/null
  fi
done

# The Airflow image's context: only what the image copies, without local state (as .dockerignore).
step "build $APP"
nocache=(); [[ "$FORCE" == 1 ]] && nocache=(--no-cache)
# build-ca.crt: the CA bundle this host trusts (BUILD_CA_BUNDLE), so pip reaches PyPI through a
# TLS-inspecting proxy as the host's own pip does; used by the dependency stage only.
ctx=$(mktemp -d); trap 'rm -rf "$ctx"' EXIT
ca=${BUILD_CA_BUNDLE:-/etc/ssl/certs/ca-certificates.crt}
if [[ -s "$ca" ]]; then cp "$ca" "$ctx/build-ca.crt"; else : >"$ctx/build-ca.crt"; fi
tar -cf - --exclude='__pycache__' --exclude='*.pyc' --exclude='*.egg-info' --exclude='dbt_project/target' \
    --exclude='dbt_project/logs' --exclude='dbt_project/dbt_packages' --exclude='expectations/gx/uncommitted' \
    pyproject.toml constraints.txt README.md funnelhouse extractors expectations sandbox dbt_project dags \
    docker/airflow-entrypoint.sh docker/Dockerfile.local -C "$ctx" build-ca.crt \
  | "$DOCKER" build --network host --force-rm -t "$APP" --build-arg BASE="$BASE" "${nocache[@]}" \
      -f docker/Dockerfile.local - >"$CACHE/build-airflow.log" 2>&1 \
  || { tail -40 "$CACHE/build-airflow.log" >&2; exit 1; }
"$DOCKER" image ls --format '{{.Repository}}:{{.Tag}} {{.Size}}' | grep '^funnelhouse/' | sed 's/^/[images] /'
echo "FUNNELHOUSE_IMAGE=$APP POSTGRES_IMAGE=funnelhouse/postgres:local REDIS_IMAGE=funnelhouse/redis:local"
