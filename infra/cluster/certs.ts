/**
 * Certificates for a cluster whose frontend requires mutual TLS, generated locally with openssl:
 * a CA, a server certificate for 127.0.0.1 / localhost (also the Temporal services' own client
 * certificate towards the frontend), and a client certificate for Bosun. Test material only: a
 * real deployment takes its certificates from its own PKI.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';

export interface ClusterCertificates {
  readonly caCert: string;
  readonly serverCert: string;
  readonly serverKey: string;
  readonly clientCert: string;
  readonly clientKey: string;
  /** The name the server certificate is issued to (TEMPORAL_TLS_SERVER_NAME). */
  readonly serverName: string;
}

const SERVER_NAME = 'localhost';

function openssl(args: string[]): void {
  execFileSync('openssl', args, { stdio: ['ignore', 'pipe', 'pipe'] });
}

/** Writes the certificates into `dir` unless they are there already; returns their paths. */
export function ensureCertificates(dir: string): ClusterCertificates {
  const certs: ClusterCertificates = {
    caCert: path.join(dir, 'ca.pem'),
    serverCert: path.join(dir, 'server.pem'),
    serverKey: path.join(dir, 'server.key'),
    clientCert: path.join(dir, 'client.pem'),
    clientKey: path.join(dir, 'client.key'),
    serverName: SERVER_NAME,
  };
  if ([certs.caCert, certs.serverCert, certs.serverKey, certs.clientCert, certs.clientKey].every((f) => existsSync(f))) return certs;
  mkdirSync(path.dirname(dir), { recursive: true, mode: 0o755 });
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const caKey = path.join(dir, 'ca.key');
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  openssl([
    'req',
    '-x509',
    ...ec,
    '-keyout',
    caKey,
    '-out',
    certs.caCert,
    '-days',
    '30',
    '-subj',
    '/CN=Bosun test CA',
    '-addext',
    'basicConstraints=critical,CA:TRUE',
    '-addext',
    'keyUsage=critical,keyCertSign,cRLSign',
  ]);
  const leaf = (cert: string, key: string, cn: string, extensions: string[]) => {
    const csr = `${cert}.csr`;
    const ext = `${cert}.ext`;
    openssl(['req', '-new', ...ec, '-keyout', key, '-out', csr, '-subj', `/CN=${cn}`]);
    writeFileSync(ext, `${extensions.join('\n')}\n`);
    openssl([
      'x509',
      '-req',
      '-in',
      csr,
      '-CA',
      certs.caCert,
      '-CAkey',
      caKey,
      '-CAcreateserial',
      '-out',
      cert,
      '-days',
      '30',
      '-extfile',
      ext,
    ]);
  };
  leaf(certs.serverCert, certs.serverKey, SERVER_NAME, [
    'basicConstraints=critical,CA:FALSE',
    'keyUsage=critical,digitalSignature,keyEncipherment',
    // The Temporal services also present it to the frontend as their client certificate.
    'extendedKeyUsage=serverAuth,clientAuth',
    `subjectAltName=DNS:${SERVER_NAME},IP:127.0.0.1`,
  ]);
  leaf(certs.clientCert, certs.clientKey, 'bosun', [
    'basicConstraints=critical,CA:FALSE',
    'keyUsage=critical,digitalSignature,keyEncipherment',
    'extendedKeyUsage=clientAuth',
  ]);
  return certs;
}
