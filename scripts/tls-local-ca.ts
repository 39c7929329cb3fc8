import { resolve } from 'node:path';
import { createLocalCa } from './infra/local-ca';

/**
 * `npm run tls:local-ca -- <dir>`: a throw-away CA and certificates for a local trial of TLS with
 * docker-compose.yml (nats-1..3, postgres, gateway, localhost). Not for production: use your own PKI.
 */
const dir = resolve(process.argv[2] ?? 'deploy/tls');
const ca = createLocalCa(dir, 365);
ca.issue('nats-server', { dns: ['nats-1', 'nats-2', 'nats-3', 'localhost'], ip: ['127.0.0.1'] });
ca.issue('postgres', { dns: ['postgres', 'localhost'], ip: ['127.0.0.1'] });
ca.issue('gateway', { dns: ['gateway', 'localhost'], ip: ['127.0.0.1'] });
process.stdout.write(`wrote ca.crt, nats-server.*, postgres.*, gateway.* to ${dir}; keep the .key files private\n`);
