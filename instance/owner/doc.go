// Package owner keeps the authentication of an instance's one owner: the onboarding token that
// lets the first visitor set the passphrase, the argon2id passphrase hash, login sessions (the
// cookie value is random and stored only hashed), optional TOTP two-factor with single-use
// recovery codes, and an in-memory throttle of failed logins per instance and per client
// address.
//
// It speaks no HTTP: the web pages and the runtime call an *Owner, one per instance, built on a
// Store (KivikStore keeps everything in one kivik database per instance, on the embedded
// driver or on CouchDB). Every read-modify-write of the owner's account uses revisions and
// retries on conflict, so concurrent logins, a passphrase change racing a login, or two
// runtime nodes sharing an instance stay consistent.
//
// Errors a user may see are the package's sentinels (ErrBadPassphrase, ErrThrottled through
// *ThrottledError, ErrNeedsTOTP, ...); their messages are safe to show, and a failed login never
// says more than which step the form must show next.
package owner
