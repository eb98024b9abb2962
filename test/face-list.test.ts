import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseFaceList, readFaceList } from '../src/data/face-list.js';
import { UserError } from '../src/errors.js';
import { facescrubList, SIX_ACTORS } from './helpers/shared.js';

const good =
  'Alec Baldwin\t3209\t1862\thttp://example.com/a.jpg\t463,450,1785,1772\taed1147f61119c1ee4a725f4c49b4a7e766412754a1d551ec24245d30ac15f6d';

test('the shared list: 1,492 usable lines for the six actors, the truncated last line reported', async () => {
  const list = await readFaceList(facescrubList, { actors: SIX_ACTORS });
  assert.equal(list.lines.length, 1492);
  assert.equal(list.problems.length, 1);
  assert.match(
    list.problems[0]!.message,
    /faces_subset\.txt:3105: expected 6 tab-separated fields .* found 4/,
  );
  assert.equal(new Set(list.lines.map((l) => l.name)).size, 6);
  const all = await readFaceList(facescrubList);
  assert.equal(all.lines.length, 3104);
});

test('parses both the 6-field and the 9-field layouts', () => {
  const nine = good.replace('463,450,1785,1772', '463\t450\t1785\t1772');
  for (const text of [good, nine]) {
    const { lines, problems } = parseFaceList(text, 'x.txt');
    assert.equal(problems.length, 0);
    assert.deepEqual(lines[0]!.box, { x1: 463, y1: 450, x2: 1785, y2: 1772 });
    assert.equal(lines[0]!.line, 1);
  }
});

test('malformed lines are reported with file, line and reason, and skipped', () => {
  const bad = [
    good,
    good.replace('463,450,1785,1772', '463,450,1785'),
    good.replace('463,450,1785,1772', '500,450,400,1772'),
    good.replace('http://example.com/a.jpg', 'ftp://example.com/a.jpg'),
    good.replace('http://example.com/a.jpg', 'not a url'),
    good.replace(/\t[0-9a-f]{64}$/, '\tdeadbeef'),
    'Alec Baldwin\t3209',
    '',
  ].join('\n');
  const { lines, problems } = parseFaceList(bad, 'dirty.txt');
  assert.equal(lines.length, 1);
  const messages = problems.map((p) => p.message);
  assert.match(messages[0]!, /^dirty\.txt:2: face box '463,450,1785' is not four integers/);
  assert.match(messages[1]!, /^dirty\.txt:3: face box 500,450,400,1772 is empty/);
  assert.match(messages[2]!, /^dirty\.txt:4: URL 'ftp:\/\/example\.com\/a\.jpg' is not http\(s\)/);
  assert.match(messages[3]!, /^dirty\.txt:5: invalid URL 'not a url'/);
  assert.match(messages[4]!, /^dirty\.txt:6: SHA-256 'deadbeef' is not 64 hex digits/);
  assert.match(messages[5]!, /^dirty\.txt:7: expected 6 tab-separated fields .* found 2/);
});

test('--actors filters, and naming nobody in the list is a user error', () => {
  const text = `${good}\n${good.replace('Alec Baldwin', 'Bill Hader')}`;
  assert.equal(parseFaceList(text, 'x', { actors: ['Bill Hader'] }).lines.length, 1);
  const partial = parseFaceList(text, 'x', { actors: ['Bill Hader', 'Nobody'] });
  assert.match(partial.problems[0]!.message, /actor 'Nobody' given with --actors has no usable line/);
  assert.throws(
    () => parseFaceList(text, 'x', { actors: ['Nobody'] }),
    (e) => e instanceof UserError && /Nobody/.test(e.message),
  );
});

test('an unreadable list is a user error naming the file', async () => {
  await assert.rejects(
    readFaceList('/no/such/list.txt'),
    (e) => e instanceof UserError && /\/no\/such\/list\.txt \(ENOENT\)/.test(e.message),
  );
});
