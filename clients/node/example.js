'use strict';
// Generates images of one class (or of a prompt), prints every step's exit depths and saves the PNGs.
//   node clients/node/example.js --server 127.0.0.1:50051 --class 7 --images 2 --out out/node
//   node clients/node/example.js --model fashion-mnist-text-uvit --prompt "a small dark ankle boot"
// A server with tokens and TLS: --token-file FILE (or the token in ADADIFF_TOKEN), an https:// --server,
// --ca-file for a private CA or self-signed certificate, --client-cert/--client-key for mutual TLS.
const fs = require('node:fs');
const path = require('node:path');
const { parseArgs } = require('node:util');
const { AdaDiffClient, grpc } = require('./src');

async function main() {
  const { values } = parseArgs({
    options: {
      server: { type: 'string', default: '127.0.0.1:50051' },
      model: { type: 'string', default: '' },
      class: { type: 'string' }, // default 7 without --prompt
      prompt: { type: 'string' },
      images: { type: 'string', default: '2' },
      steps: { type: 'string', default: '20' },
      seed: { type: 'string', default: '42' },
      out: { type: 'string', default: 'out/node' },
      'token-file': { type: 'string' },
      'ca-file': { type: 'string' },
      'client-cert': { type: 'string' },
      'client-key': { type: 'string' },
    },
  });
  if (values.class !== undefined && values.prompt !== undefined) {
    console.error('error: give --class or --prompt, not both: a model takes one kind of condition');
    process.exit(2);
  }
  const condition = values.prompt !== undefined ? { prompt: values.prompt } : { classLabel: Number(values.class ?? '7') };
  const tokenFile = values['token-file'];
  const token = tokenFile === undefined ? (process.env.ADADIFF_TOKEN || '').trim() || undefined : undefined;
  let client;
  try {
    client = new AdaDiffClient(values.server, {
      token, tokenFile, caFile: values['ca-file'], clientCert: values['client-cert'], clientKey: values['client-key'],
    });
  } catch (error) { // a missing or empty token file, a TLS option without TLS: before any call
    console.error(`error: ${error.message}`);
    process.exit(2);
  }
  fs.mkdirSync(values.out, { recursive: true });
  try {
    const events = client.generate({
      model: values.model, ...condition, numImages: Number(values.images), steps: Number(values.steps), seed: values.seed,
    });
    for await (const event of events) {
      if (event.type === 'step') {
        console.log(`step ${String(event.stepIndex + 1).padStart(3)}  t=${String(event.timestep).padStart(4)}  `
          + `exit layers [${event.exitLayers.join(', ')}] of ${event.fullDepth}  saved ${(100 * event.accelerationRatio).toFixed(1)}%`);
      } else {
        event.images.forEach((image, k) => {
          const file = path.join(values.out, `image-${k}-seed${image.seed}.png`);
          fs.writeFileSync(file, image.png);
          console.log(`wrote ${file}`);
        });
        console.log(`acceleration ratio ${(100 * event.stats.accelerationRatio).toFixed(1)}% in ${event.stats.wallSeconds.toFixed(2)} s`);
      }
    }
  } finally {
    client.close();
  }
}

main().catch((error) => {
  const hint = error.code === grpc.status.UNAUTHENTICATED ? ' (pass the bearer token with --token-file FILE or ADADIFF_TOKEN)' : '';
  console.error(`error: ${error.code === undefined ? error.message : `${grpc.status[error.code]}: ${error.details}`}${hint}`);
  process.exit(1);
});
