# modelship's images, from one Dockerfile with a target per image. Build from the repository root (the npm
# workspaces share one lockfile):
#
#   docker build --target api     -t modelship-api:local .   # the inference API on CPU (the default target)
#   docker build --target api-gpu -t modelship-api:gpu .     # the API on CUDA 12 + cuDNN 9, linux/amd64
#   docker build --target ui      -t modelship-ui:local .    # the web UI
#
# Stages: manifests -> dev-deps (one `npm ci` for both builds) -> api-build, ui-build; api-prod-deps,
# ui-prod-deps (production node_modules, pruned); runtime (tini, the health probe and the health check that
# the CPU API and the UI share) -> api, ui; api-gpu on the CUDA base. BuildKit builds only the stages the
# chosen target needs, so a CPU build never touches the CUDA base image.
#
# The base images are pinned by digest, each in its FROM line below and nowhere else; `npm run images:bump`
# moves them to their tag's current digest. Where the digest cannot be pulled (an offline stand-in, a
# mirror), pass the reference to use instead: --build-arg NODE_IMAGE=node:22-bookworm-slim.

ARG NODE_IMAGE
# onnxruntime-node 1.30's CUDA execution provider is built for CUDA 12.x and cuDNN 9.x.
ARG CUDA_IMAGE

FROM ${NODE_IMAGE:-node:22-bookworm-slim@sha256:43ac6c60b8f89723f746e8a92ce91abd5017e627ce1ddfe4238355d3a30b772c} AS node

# Only the package manifests, so that the npm layers below stay cached until dependencies change.
# onnxruntime-node's install script would download the CUDA libraries from NuGet into every image. npm 11+
# skips it by package.json's allowScripts; npm 10 (the one Node 22 ships) runs it, so say skip to the script.
FROM node AS manifests
ENV ONNXRUNTIME_NODE_INSTALL=skip
WORKDIR /src
COPY package.json package-lock.json .npmrc ./
COPY app/api/package.json app/api/
COPY app/ui/package.json app/ui/

# Every dependency of both workspaces, dev tools included: one layer that both builds start from.
FROM manifests AS dev-deps
RUN --mount=type=cache,target=/root/.npm npm ci --no-audit --no-fund
COPY tsconfig.base.json ./

FROM dev-deps AS api-build
COPY app/api/ app/api/
RUN npm run build -w app/api

FROM dev-deps AS ui-build
COPY app/ui/ app/ui/
# The modules of the API the UI server runs, compiled alone (the API's build compiles what is in its src/):
# the HTTP server both share (@modelship/api/http-server) and the rules both read the environment by
# (@modelship/api/shared-env, with the decimal-number parser it uses).
COPY app/api/tsconfig.build.json app/api/
COPY app/api/src/http-server.ts app/api/src/shared-env.ts app/api/src/decimal.ts app/api/src/
RUN npm run build -w app/api && npm run build -w app/ui

