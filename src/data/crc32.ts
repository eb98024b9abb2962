/**
 * CRC-32 (the zip / zlib checksum) of byte runs, and the combination of two checksums into the
 * checksum of the joined bytes. The combination lets `prepare` checksum each crop as it is made
 * and still write the checksum of a whole dataset whose rows arrive in any order, without
 * reading the rows back.
 *
 * `crc32` uses Node's native `zlib.crc32` (Node 20.15 and later), else a table in JavaScript.
 * `crc32Combine` is zlib's `crc32_combine`: appending n bytes multiplies the first checksum by
 * x^(8n) modulo the CRC polynomial, done here by repeated squaring.
 */
import * as zlib from 'node:zlib';
import { InvalidOptionError } from '../errors.js';

const POLY = 0xedb88320; // the CRC-32 polynomial, bit-reversed as zip uses it

const native = (zlib as { crc32?: (data: Uint8Array, value?: number) => number }).crc32;
let table: Uint32Array | undefined;

/** CRC-32 of `data`, continuing from `value` (the CRC of the bytes before it; default none). */
export function crc32(data: Uint8Array, value = 0): number {
  // (zlib.crc32 of an empty view over an empty ArrayBuffer returns 0, not the running value.)
  if (data.length === 0) return value >>> 0;
  return native ? native(data, value) >>> 0 : crc32Portable(data, value);
}

/** `crc32` in JavaScript, used where Node lacks `zlib.crc32` (exported so tests can compare). */
export function crc32Portable(data: Uint8Array, value = 0): number {
  table ??= Uint32Array.from({ length: 256 }, (_, n) => {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ POLY : c >>> 1;
    return c;
  });
  let crc = ~value;
  for (let i = 0; i < data.length; i++) crc = table[(crc ^ data[i]!) & 0xff]! ^ (crc >>> 8);
  return ~crc >>> 0;
}

/** a · b modulo the CRC polynomial (bit-reversed: bit 31 is x^0). */
function multiplyModP(a: number, b: number): number {
  let m = 1 << 31;
  let product = 0;
  for (;;) {
    if (a & m) {
      product ^= b;
      if ((a & (m - 1)) === 0) break;
    }
    m >>>= 1;
    b = b & 1 ? (b >>> 1) ^ POLY : b >>> 1;
  }
  return product >>> 0;
}

// x^(2^k) modulo the polynomial, for k = 0…31: x^1, x^2, x^4, …
const X2N: number[] = [1 << 30];
for (let k = 1; k < 32; k++) X2N.push(multiplyModP(X2N[k - 1]!, X2N[k - 1]!));

/** x^(n · 2^k) modulo the polynomial. */
function xPowerModP(n: number, k: number): number {
  let p = (1 << 31) >>> 0; // x^0
  while (n > 0) {
    if (n % 2 === 1) p = multiplyModP(X2N[k & 31]!, p);
    n = Math.floor(n / 2);
    k++;
  }
  return p;
}

/**
 * The CRC-32 of A followed by B, from the CRC of A (`first`), the CRC of B (`second`) and
 * B's length in bytes.
 *
 * @example
 * crc32Combine(crc32(a), crc32(b), b.length) === crc32(Buffer.concat([a, b]));
 */
export function crc32Combine(first: number, second: number, secondLength: number): number {
  if (!Number.isSafeInteger(secondLength) || secondLength < 0) {
    throw new InvalidOptionError('secondLength', 'a byte count', secondLength);
  }
  return (multiplyModP(xPowerModP(secondLength, 3), first >>> 0) ^ second) >>> 0;
}
