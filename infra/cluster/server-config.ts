/**
 * The Temporal server's configuration: one file for every service process. The two history
 * nodes differ only in their ports, which the file reads from the environment (the server
 * renders files marked `enable-template` with Go templates), so `start --service=history` runs
 * the first or the second node depending on BOSUN_HISTORY_GRPC_PORT / _MEMBERSHIP_PORT.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { ClusterCertificates } from './certs';
import { POSTGRES_ROLE } from './postgres';
import { portOpen } from './processes';

/** Loopback ports of one cluster, all derived from one base port. */
export interface ClusterPorts {
  readonly frontend: number;
  readonly frontendHttp: number;
  readonly frontendMembership: number;
  readonly history: readonly { readonly grpc: number; readonly membership: number }[];
  readonly matching: number;
  readonly matchingMembership: number;
  readonly worker: number;
  readonly workerMembership: number;
  readonly postgres: number;
}

export const HISTORY_NODES = 2;

export function clusterPorts(base: number, historyNodes = HISTORY_NODES): ClusterPorts {
  return {
    frontend: base,
    frontendHttp: base + 1,
    frontendMembership: base + 10,
    history: Array.from({ length: historyNodes }, (_, i) => ({ grpc: base + 2 + i, membership: base + 11 + i })),
    matching: base + 6,
    matchingMembership: base + 16,
    worker: base + 7,
    workerMembership: base + 17,
    postgres: base + 20,
  };
}

/** Every port of the cluster, to check before a start that none is taken. */
export function allPorts(p: ClusterPorts): number[] {
  return [
    p.frontend,
    p.frontendHttp,
    p.frontendMembership,
    ...p.history.flatMap((h) => [h.grpc, h.membership]),
    p.matching,
    p.matchingMembership,
    p.worker,
    p.workerMembership,
    p.postgres,
  ];
}

export interface ServerConfigInput {
  readonly dir: string;
  readonly ports: ClusterPorts;
  readonly shards: number;
  readonly certs?: ClusterCertificates | undefined;
  readonly logLevel?: string;
}

/** Environment that makes `start --service=history` the n-th history node (0-based). */
export function historyNodeEnv(ports: ClusterPorts, node: number): Record<string, string> {
  const h = ports.history[node];
  if (!h) throw new Error(`no history node ${node}`);
  return { BOSUN_HISTORY_GRPC_PORT: String(h.grpc), BOSUN_HISTORY_MEMBERSHIP_PORT: String(h.membership) };
}

/** Writes `temporal.yaml` and the dynamic config file into `dir`; returns the config file's path. */
export function writeServerConfig(input: ServerConfigInput): string {
  const { ports, certs } = input;
  mkdirSync(input.dir, { recursive: true });
  const dynamicConfig = path.join(input.dir, 'dynamic-config.yaml');
  writeFileSync(
    dynamicConfig,
    [
      '# Bosun cluster: dynamic config (polled every 10 s).',
      "# Search attributes on SQL visibility are per namespace; one namespace holds all of Bosun's.",
      'limit.maxIDLength:',
      '  - value: 1000',
      '',
    ].join('\n'),
  );
  const datastore = (db: string, maxConns: number) => [
    `    ${db === 'temporal' ? 'default' : 'visibility'}:`,
    '      sql:',
    '        pluginName: "postgres12"',
    `        databaseName: "${db}"`,
    `        connectAddr: "127.0.0.1:${ports.postgres}"`,
    '        connectProtocol: "tcp"',
    `        user: "${POSTGRES_ROLE}"`,
    '        password: ""',
    `        maxConns: ${maxConns}`,
    `        maxIdleConns: ${maxConns}`,
    '        maxConnLifetime: "1h"',
  ];
  const service = (name: string, grpc: string, membership: string, extra: string[] = []) => [
    `  ${name}:`,
    '    rpc:',
    `      grpcPort: ${grpc}`,
    `      membershipPort: ${membership}`,
    '      bindOnLocalHost: true',
    ...extra,
  ];
  const tls = certs
    ? [
        '  tls:',
        '    frontend:',
        '      server:',
        `        certFile: "${certs.serverCert}"`,
        `        keyFile: "${certs.serverKey}"`,
        '        requireClientAuth: true',
        '        clientCaFiles:',
        `          - "${certs.caCert}"`,
        '      client:',
        `        serverName: "${certs.serverName}"`,
        '        rootCaFiles:',
        `          - "${certs.caCert}"`,
        '    systemWorker:',
        `      certFile: "${certs.serverCert}"`,
        `      keyFile: "${certs.serverKey}"`,
        '      client:',
        `        serverName: "${certs.serverName}"`,
        '        rootCaFiles:',
        `          - "${certs.caCert}"`,
      ]
    : [];
  const h0 = ports.history[0]!;
  const yaml = [
    '# enable-template',
    '# Written by Bosun (infra/cluster/server-config.ts) for `npm run cluster`; rewritten on every start.',
    '# The history ports come from the environment, so both history nodes share this file.',
    'log:',
    '  stdout: true',
    `  level: ${input.logLevel ?? 'warn'}`,
    '',
    'persistence:',
    '  defaultStore: default',
    '  visibilityStore: visibility',
    `  numHistoryShards: ${input.shards}`,
    '  datastores:',
    ...datastore('temporal', 10),
    ...datastore('temporal_visibility', 4),
    '',
    'global:',
    '  membership:',
    '    maxJoinDuration: 30s',
    '    broadcastAddress: "127.0.0.1"',
    ...tls,
    '',
    'services:',
    ...service('frontend', String(ports.frontend), String(ports.frontendMembership), [`      httpPort: ${ports.frontendHttp}`]),
    ...service(
      'history',
      `{{ env "BOSUN_HISTORY_GRPC_PORT" | default "${h0.grpc}" }}`,
      `{{ env "BOSUN_HISTORY_MEMBERSHIP_PORT" | default "${h0.membership}" }}`,
    ),
    ...service('matching', String(ports.matching), String(ports.matchingMembership)),
    ...service('worker', String(ports.worker), String(ports.workerMembership)),
    '',
    'clusterMetadata:',
    '  enableGlobalNamespace: false',
    '  failoverVersionIncrement: 10',
    '  masterClusterName: "active"',
    '  currentClusterName: "active"',
    '  clusterInformation:',
    '    active:',
    '      enabled: true',
    '      initialFailoverVersion: 1',
    '      rpcName: "frontend"',
    `      rpcAddress: "127.0.0.1:${ports.frontend}"`,
    `      httpAddress: "127.0.0.1:${ports.frontendHttp}"`,
    '',
    'dcRedirectionPolicy:',
    '  policy: "noop"',
    '',
    'dynamicConfigClient:',
    `  filepath: "${dynamicConfig}"`,
    '  pollInterval: "10s"',
    '',
  ].join('\n');
  const file = path.join(input.dir, 'temporal.yaml');
  writeFileSync(file, yaml);
  return file;
}

/**
 * Highest base port: the SQL persistence keeps membership ports in a smallint column, so every
 * port of the cluster must stay below 32768 (a history node on 34711 fails at start).
 */
export const MAX_BASE_PORT = 32_700;

/** A base port whose whole block of cluster ports is free on loopback (tests and chaos runs). */
export async function findFreeBasePort(from = 20_000, to = MAX_BASE_PORT): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const base = from + Math.floor(Math.random() * ((to - from) / 50)) * 50;
    const taken = await Promise.all(allPorts(clusterPorts(base)).map((p) => portOpen(p)));
    if (!taken.some(Boolean)) return base;
  }
  throw new Error(`no free block of cluster ports between ${from} and ${to}`);
}
