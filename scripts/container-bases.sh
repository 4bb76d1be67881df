#!/usr/bin/env bash
# Makes local stand-ins for the base images the Dockerfiles name, for machines that cannot reach
# an image registry. Each image is made once and kept (skipped when it exists; --rebuild remakes them).
#
#   localhost/debian-base:bookworm      debootstrap --variant=minbase bookworm, imported with podman
#   localhost/dotnet-sdk:10.0           + this machine's .NET SDK (/usr/share/dotnet), like mcr.microsoft.com/dotnet/sdk:10.0
#   localhost/dotnet-aspnet:10.0        + only the .NET and ASP.NET Core runtimes, like mcr.microsoft.com/dotnet/aspnet:10.0
#
# Both .NET stand-ins add what the official images carry and minbase lacks (libicu72, libssl3,
# ca-certificates, tzdata) and the same environment (DOTNET_RUNNING_IN_CONTAINER, ASPNETCORE_HTTP_PORTS=8080,
# an "app" user with uid 1654), so a Dockerfile that builds on them relies on nothing more than the
# official images give.
#
# Usage: scripts/container-bases.sh [--rebuild]      (as root; installs podman, runc and debootstrap if missing)
# Environment: DOTNET_HOME (default /usr/share/dotnet), DEBIAN_MIRROR (default http://deb.debian.org/debian).
# Also sourced by scripts/container-test.sh for the podman setup (CONTAINER_BASES_SOURCED=1).
set -euo pipefail

DOTNET_HOME=${DOTNET_HOME:-/usr/share/dotnet}
DEBIAN_MIRROR=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
BASE_IMAGE=localhost/debian-base:bookworm
SDK_STANDIN=localhost/dotnet-sdk:10.0
ASPNET_STANDIN=localhost/dotnet-aspnet:10.0

# podman as it runs here: runc (crun refuses hybrid cgroups) and cgroupfs (no systemd session).
podman_() { podman --runtime /usr/sbin/runc --cgroup-manager cgroupfs "$@"; }

log() { echo "container-bases: $*" >&2; }

