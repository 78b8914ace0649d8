// Package owner keeps the authentication of an instance's one owner: the onboarding link that
// lets the first visitor set the passphrase, the argon2id passphrase hash, login sessions (the
// cookie value is random and stored only hashed), optional TOTP two-factor with single-use
// recovery codes, and an in-memory throttle of failed logins per instance and per client
// address.
//
// It speaks no HTTP: the web pages and the runtime call an *Owner, one per instance, built on a
// Store (KivikStore keeps everything in one kivik database per instance, on the embedded
// driver or on CouchDB). Every read-modify-write of the owner's account uses revisions and
// retries on conflict, so concurrent logins, a passphrase change racing a login, or two
// runtime nodes sharing an instance stay consistent. Share one Hasher and one Throttle between
// all the instances of a runtime: the Hasher bounds the memory of concurrent hashes, the
// Throttle the memory of failure counts.
//
// Onboarding links come in two kinds, both one-time, both expiring, both accepted by Onboard
// and CheckOnboarding. NewOnboarding (and Reset) store a random token's hash: a write. The link
// given when an instance is created must cost nothing, so SignedOnboarding instead signs, with a
// per-instance key (Config.Secret), the link's expiry and the account's generation of links: it
// reads the account once and writes nothing (KivikStore does not even create its database until
// the owner sets a passphrase). NewOnboarding and Reset start a new generation,
// which kills every earlier link, stored or signed; setting the passphrase spends them all.
//
// Errors a user may see are the package's sentinels (ErrBadPassphrase, ErrThrottled through
// *ThrottledError, ErrNeedsTOTP, ...); their messages are safe to show, and a failed login never
// says more than which step the form must show next.
//
// # Numbers
//
//   - Passphrases: NFC-normalized, 10 characters to 1024 bytes; argon2id, m=64 MiB, t=2, p=2,
//     16-byte salt, 32-byte hash, stored as a PHC string ($argon2id$v=19$m=65536,t=2,p=2$…$…).
//     One hash takes about 75 ms on the 2-core development machine (t=1: 45 ms, t=3: 115 ms).
//     A login with a hash of other parameters rehashes it.
//   - Onboarding token: 32 random bytes, URL-safe base64 (43 characters), stored as sha256,
//     valid 7 days; issuing a new one voids the previous one. Signed token: version, generation,
//     expiry (Unix seconds) and their HMAC-SHA256 under Config.Secret (at least 16 bytes) with a
//     purpose string, 49 bytes in URL-safe base64 (66 characters); verified in constant time.
//   - Sessions: the cookie is 32 random bytes (43 characters), stored as sha256 (the session's
//     public ID). A session ends after 14 days unused or 60 days after login; its last use is
//     written at most once a minute.
//   - TOTP: SHA-1, 6 digits, 30 s steps, one step of skew either side; a step's code is
//     accepted once (and no earlier step after it). Ten recovery codes of 80 random bits
//     (abcd-efgh-ijkl-mnop), stored as sha256, each usable once.
//   - Throttle: every attempt counts as a failure until it succeeds, so a parallel burst is
//     counted too. Per client address (IPv6 by /64) on one instance: 5 free failures, then a
//     wait of 1 s after the last, doubling per failure up to 15 min; one failure forgotten per
//     10 min. Per instance: 20 free, then 1 s doubling up to 1 min; one forgotten per minute.
//     Settings changes that ask for the passphrase are throttled per instance and per session.
//     A throttled attempt is answered before any check. At most 65,536 keys are remembered
//     (least recently used dropped first), about 200 bytes each: 13 MB when full.
package owner
