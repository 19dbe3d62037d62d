# Multi-stage: build with dev dependencies, run with production ones only, as a non-root user.
FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npm run build

FROM node:20-bookworm-slim AS runtime
ENV NODE_ENV=production
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force
COPY --from=build /app/dist ./dist
# No config in the image: config/demo.yml's writer is the local superuser. Mount the operator's config, e.g.
#   docker run -v /srv/scorecard-bot/config.yml:/etc/scorecard-bot/config.yml:ro --env-file .env IMAGE
# Without it, serve stops with a message naming --config and SCORECARD_BOT_CONFIG.
ENV SCORECARD_BOT_CONFIG=/etc/scorecard-bot/config.yml
USER node
# HTTP mode listens on $PORT; Socket Mode needs no port.
EXPOSE 3000
# SIGTERM drains: running jobs finish before the process exits.
STOPSIGNAL SIGTERM
ENTRYPOINT ["node", "dist/cli.js"]
CMD ["serve"]
