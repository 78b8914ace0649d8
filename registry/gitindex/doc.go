// Package gitindex turns an app's Git URL into the versions a registry
// records: one per release tag (vX.Y.Z, X.Y.Z and their -beta.N forms),
// plus the default branch's head as the dev channel.
//
// It opens the repository once (gitsource.Open): its refs are listed, and
// the new tags' trees fetched through the same session, up to 256 refs in
// one pack, so that indexing a repository costs about one clone (hostile
// URLs and trees are refused there). For each tag it validates hearth.json
// with manifest.Load, checks that the manifest's version is the tag's and
// that the slug is the repository's, and stores a reproducible archive
// (archive.Write) in an ArchiveStore: a BatchStore (DirArchives) stages a
// run's archives as they are written and makes them durable with one flush.
// Tags that fail are reported as Problems, never as errors: one bad tag
// does not stop the others.
//
// Result.Refs is what the caller passes back as known on the next run, so
// a re-index of an unchanged repository costs one listing of the refs and no fetch.
// Tags must not move: a known tag now at another commit is a Problem, not
// a re-index.
package gitindex
