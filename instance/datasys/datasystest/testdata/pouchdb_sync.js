// pouchdb_sync.js drives npm's PouchDB against a remote CouchDB-compatible
// database: it creates documents with attachments locally, replicates them
// to the remote, creates documents remotely, replicates back, makes a
// conflict by editing one document on both sides, syncs both ways, and
// prints a JSON summary comparing both sides. The Go side asserts on it.
//
// Environment: REMOTE_URL (database URL), REMOTE_TOKEN (bearer token, may be
// empty), WORK_DIR (a directory for the local leveldb database),
// LOCAL_DOCS (default 1000), REMOTE_DOCS (default 50).
'use strict';

const path = require('path');
const PouchDB = require('pouchdb');

const remoteURL = process.env.REMOTE_URL;
const token = process.env.REMOTE_TOKEN || '';
const workDir = process.env.WORK_DIR;
const localDocs = Number(process.env.LOCAL_DOCS || 1000);
const remoteDocs = Number(process.env.REMOTE_DOCS || 50);
const conflictID = 'local-0007';

function remoteDB() {
  return new PouchDB(remoteURL, {
    skip_setup: true,
    fetch: (url, opts) => {
      if (token) {
        opts.headers.set('Authorization', 'Bearer ' + token);
      }
      return PouchDB.fetch(url, opts);
    },
  });
}

function pad(n) {
  return String(n).padStart(4, '0');
}

async function bulk(db, docs) {
  const res = await db.bulkDocs(docs);
  const failed = res.filter((r) => r.error);
  if (failed.length) {
    throw new Error('bulkDocs: ' + JSON.stringify(failed.slice(0, 3)));
  }
}

async function createLocal(db) {
  const docs = [];
  for (let i = 0; i < localDocs; i++) {
    const text = 'attachment of document ' + i;
    docs.push({
      _id: 'local-' + pad(i),
      n: i,
      _attachments: {
        'note.txt': { content_type: 'text/plain', data: Buffer.from(text).toString('base64') },
      },
    });
  }
  await bulk(db, docs);
}

async function createRemote(db) {
  const docs = [];
  for (let i = 0; i < remoteDocs; i++) {
    docs.push({ _id: 'remote-' + pad(i), n: i, from: 'remote' });
  }
  await bulk(db, docs);
}

// makeConflict edits conflictID on both sides from the same revision.
async function makeConflict(local, remote) {
  const l = await local.get(conflictID);
  const r = await remote.get(conflictID);
  if (l._rev !== r._rev) {
    throw new Error('sides differ before the conflict: ' + l._rev + ' ' + r._rev);
  }
  await local.put(Object.assign({}, l, { side: 'local' }));
  await remote.put(Object.assign({}, r, { side: 'remote' }));
}

// state returns id -> {rev, conflicts, digest} for every non-design doc.
async function state(db) {
  const res = await db.allDocs({ include_docs: true, conflicts: true });
  const out = {};
  for (const row of res.rows) {
    if (row.id.startsWith('_design/')) {
      continue;
    }
    const atts = row.doc._attachments || {};
    out[row.id] = {
      rev: row.value.rev,
      conflicts: (row.doc._conflicts || []).slice().sort(),
      digest: atts['note.txt'] ? atts['note.txt'].digest : '',
    };
  }
  return out;
}

function compare(a, b) {
  const mismatches = [];
  const ids = new Set(Object.keys(a).concat(Object.keys(b)));
  for (const id of ids) {
    if (JSON.stringify(a[id]) !== JSON.stringify(b[id])) {
      mismatches.push({ id, local: a[id] || null, remote: b[id] || null });
    }
  }
  return mismatches;
}

async function main() {
  const local = new PouchDB(path.join(workDir, 'local'));
  const remote = remoteDB();
  await createLocal(local);
  const push = await local.replicate.to(remote);
  await createRemote(remote);
  const pull = await local.replicate.from(remote);
  await makeConflict(local, remote);
  await local.replicate.to(remote);
  await local.replicate.from(remote);
  const [ls, rs] = [await state(local), await state(remote)];
  const att = await remote.getAttachment('local-0003', 'note.txt');
  const summary = {
    local_docs: Object.keys(ls).length,
    remote_docs: Object.keys(rs).length,
    pushed: push.docs_written,
    pulled: pull.docs_written,
    mismatches: compare(ls, rs).slice(0, 5),
    conflict: { local: ls[conflictID] || null, remote: rs[conflictID] || null },
    remote_attachment: att.toString(),
  };
  await local.destroy();
  process.stdout.write(JSON.stringify(summary) + '\n');
}

main().catch((err) => {
  console.error(err && err.stack ? err.stack : err);
  process.exit(1);
});
