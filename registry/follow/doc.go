// Package follow makes a registry mirror the registries it follows.
//
// For each peer (a URL and the key pinned for it), a Follower reads the
// peer's /.well-known/hearth-registry (its key must be the pinned one),
// then pulls the peer's changes feed from where it stopped. Every entry is
// opened with entry.Open against the pinned key, so nothing unsigned is
// believed; each new version's archive is downloaded, checked against the
// signed sha256 and size, and kept before the entry is stored. The store
// countersigns what it mirrors and refuses entries about its own apps or
// about apps it holds through another peer (store.ErrNotYours): those are
// counted and logged as refusals, and the feed goes on. A peer that is down
// is retried with back-off; the others are not held up.
package follow
