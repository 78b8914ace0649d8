// Package gitsource fetches app trees from Git repositories that strangers
// name, treating every byte as hostile until checked.
//
// CheckURL and Policy decide which URLs may be fetched: only http:// and
// https://, no credentials in the URL, and no host that resolves to a
// loopback, private, link-local, CGNAT, multicast or otherwise reserved
// address unless Policy.AllowPrivate. The same address check runs again when
// the connection is made (against DNS rebinding) and on every redirect.
// git:// is refused: go-git dials it with net.Dial, so the address it
// connects to cannot be checked, and it is unauthenticated plain text.
//
// Fetch clones one ref shallowly into memory and walks its tree, refusing
// trees that are too big, have too many or too large files, submodules,
// symlinks (all of them: a tree is stored and served as plain files), Git LFS
// pointers, or paths a filesystem would misread. ListRefs lists tags and
// branches without fetching objects; Open lists them and keeps the session,
// so that Repo.FetchMany fetches many of them, in one pack, without listing
// them again. TreeStore writes a checked Snapshot to
// disk once per tree hash, atomically.
//
// go-git's transports are never installed globally: each call builds its own
// HTTP transport and upload-pack session.
package gitsource

import "errors"

// Errors returned by this package, wrapped with details; test with errors.Is.
var (
	ErrURL          = errors.New("gitsource: invalid Git URL")
	ErrScheme       = errors.New("gitsource: URL scheme not allowed (use https:// or http://)")
	ErrCredentials  = errors.New("gitsource: credentials in the URL are not allowed")
	ErrHost         = errors.New("gitsource: host not in the allowed hosts")
	ErrAddress      = errors.New("gitsource: address not allowed")
	ErrUnreachable  = errors.New("gitsource: repository unreachable")
	ErrTimeout      = errors.New("gitsource: fetch took too long")
	ErrRefNotFound  = errors.New("gitsource: ref not found")
	ErrTooLarge     = errors.New("gitsource: repository too large")
	ErrTooManyFiles = errors.New("gitsource: too many files")
	ErrFileTooLarge = errors.New("gitsource: file too large")
	ErrSubmodule    = errors.New("gitsource: submodules are not allowed")
	ErrSymlink      = errors.New("gitsource: symbolic links are not allowed")
	ErrLFS          = errors.New("gitsource: Git LFS files are not supported")
	ErrPath         = errors.New("gitsource: path not allowed")
	ErrTreeID       = errors.New("gitsource: invalid tree id")
	ErrNotFound     = errors.New("gitsource: tree not found")
)
