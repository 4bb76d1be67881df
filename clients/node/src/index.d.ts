// Types of the AdaDiff Node client (src/index.js).
import type * as grpc from '@grpc/grpc-js';

export interface Latent {
  /** [images, channels, height, width] */
  shape: number[];
  /** product(shape) elements, row-major */
  data: Float32Array;
}

export interface StepEvent {
  type: 'step';
  stepIndex: number;
  timestep: number;
  /** Exit layer of each image at this step, 1..fullDepth, in image order. */
  exitLayers: number[];
  certainties: number[];
  fullDepth: number;
  elapsedSeconds: number;
  /** Running 1 - executed / full layers, 0..1. */
  accelerationRatio: number;
  latent: Latent | null;
  /** PNG previews of the predicted clean image x0, one per image, on steps that carry them. */
  previewPngs: Buffer[];
  /** The predicted clean images x0 in [-1, 1], [N, C, H, W], on steps that predictedCleanEvery selects. */
  predictedClean: Latent | null;
}

export interface GeneratedImage {
  png: Buffer;
  seed: bigint;
  meanExitLayer: number;
}

export interface ResultEvent {
  type: 'result';
  model: string;
  images: GeneratedImage[];
  stats: {
    layersExecuted: number;
    layersFull: number;
    accelerationRatio: number;
    flopsExecuted: number;
    flopsFull: number;
    wallSeconds: number;
    queueSeconds: number;
    steps: number;
  };
}

export interface GenerateOptions {
  model?: string;
  numImages?: number;
  seed?: number | bigint | string;
  steps?: number;
  /** Class index, for a class-conditional model (ModelInfo.conditioning 'CONDITIONING_CLASS'). */
  classLabel?: number;
  /** Text prompt, for a text-conditional model (ModelInfo.conditioning 'CONDITIONING_TEXT'); its words must be in ModelInfo.promptVocabulary. */
  prompt?: string;
  sampler?: 'ddim' | 'ddpm' | 'dpm++';
  /** Classifier-free guidance scale, 0..20; 0 (default): the model's defaultGuidanceScale with a classLabel or a prompt, else 1 (none). */
  guidanceScale?: number;
  exitMode?: 'adaptive' | 'full' | 'fixed';
  threshold?: number;
  minLayers?: number;
  fixedDepth?: number;
  latentEncoding?: 'none' | 'float32' | 'float16';
  latentEvery?: number;
  previewEvery?: number;
  /** Send x0 as a tensor every n steps (and on the last); 0: none. */
  predictedCleanEvery?: number;
  timeoutMs?: number;
}

export interface ModelInfo {
  name: string;
  description: string;
  depth: number;
  channels: number;
  height: number;
  width: number;
  numClasses: number;
  classNames: string[];
  defaultThreshold: number;
  /** Guidance scale a request with a classLabel gets when guidanceScale is 0 (1: no guidance). */
  defaultGuidanceScale: number;
  isDefault: boolean;
  /** What the model takes: 'CONDITIONING_CLASS' (classLabel) or 'CONDITIONING_TEXT' (prompt). */
  conditioning: string;
  /** A text model's token ids a prompt; 0 for class models. */
  maxPromptTokens: number;
  /** A text model's words; empty for class models. */
  promptVocabulary: string[];
  [field: string]: unknown;
}

export interface ClientOptions {
  /** Attempts per call, 1..5; retried on UNAVAILABLE and RESOURCE_EXHAUSTED only (never UNAUTHENTICATED). Default 3. */
  maxAttempts?: number;
  /** Balance round-robin over every address of a dns:/// name. */
  roundRobin?: boolean;
  /**
   * Bearer token sent as `authorization: Bearer <token>` on every call: call credentials over TLS, metadata over
   * plaintext (readable on the network path). Set this or tokenFile.
   */
  token?: string;
  /** File holding the bearer token, read in the constructor and trimmed; a missing or empty file throws there. */
  tokenFile?: string;
  /** TLS with a dns:/// target (https://host:port selects TLS by itself). */
  tls?: boolean;
  /** PEM CA certificate(s) to trust for the server's certificate instead of Node's roots (private CA, self-signed). Needs TLS. */
  caFile?: string;
  /** PEM client certificate for mutual TLS, with clientKey. Needs TLS. */
  clientCert?: string;
  /** Unencrypted PEM private key of clientCert. */
  clientKey?: string;
}

export class AdaDiffClient {
  /** target: host:port, https://host:port (TLS) or dns:///host:port. Throws on credentials it cannot use (before any call). */
  constructor(target?: string, options?: ClientOptions);
  raw: grpc.Client;
  close(): void;
  listModels(options?: { timeoutMs?: number }): Promise<ModelInfo[]>;
  generate(options?: GenerateOptions): AsyncGenerator<StepEvent | ResultEvent>;
}

export function decodeLatent(tensor: { shape: (number | string)[]; dtype: string; data: Buffer }): Latent;
export function pngSize(png: Buffer): { width: number; height: number };
/** The one bearer token of a token file, trimmed (blank lines and '#' comments skipped); throws if missing, empty or several. */
export function readTokenFile(file: string): string;
export { grpc };
