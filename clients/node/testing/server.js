'use strict';
// Starts the real AdaDiff server (the built AdaDiff.Server.dll) on free loopback ports.
const { spawn } = require('node:child_process');
const fs = require('node:fs');
const https = require('node:https');
const net = require('node:net');
const os = require('node:os');
const path = require('node:path');

const ROOT = path.resolve(__dirname, '..', '..', '..'); // clients/node/testing -> repository root

function serverDll() {
  if (process.env.ADADIFF_SERVER_DLL) return process.env.ADADIFF_SERVER_DLL;
  const candidates = ['Release', 'Debug']
    .map((c) => path.join(ROOT, 'server', 'AdaDiff.Server', 'bin', c, 'net10.0', 'linux-x64', 'AdaDiff.Server.dll'))
    .filter((p) => fs.existsSync(p))
    .sort((a, b) => fs.statSync(b).mtimeMs - fs.statSync(a).mtimeMs);
  if (!candidates.length) throw new Error("AdaDiff.Server.dll not built: run 'dotnet build server/AdaDiff.Server -c Release' first");
  return candidates[0];
}

function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

/** GET url over https trusting tls.ca (and presenting tls.cert/tls.key); resolves to the status code. */
function httpsStatus(url, tls) {
  return new Promise((resolve, reject) => {
    const request = https.get(url, { ca: tls.ca, cert: tls.cert, key: tls.key, timeout: 2000 }, (response) => {
      response.resume();
      resolve(response.statusCode);
    });
    request.on('timeout', () => request.destroy(new Error('timeout')));
    request.on('error', reject);
  });
}

/**
 * Starts the server; `args` follow the port flags (e.g. --AdaDiff:Auth:TokenFile=…). With `tls` ({ ca, cert?, key? }:
 * PEM buffers) /readyz is polled over https trusting `ca`, presenting the client certificate when given, and the
 * returned target is https://127.0.0.1:<port>.
 */
async function startServer({ args = [], tls = null } = {}) {
  const grpcPort = await freePort();
  const httpPort = await freePort();
  const env = { ...process.env, DOTNET_ENVIRONMENT: 'Production', ASPNETCORE_ENVIRONMENT: 'Production' };
  delete env.ASPNETCORE_URLS;
  const child = spawn('dotnet', [serverDll(), '--AdaDiff:BindAddress=127.0.0.1',
    `--AdaDiff:GrpcPort=${grpcPort}`, `--AdaDiff:HttpPort=${httpPort}`, ...args], { cwd: os.tmpdir(), env, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (d) => { output += d; });
  child.stderr.on('data', (d) => { output += d; });
  let exited = null;
  child.on('exit', (code) => { exited = code; });
  const deadline = Date.now() + 240000;
  for (;;) {
    if (exited !== null) throw new Error(`the server exited with ${exited}:\n${output}`);
    try {
      const status = tls
        ? await httpsStatus(`https://127.0.0.1:${httpPort}/readyz`, tls)
        : (await fetch(`http://127.0.0.1:${httpPort}/readyz`)).status;
      if (status === 200) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`the server was not ready after 240 s:\n${output}`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  return {
    grpcPort,
    httpPort,
    target: `${tls ? 'https://' : ''}127.0.0.1:${grpcPort}`,
    async stop() {
      if (exited !== null) return;
      const done = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 20000);
      await done;
      clearTimeout(timer);
    },
  };
}

module.exports = { startServer, ROOT };
