'use strict';
// The package as a user installs it: `npm pack` in clients/node (prepack copies protos/ in), `npm install <tarball>`
// into a folder outside the repository, and a script there that requires it and generates an image on the real
// server.
const assert = require('node:assert/strict');
const { execFile } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { promisify } = require('node:util');
const { after, before, test } = require('node:test');
const { startServer, ROOT } = require('../testing/server');

const PACKAGE = path.resolve(__dirname, '..');
const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
const LIMIT_MS = 5 * 60 * 1000;

// Run by node in the scratch project: where the package resolved from, and one image of 3 steps.
const SCRIPT = `
const fs = require('node:fs');
const { AdaDiffClient } = require('adadiff-client');
(async () => {
  const client = new AdaDiffClient(process.argv[2]);
  const steps = [];
  let images = [];
  for await (const e of client.generate({ classLabel: 5, numImages: 1, steps: 3, seed: 21 })) {
    if (e.type === 'step') steps.push(e.stepIndex);
    else images = e.images;
  }
  client.close();
  fs.writeFileSync('image-0.png', images[0].png);
  console.log(JSON.stringify({ resolved: require.resolve('adadiff-client'), steps, images: images.length }));
})().catch((error) => { console.error(error); process.exit(1); });
`;

let server;
let scratch;
let packed; // npm pack --json's entry for the tarball

/** The environment of a user's shell: none of the npm_* variables `npm test` sets, no ADADIFF_PROTOS. */
function userEnvironment() {
  const env = {};
  for (const [name, value] of Object.entries(process.env)) {
    if (!name.toLowerCase().startsWith('npm_') && name !== 'INIT_CWD' && name !== 'ADADIFF_PROTOS') env[name] = value;
  }
  return env;
}

async function run(file, args, cwd) {
  try {
    return await promisify(execFile)(file, args, { cwd, env: userEnvironment(), timeout: LIMIT_MS, maxBuffer: 16 << 20 });
  } catch (error) {
    throw new Error(`${file} ${args.join(' ')} in ${cwd} failed: ${error.message}\n${error.stdout}\n${error.stderr}`);
  }
}

/** Relative paths of the files under dir, sorted. */
function filesUnder(dir) {
  return fs.readdirSync(dir, { recursive: true })
    .filter((f) => fs.statSync(path.join(dir, f)).isFile())
    .map((f) => f.split(path.sep).join('/'))
    .sort();
}

before(async () => {
  scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'adadiff-npm-'));
  const { stdout } = await run('npm', ['pack', '--json', '--pack-destination', scratch], PACKAGE);
  [packed] = JSON.parse(stdout);
  server = await startServer();
});

after(async () => {
  await server?.stop();
  if (scratch) fs.rmSync(scratch, { recursive: true, force: true });
});

test('npm pack puts the contract and the sources in the tarball, not the tests, and leaves no copy behind', () => {
  const files = packed.files.map((f) => f.path).sort();
  const protos = filesUnder(path.join(ROOT, 'protos')).filter((f) => f.endsWith('.proto')).map((f) => `protos/${f}`);
  assert.ok(protos.includes('protos/adadiff/v1/diffusion_service.proto'), protos.join(', '));
  for (const file of [...protos, 'package.json', 'README.md', 'src/index.js', 'src/index.d.ts']) {
    assert.ok(files.includes(file), `${file} is not in the tarball: ${files.join(', ')}`);
  }
  assert.deepEqual(files.filter((f) => /^(test|testing|scripts|node_modules)\//.test(f)), []);
  assert.equal(fs.existsSync(path.join(PACKAGE, 'protos')), false, 'postpack left clients/node/protos behind');
});

test('installed from the tarball outside the repository, it generates an image with its own protos', async () => {
  const app = path.join(scratch, 'app');
  fs.mkdirSync(app);
  fs.writeFileSync(path.join(app, 'package.json'), JSON.stringify({ name: 'app', private: true }));
  // --prefer-offline: grpc-js and proto-loader from npm's cache where scripts/setup.sh's npm ci left them
  await run('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline', path.join(scratch, packed.filename)], app);
  fs.writeFileSync(path.join(app, 'generate.js'), SCRIPT);

  const { stdout } = await run('node', ['generate.js', server.target], app);

  const report = JSON.parse(stdout);
  const installed = path.join(app, 'node_modules', 'adadiff-client');
  assert.equal(report.resolved, path.join(installed, 'src', 'index.js'));
  assert.deepEqual(report.steps, [0, 1, 2]);
  assert.equal(report.images, 1);
  assert.deepEqual(fs.readFileSync(path.join(app, 'image-0.png')).subarray(0, 8), PNG_SIGNATURE);
  // the installed contract is the repository's, file for file
  const repository = path.join(ROOT, 'protos');
  const copied = filesUnder(path.join(installed, 'protos'));
  assert.deepEqual(copied, filesUnder(repository).filter((f) => f.endsWith('.proto')));
  for (const file of copied) {
    assert.ok(fs.readFileSync(path.join(installed, 'protos', file)).equals(fs.readFileSync(path.join(repository, file))), `${file} differs`);
  }
});
