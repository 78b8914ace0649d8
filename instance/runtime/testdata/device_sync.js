// device_sync.js is a device syncing with Hearth through PouchDB with its OAuth access token:
// live sync both ways, an offline edit of the same document on each side turned into a
// conflict that both sides must see the same, a doctype the token does not cover refused,
// and the device revoked by the owner while it syncs live. It prints a JSON summary; the Go
// side (devices_sync_test.go) asserts on it.
//
// Environment: REMOTE_URL (the doctype's URL), FORBIDDEN_URL (a doctype the token does not
// cover), TOKEN (the device's access token), REVOKE_URL (asking it makes the owner revoke the
// device), WORK_DIR (the local leveldb databases).
'use strict';

const path = require('path');
const PouchDB = require('pouchdb');

const env = process.env;
const out = {};

function remote(url) {
  return new PouchDB(url, {
    skip_setup: true,
    fetch: (u, opts) => {
      opts.headers.set('Authorization', 'Bearer ' + env.TOKEN);
      return PouchDB.fetch(u, opts);
    },
  });
}

async function waitFor(what, f, ms = 15000) {
  const start = Date.now();
  for (;;) {
    try {
      return await f();
    } catch (err) {
      if (Date.now() - start > ms) {
        throw new Error('timed out waiting for ' + what + ': ' + err.message);
      }
      await new Promise((r) => setTimeout(r, 50));
    }
  }
}

function side(doc) {
  return { rev: doc._rev, conflicts: (doc._conflicts || []).slice().sort(), text: doc.text };
}

async function liveBothWays(local, db) {
  const sync = local.sync(db, { live: true, retry: false });
  let syncErr = null;
  sync.on('error', (e) => { syncErr = e; });
  let t0 = Date.now();
  await local.put({ _id: 'from-device', text: 'written on the device' });
  await waitFor('the device\'s doc on hearth', () => db.get('from-device'));
  out.push_ms = Date.now() - t0;
  t0 = Date.now();
  await db.put({ _id: 'from-hearth', text: 'written on hearth' });
  await waitFor('hearth\'s doc on the device', () => local.get('from-hearth'));
  out.pull_ms = Date.now() - t0;
  sync.cancel();
  out.live_error = syncErr && String(syncErr.status || syncErr);
}

async function conflict(local, db) {
  await local.put({ _id: 'shared', text: 'first' });
  await local.sync(db);
  const base = await local.get('shared');
  // Offline: each side edits the same revision.
  await local.put(Object.assign({}, base, { text: 'edited on the device' }));
  const r = await db.get('shared');
  await db.put(Object.assign({}, r, { text: 'edited on hearth' }));
  // Back online: one-shot sync both ways, twice so that each side has the other's branch.
  await local.sync(db);
  await local.sync(db);
  out.conflict = {
    local: side(await local.get('shared', { conflicts: true })),
    remote: side(await db.get('shared', { conflicts: true })),
  };
  // The device resolves it; the resolution syncs too.
  const l = await local.get('shared', { conflicts: true });
  for (const rev of l._conflicts) {
    await local.remove('shared', rev);
  }
  await local.sync(db);
  out.resolved = {
    local: side(await local.get('shared', { conflicts: true })),
    remote: side(await db.get('shared', { conflicts: true })),
  };
}

async function forbidden(dir) {
  const other = new PouchDB(path.join(dir, 'other'));
  try {
    await other.replicate.from(remote(env.FORBIDDEN_URL));
    out.forbidden = 'replicated';
  } catch (err) {
    out.forbidden = err.status || String(err);
  }
}

async function revokedWhileLive(local, db) {
  const sync = local.sync(db, { live: true, retry: false });
  const failed = new Promise((resolve) => sync.on('error', resolve));
  await local.put({ _id: 'before-revoke', text: 'synced' });
  await waitFor('a doc before the revocation', () => db.get('before-revoke'));
  const r = await fetch(env.REVOKE_URL);
  if (!r.ok) {
    throw new Error('revoke hook: ' + r.status);
  }
  const t0 = Date.now();
  await local.put({ _id: 'after-revoke', text: 'never reaches hearth' });
  const err = await Promise.race([failed, new Promise((r) => setTimeout(() => r({ status: 'no error in 15 s' }), 15000))]);
  out.revoked_live = { status: err.status, ms: Date.now() - t0 };
  sync.cancel();
  try {
    await local.replicate.to(db);
    out.revoked_oneshot = 'replicated';
  } catch (e) {
    out.revoked_oneshot = e.status || String(e);
  }
}

async function main() {
  const local = new PouchDB(path.join(env.WORK_DIR, 'local'));
  const db = remote(env.REMOTE_URL);
  await liveBothWays(local, db);
  await conflict(local, db);
  await forbidden(env.WORK_DIR);
  await revokedWhileLive(local, db);
  process.stdout.write(JSON.stringify(out) + '\n');
  process.exit(0);
}

main().catch((err) => {
  console.error(err && err.stack || err);
  process.exit(1);
});