# Production dependencies of app/api only (the root package's dependencies are all dev tools), then the
# bulk the server never loads: onnxruntime-node ships binaries for every OS and CPU (~240 MB of them), sharp
# its WebAssembly fallback, and most packages source maps and type declarations.
FROM manifests AS api-prod-deps
ARG TARGETARCH
RUN --mount=type=cache,target=/root/.npm npm ci --omit=dev --workspace app/api --no-audit --no-fund \
 && ort=node_modules/onnxruntime-node/bin/napi-v6 \
 && arch=$(case "${TARGETARCH:-amd64}" in amd64) echo x64 ;; *) echo "${TARGETARCH}" ;; esac) \
 && test -f "$ort/linux/$arch/onnxruntime_binding.node" \
 && mv "$ort/linux/$arch" /tmp/ort-keep && rm -rf "${ort:?}"/* \
 && mkdir -p "$ort/linux" && mv /tmp/ort-keep "$ort/linux/$arch" \
 && rm -rf node_modules/@img/sharp-wasm32 node_modules/@emnapi \
 && find node_modules \( -name '*.map' -o -name '*.d.ts' -o -name '*.d.mts' -o -name '*.d.cts' \) -type f -delete \
 && mkdir -p app/api/node_modules

# The CUDA execution provider libraries, downloaded by onnxruntime-node's own installer (opt-in).
FROM api-prod-deps AS api-gpu-deps
RUN ONNXRUNTIME_NODE_INSTALL=cuda12 node node_modules/onnxruntime-node/script/install.js \
 && test -f node_modules/onnxruntime-node/bin/napi-v6/linux/x64/libonnxruntime_providers_cuda.so

FROM manifests AS ui-prod-deps
RUN --mount=type=cache,target=/root/.npm npm ci --omit=dev --workspace app/ui --no-audit --no-fund \
 && mkdir -p node_modules/@modelship && ln -sfn ../../app/api node_modules/@modelship/api \
 && find node_modules \( -name '*.map' -o -name '*.d.ts' -o -name '*.d.mts' -o -name '*.d.cts' \) -type f -delete \
 && mkdir -p app/ui/node_modules

# A statically linked tini (usable on both the Debian and the Ubuntu/CUDA bases) and the health probe.
FROM node AS tools
RUN apt-get update -qq \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends tini \
 && rm -rf /var/lib/apt/lists/*
COPY deploy/healthcheck.mjs /usr/local/bin/healthcheck
RUN chmod 0755 /usr/local/bin/healthcheck

# What the CPU API and the UI share: tini as PID 1 (it forwards SIGTERM to node, which drains in-flight
# requests, and reaps zombies), the non-root user, and the health check: the probe asks for HEALTH_PATH,
# which each image sets. Compose and the VM use this health check as it is (they define none of their own).
FROM node AS runtime
COPY --from=tools /usr/bin/tini-static /usr/bin/tini
COPY --from=tools /usr/local/bin/healthcheck /usr/local/bin/healthcheck
WORKDIR /app
COPY package.json ./
ENV NODE_ENV=production
USER node
HEALTHCHECK --interval=10s --timeout=5s --start-period=60s --retries=3 CMD ["healthcheck"]
ENTRYPOINT ["/usr/bin/tini", "--"]

# ---- ui: the built front end plus the small Hono server that serves it and proxies /api/* to API_URL ----
FROM runtime AS ui
# Root-owned and read-only for the `node` user the server runs as.
COPY --from=ui-prod-deps /src/node_modules ./node_modules
COPY --from=ui-prod-deps /src/app/ui/node_modules ./app/ui/node_modules
COPY app/ui/package.json ./app/ui/
COPY --from=ui-build /src/app/ui/dist ./app/ui/dist
COPY --from=ui-build /src/app/api/dist/http-server.js /src/app/api/dist/shared-env.js /src/app/api/dist/decimal.js ./app/api/dist/
COPY app/api/package.json ./app/api/
ENV PORT=8501 HEALTH_PATH=/healthz API_URL=http://api:8000
EXPOSE 8501
CMD ["node", "--enable-source-maps", "app/ui/dist/server/server.js"]
ARG VERSION=dev
ARG REVISION=unknown
ARG SOURCE=unknown
LABEL org.opencontainers.image.title="modelship-ui" \
      org.opencontainers.image.source=$SOURCE \
      org.opencontainers.image.version=$VERSION \
      org.opencontainers.image.revision=$REVISION

# ---- api-gpu: CUDA 12 + cuDNN 9 runtime, Node 22 from the node image --------------------------------------
FROM ${CUDA_IMAGE:-nvidia/cuda:12.8.1-cudnn-runtime-ubuntu22.04@sha256:17e2934e1fa96152b14f78078bfbafd0f00f391df995dc6c641a720fce1202bb} AS api-gpu
COPY --from=node /usr/local/bin/node /usr/local/bin/node
COPY --from=tools /usr/bin/tini-static /usr/bin/tini
COPY --from=tools /usr/local/bin/healthcheck /usr/local/bin/healthcheck
RUN groupadd --gid 1000 node && useradd --uid 1000 --gid node --create-home --shell /bin/bash node
WORKDIR /app
COPY --from=api-gpu-deps /src/node_modules ./node_modules
COPY --from=api-gpu-deps /src/app/api/node_modules ./app/api/node_modules
COPY package.json ./
COPY app/api/package.json ./app/api/
COPY --from=api-build /src/app/api/dist ./app/api/dist
COPY models ./models
ENV NODE_ENV=production PORT=8000 HEALTH_PATH=/ready ORT_PROVIDERS=cuda,cpu
# glibc's allocator keeps the image buffers every request allocates and frees instead of mapping and unmapping
# them each time (app/api/launch-env.json; `npm start` and the bench set the same).
ENV MALLOC_MMAP_THRESHOLD_=33554432 MALLOC_TRIM_THRESHOLD_=67108864
USER node
EXPOSE 8000
# The runtime stage's check with a longer start period: loading the CUDA libraries and building the first
# GPU sessions takes minutes on a cold VM. Compose keeps it (it overrides no health check).
HEALTHCHECK --interval=10s --timeout=5s --start-period=300s --retries=3 CMD ["healthcheck"]
ENTRYPOINT ["/usr/bin/tini", "--"]
CMD ["node", "--enable-source-maps", "app/api/dist/server.js"]
ARG VERSION=dev
ARG REVISION=unknown
ARG SOURCE=unknown
LABEL org.opencontainers.image.title="modelship-api (CUDA)" \
      org.opencontainers.image.source=$SOURCE \
      org.opencontainers.image.version=$VERSION \
      org.opencontainers.image.revision=$REVISION

# ---- api (the last stage, so the default target): the inference API on CPU --------------------------------
FROM runtime AS api
COPY --from=api-prod-deps /src/node_modules ./node_modules
COPY --from=api-prod-deps /src/app/api/node_modules ./app/api/node_modules
COPY app/api/package.json ./app/api/
COPY --from=api-build /src/app/api/dist ./app/api/dist
COPY models ./models
ENV PORT=8000 HEALTH_PATH=/ready
# As in api-gpu: see app/api/launch-env.json.
ENV MALLOC_MMAP_THRESHOLD_=33554432 MALLOC_TRIM_THRESHOLD_=67108864
EXPOSE 8000
CMD ["node", "--enable-source-maps", "app/api/dist/server.js"]
ARG VERSION=dev
ARG REVISION=unknown
ARG SOURCE=unknown
LABEL org.opencontainers.image.title="modelship-api" \
      org.opencontainers.image.source=$SOURCE \
      org.opencontainers.image.version=$VERSION \
      org.opencontainers.image.revision=$REVISION
