/**
 * Encrypts the payloads that may hold secrets before they reach Temporal (DESIGN invariant 7):
 * any payload carrying user data (`base64UserData`, which routinely holds credentials and
 * bootstrap tokens). Everything else stays readable in the Temporal UI; the facade serves the
 * codec endpoint (`POST /codec/decode`) so an authorised engineer's UI can show those too.
 * AES-256-GCM with a key id in the metadata, so keys can rotate.
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Payload, PayloadCodec } from '@temporalio/common';
import { temporal } from '@temporalio/proto';
import type { BosunConfig } from '../config';

const ENCODING = 'binary/encrypted';
const MARKERS = ['"base64UserData"', '"userData"'];

export interface PayloadKey {
  readonly id: string;
  readonly key: Buffer;
}

function mayHoldSecrets(p: Payload): boolean {
  if (!p.data) return false;
  const text = Buffer.from(p.data).toString('utf8');
  return MARKERS.some((m) => text.includes(m));
}

/** AES-256-GCM codec for payloads that may hold user data; other payloads pass through readable. */
export class SecretsCodec implements PayloadCodec {
  private readonly keys: Map<string, Buffer>;

  constructor(
    private readonly current: PayloadKey,
    /** Older keys still able to decrypt history written before a rotation. */
    previous: readonly PayloadKey[] = [],
  ) {
    if (current.key.length !== 32) throw new Error('the payload key must be 32 bytes (AES-256)');
    this.keys = new Map([...previous, current].map((k) => [k.id, k.key]));
  }

  async encode(payloads: Payload[]): Promise<Payload[]> {
    return payloads.map((p) => {
      if (!mayHoldSecrets(p)) return p;
      const iv = randomBytes(12);
      const cipher = createCipheriv('aes-256-gcm', this.current.key, iv);
      const plain = temporal.api.common.v1.Payload.encode(p).finish();
      const sealed = Buffer.concat([iv, cipher.update(plain), cipher.final(), cipher.getAuthTag()]);
      return {
        metadata: { encoding: Buffer.from(ENCODING), 'encryption-key-id': Buffer.from(this.current.id) },
        data: sealed,
      };
    });
  }

  async decode(payloads: Payload[]): Promise<Payload[]> {
    return payloads.map((p) => {
      if (Buffer.from(p.metadata?.encoding ?? []).toString() !== ENCODING) return p;
      const keyId = Buffer.from(p.metadata?.['encryption-key-id'] ?? []).toString();
      const key = this.keys.get(keyId);
      if (!key) throw new Error(`no payload key '${keyId}' to decrypt this payload (configured: ${[...this.keys.keys()].join(', ')})`);
      const data = Buffer.from(p.data ?? []);
      const decipher = createDecipheriv('aes-256-gcm', key, data.subarray(0, 12));
      decipher.setAuthTag(data.subarray(data.length - 16));
      const plain = Buffer.concat([decipher.update(data.subarray(12, data.length - 16)), decipher.final()]);
      return temporal.api.common.v1.Payload.decode(plain);
    });
  }
}

/**
 * The configured key (BOSUN_PAYLOAD_KEY, base64 of 32 bytes, checked by config/), else one
 * generated once under the state folder for the local stack, so restarts can still read their
 * own history.
 */
export function loadPayloadKey(config: Pick<BosunConfig, 'codec' | 'stateDir'>): PayloadKey {
  const id = config.codec.keyId;
  const stateDir = config.stateDir;
  if (config.codec.key) return { id, key: Buffer.from(config.codec.key, 'base64') };
  const file = path.join(stateDir, 'payload.key');
  if (!existsSync(file)) {
    mkdirSync(stateDir, { recursive: true });
    try {
      // Exclusive create: a worker and a facade starting together must end up with one key.
      writeFileSync(file, randomBytes(32).toString('base64'), { mode: 0o600, flag: 'wx' });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
  }
  return { id, key: Buffer.from(readFileSync(file, 'utf8').trim(), 'base64') };
}
