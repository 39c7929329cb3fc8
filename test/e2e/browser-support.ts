import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer, request, type Server } from 'node:http';
import { builtinModules } from 'node:module';
import { connect } from 'node:net';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build, type Plugin } from 'esbuild';
import { chromium, type BrowserContext } from 'playwright-core';

/** Debian's Chromium; never a downloaded browser. */
export const CHROMIUM = process.env.CHROMIUM_BIN ?? '/usr/bin/chromium';

const NODE_ONLY = new Set([...builtinModules, ...builtinModules.map((m) => `node:${m}`), 'ws']);

/**
 * Bundles the client's browser entry for the browser, as an application's bundler would, and fails
 * if anything Node-only is pulled in. Returns the script (an IIFE defining `Foresight`).
 */
export async function bundleBrowserClient(entry: string): Promise<string> {
  const pulled: string[] = [];
  const refuseNode: Plugin = {
    name: 'refuse-node-modules',
    setup(b) {
      b.onResolve({ filter: /.*/ }, (args) => (NODE_ONLY.has(args.path) ? (pulled.push(args.path), { path: args.path, external: true }) : undefined));
    },
  };
  const result = await build({
    entryPoints: [entry],
    bundle: true,
    platform: 'browser',
    format: 'iife',
    globalName: 'Foresight',
    write: false,
    logLevel: 'silent',
    plugins: [refuseNode],
  });
  if (pulled.length > 0) throw new Error(`the browser bundle pulls in Node-only modules: ${pulled.join(', ')}`);
  return result.outputFiles[0]!.text;
}

/**
 * One origin for the page and the API, as a site behind one domain serves both: `/` and
 * `/client.js` from memory, `POST /test/...` to the site's own back end (`backEnd`), everything else
 * (HTTP and WebSocket upgrades) proxied to the gateway.
 */
export async function servePage(
  gatewayUrl: string,
  script: string,
  backEnd: (path: string) => Promise<void>,
): Promise<{ url: string; close(): Promise<void> }> {
  const gateway = new URL(gatewayUrl);
  const html = '<!doctype html><html><head><meta charset="utf-8"><script src="/client.js"></script></head><body>client</body></html>';
  const server: Server = createServer((req, res) => {
    if (req.url === '/' || req.url === '/client.js') {
      res.writeHead(200, { 'content-type': req.url === '/' ? 'text/html' : 'text/javascript' });
      return void res.end(req.url === '/' ? html : script);
    }
    if (req.url?.startsWith('/test/')) {
      return void backEnd(req.url).then(
        () => res.writeHead(204).end(),
        () => res.writeHead(500).end(),
      );
    }
    const upstream = request({ host: gateway.hostname, port: gateway.port, method: req.method, path: req.url, headers: req.headers }, (r) => {
      res.writeHead(r.statusCode ?? 502, r.headers);
      r.pipe(res);
    });
    upstream.on('error', () => (res.headersSent ? res.destroy() : res.writeHead(502).end()));
    req.pipe(upstream);
  });
  server.on('upgrade', (req, socket, head) => {
    const upstream = connect(Number(gateway.port), gateway.hostname, () => {
      const lines = [`${req.method} ${req.url} HTTP/1.1`, ...Object.entries(req.headers).map(([k, v]) => `${k}: ${Array.isArray(v) ? v.join(', ') : v}`)];
      upstream.write(`${lines.join('\r\n')}\r\n\r\n`);
      upstream.write(head);
      upstream.pipe(socket);
      socket.pipe(upstream);
    });
    const end = () => {
      upstream.destroy();
      socket.destroy();
    };
    upstream.on('error', end);
    socket.on('error', end);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => new Promise<void>((resolve) => (server.closeAllConnections(), server.close(() => resolve()))),
  };
}

/** Headless Chromium with a fresh profile; `close` removes the profile. */
export async function launchChromium(): Promise<{ context: BrowserContext; close(): Promise<void> }> {
  if (!existsSync(CHROMIUM))
    throw new Error(`No Chromium at ${CHROMIUM}: install Debian's package (apt-get install chromium) or set CHROMIUM_BIN to a Chromium binary.`);
  const profile = mkdtempSync(join(tmpdir(), 'foresight-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-quic',
      '--no-first-run',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
  return {
    context,
    async close() {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}
