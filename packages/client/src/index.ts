/**
 * @foresight/client for Node 20+: node:http(s) with keep-alive connections for the calls (cheaper
 * per call than the global fetch; `options.fetch` still wins), and the `ws` package for the token
 * WebSocket (Node 20 has no WebSocket of its own).
 */
import WebSocket from 'ws';
import { ForesightClient } from './client.js';
import { nodeHttpFetch } from './node-http.js';
import type { WebSocketLike } from './token-socket.js';

ForesightClient.defaultWebSocket = (url) => new WebSocket(url) as unknown as WebSocketLike;
ForesightClient.defaultFetch = nodeHttpFetch();

export { nodeHttpFetch, type NodeHttpOptions } from './node-http.js';

export * from './core.js';
