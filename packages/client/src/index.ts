/**
 * @foresight/client for Node 20+: the platform's fetch, and the `ws` package for the token
 * WebSocket (Node 20 has no WebSocket of its own).
 */
import WebSocket from 'ws';
import { ForesightClient } from './client.js';
import type { WebSocketLike } from './token-socket.js';

ForesightClient.defaultWebSocket = (url) => new WebSocket(url) as unknown as WebSocketLike;

export * from './core.js';
