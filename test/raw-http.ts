/**
 * HTTP at the byte level, for requests no well-behaved client would send (malformed request
 * lines, absolute-form targets, CL/TE smuggling, header floods): writes the bytes on a fresh
 * socket and reads whatever comes back until the server closes or answers in full.
 */
import net from 'node:net';

export interface RawAnswer {
  /** 0 when the server closed without an answer. */
  readonly status: number;
  readonly headers: Record<string, string>;
  readonly body: string;
  /** Everything received, for messages. */
  readonly raw: string;
  /** How many HTTP responses arrived on the connection (a smuggled request would make two). */
  readonly responses: number;
}

export function rawRequest(baseUrl: string, bytes: string | Buffer, timeoutMs = 5_000, graceMs = 150): Promise<RawAnswer> {
  const { hostname, port } = new URL(baseUrl);
  const head = Buffer.from(bytes).subarray(0, 5).toString('latin1') === 'HEAD ';
  return new Promise((resolve) => {
    const socket = net.connect(Number(port), hostname);
    const chunks: Buffer[] = [];
    let settled = false;
    let grace: NodeJS.Timeout | undefined;
    const finish = () => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (grace) clearTimeout(grace);
      socket.destroy();
      resolve(parseAnswer(Buffer.concat(chunks).toString('latin1')));
    };
    const timer = setTimeout(finish, timeoutMs);
    socket.on('data', (c: Buffer) => {
      chunks.push(c);
      // Once one full answer is in, wait a little for anything more (a second, smuggled answer).
      const answer = parseAnswer(Buffer.concat(chunks).toString('latin1'));
      const length = Number(answer.headers['content-length']);
      const chunked = /chunked/i.test(answer.headers['transfer-encoding'] ?? '');
      const complete =
        answer.status > 0 &&
        (head ||
          (chunked ? answer.body.endsWith('0\r\n\r\n') : Number.isFinite(length) && Buffer.byteLength(answer.body, 'latin1') >= length));
      if (complete) {
        if (grace) clearTimeout(grace);
        grace = setTimeout(finish, graceMs);
      }
    });
    socket.on('error', finish);
    socket.on('close', finish);
    socket.write(bytes);
  });
}

function parseAnswer(raw: string): RawAnswer {
  const responses = (raw.match(/(^|\r\n)HTTP\/1\.[01] \d{3} /g) ?? []).length;
  const end = raw.indexOf('\r\n\r\n');
  if (!raw.startsWith('HTTP/1.') || end < 0) return { status: 0, headers: {}, body: '', raw, responses };
  const [statusLine, ...lines] = raw.slice(0, end).split('\r\n');
  const headers: Record<string, string> = {};
  for (const line of lines) {
    const i = line.indexOf(':');
    if (i > 0) headers[line.slice(0, i).trim().toLowerCase()] = line.slice(i + 1).trim();
  }
  let body = raw.slice(end + 4);
  const length = Number(headers['content-length']);
  if (Number.isFinite(length)) body = body.slice(0, length);
  else if (/chunked/i.test(headers['transfer-encoding'] ?? '')) body = dechunk(body);
  return { status: Number(statusLine?.split(' ')[1] ?? 0), headers, body, raw, responses };
}

/** The parsed JSON body of an answer, or undefined. */
export function jsonOf(answer: RawAnswer): { message?: string; status?: number; requestId?: string } | undefined {
  try {
    return JSON.parse(answer.body) as { message?: string; status?: number };
  } catch {
    return undefined;
  }
}

function dechunk(text: string): string {
  let out = '';
  let rest = text;
  for (;;) {
    const eol = rest.indexOf('\r\n');
    if (eol < 0) return out;
    const size = parseInt(rest.slice(0, eol), 16);
    if (!Number.isFinite(size) || size === 0) return out;
    out += rest.slice(eol + 2, eol + 2 + size);
    rest = rest.slice(eol + 2 + size + 2);
  }
}
