/**
 * Issue 12, case 4: garbage given as a list. A list with no usable line is a user error (one
 * line, exit 2), not a job that succeeds on nothing; warnings never print the input's control
 * characters, and after a handful about one file the rest are summarised in one line.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { say } from '../src/cli/output.js';
import { progressPrinter, WARNINGS_PER_FILE } from '../src/cli/progress-bar.js';
import { parseFaceList, readFaceList } from '../src/data/face-list.js';
import { printable } from '../src/data/printable.js';
import { UserError } from '../src/errors.js';
import { runCli } from './helpers/capture-cli.js';
import { facescrubList } from './helpers/shared.js';

let temp = '';
before(async () => {
  temp = await mkdtemp(join(tmpdir(), 'facelab-hostile-list-'));
});
after(async () => {
  await rm(temp, { recursive: true, force: true });
});

const ESC = '\u001b';
/** Any C0/C1 control other than the newline ending a line, or a bidirectional override. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point
const CONTROL = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/;

test('an empty, blank, binary or wrong file as --subset: one line, exit 2, no control characters', async () => {
  // Binary garbage with NUL bytes, a terminal-escape payload, and a text file of no list lines.
  const binary = Buffer.concat([randomBytes(4096), Buffer.from(`${ESC}[2J${ESC}]0;pwned\u0007\n`)]);
  const files: Record<string, string | Buffer> = {
    'empty.txt': '',
    'blank.txt': '\n\n  \n# only a comment\n',
    'binary.bin': binary,
    'escapes.txt': `${ESC}[31mred\t${ESC}[2J\t\u202eevil\n`.repeat(300),
    'wrong.txt': (await readFile(facescrubList, 'utf8')).replaceAll('\t', ' '),
  };
  for (const [name, content] of Object.entries(files)) {
    const path = join(temp, name);
    await writeFile(path, content);
    for (const command of ['download', 'prepare']) {
      const extra = command === 'prepare' ? ['--out', join(temp, 'out')] : [];
      const run = await runCli([command, '--subset', path, '--cache', join(temp, 'cache'), ...extra]);
      assert.equal(run.code, 2, `${command} ${name}: ${run.stderr}`);
      const lines = run.stderr.trim().split('\n');
      assert.equal(lines.length, 1, `${command} ${name}: ${run.stderr.slice(0, 500)}`);
      assert.ok(!CONTROL.test(run.stderr.trim()), `${command} ${name} printed a control character`);
      assert.match(lines[0]!, new RegExp(`^facelab ${command}: .*${name}`));
      assert.doesNotMatch(run.stderr, /line 0\b/);
    }
  }
  await assert.rejects(
    readFaceList(join(temp, 'empty.txt')),
    (e) => e instanceof UserError && /holds no list lines/.test(e.message),
  );
  await assert.rejects(readFaceList(join(temp, 'binary.bin')), /is not a text file/);
  await assert.rejects(
    readFaceList(join(temp, 'wrong.txt')),
    /none of its 3105 lines is a usable FaceScrub line \(line 1: expected 6 tab-separated fields/,
  );
});

test('reasons quote list values escaped and shortened', () => {
  const sha = 'a'.repeat(64);
  const text = [
    `Alec Baldwin\t1\t2\thttp://x.com/a.jpg\t1,2,3,4\t${sha}`,
    `Alec Baldwin\t1\t2\t${ESC}[2Jhttp://x\t1,2,3,4\t${sha}`,
    `Alec Baldwin\t1\t2\thttp://x.com/a.jpg\t1,2,3,${'9'.repeat(200)}\t${sha}`,
    `Alec Baldwin\t1\t2\thttp://x.com/a.jpg\t1,2,3,4\t\u202e${'b'.repeat(63)}`,
  ].join('\n');
  const { lines, problems } = parseFaceList(text, 'x.txt');
  assert.equal(lines.length, 1);
  assert.equal(problems[0]!.message, "x.txt:2: invalid URL '\\x1b[2Jhttp://x'");
  assert.match(problems[1]!.message, /^x\.txt:3: face box '1,2,3,9{74}…' has coordinates beyond ±2\^53$/);
  assert.ok(problems[1]!.message.length < 200);
  assert.match(problems[2]!.message, /SHA-256 '\\u202eb{63}' is not 64 hex digits/);
  for (const p of problems) assert.ok(!CONTROL.test(p.message), p.message);
  // An actor of --actors without a line is named without a line number.
  const partial = parseFaceList(text, 'x.txt', { actors: ['Alec Baldwin', 'Nobody'] });
  const missing = partial.problems.find((p) => p.message.includes('Nobody'))!;
  assert.equal(missing.message, "x.txt: actor 'Nobody' given with --actors has no usable line in the list");
  assert.equal(printable(`a${ESC}b\tc\n\u0085`), 'a\\x1bb\\tc\\n\\x85');
});

test('warnings about one file: the first few shown, the rest summarised in one line', () => {
  const out: string[] = [];
  const print = progressPrinter({ bars: false, write: (t) => out.push(t) });
  for (let i = 1; i <= 300; i++) {
    print({
      kind: 'warning',
      task: 'download',
      message: `list.txt:${i}: expected 6 fields but found 1 ${ESC}[2J`,
    });
  }
  print({ kind: 'warning', task: 'download', message: 'photo.jpg (list line 3): corrupt' });
  print({ kind: 'start', task: 'download', total: 10 });
  const text = out.join('');
  const lines = text.trim().split('\n');
  assert.equal(lines.length, WARNINGS_PER_FILE + 2, text);
  assert.equal(lines[0], 'warning: list.txt:1: expected 6 fields but found 1 \\x1b[2J');
  assert.equal(lines[WARNINGS_PER_FILE], 'warning: photo.jpg (list line 3): corrupt');
  assert.equal(
    lines.at(-1),
    `warning: list.txt: ${300 - WARNINGS_PER_FILE} more problems like these, not shown`,
  );
  assert.ok(!text.includes(ESC));
});

test('a command that fails right after its warnings still prints their summary, before its error line', async () => {
  const good = (await readFile(facescrubList, 'utf8')).split('\n').slice(0, 2);
  const path = join(temp, 'then-fails.txt');
  await writeFile(path, [...good, ...Array.from({ length: 9 }, (_, i) => `junk ${i}`)].join('\n'));
  const notAFolder = join(temp, 'a-file');
  await writeFile(notAFolder, '');
  const run = await runCli(['download', '--subset', path, '--cache', notAFolder]);
  assert.equal(run.code, 2, run.stderr);
  const lines = run.stderr.trim().split('\n');
  assert.equal(lines.length, WARNINGS_PER_FILE + 2, run.stderr);
  assert.match(
    lines.at(-2)!,
    new RegExp(`then-fails\\.txt: ${9 - WARNINGS_PER_FILE} more problems like these`),
  );
  assert.match(lines.at(-1)!, /^facelab download: cannot use .*a-file/);
});

test('a list of good lines and hundreds of garbage lines downloads the good ones, warnings summarised', async () => {
  const good = (await readFile(facescrubList, 'utf8')).split('\n').slice(0, 3);
  const garbage = Array.from({ length: 400 }, (_, i) => `${ESC}[2Jjunk ${i}\u0007`);
  const path = join(temp, 'mixed.txt');
  await writeFile(path, [...good, ...garbage].join('\n'));
  const list = await readFaceList(path);
  assert.equal(list.lines.length, 3);
  assert.equal(list.problems.length, 400);
  // The URLs are not fetched: a mirror nobody listens on fails each line quickly.
  const run = await runCli([
    ...['download', '--subset', path, '--cache', join(temp, 'mixed-cache')],
    ...['--mirror', 'http://127.0.0.1:9', '--retries', '0', '--json'],
  ]);
  assert.equal(run.code, 0, run.stderr);
  const warnings = run.stderr.split('\n').filter((l) => l.startsWith('warning: '));
  assert.equal(warnings.length, WARNINGS_PER_FILE + 1, run.stderr);
  assert.match(
    warnings.at(-1)!,
    new RegExp(`mixed\\.txt: ${400 - WARNINGS_PER_FILE} more problems like these`),
  );
  assert.ok(!CONTROL.test(run.stderr.replaceAll('\n', '')), 'no control characters');
  assert.equal(JSON.parse(run.stdout.trim().split('\n').pop()!).malformed, 400);
});

test("a command's summary lines escape control characters (an actor name from a list)", () => {
  const written: string[] = [];
  const write = process.stdout.write;
  process.stdout.write = ((chunk: string) => written.push(chunk) > 0) as typeof process.stdout.write;
  try {
    say(`Alec${ESC}[2J Baldwin       70      20`, false);
  } finally {
    process.stdout.write = write;
  }
  assert.deepEqual(written, ['Alec\\x1b[2J Baldwin       70      20\n']);
});
