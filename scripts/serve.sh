#!/usr/bin/env bash
# Builds and runs the server in the foreground on the default model repository (models/). On ONNX Runtime the
# first start exports the model's graphs from its weights and caches them in models/<name>/onnx/ (never committed;
# --AdaDiff:CacheOnnxExport=false writes nothing); later starts read them after checking their hashes.
# Extra arguments go to the server, e.g. --AdaDiff:GrpcPort=50052.
set -euo pipefail
cd "$(dirname "$0")/.."
dotnet build server/AdaDiff.Server -c Release --verbosity quiet -nologo >/dev/null
exec dotnet server/AdaDiff.Server/bin/Release/net10.0/linux-x64/AdaDiff.Server.dll "$@"
