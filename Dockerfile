# syntax=docker/dockerfile:1
#
# The USM GraphQL facade as an image: `docker build -t usm-graphql-facade:0.1.0 .`
#
# - build:   every dependency (dev ones too), `npm run build` (TypeScript to dist/).
# - deps:    production dependencies only (`npm ci --omit=dev --omit=optional`: the only optional one is the Grafbase gateway the tests run); sqlite3 is native and
#            may be compiled from source (package.json `allowScripts`), hence python3,
#            make and g++ in both stages. They never reach the runtime stage.
# - runtime: Node 24 LTS, what the facade reads at run time and nothing else, owned by
#            root and read-only for the `node` user (uid 1000) that runs it.
#
# The same image runs the USM simulator for demos (deploy/docker-compose.yml):
#   docker run --rm -p 4100:4100 usm-graphql-facade:0.1.0 \
#     node dist/src/simulator/simulator.cli.js --host 0.0.0.0 --port 4100
ARG NODE_IMAGE=node:24-bookworm-slim

FROM ${NODE_IMAGE} AS toolchain
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 make g++ \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY package.json package-lock.json ./

FROM toolchain AS build
RUN npm ci
COPY tsconfig.json ./
COPY src ./src
# Only src/ is in the context (see .dockerignore), so this compiles the facade alone.
RUN npm run build

FROM toolchain AS deps
RUN npm ci --omit=dev --omit=optional && npm cache clean --force

FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    PORT=4000 \
    METRICS_PORT=9464
WORKDIR /app
# The facade finds its files from the folder holding package.json (src/config/package.root.ts):
# the SDL, the playground's example operations and script, the trusted-documents manifest.
COPY package.json ./
COPY --from=deps /app/node_modules ./node_modules
COPY --from=build /app/dist/src ./dist/src
COPY schema ./schema
COPY operations ./operations
COPY playground ./playground
COPY client/generated/persisted-documents.json ./client/generated/persisted-documents.json
# With REDIS_URL (every multi-replica deployment) nothing is written to disk; without it
# API keys go to SQLite under DATA_DIR, by default ./data: mount a volume there.
USER node
# PORT: GraphQL over HTTP, WebSocket and SSE, /healthz, /readyz, the playground.
# METRICS_PORT: Prometheus /metrics.
EXPOSE 4000 9464
# Node is PID 1 and handles SIGTERM itself: it drains for at most 10 s, then exits.
CMD ["node", "dist/src/main.js"]
