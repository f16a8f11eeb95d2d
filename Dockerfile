# syntax=docker/dockerfile:1
# Namaskah production image: `node dist/main.js` (no TypeScript at run time), as user `node`.
# Build: docker build -t namaskah .   Roles: ROLE=web | worker | all (see docs/deploy.md).

FROM node:22-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY . .
# tsc → dist/, vite → web/dist/; then drop the dev dependencies from node_modules.
RUN npm run build && npm prune --omit=dev --no-audit --no-fund

FROM node:22-bookworm-slim
ENV NODE_ENV=production PORT=3000 HOST=0.0.0.0
WORKDIR /app
COPY --from=build /app/package.json ./
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY --from=build /app/drizzle ./drizzle
COPY --from=build /app/web/dist ./web/dist
USER node
EXPOSE 3000
# Liveness of the HTTP listener (ROLE=web|all); compose.yaml gives the worker a check of its own.
HEALTHCHECK --interval=15s --timeout=5s --start-period=60s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.PORT||3000)+'/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
CMD ["node", "dist/main.js"]
