/**
 * The built-in loopback photo server of `facelab demo`. It stands in for the web: each photo of
 * the synthetic list is served at the mirror path of its URL (`/HOST/PATH?QUERY`, what
 * `--mirror` rewriting produces), so the real downloader runs unchanged against it. A route
 * can also misbehave on purpose, as dead links do.
 */
import { createReadStream } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, resolve, sep } from 'node:path';
import { UserError } from '../errors.js';

/**
 * A deliberate misbehaviour of one route:
 * - 'not-found': 404, as a deleted photo;
 * - 'html': 200 with an HTML page labelled `image/jpeg`, as a host that replaced the photo;
 * - 'wrong-bytes': the route's file with its middle byte flipped, so its SHA-256 mismatches.
 */
export type PhotoFault = 'not-found' | 'html' | 'wrong-bytes';

/** What the server answers at one path. */
export interface PhotoRoute {
  /** The file to serve, relative to `imagesDir`. */
  file?: string;
  /** A deliberate fault; default none. */
  fault?: PhotoFault;
}

/** Options of `startPhotoServer`. */
export interface PhotoServerOptions {
  /** Folder the routes' files are relative to. */
  imagesDir: string;
  /** Routes by mirror path `/HOST/PATH?QUERY` (see `mirrorUrl` in `src/data/mirror-url.ts`). */
  routes: ReadonlyMap<string, PhotoRoute>;
}

/** A running photo server. */
export interface PhotoServer {
  /** Base URL to pass as `--mirror`, e.g. `http://127.0.0.1:41234`. */
  url: string;
  /** Stops listening and drops open connections. */
  close(): Promise<void>;
}

const CONTENT_TYPES: Readonly<Record<string, string>> = {
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.png': 'image/png',
};

const HTML_PAGE =
  '<!DOCTYPE html><html><head><title>Photo removed</title></head><body><p>This photo is no longer available.</p></body></html>';

/**
 * Starts the server on 127.0.0.1 at a free port. Paths without a route, and any method other
 * than GET or HEAD, get an error status.
 *
 * @example
 * const server = await startPhotoServer({ imagesDir, routes });
 * try { await downloadPhotos({ ..., mirror: server.url }); } finally { await server.close(); }
 */
export async function startPhotoServer(options: PhotoServerOptions): Promise<PhotoServer> {
  const root = resolve(options.imagesDir);
  const routes = new Map(options.routes);
  for (const [path, route] of routes) {
    if (route.file !== undefined && !resolve(root, route.file).startsWith(root + sep)) {
      throw new UserError(`photo route ${path}: file '${route.file}' lies outside ${root}`);
    }
  }

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD', 'content-type': 'text/plain' }).end('method not allowed');
      return;
    }
    const route = routes.get(req.url ?? '/');
    if (
      route === undefined ||
      route.fault === 'not-found' ||
      (route.file === undefined && route.fault !== 'html')
    ) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
      return;
    }
    if (route.fault === 'html') {
      res.writeHead(200, { 'content-type': 'image/jpeg', 'content-length': Buffer.byteLength(HTML_PAGE) });
      res.end(req.method === 'HEAD' ? undefined : HTML_PAGE);
      return;
    }
    const file = resolve(root, route.file!);
    const type = CONTENT_TYPES[extname(file).toLowerCase()] ?? 'application/octet-stream';
    if (route.fault === 'wrong-bytes') {
      const bytes = await readFile(file);
      bytes[bytes.length >> 1]! ^= 0xff;
      res.writeHead(200, { 'content-type': type, 'content-length': bytes.length });
      res.end(req.method === 'HEAD' ? undefined : bytes);
      return;
    }
    const { size } = await stat(file);
    res.writeHead(200, { 'content-type': type, 'content-length': size });
    if (req.method === 'HEAD') {
      res.end();
      return;
    }
    const stream = createReadStream(file);
    stream.on('error', () => res.destroy());
    stream.pipe(res);
  };

  const server = createServer((req, res) => {
    handle(req, res).catch(() => {
      // A route's file vanished or is unreadable: answer like a broken host.
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' }).end('server error');
      else res.destroy();
    });
  });
  await new Promise<void>((resolveListen, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      server.off('error', reject);
      resolveListen();
    });
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolveClose, reject) => {
        server.close((error) => (error ? reject(error) : resolveClose()));
        server.closeAllConnections();
      }),
  };
}

/**
 * Reads a route table written by `generateDemoDataset` (`routes.json`: an object from mirror
 * path to `{ file?, fault? }`).
 */
export async function readPhotoRoutes(file: string): Promise<Map<string, PhotoRoute>> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(await readFile(file, 'utf8'));
  } catch (error) {
    throw new UserError(`cannot read the photo routes ${file} (${(error as Error).message})`);
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new UserError(`${file}: expected an object of routes`);
  }
  return new Map(Object.entries(parsed as Record<string, PhotoRoute>));
}
