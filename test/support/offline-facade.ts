/**
 * A facade with no Temporal behind it: its client's connection is lazy and points nowhere, so
 * whatever a request answers before its first Temporal call is answered as in production, and
 * a request that does reach Temporal gets the facade's 503 within `temporalCallTimeoutMs`. For
 * the route plugins' own tests (client/facade/routes/*.test.ts); end-to-end behaviour is tested
 * against the real dev server (test/facade-*.test.ts).
 */
import { Client, Connection } from '@temporalio/client';
import type { FacadeOptions } from '../../client/facade/server';
import { createFacade } from '../../client/facade/server';
import { silentLogger } from '../../runtime';
import { testSettings } from '../harness';

export interface OfflineFacade {
  readonly url: string;
  close(): Promise<void>;
}

export async function offlineFacade(opts: Partial<FacadeOptions> = {}): Promise<OfflineFacade> {
  // Port 1 on loopback: nothing listens there, so a call fails at once (connection refused).
  const client = new Client({ connection: Connection.lazy({ address: '127.0.0.1:1' }) });
  const facade = createFacade({
    client,
    taskQueue: 'offline',
    settings: testSettings,
    logger: silentLogger,
    temporalCallTimeoutMs: 1_000,
    ...opts,
  });
  const url = await facade.listen(0, '127.0.0.1');
  return {
    url,
    async close() {
      await facade.close();
      await client.connection.close();
    },
  };
}

/** Clouddriver's error body, as every facade refusal has it. */
export interface ErrorBody {
  readonly timestamp: number;
  readonly status: number;
  readonly error: string;
  readonly message: string;
  readonly errors?: string[];
  readonly path: string;
  readonly requestId: string;
}

export async function send(
  url: string,
  init: { method?: string; body?: string; headers?: Record<string, string> } = {},
): Promise<{ status: number; headers: Headers; body: ErrorBody }> {
  const res = await fetch(url, {
    method: init.method ?? (init.body === undefined ? 'GET' : 'POST'),
    headers: { 'content-type': 'application/json', ...init.headers },
    body: init.body,
  });
  const text = await res.text();
  return { status: res.status, headers: res.headers, body: JSON.parse(text) };
}
