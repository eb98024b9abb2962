/**
 * `--mirror` support: a local copy of FaceScrub stands in for dead links by serving each photo
 * at the host, path and query of its original URL.
 */
import { InvalidOptionError } from '../errors.js';

/**
 * Checks a `--mirror` value and returns it without trailing slashes. It must be an absolute
 * http(s) URL without query or fragment (they could not be combined with the rewritten path).
 *
 * @param raw the value as the user gave it.
 * @param option the flag name used in the error message; default `'--mirror'`.
 */
export function parseMirrorBase(raw: string, option = '--mirror'): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new InvalidOptionError(option, 'an absolute http(s) URL', raw);
  }
  if ((url.protocol !== 'http:' && url.protocol !== 'https:') || url.search !== '' || url.hash !== '') {
    throw new InvalidOptionError(option, 'an absolute http(s) URL without query or fragment', raw);
  }
  return url.href.replace(/\/+$/, '');
}

/**
 * Rewrites `http(s)://HOST/PATH?QUERY` to `MIRROR/HOST/PATH?QUERY`. The scheme, user info and
 * fragment of the original are dropped; HOST keeps a non-default port. The original is
 * normalised by the WHATWG URL parser first (percent-encoding, dot segments, lower-case host),
 * exactly as an HTTP client would send it, so a mirror can index its files the same way.
 *
 * @param url an absolute http(s) URL from a list line; anything else throws an `InvalidOptionError`.
 * @param mirror a base accepted by `parseMirrorBase`.
 * @example mirrorUrl('http://a.com/x/y.jpg?s=1', 'http://127.0.0.1:8080') // 'http://127.0.0.1:8080/a.com/x/y.jpg?s=1'
 */
export function mirrorUrl(url: string, mirror: string): string {
  const original = URL.canParse(url) ? new URL(url) : undefined;
  if (original?.protocol !== 'http:' && original?.protocol !== 'https:') {
    throw new InvalidOptionError('the URL to mirror', 'an absolute http(s) URL', url);
  }
  return `${mirror.replace(/\/+$/, '')}/${original.host}${original.pathname}${original.search}`;
}
