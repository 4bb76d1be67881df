'use strict';
// Generates images of one class, prints every step's exit depths and saves the PNGs.
//   node clients/node/example.js --server 127.0.0.1:50051 --class 7 --images 2 --out out/node
const fs = require('node:fs');
const path = require('node:path');
const { parseArgs } = require('node:util');
const { AdaDiffClient } = require('./src');

async function main() {
  const { values } = parseArgs({
    options: {
      server: { type: 'string', default: '127.0.0.1:50051' },
      class: { type: 'string', default: '7' },
      images: { type: 'string', default: '2' },
      steps: { type: 'string', default: '20' },
      seed: { type: 'string', default: '42' },
      out: { type: 'string', default: 'out/node' },
    },
  });
  fs.mkdirSync(values.out, { recursive: true });
  const client = new AdaDiffClient(values.server);
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
  console.error(`error: ${error.details || error.message}`);
  process.exit(1);
});
