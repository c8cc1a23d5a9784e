/**
 * Encrypts the payloads that may hold secrets before they reach Temporal (DESIGN invariant 7):
 * any payload carrying user data (`base64UserData`, which routinely holds credentials and
 * bootstrap tokens). Everything else stays readable in the Temporal UI; the facade serves the
 * codec endpoint (`POST /decode` on its own listener, client/facade/codec-endpoint.ts) so an authorised engineer's UI can show those too.
 * AES-256-GCM with a key id in the metadata, so keys can rotate. The id is derived from the key
 * (never configured beside it), so two processes cannot label different keys with one id.
 */
import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
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

function openSealed(key: Buffer, data: Buffer): Buffer | undefined {
  if (data.length < 28) return undefined;
  try {
    const decipher = createDecipheriv('aes-256-gcm', key, data.subarray(0, 12));
    decipher.setAuthTag(data.subarray(data.length - 16));
    return Buffer.concat([decipher.update(data.subarray(12, data.length - 16)), decipher.final()]);
  } catch {
    return undefined;
  }
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
      const data = Buffer.from(p.data ?? []);
      const key = this.keys.get(keyId);
      // Payloads written before key ids were derived carry a configured label ('local'); GCM's
      // tag tells whether one of the keys fits, so those stay readable.
      const candidates = key ? [key] : [...this.keys.values()];
      for (const candidate of candidates) {
        const plain = openSealed(candidate, data);
        if (plain) return temporal.api.common.v1.Payload.decode(plain);
      }
      throw new Error(`no payload key '${keyId}' decrypts this payload (configured: ${[...this.keys.keys()].join(', ')})`);
    });
  }
}

/** The id written beside every payload a key encrypts: a digest of the key, safe to show. */
export function payloadKeyId(key: Buffer): string {
  return `k-${createHash('sha256').update('bosun-payload-key:').update(key).digest('hex').slice(0, 16)}`;
}

export function payloadKey(key: Buffer): PayloadKey {
  return { id: payloadKeyId(key), key };
}

/** Local = the embedded stack or a stack on loopback against the AWS emulator: nothing real to protect. */
export function isLocalStack(config: Pick<BosunConfig, 'temporal' | 'aws'>): boolean {
  if (config.aws.mode !== 'emulator') return false;
  const address = config.temporal.address;
  if (!address) return true;
  const host = address.replace(/:\d+$/, '').replace(/^\[|\]$/g, '');
  return host === 'localhost' || host === '::1' || /^127\./.test(host);
}

/** Outside the local stack, a process without the shared key would write history no one else can read. */
export class PayloadKeyMissingError extends Error {
  constructor() {
    super(
      'BOSUN_PAYLOAD_KEY is required outside the local stack (Temporal not on loopback, or BOSUN_AWS=aws): ' +
        "every worker and facade must share one key, or they cannot read each other's payloads",
    );
    this.name = 'PayloadKeyMissingError';
  }
}

/**
 * The configured key (BOSUN_PAYLOAD_KEY, base64 of 32 bytes, checked by config/) and the keys it
 * replaced (BOSUN_PAYLOAD_PREVIOUS_KEYS). Without one, the local stack generates a key once under
 * the state folder, so restarts can still read their own history; anywhere else that is refused.
 */
export function loadPayloadKeys(config: Pick<BosunConfig, 'codec' | 'stateDir' | 'temporal' | 'aws'>): {
  current: PayloadKey;
  previous: PayloadKey[];
} {
  const previous = config.codec.previousKeys.map((k) => payloadKey(Buffer.from(k, 'base64')));
  if (config.codec.key) return { current: payloadKey(Buffer.from(config.codec.key, 'base64')), previous };
  if (!isLocalStack(config)) throw new PayloadKeyMissingError();
  const stateDir = config.stateDir;
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
  return { current: payloadKey(Buffer.from(readFileSync(file, 'utf8').trim(), 'base64')), previous };
}

/** The codec built from the configured keys (see loadPayloadKeys). */
export function createSecretsCodec(config: Pick<BosunConfig, 'codec' | 'stateDir' | 'temporal' | 'aws'>): SecretsCodec {
  const { current, previous } = loadPayloadKeys(config);
  return new SecretsCodec(current, previous);
}
