/**
 * Two things a photo server may send that `fetchPhoto` must understand: a body with a
 * `Content-Encoding` although `identity` was asked for, and a `Retry-After` on a 429 or 503.
 */
import type { Transform } from 'node:stream';
import zlib from 'node:zlib';

/** The stream decoding a Content-Encoding (lower case); undefined for none, null for one not supported. */
export function decoderFor(encoding: string): Transform | undefined | null {
  if (encoding === 'identity' || encoding === '') return undefined;
  if (encoding === 'gzip' || encoding === 'x-gzip') return zlib.createGunzip();
  // HTTP's "deflate" is zlib-wrapped (RFC 9110); a raw deflate body fails to decode, as said.
  if (encoding === 'deflate') return zlib.createInflate();
  if (encoding === 'br') return zlib.createBrotliDecompress();
  return null;
}

/**
 * A `Retry-After` header in ms: delay-seconds ("120") or an HTTP date; undefined when absent
 * or unreadable. A date in the past is 0.
 */
export function parseRetryAfter(value: string | string[] | undefined, now = Date.now()): number | undefined {
  const text = (Array.isArray(value) ? value[0] : value)?.trim();
  if (!text) return undefined;
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  const date = Date.parse(text);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}
