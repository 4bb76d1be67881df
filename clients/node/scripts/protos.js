'use strict';
// `node scripts/protos.js copy`: copies the contract (the repository's protos/: adadiff/v1 and google/api) into the
// package's protos/, so that the tarball `npm pack` makes carries it (prepack). `node scripts/protos.js remove`
// deletes that copy again (postpack): in a checkout the client reads the repository's protos/ itself, never a copy
// that could fall behind it.
const fs = require('node:fs');
const path = require('node:path');

const PACKAGE = path.resolve(__dirname, '..');
const SOURCE = path.resolve(PACKAGE, '..', '..', 'protos'); // clients/node -> repository root
const COPY = path.join(PACKAGE, 'protos');
const FOLDERS = [path.join('adadiff', 'v1'), path.join('google', 'api')];

function copy() {
  fs.rmSync(COPY, { recursive: true, force: true });
  let count = 0;
  for (const folder of FOLDERS) {
    const from = path.join(SOURCE, folder);
    const protos = fs.existsSync(from) ? fs.readdirSync(from).filter((f) => f.endsWith('.proto')) : [];
    if (!protos.length) throw new Error(`no .proto files in ${from}: npm pack runs in clients/node of a checkout`);
    fs.mkdirSync(path.join(COPY, folder), { recursive: true });
    for (const file of protos) fs.copyFileSync(path.join(from, file), path.join(COPY, folder, file));
    count += protos.length;
  }
  console.error(`protos: copied ${count} files from ${SOURCE} into ${COPY}`);
}

function remove() {
  fs.rmSync(COPY, { recursive: true, force: true });
}

const command = process.argv[2];
if (command === 'copy') copy();
else if (command === 'remove') remove();
else {
  console.error('usage: node scripts/protos.js copy|remove');
  process.exit(2);
}
