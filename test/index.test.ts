/**
 * The public API (`src/index.ts`): every value it names is really exported and defined (a
 * re-export of something renamed or removed would surface here, not in a user's program),
 * nothing is exported wholesale, the names the README and other tools rely on are there, the
 * machinery behind them is not, and `package.json` `exports` opens this one entry only.
 */
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import * as api from '../src/index.js';
import { repoRoot } from './helpers/shared.js';

/** Value (non-type) names of the `export { … } from` statements of the index source. */
async function namedValueExports(): Promise<string[]> {
  const source = await readFile(join(repoRoot, 'src', 'index.ts'), 'utf8');
  assert.doesNotMatch(source, /^export\s+\*/m, 'no export * in the public API');
  const names: string[] = [];
  for (const match of source.matchAll(/export\s+(type\s+)?\{([^}]*)\}\s*from\s*'([^']+)'/g)) {
    if (match[1]) continue; // `export type { … }` has no run-time value
    for (const item of match[2]!.split(',').map((s) => s.trim())) {
      if (item === '' || item.startsWith('type ')) continue;
      names.push(item.split(/\s+as\s+/).pop()!);
    }
  }
  return names;
}

test('every value named in src/index.ts is exported and defined; nothing else is', async () => {
  const names = await namedValueExports();
  assert.ok(names.length > 50, `found ${names.length} names: the parser must see the index`);
  assert.equal(new Set(names).size, names.length, 'no name exported twice');
  const exported = api as unknown as Record<string, unknown>;
  for (const name of names) {
    assert.ok(name in exported, `${name} is named in the index but not exported`);
    assert.notEqual(exported[name], undefined, `${name} is exported as undefined`);
  }
  assert.deepEqual(
    Object.keys(exported).sort(),
    [...names].sort(),
    'the module exports exactly the named values',
  );
});

test('the documented entry points are functions, classes and error classes', () => {
  const exported = api as unknown as Record<string, unknown>;
  const functions = [
    'parseFaceList',
    'readFaceList',
    'downloadPhotos',
    'cropFace',
    'resizeBilinear',
    'prepareDataset',
    'photosFromFolder',
    'photosFromLabels',
    'decodePhoto',
    'detectFaces',
    'locateFaces',
    'chooseFace',
    'alignedCrop',
    'alignmentTransform',
    'listBoxFromDetection',
    'predictFaces',
    'calibrateOpenSet',
    'openSetVerdict',
    'loadPrepared',
    'normalizeImages',
    'channelStats',
    'splitByActor',
    'partSizes',
    'createRng',
    'readNpz',
    'writeNpz',
    'encodeNpy',
    'decodeNpy',
    'trainClassifier',
    'gridSearch',
    'runGrid',
    'writeRunOutputs',
    'computeFeatures',
    'runTransfer',
    'buildFaceNet',
    'buildAlexNet',
    'buildClassifierModel',
    'predictPhotos',
    'learningCurveSvg',
    'gridHeatmapSvg',
    'confusionMatrixSvg',
    'perActorAccuracySvg',
    'misclassifiedFacesSvg',
    'cropSampleSvg',
    'hiddenUnitsSvg',
    'rankHiddenUnits',
    'svgToPng',
    'generateDemoDataset',
    'startPhotoServer',
  ];
  for (const name of functions) assert.equal(typeof exported[name], 'function', name);
  for (const name of [
    'FacelabError',
    'UserError',
    'InvalidOptionError',
    'FileFormatError',
    'ListFormatError',
    'DownloadError',
    'ImageError',
    'ArgumentError',
    'InternalError',
    'StoppedError',
  ]) {
    const ctor = exported[name] as new (...args: never[]) => unknown;
    assert.ok(ctor.prototype instanceof Error, `${name} is an Error class`);
  }
  assert.ok(api.UserError.prototype instanceof api.FacelabError);
  assert.ok(api.FileFormatError.prototype instanceof api.UserError);
  for (const kind of [api.ArgumentError, api.InternalError, api.StoppedError]) {
    assert.ok(kind.prototype instanceof api.FacelabError, kind.name);
    assert.equal(kind.prototype instanceof api.UserError, false, `${kind.name} is not the user's mistake`);
  }
  assert.ok(new api.InvalidOptionError('--top', 'a positive integer', 0) instanceof api.UserError);
  // A few values through the index behave as from their own modules.
  assert.deepEqual(api.partSizes(10), { train: 6, val: 2, test: 2 });
  assert.equal(api.createRng(7).next(), api.createRng(7).next());
});

test('the machinery behind the pipeline is not in the public API', () => {
  const exported = api as unknown as Record<string, unknown>;
  for (const name of [
    'GraphBuilder',
    'EngineSession',
    'writeFileAtomic',
    'writeJsonAtomic',
    'readPhotoRoutes',
    'GridRunStore',
    'runSteps',
    'pipelineSteps',
    'readRunState',
    'writeRunState',
    'locateRun',
    'tapModel',
    'encodeRgbPng',
  ]) {
    assert.equal(name in exported, false, `${name} is internal`);
  }
});

test('package.json exports this one entry (built from src/index.ts) and its version', async () => {
  const manifest = JSON.parse(await readFile(join(repoRoot, 'package.json'), 'utf8')) as {
    version: string;
    main: string;
    types: string;
    exports: Record<string, unknown>;
  };
  assert.deepEqual(Object.keys(manifest.exports).sort(), ['.', './package.json']);
  assert.deepEqual(manifest.exports['.'], { types: './dist/index.d.ts', default: './dist/index.js' });
  // tsconfig.json builds src/ into dist/, so dist/index.* is src/index.ts.
  const tsconfig = JSON.parse(await readFile(join(repoRoot, 'tsconfig.json'), 'utf8')) as {
    compilerOptions: { rootDir: string; outDir: string };
  };
  assert.deepEqual(tsconfig.compilerOptions, { ...tsconfig.compilerOptions, rootDir: 'src', outDir: 'dist' });
  assert.equal(`./${manifest.main}`, './dist/index.js');
  assert.equal(`./${manifest.types}`, './dist/index.d.ts');
  assert.equal(api.FACELAB_VERSION, manifest.version);
  assert.match(api.FACELAB_VERSION, /^\d+\.\d+\.\d+/);
});
