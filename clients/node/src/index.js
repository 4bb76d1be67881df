'use strict';
// Node client of the AdaDiff gRPC service: a small typed wrapper (see index.d.ts) over @grpc/grpc-js with the
// contract loaded at run time by @grpc/proto-loader.
const fs = require('node:fs');
const path = require('node:path');
const grpc = require('@grpc/grpc-js');
const protoLoader = require('@grpc/proto-loader');

/**
 * The folder holding adadiff/v1/*.proto and google/api/*.proto: ADADIFF_PROTOS if set; in a checkout, the
 * repository's protos/; else (an installed package) the package's own copy, protos/, which `npm pack` copies in.
 * A checkout never reads that copy: it exists there only while `npm pack` runs.
 */
function protosDir() {
  if (process.env.ADADIFF_PROTOS) return process.env.ADADIFF_PROTOS;
  const repository = path.resolve(__dirname, '..', '..', '..', 'protos'); // clients/node/src -> repository root
  const installed = __dirname.split(path.sep).includes('node_modules');
  if (!installed && fs.existsSync(path.join(repository, 'adadiff', 'v1', 'diffusion_service.proto'))) return repository;
  return path.resolve(__dirname, '..', 'protos');
}

const PROTOS = protosDir();

const definition = protoLoader.loadSync(path.join(PROTOS, 'adadiff', 'v1', 'diffusion_service.proto'), {
  includeDirs: [PROTOS],
  keepCase: false, // camelCase field names, as in the JSON mapping
  longs: String, // uint64 seeds and counters exactly; the wrapper turns them into BigInt / Number
  enums: String,
  defaults: true,
  oneofs: true,
});
const v1 = grpc.loadPackageDefinition(definition).adadiff.v1;

const SAMPLERS = { ddim: 'SAMPLER_DDIM', ddpm: 'SAMPLER_DDPM', 'dpm++': 'SAMPLER_DPM_SOLVER_PP_2M' };
const EXIT_MODES = { adaptive: 'EXIT_MODE_ADAPTIVE', full: 'EXIT_MODE_FULL_DEPTH', fixed: 'EXIT_MODE_FIXED_DEPTH' };
const LATENTS = { none: 'LATENT_ENCODING_NONE', float32: 'LATENT_ENCODING_FLOAT32', float16: 'LATENT_ENCODING_FLOAT16' };

function serviceConfig(maxAttempts, roundRobin) {
  const config = {};
  if (roundRobin) config.loadBalancingConfig = [{ round_robin: {} }];
  if (maxAttempts > 1) {
    config.methodConfig = [{
      name: [{ service: 'adadiff.v1.DiffusionService' }],
      retryPolicy: {
        maxAttempts,
        initialBackoff: '0.5s',
        maxBackoff: '5s',
        backoffMultiplier: 2,
        // Never INVALID_ARGUMENT: the same request would fail again.
        retryableStatusCodes: ['UNAVAILABLE', 'RESOURCE_EXHAUSTED'],
      },
    }];
  }
  return JSON.stringify(config);
}

/** Decodes a little-endian FLOAT32 or FLOAT16 tensor to { shape, data: Float32Array }. */
function decodeLatent(tensor) {
  const shape = tensor.shape.map(Number);
  const count = shape.reduce((a, b) => a * b, 1);
  const bytes = tensor.data;
  const data = new Float32Array(count);
  if (tensor.dtype === 'DTYPE_FLOAT32') {
    if (bytes.length !== count * 4) throw new Error(`tensor [${shape}] needs ${count * 4} bytes, got ${bytes.length}`);
    for (let i = 0; i < count; i++) data[i] = bytes.readFloatLE(i * 4);
  } else if (tensor.dtype === 'DTYPE_FLOAT16') {
    if (bytes.length !== count * 2) throw new Error(`tensor [${shape}] needs ${count * 2} bytes, got ${bytes.length}`);
    for (let i = 0; i < count; i++) data[i] = halfToFloat(bytes.readUInt16LE(i * 2));
  } else {
    throw new Error(`unsupported tensor dtype ${tensor.dtype}`);
  }
  return { shape, data };
}

function halfToFloat(h) {
  const sign = h & 0x8000 ? -1 : 1;
  const exponent = (h >> 10) & 0x1f;
  const fraction = h & 0x3ff;
  if (exponent === 0) return sign * 2 ** -14 * (fraction / 1024);
  if (exponent === 31) return fraction ? NaN : sign * Infinity;
  return sign * 2 ** (exponent - 15) * (1 + fraction / 1024);
}

