// Package entry is the signed-entry format that registries publish and that
// followers and instances verify: what an app is (KindApp), each of its
// versions (KindVersion) and its security advisories (KindAdvisory).
//
// An entry is JSON. Its signature covers the exact bytes of that JSON, so a
// registry stores the bytes it signed and serves them unchanged; a follower
// that mirrors an entry keeps the origin's bytes and signature and adds its
// own signature over the same bytes. Each registry signs with one ed25519
// key, named by its fingerprint "ed25519:" + the public key in unpadded
// base64url.
//
// An app's identity is its origin registry's key and its slug (Entry.ID), so
// two registries can publish the same slug without one replacing the other.
package entry
