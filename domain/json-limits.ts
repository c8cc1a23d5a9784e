/** Bounds on JSON a person or a client hands Bosun, checked on the text before it is parsed. */

/**
 * How deep a JSON text nests, counted on the bytes without parsing (strings skipped), stopping as
 * soon as `limit` is passed, so a 1 MiB `[[[[…` costs one linear scan and no recursion anywhere.
 */
export function jsonDepthExceeds(text: Buffer | string, limit: number): boolean {
  if (typeof text === 'string') text = Buffer.from(text, 'utf8');
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (inString) {
      if (c === 0x5c)
        i++; // backslash: skip the escaped byte
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x5b || c === 0x7b) {
      if (++depth > limit) return true;
    } else if (c === 0x5d || c === 0x7d) depth--;
  }
  return false;
}
