'use strict';
// Node client of the AdaDiff gRPC service: a small typed wrapper (see index.d.ts) over @grpc/grpc-js with the
// contract loaded at run time from the repository's protos/ by @grpc/proto-loader.
const path = require('node:path');
const grpc = require('@grpc/grpc-js');
const protoLoader = require('@grpc/proto-loader');

const PROTOS = process.env.ADADIFF_PROTOS || path.resolve(__dirname, '..', '..', '..', 'protos');

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

class AdaDiffClient {
  /**
   * @param {string} target host:port (one server) or dns:///host:port (every address of a headless service)
   * @param {{maxAttempts?: number, roundRobin?: boolean}} [options]
   */
  constructor(target = '127.0.0.1:50051', { maxAttempts = 3, roundRobin = false } = {}) {
    if (!(maxAttempts >= 1 && maxAttempts <= 5)) throw new RangeError('maxAttempts must be 1..5');
    this.raw = new v1.DiffusionService(target, grpc.credentials.createInsecure(), {
      'grpc.service_config': serviceConfig(maxAttempts, roundRobin),
      'grpc.enable_retries': 1,
      'grpc.max_receive_message_length': 64 * 1024 * 1024,
    });
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
    model = '', numImages = 1, seed = 0, steps = 0, classLabel, sampler = 'ddim', guidanceScale = 0,
    exitMode = 'adaptive', threshold = 0, minLayers = 0, fixedDepth = 0,
    latentEncoding = 'none', latentEvery = 0, previewEvery = 0, timeoutMs = 600000,
  } = {}) {
    const request = {
      model, numImages, seed: String(seed), steps, sampler: SAMPLERS[sampler], guidanceScale,
      exitPolicy: { mode: EXIT_MODES[exitMode], threshold, minLayers, fixedDepth },
      stream: { latentEncoding: LATENTS[latentEncoding], latentEveryNSteps: latentEvery, previewEveryNSteps: previewEvery },
    };
    if (classLabel !== undefined && classLabel !== null) request.classLabel = classLabel;
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

module.exports = { AdaDiffClient, decodeLatent, pngSize, grpc, v1 };
