// The serving build that the container image carries, checked without a container runtime: CI's short variant of
// scripts/container-test.sh (which builds and runs the image with podman). Publishes the server with the ONNX
// Runtime backend only from a copy of the build inputs (the tree's own build keeps both backends), then checks its
// size and contents, runs it from a read-only folder on the shipped models, and checks the Dockerfiles' contract.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ROOT } from './lib/paths.mjs';
import { freePort } from './lib/processes.mjs';
import { spawn } from 'node:child_process';

const INPUTS = ['global.json', 'Directory.Build.props', 'Directory.Build.targets', 'Directory.Packages.props', '.editorconfig',
  'build', 'protos', 'engine', 'backends', 'server'];
let work;
let published;

function copyInputs(to) {
  for (const input of INPUTS) {
    fs.cpSync(path.join(ROOT, input), path.join(to, input), {
      recursive: true,
      filter: (source) => !/[/\\](bin|obj|TestResults)([/\\]|$)/.test(path.relative(ROOT, source)),
    });
  }
}

function folderBytes(dir) {
  let total = 0;
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, entry.name);
    total += entry.isDirectory() ? folderBytes(p) : fs.statSync(p).size;
  }
  return total;
}

before(() => {
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'adadiff-serving-'));
  copyInputs(path.join(work, 'src'));
  published = path.join(work, 'server');
  const publish = spawnSync('dotnet', ['publish', 'server/AdaDiff.Server', '-c', 'Release', '-p:AdaDiffBackends=onnxruntime',
    '-p:UseAppHost=false', '-p:PublishDocumentationFiles=false', '-o', published, '--verbosity', 'quiet', '-nologo'],
  { cwd: path.join(work, 'src'), encoding: 'utf8', timeout: 600000 });
  assert.equal(publish.status, 0, `dotnet publish failed:\n${publish.stdout}\n${publish.stderr}`);
  fs.chmodSync(published, 0o555); // run from a folder the server cannot write to, as in the image
});

after(() => {
  if (!work) return;
  if (fs.existsSync(published)) fs.chmodSync(published, 0o755);
  fs.rmSync(work, { recursive: true, force: true });
});

test('the ONNX-only serving build publishes at most 100 MB and carries no libtorch or TorchSharp', () => {
  const bytes = folderBytes(published);
  assert.ok(bytes <= 100 * 1024 * 1024, `published server is ${(bytes / 1048576).toFixed(1)} MiB`);
  const files = fs.readdirSync(published);
  assert.deepEqual(files.filter((f) => /torch|c10/i.test(f)), []);
  assert.ok(files.includes('libonnxruntime.so'), 'ONNX Runtime is in the build');
  assert.ok(!files.includes('libonnxruntime_providers_cuda.so'), 'the CPU build leaves the CUDA provider out');
});

async function run(args, { untilReady }) {
  const grpcPort = await freePort();
  const httpPort = await freePort();
  const env = { ...process.env, DOTNET_ENVIRONMENT: 'Production', ORT_DISABLE_TELEMETRY: '1' };
  delete env.ASPNETCORE_URLS;
  const child = spawn('dotnet', [path.join(published, 'AdaDiff.Server.dll'), '--AdaDiff:BindAddress=127.0.0.1',
    `--AdaDiff:GrpcPort=${grpcPort}`, `--AdaDiff:HttpPort=${httpPort}`, `--AdaDiff:ModelRepository=${path.join(ROOT, 'models')}`, ...args],
  { cwd: os.tmpdir(), env, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (d) => { output += d; });
  child.stderr.on('data', (d) => { output += d; });
  const exited = new Promise((resolve) => child.once('exit', (code) => resolve(code)));
  if (untilReady) {
    const deadline = Date.now() + 240000;
    for (;;) {
      assert.equal(child.exitCode, null, `the server exited:\n${output}`);
      try {
        // A Host header naming another port, as behind a container's port mapping.
        const r = await fetch(`http://127.0.0.1:${httpPort}/readyz`, { headers: { host: 'adadiff.example:59464' } });
        if (r.status === 200) break;
      } catch { /* not listening yet */ }
      assert.ok(Date.now() < deadline, `not ready after 240 s:\n${output}`);
      await new Promise((r) => setTimeout(r, 200));
    }
  }
  return { child, httpPort, exited, output: () => output };
}

test('the serving build serves the default model from a read-only folder, behind a mapped Host header', async () => {
  const server = await run([], { untilReady: true });
  try {
    const response = await fetch(`http://127.0.0.1:${server.httpPort}/v1/generate`, {
      method: 'POST', headers: { 'content-type': 'application/json', host: 'adadiff.example:59464' },
      body: JSON.stringify({ numImages: 1, steps: 3, classLabel: 2 }),
    });
    assert.equal(response.status, 200);
    // A server stream over HTTP/JSON is its messages one after another ({…}{…}); base64 and numbers hold no braces.
    const text = await response.text();
    const events = JSON.parse(`[${text.trim().replace(/}\s*{/g, '},{')}]`);
    const result = events.find((e) => e.result)?.result;
    assert.ok(result, 'a result event');
    assert.equal(result.images.length, 1);
    assert.equal(Buffer.from(result.images[0].png, 'base64').subarray(1, 4).toString('latin1'), 'PNG');
  } finally {
    server.child.kill('SIGTERM');
    assert.equal(await server.exited, 0, server.output());
  }
});

test('the serving build refuses the backend it leaves out, naming the rebuild flag', async () => {
  const server = await run(['--AdaDiff:Backend=torchsharp'], { untilReady: false });
  assert.equal(await server.exited, 2);
  assert.match(server.output(), /AdaDiff:Backend is 'torchsharp', which this build leaves out \(it has onnxruntime\); build the server with -p:AdaDiffBackends=onnxruntime,torchsharp/);
});

test('the Dockerfiles: official base images as arguments, the serving build, non-root, ports, health check', () => {
  const cpu = fs.readFileSync(path.join(ROOT, 'Dockerfile'), 'utf8');
  assert.match(cpu, /^ARG SDK_IMAGE=mcr\.microsoft\.com\/dotnet\/sdk:10\.0$/m);
  assert.match(cpu, /^ARG RUNTIME_IMAGE=mcr\.microsoft\.com\/dotnet\/aspnet:10\.0$/m);
  assert.match(cpu, /^ARG ADADIFF_BACKENDS=onnxruntime$/m);
  assert.match(cpu, /^USER 10001:10001$/m);
  assert.match(cpu, /^EXPOSE 50051 9464$/m);
  assert.match(cpu, /^HEALTHCHECK .*\n.*\/readyz/m);
  assert.match(cpu, /^FROM runtime-base AS runtime-prebuilt\nCOPY artifacts\/container\/server\/ \/app\/server\/$/m);
  const gpu = fs.readFileSync(path.join(ROOT, 'Dockerfile.gpu'), 'utf8');
  assert.match(gpu, /nvidia\/cuda:13/);
  assert.match(gpu, /AdaDiffGpu=true/);
  assert.match(gpu, /ADADIFF__EXECUTIONPROVIDER=cuda/);
  const ignore = fs.readFileSync(path.join(ROOT, '.dockerignore'), 'utf8');
  assert.match(ignore, /^models\/fashion-mnist-uvit\/onnx\/$/m); // graphs are exported at load, not shipped
});
