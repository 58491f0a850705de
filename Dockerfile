# syntax=docker/dockerfile:1
#
# ringmaster as the PID 1 of a container: it reads its config from /etc/ringmaster/
# (ringmaster.yaml, .yml or .ini; a ConfigMap mounted there replaces the image's default
# and reloads in place), binds the sockets, runs the watchers and serves /metrics, /livez
# and /readyz on http_port.
#
#   docker build -t ringmaster .
#   docker run --rm -p 8080:8080 -p 9090:9090 ringmaster
#
# As a base image: FROM ringmaster, COPY your app to /app and your config to
# /etc/ringmaster/ringmaster.yaml (`node` is on PATH; an unmodified Node app runs with
# `cmd: node --import $(ringmaster.preload) server.js`). Single-command mode (no config):
# CMD ["--", "node", "server.js"] with RINGMASTER_PROBE_URL set or HEALTHCHECK NONE, as
# the health check reads http_port from the config.
#
# In any other glibc image (no Node needed): the runtime carries a self-contained
# ringmaster under /opt/ringmaster (its own node, dist, production dependencies):
#   COPY --from=ringmaster /opt/ringmaster /opt/ringmaster
#   ENTRYPOINT ["/opt/ringmaster/bin/ringmaster"]

ARG NODE_IMAGE=node:24-bookworm-slim
ARG BASE_IMAGE=debian:bookworm-slim

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
COPY scripts/build-validator.mjs scripts/bundle.mjs scripts/
COPY bin/ bin/
COPY src/ src/
COPY examples/ examples/
RUN npm run build \
 && npm pack --pack-destination /tmp \
 && mkdir /pkg \
 && tar -xzf /tmp/ringmaster-*.tgz -C /pkg --strip-components=1 \
 && cp package-lock.json /pkg/

# --- opt: /opt/ringmaster, self-contained: the packed files, their production
# dependencies (koffi's prebuilt binary for this architecture) and the node binary of the
# build image. bin/ringmaster runs on that node (the one line of its shell part that execs
# node is made to name it), whatever PATH says; the grep fails the build if that line moved.
FROM ${NODE_IMAGE} AS opt
ENV npm_config_update_notifier=false npm_config_fund=false npm_config_audit=false
WORKDIR /opt/ringmaster
COPY --from=build /pkg/ ./
RUN --mount=type=cache,target=/root/.npm \
    npm ci --omit=dev --ignore-scripts \
 && rm package-lock.json \
 && mkdir -p node/bin \
 && cp "$(command -v node)" node/bin/node \
 && sed -i 's|^":" //; exec node \$f "\$0" "\$@"$|":" //; exec /opt/ringmaster/node/bin/node $f "$0" "$@"|' bin/ringmaster \
 && grep -q '^":" //; exec /opt/ringmaster/node/bin/node \$f "\$0" "\$@"$' bin/ringmaster \
 && env -i /opt/ringmaster/bin/ringmaster --version

# --- runtime: Debian slim and /opt/ringmaster, nothing else (no npm)
FROM ${BASE_IMAGE} AS runtime
ENV NODE_ENV=production
RUN groupadd --gid 10001 ringmaster \
 && useradd --uid 10001 --gid 10001 --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin ringmaster
COPY --from=opt /opt/ringmaster/ /opt/ringmaster/
# ringmaster and node on PATH; the default config serves the hello example (see
# examples/container/ringmaster.yaml); a volume or ConfigMap on /etc/ringmaster replaces it.
RUN ln -s /opt/ringmaster/bin/ringmaster /usr/local/bin/ringmaster \
 && ln -s /opt/ringmaster/node/bin/node /usr/local/bin/node \
 && mkdir -p /etc/ringmaster /app \
 && cp /opt/ringmaster/examples/container/ringmaster.yaml /etc/ringmaster/ringmaster.yaml \
 && ringmaster --version
WORKDIR /app
# Numeric, so that Kubernetes' runAsNonRoot can check it.
USER 10001:10001
STOPSIGNAL SIGTERM
# GETs /livez on the config's http_port (slim images have no curl); Kubernetes ignores it.
HEALTHCHECK --interval=30s --timeout=5s --start-period=10s --retries=3 CMD ["ringmaster", "probe"]
ENTRYPOINT ["ringmaster"]