/** (width, height) of a PNG from its IHDR chunk; throws if the bytes are not a PNG. */
function pngSize(png) {
  const signature = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  if (png.length < 24 || !png.subarray(0, 8).equals(signature) || png.toString('latin1', 12, 16) !== 'IHDR') {
    throw new Error('not a PNG');
  }
  return { width: png.readUInt32BE(16), height: png.readUInt32BE(20) };
}

function checkToken(token, what) {
  const trimmed = token.trim();
  if (!trimmed) throw new Error(`${what} is empty`);
  if (!/^[\x21-\x7e]+$/.test(trimmed)) {
    throw new Error(`${what} holds a space or a character outside visible ASCII, which an authorization header cannot carry`);
  }
  return trimmed;
}

/**
 * The bearer token in a file, trimmed; blank lines and '#' comments are skipped (the server's format, one token).
 * Throws if the file does not exist, or holds no token or several.
 */
function readTokenFile(file) {
  if (!fs.existsSync(file) || !fs.statSync(file).isFile()) throw new Error(`the token file ${file} does not exist`);
  const tokens = fs.readFileSync(file, 'utf8').split(/\r?\n/).map((l) => l.trim()).filter((l) => l && !l.startsWith('#'));
  if (tokens.length === 0) throw new Error(`the token file ${file} is empty; it must hold the bearer token`);
  if (tokens.length > 1) throw new Error(`the token file ${file} holds ${tokens.length} tokens; a client sends one, so the file must hold one`);
  return checkToken(tokens[0], `the token in the token file ${file}`);
}

function readPem(file, what) {
  if (!fs.existsSync(file) || !fs.statSync(file).isFile()) throw new Error(`the ${what} ${file} does not exist`);
  const pem = fs.readFileSync(file);
  if (!pem.includes('-----BEGIN ')) throw new Error(`the ${what} ${file} is not a PEM file`);
  return pem;
}

/** Adds authorization: Bearer <token> to every call without one (plaintext: grpc-js composes call credentials only with TLS). */
function bearerInterceptor(token) {
  const header = `Bearer ${token}`;
  return (options, nextCall) => new grpc.InterceptingCall(nextCall(options), {
    start(metadata, listener, next) {
      if (metadata.get('authorization').length === 0) metadata.set('authorization', header);
      next(metadata, listener);
    },
  });
}

class AdaDiffClient {
  /**
   * @param {string} target host:port (one server), https://host:port (TLS; http://host:port is plaintext) or
   *   dns:///host:port (every address of a headless service; tls: true for TLS)
   * @param {{maxAttempts?: number, roundRobin?: boolean, token?: string, tokenFile?: string, tls?: boolean,
   *   caFile?: string, clientCert?: string, clientKey?: string}} [options] see index.d.ts
   */
  constructor(target = '127.0.0.1:50051', {
    maxAttempts = 3, roundRobin = false, token, tokenFile, tls = false, caFile, clientCert, clientKey,
  } = {}) {
    if (!(maxAttempts >= 1 && maxAttempts <= 5)) throw new RangeError('maxAttempts must be 1..5');
    let address = target;
    let secure = tls;
    if (address.startsWith('https://')) {
      address = address.slice('https://'.length);
      secure = true;
    } else if (address.startsWith('http://')) {
      if (tls) throw new Error(`tls: true with the http:// target ${target}; use https://host:port`);
      address = address.slice('http://'.length);
    }
    address = address.replace(/\/+$/, '');
    if (!secure && (caFile != null || clientCert != null || clientKey != null)) {
      throw new Error(`${caFile != null ? 'caFile' : 'clientCert/clientKey'} needs TLS, but the target ${target} is plaintext: use https://host:port (or tls: true with dns:///)`);
    }
    if ((clientCert == null) !== (clientKey == null)) throw new Error('clientCert and clientKey go together (the certificate and its private key)');
    if (token != null && tokenFile != null) throw new Error('both token and tokenFile are set; set one');
    let bearer = null;
    if (tokenFile != null) bearer = readTokenFile(tokenFile);
    else if (token != null) bearer = checkToken(token, 'the token');

    const options = {
      'grpc.service_config': serviceConfig(maxAttempts, roundRobin),
      'grpc.enable_retries': 1,
      'grpc.max_receive_message_length': 64 * 1024 * 1024,
    };
    let credentials;
    if (secure) {
      credentials = grpc.credentials.createSsl(
        caFile != null ? readPem(caFile, 'CA file') : null,
        clientKey != null ? readPem(clientKey, 'client key file') : null,
        clientCert != null ? readPem(clientCert, 'client certificate file') : null,
      );
      if (bearer !== null) {
        const header = `Bearer ${bearer}`;
        credentials = grpc.credentials.combineChannelCredentials(credentials, grpc.credentials.createFromMetadataGenerator((_params, callback) => {
          const metadata = new grpc.Metadata();
          metadata.set('authorization', header);
          callback(null, metadata);
        }));
      }
    } else {
      credentials = grpc.credentials.createInsecure();
      if (bearer !== null) options.interceptors = [bearerInterceptor(bearer)];
    }
    this.raw = new v1.DiffusionService(address, credentials, options);
  }

