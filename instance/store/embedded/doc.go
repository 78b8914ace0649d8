// Package embedded is Hearth's own kivik driver: a CouchDB-semantics document store kept in one
// SQLite file per database, for self-hosted instances that run with no external service.
//
// Open it with kivik.New(DriverName, dir), with OptionMaxOpen and OptionIdleClose if need be.
// Databases are files in dir, opened on use and closed after a minute unused; at most 64 stay
// open (beyond, the least recently used idle ones close, in the background), since an open
// database costs about half a megabyte and a closed one nothing; re-opening costs about a
// millisecond. A database in use (a read, a write waiting for its commit, a live changes feed
// waiting) stays open. One unused for 5 s gives back its page cache and reader connections, and
// statements are prepared on first use. Every write to a database goes through one writer
// goroutine that applies all pending operations in one transaction and commits once (WAL,
// synchronous=FULL): an acknowledged write survives kill -9, and concurrent writers share each
// fsync.
//
// It behaves as CouchDB 3 behind kivik's CouchDB driver, with these choices callers may notice:
//
//   - Errors are *Error values carrying the HTTP status (kivik.HTTPStatus reads it), CouchDB's
//     error word (Name) and reason (Reason, also Error()).
//   - Bodies of revisions that are no longer leaves are kept until Compact, as CouchDB keeps
//     them until compaction (Get with ?rev= of one works until then); stemming (1,000 revisions
//     of history) drops the bodies it cuts off. There is no automatic compaction yet.
//   - BulkDocs with new_edits=false answers only the documents that failed, as CouchDB does.
//   - OpenRevs and BulkGet answer a revision they cannot return as a row with ID, Rev and a 404
//     Error ("missing", or "deleted" when BulkGet asked for no rev and the document is deleted).
//   - AllDocs with keys answers a missing key as a row with only Key and a 404 "not_found" Error,
//     and a deleted document as {"rev", "deleted": true} with a null doc.
//   - Sequences are integers rendered as strings; since also accepts "now" and "N-opaque". A
//     normal changes feed lists each document once, at its latest revision; a longpoll or
//     continuous feed that keeps up sees every revision (the last 256 changes of an open
//     database are kept in memory), else it too lists the latest revision only.
//   - Find plans with package mangoindex over json indexes kept up to date in each write's
//     transaction; Compact drops inner revisions' bodies, then attachment bytes no revision refers
//     to; views answer 501.
package embedded
