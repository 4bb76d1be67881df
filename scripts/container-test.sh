#!/usr/bin/env bash
# End-to-end test of the server's container image (Dockerfile, CPU build) with podman, as root.
#
#   scripts/container-test.sh            # ends with one line "N passed, N failed"; exit 1 on any failure
#
# 1. Installs podman, runc and debootstrap if missing, sets default_ulimits = [] in containers.conf and makes
#    the local stand-ins for the base images (scripts/container-bases.sh; kept for later runs).
# 2. Publishes the server (ONNX Runtime only) and the adadiff command line on the host from a copy of the
#    build inputs under artifacts/container/, then builds the project's Dockerfile with podman, changing
#    only the base-image arguments, at target runtime-prebuilt, for builders whose RUN steps cannot restore
#    from nuget.org (docs/container.md). CONTAINER_TEST_TARGET=runtime builds the default target instead
#    (the SDK stage restores and publishes; the SDK stand-in is made for it).
# 3. Runs the image as its own non-root user, read-only, with a tmpfs /tmp, all capabilities dropped and its
#    ports published on other host ports; generates images over gRPC through the mapped port (adadiff CLI)
#    and checks the PNGs, reads /metrics, /healthz, /readyz and /v1/models through the mapped HTTP port,
#    checks the user, the read-only root, the healthcheck, what the server wrote to /tmp, its log, and a clean
#    stop on SIGTERM; a second, writable container shows that nothing was written outside /tmp (podman diff).
# 4. Prints the image size and the size of the published server inside it, removes the containers and the image.
#
# Environment: CONTAINER_TEST_TARGET (runtime-prebuilt | runtime), CONTAINER_TEST_KEEP_IMAGE=1 keeps the image,
# CONTAINER_TEST_IMAGE (default localhost/adadiff-server:container-test), CONTAINER_TEST_GPU=1 also builds
# Dockerfile.gpu on the stand-ins and checks it without a GPU (about 1.5 more minutes).
set -uo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
started=$SECONDS

CONTAINER_BASES_SOURCED=1 source scripts/container-bases.sh
set +e

target=${CONTAINER_TEST_TARGET:-runtime-prebuilt}
image=${CONTAINER_TEST_IMAGE:-localhost/adadiff-server:container-test}
work=$root/artifacts/container
name=adadiff-ctest-$$
name_rw=adadiff-ctest-rw-$$
python=/usr/bin/python3; [ -x "$python" ] || python=python3

passed=0; failed=0
pass() { passed=$((passed + 1)); echo "PASS  $1"; }
fail() { failed=$((failed + 1)); echo "FAIL  $1${2:+: $2}"; }
# check NAME COMMAND...: passes when COMMAND exits 0; on failure prints the last lines of its output.
check() {
  local what=$1 out; shift
  if out=$("$@" 2>&1); then pass "$what"; else fail "$what" "$(tail -3 <<<"$out" | tr '\n' ' ')"; fi
}
phase() { echo "container-test: [$((SECONDS - started)) s] $*" >&2; }
finish() {
  podman_ rm -f -t 5 "$name" "$name_rw" >/dev/null 2>&1
  [ "${CONTAINER_TEST_KEEP_IMAGE:-0}" = 1 ] || podman_ rmi -f "$image" >/dev/null 2>&1
  phase "done"
  echo "$passed passed, $failed failed"
  [ "$failed" -eq 0 ]
  exit $?
}
abort() { fail "$1" "${2:-}"; finish; }

# --- 1. podman and the base images -------------------------------------------------------------------
phase "podman and base images"
ensure_tools || abort "podman, runc and debootstrap installed"
ensure_containers_conf || abort "containers.conf default_ulimits"
# The SDK stand-in only where the image build publishes (target runtime); runtime-prebuilt publishes on the host.
make_bases 0 "$([ "$target" = runtime ] && echo 1 || echo 0)" || abort "local base images (scripts/container-bases.sh)"
pass "podman $(podman --version | awk '{print $3}') and local base images"