  close() {
    this.raw.close();
  }

  /** The served models, default first. */
  listModels({ timeoutMs = 30000 } = {}) {
    return new Promise((resolve, reject) => {
      this.raw.listModels({}, { deadline: Date.now() + timeoutMs }, (error, reply) => (error ? reject(error) : resolve(reply.models)));
    });
  }

  /**
   * Yields one step event per sampling step, then one result event. Leaving the loop early cancels the call.
   * Errors are grpc ServiceErrors (error.code is a grpc.status value).
   */
  async *generate({
    model = '', numImages = 1, seed = 0, steps = 0, classLabel, prompt, sampler = 'ddim', guidanceScale = 0,
    exitMode = 'adaptive', threshold = 0, minLayers = 0, fixedDepth = 0,
    latentEncoding = 'none', latentEvery = 0, previewEvery = 0, predictedCleanEvery = 0, timeoutMs = 600000,
  } = {}) {
    const request = {
      model, numImages, seed: String(seed), steps, sampler: SAMPLERS[sampler], guidanceScale,
      exitPolicy: { mode: EXIT_MODES[exitMode], threshold, minLayers, fixedDepth },
      stream: { latentEncoding: LATENTS[latentEncoding], latentEveryNSteps: latentEvery, previewEveryNSteps: previewEvery,
        predictedCleanEveryNSteps: predictedCleanEvery },
    };
    const hasClass = classLabel !== undefined && classLabel !== null;
    const hasPrompt = prompt !== undefined && prompt !== null;
    if (hasClass && hasPrompt) throw new TypeError('give classLabel or prompt, not both: a model takes one kind of condition');
    if (hasClass) request.classLabel = classLabel;
    if (hasPrompt) request.prompt = String(prompt);
    const call = this.raw.generate(request, { deadline: Date.now() + timeoutMs });
    let executed = 0;
    let full = 0;
    try {
      for await (const response of call) {
        if (response.event === 'step') {
          const s = response.step;
          for (const layer of s.exitLayers) {
            executed += layer;
            full += s.fullDepth;
          }
          yield {
            type: 'step',
            stepIndex: s.stepIndex,
            timestep: s.timestep,
            exitLayers: s.exitLayers,
            certainties: s.certainties,
            fullDepth: s.fullDepth,
            elapsedSeconds: s.elapsedSeconds,
            accelerationRatio: full ? 1 - executed / full : 0,
            latent: s.latent ? decodeLatent(s.latent) : null,
            previewPngs: s.previewPng,
            predictedClean: s.predictedClean ? decodeLatent(s.predictedClean) : null,
          };
        } else if (response.event === 'result') {
          const r = response.result;
          const st = r.stats;
          yield {
            type: 'result',
            model: r.model,
            images: r.images.map((i) => ({ png: i.png, seed: BigInt(i.seed), meanExitLayer: i.meanExitLayer })),
            stats: {
              layersExecuted: Number(st.layersExecuted),
              layersFull: Number(st.layersFull),
              accelerationRatio: st.accelerationRatio,
              flopsExecuted: st.flopsExecuted,
              flopsFull: st.flopsFull,
              wallSeconds: st.wallSeconds,
              queueSeconds: st.queueSeconds,
              steps: st.steps,
            },
          };
        }
      }
    } finally {
      call.cancel(); // no-op once the stream ended; stops the server's work if the caller left early
    }
  }
}

module.exports = { AdaDiffClient, decodeLatent, pngSize, readTokenFile, grpc, v1 };
