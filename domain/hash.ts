/**
 * A tiny deterministic hash for names Bosun derives (scaling policies, alarms), so a retried
 * step finds what its first attempt made. Pure and synchronous: workflows may call it, where
 * Node's crypto is not available. Not for anything security-related.
 */

const FNV_OFFSET_BASIS = 0x811c9dc5;
const FNV_PRIME = 0x01000193;

/** 32-bit FNV-1a over the string's UTF-16 code units. */
export function fnv1a32(text: string): number {
  let hash = FNV_OFFSET_BASIS;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, FNV_PRIME) >>> 0;
  }
  return hash >>> 0;
}

/** {@link fnv1a32} as exactly 8 lowercase hex digits: short enough to sit inside an AWS name. */
export function shortHash(text: string): string {
  return fnv1a32(text).toString(16).padStart(8, '0');
}