# --- 2. publish on the host, build the image ---------------------------------------------------------
# The build inputs (as .dockerignore lets them into the image build) plus the command line's sources, copied
# so that this build shares no bin/ or obj/ with the working tree; earlier outputs stay for incremental builds.
phase "publishing on the host"
mkdir -p "$work/src"
find "$work/src" -type f -not -path '*/bin/*' -not -path '*/obj/*' -delete
tar -C "$root" --exclude='bin' --exclude='obj' --exclude='TestResults' -c \
  global.json Directory.Build.props Directory.Build.targets Directory.Packages.props .editorconfig \
  build protos engine backends server clients/dotnet | tar -C "$work/src" -x
publish_flags=(-c Release -nologo --verbosity quiet -p:UseAppHost=false -p:PublishDocumentationFiles=false)
rm -rf "$work/server" "$work/cli" "$work/podman.log"
if [ "$target" = runtime-prebuilt ]; then
  out=$(dotnet publish "$work/src/server/AdaDiff.Server" "${publish_flags[@]}" -p:AdaDiffBackends=onnxruntime \
    -o "$work/server" 2>&1) || abort "server published (dotnet publish -p:AdaDiffBackends=onnxruntime)" "$(tail -5 <<<"$out")"
  pass "server published on the host ($(du -sm "$work/server" | cut -f1) MB)"
fi
out=$(dotnet publish "$work/src/clients/dotnet/AdaDiff.Cli" -c Release -nologo --verbosity quiet -o "$work/cli" 2>&1) \
  || abort "adadiff command line published" "$(tail -5 <<<"$out")"
cli=$work/cli/adadiff

phase "podman build --target $target"
if out=$(podman_ build --layers=false --format docker --target "$target" \
      --build-arg SDK_IMAGE="$SDK_STANDIN" --build-arg RUNTIME_IMAGE="$ASPNET_STANDIN" \
      -f Dockerfile -t "$image" . 2>&1); then
  pass "podman build (Dockerfile, target $target, stand-in base images)"
else
  abort "podman build (Dockerfile, target $target)" "$(tail -5 <<<"$out")"
fi

# The image's configuration.
inspect() { podman_ image inspect --format "$1" "$image" 2>/dev/null; }
[ "$(inspect '{{.Config.User}}')" = 10001:10001 ] && pass "image user is 10001:10001" \
  || fail "image user is 10001:10001" "$(inspect '{{.Config.User}}')"
hc=$(inspect '{{.HealthCheck}}')
[[ "$hc" == *"/readyz"* ]] && pass "image has a HEALTHCHECK on /readyz" || fail "image has a HEALTHCHECK on /readyz" "$hc"
ports=$(inspect '{{range $p, $_ := .Config.ExposedPorts}}{{$p}} {{end}}')
[[ "$ports" == *50051/tcp* && "$ports" == *9464/tcp* ]] && pass "image exposes 50051 and 9464" || fail "image exposes 50051 and 9464" "$ports"
title=$(inspect '{{index .Config.Labels "org.opencontainers.image.title"}}')
[ -n "$title" ] && pass "OCI labels (title $title)" || fail "OCI labels"
# podman's healthcheck timers need systemd; without it podman run logs an error per container: kept in a log.
in_image() { podman_ run --rm --network none --no-healthcheck --entrypoint "$1" "$image" "${@:2}" 2>>"$work/podman.log"; }
check "default model baked in at /app/models/fashion-mnist-uvit (weights and manifest, no onnx/)" \
  in_image bash -c 'cd /app/models/fashion-mnist-uvit && [ -f model.json ] && [ -f weights.safetensors ] && [ ! -e onnx ]'
