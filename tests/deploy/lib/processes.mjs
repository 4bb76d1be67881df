// Starts the real AdaDiff server and Debian's Prometheus as child processes on free loopback ports.
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { ROOT } from './paths.mjs';

/** A free TCP port on 127.0.0.1 (asked of the kernel, then released). */
export function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/** Full path of `command` on PATH, or null. */
export function which(command) {
  const found = spawnSync('sh', ['-c', `command -v ${command}`], { encoding: 'utf8' });
  return found.status === 0 ? found.stdout.trim() : null;
}

/** The built server: $ADADIFF_SERVER_DLL, else the newest Release (then Debug) build under the repository. */
export function serverDll() {
  if (process.env.ADADIFF_SERVER_DLL) {
    if (!fs.existsSync(process.env.ADADIFF_SERVER_DLL)) throw new Error(`ADADIFF_SERVER_DLL=${process.env.ADADIFF_SERVER_DLL} does not exist`);
    return process.env.ADADIFF_SERVER_DLL;
  }
  const found = ['Release', 'Debug']
    .map((c) => path.join(ROOT, 'server', 'AdaDiff.Server', 'bin', c, 'net10.0', 'linux-x64', 'AdaDiff.Server.dll'))
    .filter((p) => fs.existsSync(p));
  if (!found.length) {
    throw new Error("AdaDiff.Server.dll is not built: run 'dotnet build server/AdaDiff.Server -c Release' (or set ADADIFF_SERVER_DLL)");
  }
  return found[0];
}

/** A child process whose output is kept (for error messages) and which stops on SIGTERM, then SIGKILL. */
class Child {
  constructor(name, command, args, options) {
    this.name = name;
    this.output = '';
    this.exitCode = undefined;
    this.process = spawn(command, args, { ...options, stdio: ['ignore', 'pipe', 'pipe'] });
    const keep = (d) => { this.output = (this.output + d).slice(-20000); };
    this.process.stdout.on('data', keep);
    this.process.stderr.on('data', keep);
    this.exited = new Promise((resolve) => {
      this.process.once('exit', (code, signal) => { this.exitCode = code ?? signal; resolve(); });
      this.process.once('error', (e) => { this.output += String(e); this.exitCode = 'spawn error'; resolve(); });
    });
  }

  get running() { return this.exitCode === undefined; }

  /** Polls `ready` every 200 ms until it returns true; fails when the process exits or after `timeoutMs`. */
  async waitUntil(ready, what, timeoutMs) {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (!this.running) throw new Error(`${this.name} exited (${this.exitCode}) before ${what}:\n${this.output}`);
      try {
        if (await ready()) return;
      } catch {
        // not listening yet
      }
      if (Date.now() > deadline) throw new Error(`${this.name}: no ${what} after ${timeoutMs / 1000} s:\n${this.output}`);
      await new Promise((r) => setTimeout(r, 200));
    }
  }

  async stop() {
    if (!this.running) return;
    this.process.kill('SIGTERM');
    const timer = setTimeout(() => this.process.kill('SIGKILL'), 15000);
    await this.exited;
    clearTimeout(timer);
  }
}

async function httpStatus(url) {
  const response = await fetch(url);
  await response.arrayBuffer();
  return response.status;
}

/** The real server on free loopback ports, ready (GET /readyz = 200). */
export async function startServer() {
  const dll = serverDll();
  const grpcPort = await freePort();
  const httpPort = await freePort();
  const env = { ...process.env, DOTNET_ENVIRONMENT: 'Production', ASPNETCORE_ENVIRONMENT: 'Production' };
  delete env.ASPNETCORE_URLS;
  const child = new Child('the AdaDiff server', 'dotnet', [dll, '--AdaDiff:BindAddress=127.0.0.1',
    `--AdaDiff:GrpcPort=${grpcPort}`, `--AdaDiff:HttpPort=${httpPort}`], { cwd: os.tmpdir(), env });
  const base = `http://127.0.0.1:${httpPort}`;
  await child.waitUntil(async () => (await httpStatus(`${base}/readyz`)) === 200, 'GET /readyz = 200', 240000);
  return Object.assign(child, { grpcTarget: `127.0.0.1:${grpcPort}`, httpPort, metricsUrl: `${base}/metrics` });
}

/** Debian's prometheus binary; throws naming the package when it is not installed. */
export function prometheusBinary() {
  const binary = which('prometheus');
  if (!binary) throw new Error("Prometheus is not installed: install Debian's 'prometheus' package (apt-get install prometheus; scripts/setup.sh does)");
  return binary;
}

/**
 * Debian's Prometheus on a free loopback port with a fresh storage folder, scraping `target` (host:port)
 * every second as job `job` and evaluating `ruleFiles` every second. Resolves once it is ready.
 */
export async function startPrometheus({ target, job, ruleFiles, dir }) {
  const binary = prometheusBinary();
  const port = await freePort();
  const config = [
    'global:',
    '  scrape_interval: 1s',
    '  scrape_timeout: 1s',
    '  evaluation_interval: 1s',
    'rule_files:',
    ...ruleFiles.map((f) => `  - ${JSON.stringify(f)}`),
    'scrape_configs:',
    `  - job_name: ${JSON.stringify(job)}`,
    '    static_configs:',
    `      - targets: [${JSON.stringify(target)}]`,
    '',
  ].join('\n');
  const configFile = path.join(dir, 'prometheus.yml');
  fs.writeFileSync(configFile, config);
  const child = new Child('prometheus', binary, [
    `--config.file=${configFile}`,
    `--storage.tsdb.path=${path.join(dir, 'data')}`,
    `--web.listen-address=127.0.0.1:${port}`,
    '--log.level=warn',
  ], { cwd: dir });
  const url = `http://127.0.0.1:${port}`;
  await child.waitUntil(async () => (await httpStatus(`${url}/-/ready`)) === 200, 'GET /-/ready = 200', 60000);
  return Object.assign(child, { url, configFile });
}
