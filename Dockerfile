# AdaDiff.Grpc server, CPU build: ONNX Runtime (CPU provider) only, the default model baked in.
#
#   docker build -t adadiff-server .
#   docker run --rm --read-only --tmpfs /tmp -p 50051:50051 -p 9464:9464 adadiff-server
#
# Targets: runtime (the default, last) publishes the server in the SDK stage; runtime-prebuilt takes a
# server already published into artifacts/container/server (for builders that cannot restore from NuGet):
#   dotnet publish server/AdaDiff.Server -c Release -p:AdaDiffBackends=onnxruntime -p:UseAppHost=false \
#     -p:PublishDocumentationFiles=false -o artifacts/container/server
#   docker build --target runtime-prebuilt -t adadiff-server .
#
# Base images are build arguments (SDK_IMAGE, RUNTIME_IMAGE) so that mirrors or local stand-ins can be
# used; the runtime stage relies on nothing that mcr.microsoft.com/dotnet/aspnet lacks (.NET 10 and
# ASP.NET Core runtimes with `dotnet` on PATH, ICU, OpenSSL 3, CA certificates, bash, useradd).
# docs/container.md: running, read-only use, mounting models, the GPU variant (Dockerfile.gpu), the test.
# With podman, build with --format docker: the OCI format drops HEALTHCHECK.

ARG SDK_IMAGE=mcr.microsoft.com/dotnet/sdk:10.0
ARG RUNTIME_IMAGE=mcr.microsoft.com/dotnet/aspnet:10.0

# ---------------------------------------------------------------------------------------------------
FROM ${SDK_IMAGE} AS build
# Backends compiled into the server: the serving image carries ONNX Runtime only (no TorchSharp/libtorch).
ARG ADADIFF_BACKENDS=onnxruntime
# NuGet's certificate revocation check: online (NuGet's default); pass offline where the certificate
# authorities' OCSP/CRL servers cannot be reached (signatures are still verified, only that lookup is skipped).
ARG NUGET_CERT_REVOCATION_MODE=online
ENV NUGET_CERT_REVOCATION_MODE=${NUGET_CERT_REVOCATION_MODE} \
    DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1
WORKDIR /src
# The build inputs only (.dockerignore lists them): solution-wide props/targets, protos, engine, backends, server.
COPY . .
RUN --mount=type=cache,id=adadiff-nuget,target=/root/.nuget/packages \
    dotnet restore server/AdaDiff.Server/AdaDiff.Server.csproj -p:AdaDiffBackends=${ADADIFF_BACKENDS} \
 && dotnet publish server/AdaDiff.Server/AdaDiff.Server.csproj -c Release --no-restore \
      -p:AdaDiffBackends=${ADADIFF_BACKENDS} -p:UseAppHost=false -p:PublishDocumentationFiles=false -o /out/server

# ---------------------------------------------------------------------------------------------------
# Everything of the final image but the server itself.
FROM ${RUNTIME_IMAGE} AS runtime-base
ARG RUNTIME_IMAGE
ARG VERSION=dev
ARG REVISION=
ARG CREATED=
LABEL org.opencontainers.image.title="adadiff-server" \
      org.opencontainers.image.description="AdaDiff.Grpc: gRPC diffusion-model server with step-wise adaptive early exits (CPU, ONNX Runtime)" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.revision="${REVISION}" \
      org.opencontainers.image.created="${CREATED}" \
      org.opencontainers.image.base.name="${RUNTIME_IMAGE}" \
      org.opencontainers.image.documentation="docs/container.md"

# An unprivileged user of its own (uid/gid 10001), with no home directory and no login shell.
RUN groupadd --gid 10001 adadiff \
 && useradd --no-log-init --uid 10001 --gid 10001 --home-dir /nonexistent --no-create-home \
      --shell /usr/sbin/nologin adadiff

# Read-only friendly: nothing is written but the .NET diagnostics pipes and socket (and a crash dump),
# under TMPDIR (/tmp: mount a tmpfs or an emptyDir there). ORT_DISABLE_TELEMETRY=1 turns off ONNX
# Runtime's telemetry (since 1.29 also on Linux: an uploader, a device id and an event cache under
# $HOME/.cache). HOME points at /tmp for anything else that writes there. The base image's
# ASPNETCORE_HTTP_PORTS is cleared: the server sets its own endpoints (ADADIFF__GRPCPORT / ADADIFF__HTTPPORT).
# ADADIFF__CACHEONNXEXPORT=false: the model folder is read-only, so the ONNX graphs the server exports at load
# are not written back (see the model below).
ENV ADADIFF__MODELREPOSITORY=/app/models \
    ADADIFF__CACHEONNXEXPORT=false \
    ADADIFF__BINDADDRESS=0.0.0.0 \
    ADADIFF__GRPCPORT=50051 \
    ADADIFF__HTTPPORT=9464 \
    ASPNETCORE_HTTP_PORTS= \
    DOTNET_RUNNING_IN_CONTAINER=true \
    DOTNET_NOLOGO=1 \
    ORT_DISABLE_TELEMETRY=1 \
    TMPDIR=/tmp \
    HOME=/tmp

# Owned by root and read-only to the server: the default model's weights and manifest, then the published server.
# No ONNX export (.dockerignore keeps out a developer's cached onnx/): the server exports the graphs in memory from
# the weights at every start. Chosen over building them here with `adadiff-tools export-onnx`, which would bring the
# tools and TorchSharp/libtorch (474 MB) into the build stage and an export that a mounted model or new weights make
# stale, for about half a second more at start (docs/container.md); and over caching them at start in a writable
# path, which a read-only root leaves only on the /tmp tmpfs, lost at every restart.
COPY models/fashion-mnist-uvit/ /app/models/fashion-mnist-uvit/

USER 10001:10001
WORKDIR /app/server
EXPOSE 50051 9464

# Ready (models loaded) on the HTTP port; bash's /dev/tcp, so the image needs no curl or wget.
HEALTHCHECK --interval=15s --timeout=5s --start-period=60s --retries=3 \
  CMD ["bash", "-c", "p=${ADADIFF__HTTPPORT:-9464}; exec 3<>/dev/tcp/127.0.0.1/$p && printf 'GET /readyz HTTP/1.1\\r\\nHost: 127.0.0.1:%s\\r\\nConnection: close\\r\\n\\r\\n' \"$p\" >&3 && read -r -t 4 _ code _ <&3 && [ \"$code\" = 200 ]"]

ENTRYPOINT ["dotnet", "/app/server/AdaDiff.Server.dll"]

# ---------------------------------------------------------------------------------------------------
# The server published outside the build (see the top of this file).
FROM runtime-base AS runtime-prebuilt
COPY artifacts/container/server/ /app/server/

# ---------------------------------------------------------------------------------------------------
# The default target: the server published in the build stage.
FROM runtime-base AS runtime
COPY --from=build /out/server/ /app/server/
