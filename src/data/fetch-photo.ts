/**
 * One download attempt of one photo: an HTTP(S) GET that follows a bounded number of redirects,
 * times out on silence (connecting, waiting for headers, or a stalled body) and on an overall
 * deadline, refuses bodies over a size cap, and streams the body through SHA-256 into a temp
 * file in the cache. The temp file is renamed to `<sha256>.<ext>` only when the hash matches,
 * so a photo in the cache is always whole and verified, and no URL chooses a path.
 *
 * Check order on a 200 response (chosen so each failure gets the reason a user can act on):
 * 1. an announced Content-Length over the cap → 'too large' before reading anything;
 * 2. the first bytes must be an image signature → otherwise 'not an image' (an HTML error page
 *    labelled image/jpeg stops here, without downloading or hashing the rest);
 * 3. the running byte count over the cap → 'too large' (bodies without a length);
 * 4. the SHA-256 of the whole body → 'hash mismatch' (a real image that is truncated or altered
 *    passes 2 and fails here).
 *
 * Every check runs on the body as decoded: a server that sends `Content-Encoding: gzip` (or
 * deflate, br) although asked for `identity` is decoded, not taken for "not an image"; an
 * encoding facelab cannot decode, or a body that does not decode, is 'bad encoding'.
 * `429 Too Many Requests` is transient like a 5xx, and a `Retry-After` it (or a 503) sends is
 * passed on as `retryAfterMs` for the caller's next attempt.
 */
import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import http, { type ClientRequest, type IncomingMessage } from 'node:http';
import https from 'node:https';
import { join } from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { DownloadError, FacelabError } from '../errors.js';
import { aboutTarget, tempPathFor } from './atomic-file.js';
import { decoderFor, parseRetryAfter } from './http-encoding.js';
import { IMAGE_EXTENSIONS, type ImageKind, SNIFF_BYTES, sniffImage } from './image-sniff.js';

/** Default size cap: 20 MB (the largest FaceScrub original in the shared set is 2.9 MB). */
export const DEFAULT_MAX_BYTES = 20 * 1024 * 1024;

/**
 * Why a line failed; these strings are the keys of `failed` in `download --json`.
 * `http <code>` is any non-200 final status, e.g. 'http 404'.
 */
export type FailureReason =
  | `http ${number}`
  | 'timeout'
  | 'connection error'
  | 'too many redirects'
  | 'too large'
  | 'not an image'
  | 'hash mismatch'
  | 'bad encoding'
  | 'invalid url';

/**
 * A failed attempt. `transient` failures (timeouts, 5xx, 429, resets, refusals) are worth
 * retrying; `retryAfterMs` is how long the server asked to wait first (its `Retry-After`).
 */
export class PhotoFetchError extends DownloadError {
  override name = 'PhotoFetchError';
  constructor(
    url: string,
    override readonly reason: FailureReason,
    message: string,
    readonly transient: boolean,
    readonly retryAfterMs?: number,
  ) {
    super(url, reason, message);
  }
}

/** The attempt was cancelled through `FetchPhotoOptions.signal`; not a failure of the line. */
export class FetchAbortedError extends FacelabError {
  override name = 'FetchAbortedError';
}

/** Options of `fetchPhoto`. */
export interface FetchPhotoOptions {
  /** Absolute http(s) URL to GET. */
  url: string;
  /** Expected lower-case hex SHA-256 of the body. */
  sha256: string;
  /** Folder the verified photo is written to (must exist); the temp file goes there too. */
  dir: string;
  /** Longest silence in ms while connecting, waiting for headers or between body chunks; default 30000. */
  timeoutMs?: number;
  /** Longest whole attempt in ms, redirects included; default 4 × `timeoutMs`. */
  deadlineMs?: number;
  /** Redirects to follow before failing with 'too many redirects'; default 5. */
  maxRedirects?: number;
  /** Largest accepted body in bytes; default `DEFAULT_MAX_BYTES` (20 MB). */
  maxBytes?: number;
  /** Cancels the attempt (rejects with `FetchAbortedError`, removes the temp file). */
  signal?: AbortSignal;
}

/** A verified photo written to the cache. */
export interface FetchedPhoto {
  /** File name inside `dir`: `<sha256>.<ext>`. */
  name: string;
  kind: ImageKind;
  bytes: number;
  /** The URL the body finally came from (after redirects). */
  finalUrl: string;
}