server_bytes=$(in_image du -sb /app/server | cut -f1)
image_bytes=$(inspect '{{.Size}}')
mb() { awk -v b="$1" 'BEGIN { printf "%.1f MB", b / 1e6 }'; }
echo "image size $(mb "$image_bytes") ($image_bytes bytes), published server in the image $(mb "$server_bytes") ($server_bytes bytes)"
check "published server ≤ 100 MB and without libtorch/TorchSharp" \
  in_image bash -c '[ "$(du -sm /app/server | cut -f1)" -le 100 ] && ! ls /app/server | grep -Eq "^(libtorch|TorchSharp)" || { du -sh /app/server; false; }'

# --- 3. run it -----------------------------------------------------------------------------------------
free_port() { "$python" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
gport=$(free_port); hport=$(free_port)
while [ "$gport" = 50051 ] || [ "$hport" = 9464 ] || [ "$gport" = "$hport" ]; do gport=$(free_port); hport=$(free_port); done
http() { curl -s -o "$2" -w '%{http_code}' --max-time 10 "http://127.0.0.1:$hport$1"; }
run_flags=(--tmpfs /tmp:rw,nosuid,nodev,size=64m --cap-drop ALL --security-opt no-new-privileges --health-interval disable)

# wait_ready CONTAINER: the image's own HEALTHCHECK, polled until it says healthy (at most 90 s).
wait_ready() {
  local i
  for i in $(seq 1 180); do
    podman_ healthcheck run "$1" >/dev/null 2>&1 && return 0
    [ "$(podman_ inspect --format '{{.State.Running}}' "$1" 2>/dev/null)" = true ] || return 1
    sleep 0.5
  done
  return 1
}

phase "running $image (read-only, 127.0.0.1:$gport->50051, 127.0.0.1:$hport->9464)"
podman_ run -d --name "$name" --read-only "${run_flags[@]}" \
  -p "127.0.0.1:$gport:50051" -p "127.0.0.1:$hport:9464" "$image" >/dev/null 2>>"$work/podman.log" \
  || abort "container starts (read-only, tmpfs /tmp)"
ready_from=$SECONDS
if wait_ready "$name"; then
  pass "HEALTHCHECK healthy after $((SECONDS - ready_from)) s ($(podman_ logs "$name" 2>&1 | grep -o 'Loaded model.*' | head -1))"
else
  fail "HEALTHCHECK healthy" "$(podman_ logs --tail 5 "$name" 2>&1 | tr '\n' ' ')"
fi

uid=$(podman_ exec "$name" id -u 2>&1)
[ "$uid" = 10001 ] && pass "server runs as uid 10001 (not root)" || fail "server runs as uid 10001 (not root)" "$uid"
root_read_only() {
  local p
  for p in /probe /app/models/probe /app/server/probe; do
    podman_ exec "$name" touch "$p" 2>/dev/null && { echo "$p was written"; return 1; }
  done
  return 0
}
check "writing to /, /app/models and /app/server fails (read-only root)" root_read_only
check "writing to /tmp works (tmpfs)" podman_ exec "$name" sh -c 'touch /tmp/probe && rm /tmp/probe'

rm -rf "$work/out"; mkdir -p "$work/out"
if out=$("$cli" --server "http://127.0.0.1:$gport" generate --class 7 --images 2 --steps 20 --seed 42 --plain \
      --preview-every 0 --out "$work/out/grpc" 2>&1); then
  pass "gRPC Generate through the mapped port ($(grep -Eo 'acceleration ratio [0-9.]+ ?%' <<<"$out" | tail -1))"
else
  fail "gRPC Generate through the mapped port" "$(tail -3 <<<"$out" | tr '\n' ' ')"
fi
read -r width height < <("$python" -c 'import json, sys; m = json.load(open(sys.argv[1])); print(m["width"], m["height"])' \
  models/fashion-mnist-uvit/model.json)
pngs=("$work"/out/grpc/image-*.png)
if [ "${#pngs[@]}" -eq 2 ] && [ -f "${pngs[0]}" ]; then
  check "2 PNGs, valid ${width}x${height} images" "$python" tests/container/check_png.py "$width" "$height" "${pngs[@]}"
else
  fail "2 PNGs written" "$(ls "$work/out/grpc" 2>&1 | tr '\n' ' ')"
fi

code=$(http /metrics "$work/out/metrics.txt")
if [ "$code" = 200 ] && grep -q '^adadiff_' "$work/out/metrics.txt"; then
  pass "/metrics through the mapped port: 200 with adadiff_ series ($(grep -c '^adadiff_' "$work/out/metrics.txt") lines)"
else
  fail "/metrics through the mapped port: 200 with adadiff_ series" "HTTP $code"
fi
for path in /healthz /readyz /v1/models; do
  code=$(http "$path" /dev/null)
  [ "$code" = 200 ] && pass "$path through the mapped port: 200" || fail "$path through the mapped port: 200" "HTTP $code"
done

# Nothing but the .NET runtime's diagnostics pipes and socket under /tmp (no telemetry caches, no HOME files).
extra=$(podman_ exec "$name" sh -c 'ls -A /tmp' | grep -Ev '^(clr-debug-pipe-|dotnet-diagnostic-)')
[ -z "$extra" ] && pass "/tmp holds only the .NET diagnostics endpoints" || fail "/tmp holds only the .NET diagnostics endpoints" "$(tr '\n' ' ' <<<"$extra")"
# The image carries no ONNX export and writes none (ADADIFF__CACHEONNXEXPORT=false): the graphs come from memory.
source=$(podman_ logs "$name" 2>&1 | grep -o 'ONNX graphs from .*' | head -1)
[[ "$source" == *"exported in memory"*"not cached (CacheExport is off)"* ]] \
  && pass "ONNX graphs exported in memory at load, not cached" || fail "ONNX graphs exported in memory at load, not cached" "$source"
bad=$(podman_ logs "$name" 2>&1 | grep -E '^(fail|crit):|Unhandled exception|Read-only file system|Permission denied')
[ -z "$bad" ] && pass "server log has no errors" || fail "server log has no errors" "$(head -3 <<<"$bad" | tr '\n' ' ')"

phase "stopping"
podman_ stop -t 40 "$name" >/dev/null 2>&1
code=$(podman_ inspect --format '{{.State.ExitCode}}' "$name" 2>/dev/null)
[ "$code" = 0 ] && pass "stops on SIGTERM with exit code 0" || fail "stops on SIGTERM with exit code 0" "exit code $code"
podman_ rm -f "$name" >/dev/null 2>&1

# The same image on a writable root: after a generation, podman diff lists what the server changed.
phase "writable container: podman diff"
podman_ run -d --name "$name_rw" "${run_flags[@]}" -p "127.0.0.1:$gport:50051" "$image" >/dev/null 2>>"$work/podman.log"
if wait_ready "$name_rw" && "$cli" --server "http://127.0.0.1:$gport" generate --images 1 --steps 5 --plain \
     --preview-every 0 --out "$work/out/rw" >/dev/null 2>&1; then
  # "C /etc" alone is podman's own: it bind-mounts /etc/hosts, /etc/hostname and /etc/resolv.conf.
  changed=$(podman_ diff "$name_rw" 2>&1 | grep -vx 'C /etc')
  [ -z "$changed" ] && pass "nothing written outside /tmp (podman diff empty after a generation)" \
    || fail "nothing written outside /tmp (podman diff empty)" "$(head -5 <<<"$changed" | tr '\n' ' ')"
else
  fail "writable container serves a generation" "$(podman_ logs --tail 5 "$name_rw" 2>&1 | tr '\n' ' ')"
fi
podman_ rm -f -t 40 "$name_rw" >/dev/null 2>&1

# --- optional: Dockerfile.gpu on stand-ins (CONTAINER_TEST_GPU=1) ----------------------------------------
# No CUDA base image and no GPU here: the GPU server (-p:AdaDiffGpu=true) is published on the host and
# built at runtime-prebuilt on the Debian stand-in in place of the CUDA image, to check the image's make-up
# and that the CUDA provider is there and is what fails to load (exit code 1), or falls back to the CPU.
if [ "${CONTAINER_TEST_GPU:-0}" = 1 ]; then
  phase "Dockerfile.gpu on stand-ins"
  gpu_image=$image-gpu
  mkdir -p "$work/src-gpu"
  find "$work/src-gpu" -type f -not -path '*/bin/*' -not -path '*/obj/*' -delete
  tar -C "$work/src" --exclude=bin --exclude=obj --exclude=clients -c . | tar -C "$work/src-gpu" -x
  rm -rf "$work/server-gpu"
  if out=$(dotnet publish "$work/src-gpu/server/AdaDiff.Server" "${publish_flags[@]}" -p:AdaDiffBackends=onnxruntime \
        -p:AdaDiffGpu=true -o "$work/server-gpu" 2>&1) && [ -f "$work/server-gpu/libonnxruntime_providers_cuda.so" ]; then
    pass "GPU server published on the host with the CUDA provider ($(du -sm "$work/server-gpu" | cut -f1) MB)"
    # With its layers: podman 4.3's --layers=false deletes the image behind an empty stage (FROM $DOTNET_IMAGE
    # AS dotnet), here the ASP.NET Core stand-in; removing the final image below removes the layers too.
    if out=$(podman_ build --format docker -f Dockerfile.gpu --target runtime-prebuilt \
          --build-arg DOTNET_IMAGE="$ASPNET_STANDIN" --build-arg RUNTIME_IMAGE="$BASE_IMAGE" \
          --build-arg RUNTIME_PACKAGES="ca-certificates libicu72 libssl3 tzdata" -t "$gpu_image" . 2>&1); then
      pass "podman build (Dockerfile.gpu, Debian stand-in for the CUDA image) ($(mb "$(podman_ image inspect --format '{{.Size}}' "$gpu_image")"))"
      out=$(podman_ run --rm --read-only "${run_flags[@]}" "$gpu_image" 2>&1); code=$?
      [ "$code" = 1 ] && grep -q 'libonnxruntime_providers_cuda.so' <<<"$out" \
        && pass "without CUDA the GPU image stops with exit code 1 naming the CUDA provider" \
        || fail "without CUDA the GPU image stops with exit code 1 naming the CUDA provider" "exit code $code"
      podman_ run -d --name "$name_rw" --read-only "${run_flags[@]}" -e ADADIFF__CUDAFALLBACKTOCPU=true \
        -p "127.0.0.1:$gport:50051" "$gpu_image" >/dev/null 2>>"$work/podman.log"
      if wait_ready "$name_rw" && "$cli" --server "http://127.0.0.1:$gport" generate --images 1 --steps 5 --plain \
           --preview-every 0 --out "$work/out/gpu" >/dev/null 2>&1; then
        pass "GPU image with CudaFallbackToCpu=true serves on the CPU provider"
      else
        fail "GPU image with CudaFallbackToCpu=true serves on the CPU provider" "$(podman_ logs --tail 5 "$name_rw" 2>&1 | tr '\n' ' ')"
      fi
      podman_ rm -f -t 40 "$name_rw" >/dev/null 2>&1
    else
      fail "podman build (Dockerfile.gpu on stand-ins)" "$(tail -5 <<<"$out")"
    fi
    [ "${CONTAINER_TEST_KEEP_IMAGE:-0}" = 1 ] || podman_ rmi -f "$gpu_image" >/dev/null 2>&1
  else
    fail "GPU server published on the host (-p:AdaDiffGpu=true)" "$(tail -5 <<<"$out")"
  fi
fi

finish
