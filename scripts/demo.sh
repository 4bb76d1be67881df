#!/usr/bin/env bash
# The main job on a fresh machine: set up, start the server on the default model, generate images
# of one class with the command-line client (every step's exit depths are printed), write PNGs and
# stats to out/, then stop the server.   Usage: scripts/demo.sh [extra 'adadiff generate' options]
# The repository carries no ONNX export: the first start builds it from the weights and caches it in
# models/fashion-mnist-uvit/onnx/ (out/server.log, event 111, says which).
set -euo pipefail
cd "$(dirname "$0")/.."
grpc_port=${ADADIFF_GRPC_PORT:-50051}
http_port=${ADADIFF_HTTP_PORT:-9464}

scripts/setup.sh
echo "demo: building (Release)…" >&2
dotnet build server/AdaDiff.Server -c Release --verbosity quiet -nologo >/dev/null
dotnet build clients/dotnet/AdaDiff.Cli -c Release --verbosity quiet -nologo >/dev/null

mkdir -p out
dotnet server/AdaDiff.Server/bin/Release/net10.0/linux-x64/AdaDiff.Server.dll \
  --AdaDiff:GrpcPort="$grpc_port" --AdaDiff:HttpPort="$http_port" --AdaDiff:BindAddress=127.0.0.1 \
  >out/server.log 2>&1 &
server_pid=$!
trap 'kill $server_pid 2>/dev/null; wait $server_pid 2>/dev/null || true' EXIT

for _ in $(seq 1 120); do
  curl -fs "http://127.0.0.1:$http_port/readyz" >/dev/null 2>&1 && break
  kill -0 $server_pid 2>/dev/null || { echo "demo: the server exited; see out/server.log" >&2; tail -20 out/server.log >&2; exit 1; }
  sleep 0.5
done
curl -fs "http://127.0.0.1:$http_port/readyz" >/dev/null || { echo "demo: the server did not become ready; see out/server.log" >&2; exit 1; }

cli=(dotnet clients/dotnet/AdaDiff.Cli/bin/Release/net10.0/linux-x64/adadiff.dll --server "http://127.0.0.1:$grpc_port")
"${cli[@]}" models
# The model's default exit policy and guidance scale apply (model.json; `models` lists them); any
# 'adadiff generate' option among the arguments overrides them, e.g. --guidance 1 or --full-depth.
"${cli[@]}" generate --class 7 --images 4 --seed 42 --out out "$@"
echo "demo: images and stats.json are in out/; the server's metrics were at http://127.0.0.1:$http_port/metrics" >&2
