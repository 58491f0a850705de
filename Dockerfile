# syntax=docker/dockerfile:1
#
# ringmaster as the PID 1 of a container: it reads its config from /etc/ringmaster/
# (ringmaster.yaml, .yml or .ini; a ConfigMap mounted there reloads in place), binds the
# sockets, runs the watchers and serves /metrics, /livez and /readyz on http_port.
#
#   docker build -t ringmaster .
#   docker run --rm -p 8080:8080 -p 9090:9090 -v "$PWD/conf:/etc/ringmaster:ro" ringmaster
#
# As a base image: FROM ringmaster, COPY your app to /app and your config to
# /etc/ringmaster/ringmaster.yaml. Single-command mode (no config) works too:
# CMD ["--", "node", "server.js"]; then set RINGMASTER_PROBE_URL or HEALTHCHECK NONE,
# as the health check reads http_port from the config.

ARG NODE_IMAGE=node:24-bookworm-slim

# --- build: tsc, then `npm pack`, so that the runtime gets exactly the published files
FROM ${NODE_IMAGE} AS build
ENV npm_config_update_notifier=false npm_config_fund=false npm_config_audit=false
WORKDIR /src
COPY package.json package-lock.json ./
# --omit=peer: no peer dependency of a dev tool is needed to build.
# --ignore-scripts: koffi's native code comes prebuilt in @koromix/koffi-<platform>.
RUN --mount=type=cache,target=/root/.npm \
    npm ci --omit=peer --ignore-scripts
COPY tsconfig.json ./
COPY scripts/build-validator.mjs scripts/
COPY bin/ bin/
COPY src/ src/
COPY examples/ examples/
RUN npm run build \
 && npm pack --pack-destination /tmp \
 && mkdir /pkg \
 && tar -xzf /tmp/ringmaster-*.tgz -C /pkg --strip-components=1 \
 && cp package-lock.json /pkg/

# --- runtime: the packed files and their production dependencies, nothing else
FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production npm_config_update_notifier=false npm_config_fund=false npm_config_audit=false
RUN groupadd --gid 10001 ringmaster \
 && useradd --uid 10001 --gid 10001 --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin ringmaster
WORKDIR /opt/ringmaster
COPY --from=build /pkg/ ./
RUN --mount=type=cache,target=/root/.npm \
    npm ci --omit=dev --ignore-scripts \
 && ln -s /opt/ringmaster/bin/ringmaster /usr/local/bin/ringmaster \
 && mkdir -p /etc/ringmaster /app \
 && ringmaster --version
WORKDIR /app
# Numeric, so that Kubernetes' runAsNonRoot can check it.
USER 10001:10001
STOPSIGNAL SIGTERM
# GETs /livez on the config's http_port (slim images have no curl); Kubernetes ignores it.
HEALTHCHECK --interval=30s --timeout=5s --start-period=10s --retries=3 CMD ["ringmaster", "probe"]
ENTRYPOINT ["ringmaster"]
