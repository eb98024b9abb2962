/**
 * Text from a user's file, made safe to print: a line of a list may hold any bytes (a binary
 * file given as `--subset`), and echoing them raw can move the cursor, recolour or clear the
 * terminal, or hide text behind bidirectional overrides.
 */

// C0 and C1 controls (tab, newline and carriage return included: a message is one line), DEL,
// the line and paragraph separators, and the bidirectional marks, embeddings and isolates.
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069]/g;

/**
 * `text` with every control or bidirectional character written as an escape (`\x1b`, `\t`,
 * `\u202e`), cut to `maxLength` characters (default 80, then `…`): safe in one terminal line.
 *
 * @example
 * printable('\u001b[2Jhello') === '\\x1b[2Jhello'
 */
export function printable(text: string, maxLength = 80): string {
  const cut = [...text];
  const shown = cut.length > maxLength ? `${cut.slice(0, maxLength).join('')}…` : text;
  return shown.replace(UNSAFE, (ch) => {
    if (ch === '\t') return '\\t';
    if (ch === '\n') return '\\n';
    if (ch === '\r') return '\\r';
    const code = ch.charCodeAt(0);
    return code <= 0xff
      ? `\\x${code.toString(16).padStart(2, '0')}`
      : `\\u${code.toString(16).padStart(4, '0')}`;
  });
}

/**
 * True when `text` looks like a binary file's bytes: a NUL byte, or a quarter of the first
 * 8 KiB being controls or U+FFFD (bytes that are no UTF-8). Text with a few escape sequences
 * stays text: its lines are judged one by one.
 */
export function looksBinary(text: string): boolean {
  if (text.includes('\u0000')) return true;
  const sample = text.slice(0, 8192);
  let odd = 0;
  for (const ch of sample) {
    const code = ch.codePointAt(0)!;
    if (code === 0xfffd || (code < 0x20 && ch !== '\t' && ch !== '\n' && ch !== '\r')) odd++;
  }
  return sample.length > 0 && odd / sample.length > 0.25;
}
