/**
 * A loopback FaceScrub mirror for tests and benchmarks. For each list line whose photo exists in
 * the images folder (`<sha256>.<ext>`), it serves that file at `/<HOST>/<PATH>?<QUERY>` of the
 * line's original URL — the path `--mirror` rewriting produces — and 404 for everything else.
 * Faults can be injected per path, and every response can be delayed.
 */
import { createReadStream } from 'node:fs';
import { readdir, readFile, stat } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import type { FaceLine } from '../../src/data/face-list.js';

/**
 * A misbehaviour of one path:
 * - '500-then-200': the first request gets 500, later ones the photo;
 * - 'stall': headers and the first KiB are sent, then the body never finishes;
 * - 'truncate': the first half of the photo, with a matching Content-Length;
 * - 'alter-bytes': the whole photo with its middle byte flipped;
 * - 'html-as-jpeg': an HTML page labelled `image/jpeg`;
 * - 'oversized': a JPEG signature then zeros, streamed without Content-Length;
 * - 'oversized-announced': the same with its (huge) Content-Length announced;
 * - 'redirect-loop': every request is redirected (relative Location) to a new URL of the loop;
 * - 'redirect': one relative redirect, then the photo;
 * - 'reset': the connection is destroyed before any response.
 */
export type Fault =
  | '500-then-200'
  | 'stall'
  | 'truncate'
  | 'alter-bytes'
  | 'html-as-jpeg'
  | 'oversized'
  | 'oversized-announced'
  | 'redirect-loop'
  | 'redirect'
  | 'reset';

/** Options of `startMirror`. */
export interface MirrorOptions {
  /** Lines whose photos to serve (lines without a photo in `imagesDir` will 404). */
  lines: readonly FaceLine[];
  /** Folder of `<sha256>.<ext>` originals. */
  imagesDir: string;
  /** Delay before every response, in ms; default 0. */
  latencyMs?: number;
  /** Faults by mirror path (see `MirrorServer.pathOf`); default none. */
  faults?: Record<string, Fault>;
  /** Body size of the 'oversized' faults in bytes; default 64 MiB (never held in memory). */
  oversizedBytes?: number;
}

/** A running mirror. */
export interface MirrorServer {
  /** Base URL to pass as `--mirror`, e.g. `http://127.0.0.1:41234`. */
  url: string;
  /** The mirror path of an original URL: `/<HOST>/<PATH>?<QUERY>`. */
  pathOf(originalUrl: string): string;
  /** Requests received per mirror path (redirect-loop hops count under their loop's path). */
  requests: Map<string, number>;
  /** All requests received. */
  totalRequests(): number;
  /** Sets (or with `undefined` clears) the fault of a path. */
  setFault(path: string, fault: Fault | undefined): void;
  /** Stops the server and drops open (e.g. stalled) connections. */
  close(): Promise<void>;
}

const TYPES: Record<string, string> = { jpg: 'image/jpeg', jpeg: 'image/jpeg', png: 'image/png' };
const HOP = /[?&]hop=(\d+)$/;
const MOVED = '/__moved__';

/** Starts a mirror on 127.0.0.1 with a free port. */
export async function startMirror(options: MirrorOptions): Promise<MirrorServer> {
  const files = new Map<string, string>();
  for (const name of await readdir(options.imagesDir)) files.set(name.split('.')[0]!, name);
  const pathOf = (originalUrl: string): string => {
    const url = new URL(originalUrl);
    return `/${url.host}${url.pathname}${url.search}`;
  };
  const routes = new Map<string, string>();
  for (const line of options.lines) {
    const name = files.get(line.sha256);
    if (name) routes.set(pathOf(line.url), join(options.imagesDir, name));
  }
  const faults = new Map(Object.entries(options.faults ?? {}));
  const requests = new Map<string, number>();
  const failedOnce = new Set<string>();
  const oversizedBytes = options.oversizedBytes ?? 64 * 2 ** 20;
  let total = 0;

  const serveFile = async (res: ServerResponse, file: string, fault?: Fault): Promise<void> => {
    const type = TYPES[file.split('.').pop()!.toLowerCase()] ?? 'application/octet-stream';
    const size = (await stat(file)).size;
    if (fault === 'alter-bytes') {
      const bytes = await readFile(file);
      bytes[bytes.length >> 1]! ^= 0xff;
      res.writeHead(200, { 'content-type': type, 'content-length': bytes.length }).end(bytes);
      return;
    }
    if (fault === 'stall') {
      res.writeHead(200, { 'content-type': type, 'content-length': size });
      res.write((await readFile(file)).subarray(0, 1024));
      return;
    }
    const length = fault === 'truncate' ? size >> 1 : size;
    res.writeHead(200, { 'content-type': type, 'content-length': length });
    createReadStream(file, { start: 0, end: length - 1 }).pipe(res);
  };

  const streamOversized = (res: ServerResponse, announce: boolean): void => {
    res.writeHead(200, {
      'content-type': 'image/jpeg',
      ...(announce ? { 'content-length': oversizedBytes } : {}),
    });
    const chunk = Buffer.alloc(64 * 1024);
    chunk.set([0xff, 0xd8, 0xff, 0xe0]);
    let sent = 0;
    const pump = (): void => {
      while (sent < oversizedBytes && !res.destroyed) {
        const part = chunk.subarray(0, Math.min(chunk.length, oversizedBytes - sent));
        if (sent > 0) part.fill(0, 0, Math.min(4, part.length));
        sent += part.length;
        if (!res.write(part)) return void res.once('drain', pump);
      }
      if (!res.destroyed) res.end();
    };
    pump();
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    total++;
    if (options.latencyMs) await new Promise((r) => setTimeout(r, options.latencyMs));
    const raw = req.url ?? '/';
    if (raw.startsWith(MOVED)) {
      const file = routes.get(raw.slice(MOVED.length));
      if (file) return serveFile(res, file);
      res.writeHead(404).end('not found');
      return;
    }
    const hop = HOP.exec(raw);
    const path = hop ? raw.slice(0, hop.index) : raw;
    requests.set(path, (requests.get(path) ?? 0) + 1);
    const fault = faults.get(path);
    const file = routes.get(path);
    switch (fault) {
      case 'reset':
        req.socket.destroy();
        return;
      case '500-then-200':
        if (!failedOnce.has(path)) {
          failedOnce.add(path);
          res.writeHead(500, { 'content-type': 'text/plain' }).end('try again');
          return;
        }
        break;
      case 'html-as-jpeg':
        res
          .writeHead(200, { 'content-type': 'image/jpeg' })
          .end('<!DOCTYPE html><html><body>This photo has been removed.</body></html>');
        return;
      case 'oversized':
      case 'oversized-announced':
        streamOversized(res, fault === 'oversized-announced');
        return;
      case 'redirect-loop': {
        // A relative reference (last segment + query): each hop is a new URL, so only the
        // redirect limit can end the loop.
        const last = path.slice(path.lastIndexOf('/') + 1);
        const next = Number(hop?.[1] ?? 0) + 1;
        res.writeHead(302, { location: `${last}${last.includes('?') ? '&' : '?'}hop=${next}` }).end();
        return;
      }
      case 'redirect':
        res.writeHead(302, { location: `${MOVED}${path}` }).end();
        return;
      default:
        break;
    }
    if (!file) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
      return;
    }
    await serveFile(res, file, fault);
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      if (!res.headersSent) res.writeHead(500).end(String(error));
      else res.destroy();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    pathOf,
    requests,
    totalRequests: () => total,
    setFault: (path, fault) => {
      if (fault) faults.set(path, fault);
      else faults.delete(path);
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      }),
  };
}
