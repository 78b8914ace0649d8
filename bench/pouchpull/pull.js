// pull.js times PouchDB (npm, leveldb adapter) replicating a whole remote database into a new
// local one, as a device's first sync does. Environment: REMOTE_URL, TOKEN (bearer token, may
// be empty), WORK_DIR (a new directory for the local database), BATCH_SIZE (default
// PouchDB's 100). It prints {"ms": …, "docs": …, "docs_read": …}.
'use strict';

const path = require('path');
const PouchDB = require('pouchdb');

async function main() {
  const env = process.env;
  const remote = new PouchDB(env.REMOTE_URL, {
    skip_setup: true,
    fetch: (u, opts) => {
      if (env.TOKEN) {
        opts.headers.set('Authorization', 'Bearer ' + env.TOKEN);
      }
      return PouchDB.fetch(u, opts);
    },
  });
  const local = new PouchDB(path.join(env.WORK_DIR, 'local'));
  const opts = {};
  if (env.BATCH_SIZE) {
    opts.batch_size = Number(env.BATCH_SIZE);
  }
  const t0 = process.hrtime.bigint();
  const res = await PouchDB.replicate(remote, local, opts);
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  const info = await local.info();
  process.stdout.write(JSON.stringify({ ms, docs: info.doc_count, docs_read: res.docs_read }) + '\n');
  await local.close();
}

main().catch((err) => {
  console.error(err && err.stack || err);
  process.exit(1);
});
