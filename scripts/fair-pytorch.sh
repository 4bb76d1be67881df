#!/usr/bin/env bash
# Runs /usr/bin/python3 with the fair PyTorch baseline's BLAS (docs/design.md §9, "a fair PyTorch baseline"):
# Debian's libopenblas0-openmp, which shares torch's OpenMP threads, first on LD_LIBRARY_PATH, and
# OPENBLAS_CORETYPE=SkylakeX (OpenBLAS's AVX-512 kernels). The machine's default, libopenblas0 (the pthread build),
# starts its own threads beside torch's OpenMP ones and oversubscribes the cores: 4–8× slower on 2 cores.
#
# The library is fetched without installing it (apt-get download + dpkg -x) into build/openblas-openmp/ (ignored by
# git; $ADADIFF_OPENBLAS_DIR moves it) and reused when present. Nothing outside that folder changes, and only the
# command run here sees it: tests and CI keep the machine's configuration.
#
# Usage:
#   scripts/fair-pytorch.sh reference/uvit_reference.py --threads 2 sample models/fashion-mnist-uvit --images 4 ...
#       runs python3 with the fair configuration (arguments go to /usr/bin/python3)
#   scripts/fair-pytorch.sh --check [PACKAGE] [THREADS]
#       runs the reference on the same inputs in the default and the fair configuration and compares: every
#       layer's output of a 16-row forward (max |Δ| ≤ 1e-4) and 5 DDIM steps of 2 guided images at full depth and
#       with exits (images max |Δ| ≤ 1e-3; exit layers reported). Progress on stderr; one JSON line on stdout
#       (which BLAS each run loaded, the differences, "match"). Exit 0 when they match, 1 when they do not.
#   scripts/fair-pytorch.sh --env
#       prints the environment the fair configuration adds (NAME=value lines), fetching the library if needed.
# Exit code 3: the library could not be fetched or does not load (the message says why).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
python=/usr/bin/python3
dir=${ADADIFF_OPENBLAS_DIR:-$root/build/openblas-openmp}
libdir=$dir/usr/lib/x86_64-linux-gnu/openblas-openmp
coretype=SkylakeX

