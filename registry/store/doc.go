// Package store keeps a registry's rows through gorm: publishers and their
// tokens, apps, versions, advisories, the peers it follows, and the changes
// feed. SQLite (under the data directory) is the default; PostgreSQL is
// chosen by a postgres:// URL.
//
// Every entry the registry publishes is built, signed with its key and
// stored with its row and its change in one transaction, so the feed never
// lacks what the rows hold. One counter, bumped first in each such
// transaction, gives both the entry's Seq and the change's: its row lock
// orders the writers, so a reader of the feed never sees a later change
// before an earlier one has committed. Mirror stores what a follower
// receives from a peer, countersigned, under the same counter.
package store
