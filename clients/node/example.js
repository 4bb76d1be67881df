'use strict';
// Generates images of one class, prints every step's exit depths and saves the PNGs.
//   node clients/node/example.js --server 127.0.0.1:50051 --class 7 --images 2 --out out/node
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
      class: { type: 'string', default: '7' },
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
      classLabel: Number(values.class), numImages: Number(values.images), steps: Number(values.steps), seed: values.seed,
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
