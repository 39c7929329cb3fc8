/** @foresight/client for browsers: fetch and WebSocket are the page's own; nothing from Node. */
import { ForesightClient } from './client.js';
import type { WebSocketLike } from './token-socket.js';

ForesightClient.defaultWebSocket = (url) => new (globalThis as unknown as { WebSocket: new (url: string) => WebSocketLike }).WebSocket(url);

export * from './core.js';
