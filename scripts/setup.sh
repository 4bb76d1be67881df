#!/usr/bin/env bash
# Installs what a fresh machine lacks to build, run and test AdaDiff.Grpc (idempotent).
# Needs the .NET 10 SDK on PATH; Debian packages come from apt (run as root or with sudo).
set -euo pipefail
cd "$(dirname "$0")/.."

# Debian packages: the Fashion-MNIST data set (training, evaluation, loader tests); PyTorch with
# OpenBLAS for the reference model in reference/ (parity tests, speed baseline; /usr/bin/python3).
# The Python client's gRPC and test runner (stubs are generated from protos/ with python3-grpc-tools); venv, pip,
# setuptools and wheel build and install it as a package offline (pip install --no-build-isolation).
# The deployment tests (tests/deploy): Prometheus and promtool (rules, a real scrape), yamllint (chart values),
# Go with sprig and sigs.k8s.io/yaml for ../shared/tools/chart-render (renders the Helm chart without helm);
# openssl makes the certificates of the clients' TLS tests and of the README's credentials example.
apt_packages=(dataset-fashion-mnist python3-torch python3-numpy libopenblas0
  python3-grpcio python3-grpc-tools python3-pytest python3-venv python3-pip python3-setuptools python3-wheel
  prometheus yamllint golang-go golang-github-masterminds-sprig-dev golang-k8s-sigs-yaml-dev
  openssl)
missing=()
for p in "${apt_packages[@]}"; do
  dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "setup: installing ${missing[*]}" >&2
  sudo_cmd=""; [ "$(id -u)" -ne 0 ] && sudo_cmd="sudo"
  $sudo_cmd apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq "${missing[@]}" >/dev/null
fi

command -v dotnet >/dev/null || { echo "setup: the .NET 10 SDK (dotnet) is required" >&2; exit 1; }
dotnet restore AdaDiff.Grpc.sln --verbosity quiet

# The Node client's and the deployment tests' pinned packages (package-lock.json), when Node is there.
if command -v npm >/dev/null; then
  for dir in clients/node tests/deploy; do
    (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error >/dev/null) || { echo "setup: npm ci in $dir failed" >&2; exit 1; }
  done
else
  echo "setup: npm not found; the Node client's tests will be skipped" >&2
fi
