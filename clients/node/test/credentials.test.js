'use strict';
// The Node client with bearer tokens, TLS and mutual TLS against real servers that require them: one with tokens
// over plaintext and one with tokens over mutual TLS, loaded side by side, with self-signed certificates from openssl.
const assert = require('node:assert/strict');
const { execFile, execFileSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const zlib = require('node:zlib');
const { after, before, test } = require('node:test');
const { AdaDiffClient, grpc, readTokenFile } = require('../src');
const { startServer } = require('../testing/server');

const TOKEN = 'node-s3cret_Token.9';
let dir;
let files;
let tokenServer;
let mtlsServer;

function selfSigned(name, subject, san) {
  const cert = path.join(dir, `${name}.crt`);
  const key = path.join(dir, `${name}.key`);
  execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-subj', subject,
    '-days', '1', '-keyout', key, '-out', cert, ...(san ? ['-addext', `subjectAltName=${san}`] : [])], { stdio: 'pipe' });
  return { cert, key };
}

before(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'adadiff-node-credentials-'));
  const server = selfSigned('server', '/CN=127.0.0.1', 'IP:127.0.0.1');
  const client = selfSigned('client', '/CN=adadiff node test client');
  files = {
    serverCert: server.cert, clientCert: client.cert, clientKey: client.key,
    tokens: path.join(dir, 'tokens'), token: path.join(dir, 'token'), wrongToken: path.join(dir, 'wrong-token'),
  };
  fs.writeFileSync(files.tokens, `# tokens the server accepts\n${TOKEN}\n`);
  fs.writeFileSync(files.token, `\n  ${TOKEN} \n`); // whitespace around it: trimmed
  fs.writeFileSync(files.wrongToken, 'not-the-token\n');
  const tokens = `--AdaDiff:Auth:TokenFile=${files.tokens}`;
  [tokenServer, mtlsServer] = await Promise.all([
    startServer({ args: [tokens] }),
    startServer({
      args: [tokens, `--AdaDiff:Tls:CertificateFile=${server.cert}`, `--AdaDiff:Tls:KeyFile=${server.key}`, `--AdaDiff:Tls:ClientCaFile=${client.cert}`],
      tls: { ca: fs.readFileSync(server.cert), cert: fs.readFileSync(client.cert), key: fs.readFileSync(client.key) },
    }),
  ]);
});

