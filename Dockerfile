# Foresight's images, from one build: `serving` (the default: gateway, metadata, shard, token,
# affinity, the example origin and the migration) and `training` (the prediction service, which
# retrains its model and so keeps the native TensorFlow binding). docker-compose.yml picks the target
# and the entry point per service (node dist/apps/<name>/src/main.js, or node dist/scripts/migrate.js).

# --- build: all dependencies, compile, then drop the dev dependencies --------------------------
# Node 22: the active LTS line (Node 20 is past its end of life).
FROM node:22-bookworm-slim AS build
WORKDIR /app
# The postinstall hook runs during `npm ci`, so it must be in place before the install.
COPY package.json package-lock.json ./
COPY scripts/postinstall.js scripts/postinstall.js
# The workspaces (packages/*, examples/*) are part of the install.
COPY packages packages
COPY examples examples
RUN npm ci --no-audit --no-fund
COPY . .
RUN npm run build && npm prune --omit=dev --no-audit --no-fund

# --- the same without the optional native TensorFlow binding (hundreds of MB of libtensorflow) --
# Nothing but training loads it; the prediction library falls back to the wasm backend without it.
FROM build AS build-serving
RUN rm -rf node_modules/@tensorflow/tfjs-node

# --- training: the prediction service, with @tensorflow/tfjs-node when it installed ---------------
FROM node:22-bookworm-slim AS training
ENV NODE_ENV=production
WORKDIR /app
COPY --from=build --chown=node:node /app/package.json ./package.json
COPY --from=build --chown=node:node /app/node_modules ./node_modules
COPY --from=build --chown=node:node /app/dist ./dist
USER node
EXPOSE 3003
CMD ["node", "dist/apps/prediction/src/main.js"]

# --- serving (default target): production dependencies and compiled output only -----------------
FROM node:22-bookworm-slim AS serving
ENV NODE_ENV=production
WORKDIR /app
COPY --from=build-serving --chown=node:node /app/package.json ./package.json
COPY --from=build-serving --chown=node:node /app/node_modules ./node_modules
COPY --from=build-serving --chown=node:node /app/dist ./dist
USER node
# gateway 3000, metadata 3001, shard 3002, token 3004, affinity 3005
EXPOSE 3000 3001 3002 3004 3005
CMD ["node", "dist/apps/gateway/src/main.js"]