const REDIRECTS = new Set([301, 302, 303, 307, 308]);
const HEADERS = { 'user-agent': 'facelab/0.1', accept: 'image/*', 'accept-encoding': 'identity' };

/**
 * Downloads one photo and keeps it only when its SHA-256 matches (see the file comment for the
 * order of checks). Rejects with `PhotoFetchError` (reason + whether it is transient) or
 * `FetchAbortedError`; never leaves a temp file behind unless the process itself is killed.
 */
export async function fetchPhoto(options: FetchPhotoOptions): Promise<FetchedPhoto> {
  const timeoutMs = options.timeoutMs ?? 30_000;
  const maxRedirects = options.maxRedirects ?? 5;
  const maxBytes = options.maxBytes ?? DEFAULT_MAX_BYTES;
  const attempt = new Attempt(options.url, timeoutMs, options.deadlineMs ?? 4 * timeoutMs, options.signal);
  try {
    let current = httpUrl(options.url, undefined, options.url);
    for (let hops = 0; ; hops++) {
      const response = await attempt.get(current);
      const status = response.statusCode ?? 0;
      const location = response.headers.location;
      if (REDIRECTS.has(status) && location) {
        response.destroy();
        if (hops >= maxRedirects) {
          throw new PhotoFetchError(
            options.url,
            'too many redirects',
            `more than ${maxRedirects} redirects (last to ${location})`,
            false,
          );
        }
        current = httpUrl(location, current, options.url);
        continue;
      }
      if (status !== 200) {
        response.destroy();
        const retryAfterMs = parseRetryAfter(response.headers['retry-after']);
        const wait = retryAfterMs === undefined ? '' : ` (asked to retry after ${retryAfterMs / 1000} s)`;
        throw new PhotoFetchError(
          options.url,
          `http ${status}`,
          `HTTP ${status} ${response.statusMessage ?? ''}`.trim() + wait,
          status >= 500 || status === 429,
          retryAfterMs,
        );
      }
      const announced = Number(response.headers['content-length']);
      if (Number.isFinite(announced) && announced > maxBytes) {
        response.destroy();
        throw new PhotoFetchError(
          options.url,
          'too large',
          `Content-Length ${announced} exceeds the ${maxBytes}-byte cap`,
          false,
        );
      }
      return await receive(response, current, options, maxBytes, attempt);
    }
  } catch (error) {
    throw attempt.explain(error);
  } finally {
    attempt.finish();
  }
}

/** Streams a 200 body through the checks into a temp file; renames it when the hash matches. */
async function receive(
  response: IncomingMessage,
  url: URL,
  options: FetchPhotoOptions,
  maxBytes: number,
  attempt: Attempt,
): Promise<FetchedPhoto> {
  const fail = (reason: FailureReason, message: string) =>
    new PhotoFetchError(options.url, reason, message, false);
  const hash = createHash('sha256');
  let bytes = 0;
  let head: Buffer | undefined = Buffer.alloc(0);
  let kind: ImageKind | undefined;
  const sniff = (): PhotoFetchError | undefined => {
    kind = sniffImage(head ?? Buffer.alloc(0));
    head = undefined;
    return kind ? undefined : fail('not an image', 'the body does not start with an image signature');
  };
  const check = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      attempt.kick();
      bytes += chunk.length;
      if (head) {
        head = Buffer.concat([head, chunk]);
        if (head.length >= SNIFF_BYTES) {
          const error = sniff();
          if (error) return callback(error);
        }
      }
      if (bytes > maxBytes) return callback(fail('too large', `body exceeds the ${maxBytes}-byte cap`));
      hash.update(chunk);
      callback(null, chunk);
    },
    flush(callback) {
      callback(head ? sniff() : undefined);
    },
  });
  const encoding = String(response.headers['content-encoding'] ?? 'identity')
    .trim()
    .toLowerCase();
  const decoder = decoderFor(encoding);
  if (decoder === null) {
    response.destroy();
    throw fail(
      'bad encoding',
      `the server sent Content-Encoding '${encoding}', which facelab does not decode`,
    );
  }
  let undecodable: Error | undefined;
  decoder?.once('error', (error) => {
    undecodable = error;
  });
  const target = join(options.dir, options.sha256);
  const temp = tempPathFor(target);
  try {
    const sink = createWriteStream(temp, { flags: 'wx' });
    try {
      await (decoder ? pipeline(response, decoder, check, sink) : pipeline(response, check, sink));
    } catch (error) {
      if (undecodable && error === undecodable) {
        throw fail('bad encoding', `the ${encoding} body does not decode (${undecodable.message})`);
      }
      throw error;
    }
    const actual = hash.digest('hex');
    if (actual !== options.sha256) {
      throw fail(
        'hash mismatch',
        `expected SHA-256 ${options.sha256} but received ${actual} (${bytes} bytes)`,
      );
    }
    const name = `${options.sha256}.${IMAGE_EXTENSIONS[kind as ImageKind]}`;
    // No fsync: rename is atomic against a killed process, and a re-run re-hashes every cached
    // photo before trusting it, which also catches the rare loss on power failure.
    await rename(temp, join(options.dir, name));
    return { name, kind: kind as ImageKind, bytes, finalUrl: url.href };
  } catch (error) {
    await rm(temp, { force: true });
    throw aboutTarget(error, temp, target);
  }
}