# Installs podman, runc and debootstrap with apt-get when any is missing.
ensure_tools() {
  local missing=()
  command -v podman >/dev/null || missing+=(podman)
  [ -x /usr/sbin/runc ] || missing+=(runc)
  command -v debootstrap >/dev/null || missing+=(debootstrap)
  [ ${#missing[@]} -eq 0 ] && return 0
  [ "$(id -u)" -eq 0 ] || { log "needs root to install ${missing[*]}"; return 1; }
  log "installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get -o DPkg::Lock::Timeout=600 update -qq
  apt-get -o DPkg::Lock::Timeout=600 install -y -qq podman runc debootstrap >/dev/null
}

# podman's default open-files ulimit exceeds this kind of machine's hard limit: containers.conf's
# [containers] section gets default_ulimits = [] unless it already sets default_ulimits.
ensure_containers_conf() {
  local conf=/etc/containers/containers.conf
  mkdir -p /etc/containers
  if [ -f "$conf" ] && grep -Eq '^[[:space:]]*default_ulimits[[:space:]]*=' "$conf"; then
    return 0
  fi
  log "setting default_ulimits = [] in $conf"
  if [ -f "$conf" ] && grep -Eq '^[[:space:]]*\[containers\]' "$conf"; then
    sed -i '0,/^[[:space:]]*\[containers\]/s//[containers]\ndefault_ulimits = []/' "$conf"
  else
    printf '\n[containers]\ndefault_ulimits = []\n' >>"$conf"
  fi
}

image_exists() { podman_ image exists "$1"; }

make_debian_base() {
  local dir
  dir=$(mktemp -d /tmp/debian-base.XXXXXX)
  log "debootstrap --variant=minbase bookworm (about 90 s)"
  if ! debootstrap --variant=minbase bookworm "$dir" "$DEBIAN_MIRROR" >"$dir.log" 2>&1; then
    tail -20 "$dir.log" >&2; rm -rf "$dir" "$dir.log"; return 1
  fi
  # Trimmed like the registry's slim Debian images: no documentation, manual pages or translations,
  # now or in later apt-get installs.
  printf '%s\n' 'path-exclude /usr/share/doc/*' 'path-include /usr/share/doc/*/copyright' \
    'path-exclude /usr/share/man/*' 'path-exclude /usr/share/info/*' \
    'path-exclude /usr/share/locale/*' 'path-include /usr/share/locale/locale.alias' \
    >"$dir/etc/dpkg/dpkg.cfg.d/01-slim"
  printf 'APT::Install-Recommends "false";\n' >"$dir/etc/apt/apt.conf.d/01-norecommends"
  find "$dir/usr/share/doc" -mindepth 1 -not -name copyright -not -type d -delete
  find "$dir/usr/share/locale" -mindepth 1 -maxdepth 1 -not -name locale.alias -exec rm -rf {} +
  rm -rf "$dir"/usr/share/man/* "$dir"/usr/share/info/* "$dir"/var/cache/apt/*.bin \
    "$dir"/var/cache/apt/archives/*.deb "$dir"/var/lib/apt/lists/* "$dir.log"
  tar -C "$dir" --numeric-owner -c . | podman_ import --quiet --change 'CMD ["/bin/bash"]' - "$BASE_IMAGE" >/dev/null
  rm -rf "$dir"
}

# What the official .NET images add to their OS base, minus the .NET files themselves.
dotnet_os_layer() {
  cat <<EOF
FROM $BASE_IMAGE
RUN apt-get update \\
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends ca-certificates libicu72 libssl3 tzdata \\
 && apt-get clean && rm -rf /var/lib/apt/lists/* /var/log/apt/* /var/log/dpkg.log \\
 && groupadd --gid=1654 app && useradd --no-log-init --uid=1654 --gid=1654 --create-home app
ENV APP_UID=1654 ASPNETCORE_HTTP_PORTS=8080 DOTNET_RUNNING_IN_CONTAINER=true
EOF
}

make_sdk_standin() {
  local ctx
  ctx=$(mktemp -d /tmp/dotnet-sdk.XXXXXX)
  { dotnet_os_layer
    cat <<'EOF'
COPY dotnet/ /usr/share/dotnet/
RUN ln -s /usr/share/dotnet/dotnet /usr/bin/dotnet
ENV DOTNET_GENERATE_ASPNET_CERTIFICATE=false DOTNET_NOLOGO=true DOTNET_USE_POLLING_FILE_WATCHER=true \
    NUGET_XMLDOC_MODE=skip DOTNET_CLI_TELEMETRY_OPTOUT=1
EOF
  } >"$ctx/Containerfile"
  cp -a "$DOTNET_HOME" "$ctx/dotnet"
  log "building $SDK_STANDIN from $DOTNET_HOME"
  podman_ build --quiet --layers=false --format docker -t "$SDK_STANDIN" -f "$ctx/Containerfile" "$ctx" >/dev/null
  rm -rf "$ctx"
}

make_aspnet_standin() {
  local ctx
  ctx=$(mktemp -d /tmp/dotnet-aspnet.XXXXXX)
  { dotnet_os_layer
    cat <<'EOF'
COPY dotnet/ /usr/share/dotnet/
RUN ln -s /usr/share/dotnet/dotnet /usr/bin/dotnet
EOF
  } >"$ctx/Containerfile"
  # The runtime parts only: the muxer, the host resolver and the two shared frameworks.
  mkdir -p "$ctx/dotnet/shared"
  cp -a "$DOTNET_HOME/dotnet" "$DOTNET_HOME/host" "$ctx/dotnet/"
  cp -a "$DOTNET_HOME/LICENSE.txt" "$DOTNET_HOME/ThirdPartyNotices.txt" "$ctx/dotnet/" 2>/dev/null || true
  cp -a "$DOTNET_HOME/shared/Microsoft.NETCore.App" "$DOTNET_HOME/shared/Microsoft.AspNetCore.App" "$ctx/dotnet/shared/"
  log "building $ASPNET_STANDIN (runtimes: $(ls "$ctx/dotnet/shared/Microsoft.NETCore.App" | tr '\n' ' '))"
  podman_ build --quiet --layers=false --format docker -t "$ASPNET_STANDIN" -f "$ctx/Containerfile" "$ctx" >/dev/null
  rm -rf "$ctx"
}

# make_bases [REBUILD [WITH_SDK]]: makes every stand-in that is missing (all of them again with REBUILD=1);
# WITH_SDK=0 leaves the SDK stand-in out (builds that publish on the host do not need it).
make_bases() {
  local rebuild=${1:-0} with_sdk=${2:-1}
  if [ "$rebuild" = 1 ]; then
    podman_ rmi -f "$ASPNET_STANDIN" "$SDK_STANDIN" "$BASE_IMAGE" >/dev/null 2>&1 || true
  fi
  image_exists "$BASE_IMAGE" || make_debian_base
  if [ "$with_sdk" = 1 ]; then image_exists "$SDK_STANDIN" || make_sdk_standin; fi
  image_exists "$ASPNET_STANDIN" || make_aspnet_standin
  log "ready: $BASE_IMAGE $ASPNET_STANDIN$([ "$with_sdk" = 1 ] && echo " $SDK_STANDIN")"
}

if [ "${CONTAINER_BASES_SOURCED:-0}" != 1 ]; then
  rebuild=0
  case "${1:-}" in
    --rebuild) rebuild=1 ;;
    "") ;;
    -h|--help) sed -n '2,17p' "$0"; exit 0 ;;
    *) echo "usage: $0 [--rebuild]" >&2; exit 2 ;;
  esac
  ensure_tools
  ensure_containers_conf
  make_bases "$rebuild"
fi
