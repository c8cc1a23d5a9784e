import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Payload } from '@temporalio/common';
import { loadConfig } from '../config';
import { createSecretsCodec, loadPayloadKeys, PayloadKeyMissingError, payloadKey, payloadKeyId, SecretsCodec } from './payload-codec';

const secret = (text: string): Payload => ({
  metadata: { encoding: Buffer.from('json/plain') },
  data: Buffer.from(JSON.stringify({ base64UserData: text })),
});
const keyIdOf = (p: Payload) => Buffer.from(p.metadata?.['encryption-key-id'] ?? []).toString();

test('the key id is derived from the key, the same in every process', () => {
  const key = randomBytes(32);
  expect(payloadKeyId(key)).toBe(payloadKeyId(Buffer.from(key)));
  expect(payloadKeyId(key)).toMatch(/^k-[0-9a-f]{16}$/);
  expect(payloadKeyId(randomBytes(32))).not.toBe(payloadKeyId(key));
});

test('rotation: the new key encrypts, the previous keys still decrypt', async () => {
  const oldKey = payloadKey(randomBytes(32));
  const newKey = payloadKey(randomBytes(32));
  const before = await new SecretsCodec(oldKey).encode([secret('written before the rotation')]);
  expect(keyIdOf(before[0]!)).toBe(oldKey.id);

  const rotated = new SecretsCodec(newKey, [oldKey]);
  const after = await rotated.encode([secret('written after')]);
  expect(keyIdOf(after[0]!)).toBe(newKey.id);
  const decoded = await rotated.decode([...before, ...after]);
  expect(decoded.map((p) => Buffer.from(p.data ?? []).toString())).toEqual([
    JSON.stringify({ base64UserData: 'written before the rotation' }),
    JSON.stringify({ base64UserData: 'written after' }),
  ]);
  // A codec that was never given the old key cannot read what it wrote.
  await expect(new SecretsCodec(newKey).decode(before)).rejects.toThrow(/no payload key/);
});

test('the configured keys: BOSUN_PAYLOAD_KEY encrypts, BOSUN_PAYLOAD_PREVIOUS_KEYS decrypt', async () => {
  const a = randomBytes(32).toString('base64');
  const b = randomBytes(32).toString('base64');
  const first = createSecretsCodec(loadConfig({ BOSUN_PAYLOAD_KEY: a, TEMPORAL_ADDRESS: 'temporal.internal:7233', BOSUN_AWS: 'aws' }));
  const written = await first.encode([secret('x')]);
  const second = createSecretsCodec(
    loadConfig({ BOSUN_PAYLOAD_KEY: b, BOSUN_PAYLOAD_PREVIOUS_KEYS: a, TEMPORAL_ADDRESS: 'temporal.internal:7233', BOSUN_AWS: 'aws' }),
  );
  expect(Buffer.from((await second.decode(written))[0]!.data ?? []).toString()).toContain('"x"');
});

test('outside the local stack a process refuses to start without the shared key', () => {
  const stateDir = mkdtempSync(path.join(os.tmpdir(), 'bosun-key-'));
  expect(() => loadPayloadKeys(loadConfig({ TEMPORAL_ADDRESS: 'temporal.internal:7233', BOSUN_STATE_DIR: stateDir }))).toThrow(
    PayloadKeyMissingError,
  );
  expect(() => loadPayloadKeys(loadConfig({ BOSUN_AWS: 'aws', BOSUN_STATE_DIR: stateDir }))).toThrow(/BOSUN_PAYLOAD_KEY is required/);
  // The local stack (embedded, or on loopback against the emulator) makes a key once and keeps it.
  const local = loadPayloadKeys(loadConfig({ BOSUN_STATE_DIR: stateDir }));
  expect(loadPayloadKeys(loadConfig({ TEMPORAL_ADDRESS: '127.0.0.1:7233', BOSUN_STATE_DIR: stateDir })).current.id).toBe(local.current.id);
});