after(async () => {
  await Promise.all([tokenServer?.stop(), mtlsServer?.stop()]);
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

/** CRC-32 of PNG chunks (zlib.crc32 needs Node 20.15). */
function crc32(bytes) {
  let c = 0xffffffff;
  for (const b of bytes) c = CRC_TABLE[(c ^ b) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

/** Every chunk's CRC, and the pixel data inflating to exactly height rows of width 8-bit samples (+ filter bytes). */
function assertValidPng(png, width = 28, height = 28) {
  assert.ok(png.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])), 'no PNG signature');
  let offset = 8;
  let header = null;
  const idat = [];
  while (offset < png.length) {
    const length = png.readUInt32BE(offset);
    const kind = png.toString('latin1', offset + 4, offset + 8);
    const data = png.subarray(offset + 8, offset + 8 + length);
    assert.equal(crc32(png.subarray(offset + 4, offset + 8 + length)), png.readUInt32BE(offset + 8 + length), `bad CRC in ${kind}`);
    if (kind === 'IHDR') header = { width: data.readUInt32BE(0), height: data.readUInt32BE(4), depth: data[8], color: data[9] };
    if (kind === 'IDAT') idat.push(data);
    offset += 12 + length;
    if (kind === 'IEND') break;
  }
  assert.ok(header, 'no IHDR');
  assert.deepEqual([header.width, header.height], [width, height]);
  const channels = { 0: 1, 2: 3, 4: 2, 6: 4 }[header.color];
  assert.equal(zlib.inflateSync(Buffer.concat(idat)).length, height * (1 + (width * channels * header.depth) / 8));
}

async function oneImage(client) {
  let result = null;
  for await (const e of client.generate({ classLabel: 8, numImages: 1, steps: 2, seed: 5 })) if (e.type === 'result') result = e;
  assert.ok(result, 'no result');
  return result.images[0].png;
}

async function withClient(target, options, use) {
  const client = new AdaDiffClient(target, options);
  try {
    return await use(client);
  } finally {
    client.close();
  }
}

const unauthenticated = (error) => {
  assert.equal(error.code, grpc.status.UNAUTHENTICATED);
  assert.match(error.details, /bearer token/);
  return true;
};

test('a token file over plaintext generates a valid PNG; a token string lists the models', async () => {
  await withClient(tokenServer.target, { tokenFile: files.token }, async (client) => assertValidPng(await oneImage(client)));
  await withClient(tokenServer.target, { token: TOKEN }, async (client) => assert.equal((await client.listModels())[0].isDefault, true));
});

test('without a token, or with a wrong one, calls fail with UNAUTHENTICATED saying a bearer token is needed', async () => {
  for (const options of [{ maxAttempts: 5 }, { tokenFile: files.wrongToken, maxAttempts: 5 }]) {
    await withClient(tokenServer.target, options, async (client) => {
      await assert.rejects(oneImage(client), unauthenticated);
      await assert.rejects(client.listModels(), unauthenticated);
    });
  }
});

test('mutual TLS trusting the self-signed certificate, with a client certificate and the token, generates a valid PNG', async () => {
  await withClient(mtlsServer.target, { tokenFile: files.token, caFile: files.serverCert, clientCert: files.clientCert, clientKey: files.clientKey },
    async (client) => assertValidPng(await oneImage(client)));
});

test('TLS without the token fails with UNAUTHENTICATED', async () => {
  await withClient(mtlsServer.target, { caFile: files.serverCert, clientCert: files.clientCert, clientKey: files.clientKey },
    async (client) => assert.rejects(client.listModels(), unauthenticated));
});

test('TLS without trusting the certificate fails (Node\'s roots do not hold it)', async () => {
  await withClient(mtlsServer.target, { tokenFile: files.token, clientCert: files.clientCert, clientKey: files.clientKey, maxAttempts: 1 },
    async (client) => assert.rejects(client.listModels({ timeoutMs: 30000 }), (error) => {
      assert.equal(error.code, grpc.status.UNAVAILABLE);
      assert.match(error.details, /certificate/i);
      return true;
    }));
});

test('mutual TLS without a client certificate fails', async () => {
  await withClient(mtlsServer.target, { tokenFile: files.token, caFile: files.serverCert, maxAttempts: 1 },
    async (client) => assert.rejects(client.listModels({ timeoutMs: 30000 }), (error) => error.code === grpc.status.UNAVAILABLE));
});

test('a missing or empty token file, or TLS options without TLS, throw in the constructor', () => {
  const missing = path.join(dir, 'no-such-token');
  assert.throws(() => new AdaDiffClient('127.0.0.1:1', { tokenFile: missing }), { message: `the token file ${missing} does not exist` });
  for (const text of ['', '\n  \n', '# a comment only\n']) {
    fs.writeFileSync(path.join(dir, 'empty-token'), text);
    assert.throws(() => new AdaDiffClient('127.0.0.1:1', { tokenFile: path.join(dir, 'empty-token') }), /is empty; it must hold the bearer token/);
  }
  fs.writeFileSync(path.join(dir, 'two-tokens'), 'a\nb\n');
  assert.throws(() => readTokenFile(path.join(dir, 'two-tokens')), /holds 2 tokens/);
  assert.equal(readTokenFile(files.tokens), TOKEN); // a server file of one token
  assert.throws(() => new AdaDiffClient('127.0.0.1:1', { caFile: files.serverCert }), /caFile needs TLS/);
  assert.throws(() => new AdaDiffClient('https://127.0.0.1:1', { clientCert: files.clientCert }), /go together/);
  assert.throws(() => new AdaDiffClient('127.0.0.1:1', { token: 'Bearer abc' }), /holds a space/);
  assert.throws(() => new AdaDiffClient('https://127.0.0.1:1', { caFile: files.token }), /not a PEM file/);
});

function example(server, out, args, tokenVariable) {
  const env = { ...process.env };
  delete env.ADADIFF_TOKEN;
  if (tokenVariable !== undefined) env.ADADIFF_TOKEN = tokenVariable;
  return new Promise((resolve) => {
    execFile(process.execPath, [path.join(__dirname, '..', 'example.js'), '--server', server.target, '--steps', '2', '--images', '1', '--out', out, ...args],
      { timeout: 120000, env }, (error, stdout, stderr) => resolve({ code: error ? error.code : 0, stdout, stderr }));
  });
}

test('the example with --token-file, and with ADADIFF_TOKEN over mutual TLS, saves valid PNGs; without a token it names the fix', async () => {
  const out = fs.mkdtempSync(path.join(os.tmpdir(), 'adadiff-node-example-'));
  try {
    let run = await example(tokenServer, out, ['--token-file', files.token]);
    assert.equal(run.code, 0, run.stderr);
    assertValidPng(fs.readFileSync(path.join(out, 'image-0-seed42.png')));
    fs.rmSync(path.join(out, 'image-0-seed42.png'));
    run = await example(mtlsServer, out, ['--ca-file', files.serverCert, '--client-cert', files.clientCert, '--client-key', files.clientKey], TOKEN);
    assert.equal(run.code, 0, run.stderr);
    assertValidPng(fs.readFileSync(path.join(out, 'image-0-seed42.png')));
    run = await example(tokenServer, out, []);
    assert.equal(run.code, 1);
    assert.match(run.stderr, /UNAUTHENTICATED.*--token-file.*ADADIFF_TOKEN/);
    run = await example(tokenServer, out, ['--token-file', path.join(out, 'missing')]);
    assert.equal(run.code, 2);
    assert.match(run.stderr, /does not exist/);
  } finally {
    fs.rmSync(out, { recursive: true, force: true });
  }
});
