// What a clone carries: every version of a large file stays in the history forever, so a tracked file over 1 MiB
// must be one the product ships (CONTRIBUTING.md, "Large files"). Resumable training state may be tracked only while
// its run is in progress, marked by runs/<run>/IN_PROGRESS.md (what runs, since when, and how to resume it). ONNX
// exports are never tracked, whatever their size: the backend rebuilds them from the weights and caches them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { ROOT } from './lib/paths.mjs';

const LIMIT = 1024 * 1024;

// Each pattern with the reason it may exceed the limit.
const ALLOWED = [
  [/^models\/[^/]+\/weights\.safetensors$/, 'a shipped model package (at most 16 MB)'],
  [/^baselines\/[^/]+\/weights\.safetensors$/, 'an ablation baseline the evaluation compares against'],
  [/^tools\/AdaDiff\.Evaluation\/Classifier\/[^/]+\.safetensors$/, 'the classifier the FID-proxy and class accuracy are measured with'],
];

function tracked() {
  const git = spawnSync('git', ['ls-files', '-z'], { cwd: ROOT, encoding: 'utf8' });
  if (git.status !== 0) throw new Error(`git ls-files failed: ${git.stderr}`);
  return git.stdout.split('\0').filter((f) => f.length > 0);
}

export function oversized(files, sizeOf) {
  const found = [];
  for (const file of files) {
    const size = sizeOf(file);
    if (size === null || size <= LIMIT) continue;
    if (ALLOWED.some(([pattern]) => pattern.test(file))) continue;
    if (/^runs\/[^/]+\/checkpoint\//.test(file) && files.includes(file.replace(/checkpoint\/.*$/, 'IN_PROGRESS.md'))) continue;
    found.push(`${file} (${(size / LIMIT).toFixed(1)} MiB)`);
  }
  return found;
}

export function onnxExports(files) {
  return files.filter((file) => /\.onnx$/i.test(file) || /(^|\/)(onnx|\.onnx-[^/]*)\/manifest\.json$/.test(file));
}

function sizeOnDisk(file) {
  try {
    return fs.statSync(path.join(ROOT, file)).size;
  } catch {
    return null; // deleted in the work tree: nothing to add
  }
}

test('no tracked file over 1 MiB outside the shipped packages, baselines and the evaluation classifier', () => {
  const files = tracked();
  assert.ok(files.includes('models/fashion-mnist-uvit/weights.safetensors'), 'git ls-files lists the repository');
  assert.deepEqual(oversized(files, sizeOnDisk), []);
});

test('no tracked ONNX export: the backend rebuilds it from the weights and caches it beside the package', () => {
  assert.deepEqual(onnxExports(tracked()), []);
});

test('shipped model packages stay within 16 MB', () => {
  for (const file of tracked().filter((f) => /^models\/[^/]+\/weights\.safetensors$/.test(f))) {
    assert.ok(sizeOnDisk(file) <= 16 * 1000 * 1000, `${file} is over 16 MB`);
  }
});

test('the check itself flags a large file, and a checkpoint unless its run is marked in progress', () => {
  const sizes = { 'docs/big.png': 2 * LIMIT, 'models/m/weights.safetensors': 5 * LIMIT, 'runs/a/checkpoint/model.safetensors': 3 * LIMIT,
    'runs/b/checkpoint/model.safetensors': 3 * LIMIT, 'runs/b/IN_PROGRESS.md': 100, 'docs/small.png': LIMIT };
  const found = oversized(Object.keys(sizes), (f) => sizes[f]);
  assert.deepEqual(found, ['docs/big.png (2.0 MiB)', 'runs/a/checkpoint/model.safetensors (3.0 MiB)']);
});

test('the check itself flags ONNX graphs of any size and an export manifest, and nothing else', () => {
  const found = onnxExports(['models/m/onnx/head.onnx', 'baselines/b/onnx/manifest.json', 'docs/tiny.ONNX',
    'models/m/.onnx-1f2e.tmp/manifest.json', 'models/m/model.json', 'backends/AdaDiff.Backends.Onnx/OnnxExport.cs',
    'docs/onnx.md', 'clients/node/package.json']);
  assert.deepEqual(found, ['models/m/onnx/head.onnx', 'baselines/b/onnx/manifest.json', 'docs/tiny.ONNX', 'models/m/.onnx-1f2e.tmp/manifest.json']);
});