/** Parses an http(s) URL (relative to `base` for a Location header) or fails with 'invalid url'. */
function httpUrl(value: string, base: URL | undefined, original: string): URL {
  let url: URL | undefined;
  try {
    url = new URL(value, base);
  } catch {
    url = undefined;
  }
  if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:')) {
    const what = base ? `redirect to '${value}'` : `'${value}'`;
    throw new PhotoFetchError(original, 'invalid url', `${what} is not an http(s) URL`, false);
  }
  return url;
}

/**
 * The timers and cancellation of one attempt. Whatever stops the attempt first (silence,
 * deadline, abort) is remembered, so the error the streams raise afterwards ("socket hang up",
 * "aborted") is reported as its real cause.
 */
class Attempt {
  private request: ClientRequest | undefined;
  private response: IncomingMessage | undefined;
  private cause: Error | undefined;
  private idle: NodeJS.Timeout | undefined;
  private readonly deadline: NodeJS.Timeout;
  private readonly onAbort = () => this.stop(new FetchAbortedError(`${this.url}: cancelled`));

  constructor(
    private readonly url: string,
    private readonly timeoutMs: number,
    deadlineMs: number,
    private readonly signal: AbortSignal | undefined,
  ) {
    this.deadline = setTimeout(
      () =>
        this.stop(new PhotoFetchError(url, 'timeout', `no complete response within ${deadlineMs} ms`, true)),
      deadlineMs,
    );
    if (signal?.aborted) this.onAbort();
    signal?.addEventListener('abort', this.onAbort, { once: true });
  }

  /** Sends a GET and resolves with the response headers. */
  get(url: URL): Promise<IncomingMessage> {
    if (this.cause) return Promise.reject(this.cause);
    const client = url.protocol === 'https:' ? https : http;
    const request = client.get(url, { headers: HEADERS });
    this.request = request;
    this.response = undefined;
    this.kick();
    return new Promise((resolve, reject) => {
      request.on('error', reject);
      request.once('response', (response) => {
        this.response = response;
        this.kick();
        resolve(response);
      });
    });
  }

  /** Restarts the silence timer (called on every sign of life). */
  kick(): void {
    clearTimeout(this.idle);
    this.idle = setTimeout(
      () => this.stop(new PhotoFetchError(this.url, 'timeout', `no data for ${this.timeoutMs} ms`, true)),
      this.timeoutMs,
    );
  }

  /** The error to report for `error`, preferring the remembered cause. */
  explain(error: unknown): Error {
    if (this.cause) return this.cause;
    if (error instanceof PhotoFetchError) return error;
    // Errors that name a path come from the cache folder (disk full, no permission): they are
    // not this URL's fault and must stop the run, so they pass through unchanged.
    if ((error as NodeJS.ErrnoException).path !== undefined) return error as Error;
    const code = (error as NodeJS.ErrnoException).code ?? '';
    const message = error instanceof Error ? error.message : String(error);
    // A name that does not resolve or a certificate that does not verify will not change on retry.
    const permanent = code === 'ENOTFOUND' || /CERT|^ERR_TLS|^ERR_SSL|^HPE_/.test(code);
    return new PhotoFetchError(
      this.url,
      'connection error',
      `${message}${code && !message.includes(code) ? ` (${code})` : ''}`,
      !permanent,
    );
  }

  /** Clears timers and listeners. */
  finish(): void {
    clearTimeout(this.idle);
    clearTimeout(this.deadline);
    this.signal?.removeEventListener('abort', this.onAbort);
  }

  private stop(cause: Error): void {
    this.cause ??= cause;
    this.response?.destroy(cause);
    this.request?.destroy(cause);
  }
}