fetch() {
  if [ -e "$libdir/libopenblas.so.0" ] && [ -e "$libdir/libblas.so.3" ] && [ -e "$libdir/liblapack.so.3" ]; then
    return 0
  fi
  echo "fair-pytorch: fetching Debian's libopenblas0-openmp into $dir (not installed system-wide)" >&2
  local tmp
  tmp=$(mktemp -d)
  chmod 755 "$tmp" # apt-get download drops privileges to _apt where it can
  if ! (cd "$tmp" && apt-get download -q libopenblas0-openmp >"$tmp/log" 2>&1); then
    if ! grep -q . /var/lib/apt/lists/*Packages 2>/dev/null; then
      echo "fair-pytorch: apt has no package lists; run 'apt-get update' once" >&2
    fi
    echo "fair-pytorch: apt-get download libopenblas0-openmp failed:" >&2
    sed 's/^/  /' "$tmp/log" >&2
    rm -rf "$tmp"
    exit 3
  fi
  mkdir -p "$dir"
  dpkg -x "$tmp"/libopenblas0-openmp_*.deb "$dir"
  rm -rf "$tmp"
  [ -e "$libdir/libopenblas.so.0" ] || { echo "fair-pytorch: $libdir/libopenblas.so.0 missing after dpkg -x" >&2; exit 3; }
}

fair_env() {
  echo "LD_LIBRARY_PATH=$libdir${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
  echo "OPENBLAS_CORETYPE=$coretype"
}

run_fair() {
  LD_LIBRARY_PATH="$libdir${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}" OPENBLAS_CORETYPE=$coretype "$@"
}

check() {
  local package=${1:-models/fashion-mnist-uvit} threads=${2:-2}
  local work
  work=$(mktemp -d)
  trap 'rm -rf "$work"' RETURN
  # One driver for both runs: the reference's own forward_exits and sample on fixed inputs, outputs to .npz, and
  # which OpenBLAS the process mapped (from /proc/self/maps) with its thread settings.
  cat >"$work/run.py" <<'PY'
import json, os, sys, time
import numpy as np
import torch
sys.path.insert(0, "reference")
import uvit_reference as ref
package, threads, out = sys.argv[1], int(sys.argv[2]), sys.argv[3]
torch.set_num_threads(threads)
manifest, model = ref.load_package(package)
c = model.config
rng = np.random.default_rng(15)
x = torch.from_numpy(rng.standard_normal((16, c.channels, c.height, c.width)).astype(np.float32))
t = torch.tensor([0, 1, 37, 250.5, 500, 750, 998, 999] * 2, dtype=torch.float32)
y = torch.tensor([i % (c.null_class + 1) for i in range(16)], dtype=torch.int64)
start = time.perf_counter()
with torch.no_grad():
    outputs = {k: v.numpy() for k, v in model.forward_exits(x, t, y if c.num_classes > 0 else None).items()}
for mode in ("full", "adaptive"):
    r = ref.sample(model, manifest, 2, seed=7, steps=5, label=3 if c.num_classes > 0 else None, guidance_scale=3.0,
                   mode=mode, batch_size=2)
    outputs[f"sample.{mode}.images"] = r.images.numpy()
    outputs[f"sample.{mode}.exit_layers"] = r.exit_layers.numpy()
seconds = time.perf_counter() - start
np.savez(out, **outputs)
blas = sorted({line.split()[-1] for line in open("/proc/self/maps") if "openblas" in line and line.split()[-1].startswith("/")})
print(json.dumps({"blas": blas, "coretype": os.environ.get("OPENBLAS_CORETYPE", ""), "threads": torch.get_num_threads(),
                  "seconds": round(seconds, 3)}))
PY
  cat >"$work/compare.py" <<'PY'
import json, sys
import numpy as np
a, b = np.load(sys.argv[1]), np.load(sys.argv[2])
forward = max(float(np.abs(a[k].astype(np.float64) - b[k]).max()) for k in a.files if not k.startswith("sample."))
images = max(float(np.abs(a[k] - b[k]).max()) for k in a.files if k.endswith(".images"))
exits = int(sum(int((a[k] != b[k]).sum()) for k in a.files if k.endswith(".exit_layers")))
match = forward <= 1e-4 and images <= 1e-3
print(json.dumps({"forwardMaxAbsDiff": forward, "imageMaxAbsDiff": images, "exitLayerMismatches": exits, "match": match}))
PY
  echo "fair-pytorch: check: the reference in the default configuration (the machine's BLAS, OPENBLAS_CORETYPE=${OPENBLAS_CORETYPE:-unset})…" >&2
  local default fair compared
  default=$("$python" "$work/run.py" "$package" "$threads" "$work/default.npz")
  echo "fair-pytorch: check: … and in the fair one (libopenblas0-openmp, OPENBLAS_CORETYPE=$coretype)" >&2
  fair=$(run_fair "$python" "$work/run.py" "$package" "$threads" "$work/fair.npz")
  compared=$("$python" "$work/compare.py" "$work/default.npz" "$work/fair.npz")
  "$python" - "$default" "$fair" "$compared" "$libdir" <<'PY'
import json, sys
default, fair, compared, libdir = json.loads(sys.argv[1]), json.loads(sys.argv[2]), json.loads(sys.argv[3]), sys.argv[4]
loaded = any(p.startswith(libdir) for p in fair["blas"])
result = {"default": default, "fair": fair, **compared, "fairLibraryLoaded": loaded}
result["match"] = bool(compared["match"] and loaded)
verdict = ("matches" if compared["match"] else "DIFFERS FROM") + " the default configuration"
print(f"fair-pytorch: check: the fair configuration {verdict}: forward max |Δ| {compared['forwardMaxAbsDiff']:.2e} (≤ 1e-4), "
      f"images max |Δ| {compared['imageMaxAbsDiff']:.2e} (≤ 1e-3), exit layers differing {compared['exitLayerMismatches']}; "
      f"fair run loaded {', '.join(fair['blas']) or 'no OpenBLAS'}"
      + ("" if loaded else " (NOT the openmp build)") + f"; default run loaded {', '.join(default['blas']) or 'no OpenBLAS'}",
      file=sys.stderr)
print(json.dumps(result))
sys.exit(0 if result["match"] else 1)
PY
}

case "${1:-}" in
  --check)
    shift
    fetch
    check "$@"
    ;;
  --env)
    fetch
    fair_env
    ;;
  "" | -h | --help)
    sed -n '2,/^set -euo/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//' >&2
    exit 2
    ;;
  *)
    fetch
    run_fair "$python" "$@"
    ;;
esac
