// Package server is the registry's HTTP side: the JSON API of
// docs/registry.md (browse, publishers, submission, lifecycle, the signed
// changes feed, archives and icons), the push webhooks, and the loop that
// re-indexes every app periodically. It reads and writes through
// registry/store and indexes with registry/gitindex; every Git URL is
// fetched under the configured gitsource.Policy.
package server
