# One image for every Foresight service; docker-compose.yml picks the entry point per service
# with `command` (node dist/apps/<name>/src/main.js, or node dist/scripts/migrate.js).

# --- build: all dependencies, compile, then drop the dev dependencies --------------------------
FROM node:20-bookworm-slim AS build
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

# --- runtime: production dependencies and compiled output only ------------------------------------
FROM node:20-bookworm-slim
ENV NODE_ENV=production
WORKDIR /app
COPY --from=build --chown=node:node /app/package.json ./package.json
COPY --from=build --chown=node:node /app/node_modules ./node_modules
COPY --from=build --chown=node:node /app/dist ./dist
USER node
# gateway 3000, metadata 3001, shard 3002, prediction 3003, token 3004, affinity 3005
EXPOSE 3000 3001 3002 3003 3004 3005
CMD ["node", "dist/apps/gateway/src/main.js"]
