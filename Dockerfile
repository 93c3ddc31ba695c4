# Sitesweep image for the worker, the API and migrations (see docker-compose.yml).
# Build:  docker build -t sitesweep:local .
# Node 24: the current LTS line (package.json engines: >= 22.12).
FROM node:24-slim AS build
WORKDIR /app
# Dependencies first, for layer caching.
COPY package.json package-lock.json ./
RUN npm install --no-audit --no-fund
COPY . .
# tsc -> dist/, plus the prebuilt workflow bundle; then drop dev dependencies.
RUN npm run build && npm prune --omit=dev --no-audit --no-fund

FROM node:24-slim
ENV NODE_ENV=production
# Fewer glibc malloc arenas: the worker's threads (analysis pool, Temporal core) otherwise each grow their own, about
# 40 MB of RSS per 10k-page run for nothing (see README, Benchmark).
ENV MALLOC_ARENA_MAX=2
WORKDIR /app
COPY --from=build --chown=node:node /app /app
USER node
EXPOSE 3000
# Overridden per service in docker-compose.yml (worker, migrate).
CMD ["node", "dist/src/api/server.js"]
