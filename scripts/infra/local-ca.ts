import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** A certificate and its private key, as files (PEM). */
export interface CertFiles {
  readonly certFile: string;
  readonly keyFile: string;
}

export interface LocalCa extends CertFiles {
  /** Issues a certificate signed by this CA for these host names and IP addresses (server and client use). */
  issue(name: string, hosts?: { readonly dns?: readonly string[]; readonly ip?: readonly string[] }): CertFiles;
}

const openssl = (args: readonly string[], cwd: string) => execFileSync('openssl', args, { cwd, stdio: ['ignore', 'pipe', 'pipe'] });

/**
 * A throw-away certificate authority in `dir`, made with the `openssl` command: for tests and local
 * trials of TLS (never for production, where certificates come from your own PKI). EC P-256 keys.
 */
export function createLocalCa(dir: string, days = 30): LocalCa {
  mkdirSync(dir, { recursive: true });
  const ca = { certFile: join(dir, 'ca.crt'), keyFile: join(dir, 'ca.key') };
  openssl(['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', ca.keyFile], dir);
  openssl(['req', '-x509', '-new', '-key', ca.keyFile, '-sha256', '-days', String(days), '-subj', '/CN=Foresight local CA', '-out', ca.certFile], dir);
  return {
    ...ca,
    issue(name, hosts = { dns: ['localhost'], ip: ['127.0.0.1'] }) {
      if (!/^[a-z0-9-]+$/.test(name)) throw new Error(`invalid certificate name ${name}`);
      const files = { certFile: join(dir, `${name}.crt`), keyFile: join(dir, `${name}.key`) };
      const csr = join(dir, `${name}.csr`);
      const ext = join(dir, `${name}.ext`);
      const san = [...(hosts.dns ?? []).map((d) => `DNS:${d}`), ...(hosts.ip ?? []).map((ip) => `IP:${ip}`)];
      writeFileSync(
        ext,
        [
          'basicConstraints=CA:FALSE',
          'keyUsage=digitalSignature,keyEncipherment',
          'extendedKeyUsage=serverAuth,clientAuth',
          ...(san.length > 0 ? [`subjectAltName=${san.join(',')}`] : []),
        ].join('\n'),
      );
      openssl(['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', files.keyFile], dir);
      openssl(['req', '-new', '-key', files.keyFile, '-subj', `/CN=${name}`, '-out', csr], dir);
      openssl(
        [
          'x509',
          '-req',
          '-in',
          csr,
          '-CA',
          ca.certFile,
          '-CAkey',
          ca.keyFile,
          '-CAcreateserial',
          '-days',
          String(days),
          '-sha256',
          '-extfile',
          ext,
          '-out',
          files.certFile,
        ],
        dir,
      );
      return files;
    },
  };
}
