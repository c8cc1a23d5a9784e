import { readFileSync } from 'node:fs';
import type { BosunConfig } from '../config';
import { temporalAddress } from '../config';

export interface TemporalConnectionSettings {
  readonly address: string;
  readonly tls?:
    | boolean
    | {
        serverNameOverride?: string;
        serverRootCACertificate?: Buffer;
        clientCertPair?: { crt: Buffer; key: Buffer };
      };
  readonly apiKey?: string;
}

/**
 * Connection settings shared by the worker (NativeConnection) and the facade (Connection):
 * Temporal Cloud with an API key, mTLS to a self-hosted cluster, or plain loopback.
 * An API key implies TLS, as Temporal Cloud requires.
 */
export function temporalConnectionSettings(config: BosunConfig, address: string = temporalAddress(config)): TemporalConnectionSettings {
  const t = config.temporal.tls;
  const wantsTls = t.enabled || Boolean(config.temporal.apiKey) || Boolean(t.clientCertPath);
  let tls: TemporalConnectionSettings['tls'];
  if (wantsTls) {
    tls = {
      ...(t.serverName ? { serverNameOverride: t.serverName } : {}),
      ...(t.serverCaCertPath ? { serverRootCACertificate: readFileSync(t.serverCaCertPath) } : {}),
      ...(t.clientCertPath && t.clientKeyPath
        ? { clientCertPair: { crt: readFileSync(t.clientCertPath), key: readFileSync(t.clientKeyPath) } }
        : {}),
    };
  }
  return {
    address,
    ...(tls ? { tls } : {}),
    ...(config.temporal.apiKey ? { apiKey: config.temporal.apiKey } : {}),
  };
}
