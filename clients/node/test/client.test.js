'use strict';
// The Node client against the real server: step events, images, latents, errors, the example.
const assert = require('node:assert/strict');
const { execFile } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { after, before, test } = require('node:test');
const { AdaDiffClient, grpc, pngSize } = require('../src');
const { startServer } = require('../testing/server');

let server;
let client;

before(async () => {
  server = await startServer();
  client = new AdaDiffClient(server.target);
});

after(async () => {
  client?.close();
  await server?.stop();
});

async function collect(events) {
  const all = [];
  for await (const e of events) all.push(e);
  return all;
}

test('listModels returns the default model first', async () => {
  const models = await client.listModels();
  assert.ok(models.length > 0);
  assert.equal(models[0].isDefault, true);
  assert.ok(models[0].depth > 0);
});

test('generate streams one step event per step, then the images', async () => {
  const events = await collect(client.generate({ classLabel: 3, numImages: 2, steps: 4, seed: 11, previewEvery: 2 }));
  const steps = events.filter((e) => e.type === 'step');
  assert.deepEqual(steps.map((s) => s.stepIndex), [0, 1, 2, 3]);
  assert.equal(events.length, 5);
  assert.equal(events[4].type, 'result');
  for (const s of steps) {
    assert.equal(s.exitLayers.length, 2);
    for (const layer of s.exitLayers) assert.ok(layer >= 1 && layer <= s.fullDepth);
    assert.ok(s.accelerationRatio >= 0 && s.accelerationRatio < 1);
  }
  assert.equal(steps[3].timestep, 0);
  assert.deepEqual(steps.map((s) => s.previewPngs.length), [0, 2, 0, 2]);
  const result = events[4];
  assert.deepEqual(result.images.map((i) => i.seed), [11n, 12n]);
  for (const image of result.images) assert.deepEqual(pngSize(image.png), { width: 28, height: 28 });
  const executed = steps.reduce((sum, s) => sum + s.exitLayers.reduce((a, b) => a + b, 0), 0);
  assert.equal(result.stats.layersExecuted, executed);
  assert.equal(result.stats.layersFull, 4 * 2 * steps[0].fullDepth);
});

test('generate streams the predicted clean image x0 as a tensor on the steps asked for', async () => {
  const events = await collect(client.generate({
    classLabel: 3, numImages: 1, steps: 4, seed: 11, latentEncoding: 'float32', latentEvery: 4, predictedCleanEvery: 2,
  }));
  const steps = events.filter((e) => e.type === 'step');
  assert.deepEqual(steps.map((s) => s.predictedClean !== null), [false, true, false, true]);
  for (const s of [steps[1], steps[3]]) {
    assert.deepEqual(s.predictedClean.shape, [1, 1, 28, 28]);
    for (const v of s.predictedClean.data) assert.ok(v >= -1 && v <= 1);
  }
  // DDIM's last step lands on its x0 prediction
  assert.deepEqual(steps[3].predictedClean.data, steps[3].latent.data);
});

for (const encoding of ['float32', 'float16']) {
  test(`generate decodes ${encoding} latents to their shape`, async () => {
    const events = await collect(client.generate({ numImages: 1, classLabel: 0, steps: 2, seed: 5, latentEncoding: encoding }));
    const steps = events.filter((e) => e.type === 'step');
    assert.equal(steps.length, 2);
    for (const s of steps) {
      assert.deepEqual(s.latent.shape, [1, 1, 28, 28]);
      assert.equal(s.latent.data.length, 28 * 28);
      assert.ok(s.latent.data.every((v) => Math.abs(v) < 100));
    }
  });
}

test('generate rejects a bad argument with INVALID_ARGUMENT naming the field', async () => {
  await assert.rejects(collect(client.generate({ steps: 100000 })), (error) => {
    assert.equal(error.code, grpc.status.INVALID_ARGUMENT);
    assert.match(error.details, /steps/);
    return true;
  });
});

test('generate sends a prompt: the class model refuses it naming the field', async () => {
  const [first] = await client.listModels();
  assert.equal(first.conditioning, 'CONDITIONING_CLASS');
  await assert.rejects(collect(client.generate({ prompt: 'a small dark ankle boot', steps: 2 })), (error) => {
    assert.equal(error.code, grpc.status.INVALID_ARGUMENT);
    assert.match(error.details, /prompt/);
    return true;
  });
  await assert.rejects(collect(client.generate({ classLabel: 1, prompt: 'a boot' })), /classLabel or prompt/);
});

test('generate of an unknown model fails with NOT_FOUND', async () => {
  await assert.rejects(collect(client.generate({ model: 'no-such-model', steps: 2 })), (error) => error.code === grpc.status.NOT_FOUND);
});

test('round-robin over a dns:/// name reaches the server', async () => {
  const rr = new AdaDiffClient(`dns:///localhost:${server.grpcPort}`, { roundRobin: true });
  try {
    assert.ok((await rr.listModels()).length > 0);
  } finally {
    rr.close();
  }
});

test('the example saves PNGs', async () => {
  const out = fs.mkdtempSync(path.join(os.tmpdir(), 'adadiff-node-'));
  try {
    const stdout = await new Promise((resolve, reject) => {
      execFile(process.execPath, [path.join(__dirname, '..', 'example.js'), '--server', server.target, '--steps', '3', '--out', out],
        { timeout: 120000 }, (error, so, se) => (error ? reject(new Error(`${error.message}\n${se}`)) : resolve(so)));
    });
    assert.equal((stdout.match(/^step /gm) || []).length, 3);
    const files = fs.readdirSync(out).sort();
    assert.deepEqual(files, ['image-0-seed42.png', 'image-1-seed43.png']);
    assert.deepEqual(pngSize(fs.readFileSync(path.join(out, files[0]))), { width: 28, height: 28 });
  } finally {
    fs.rmSync(out, { recursive: true, force: true });
  }
});
