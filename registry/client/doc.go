// Package client is what an instance uses to talk to one registry it trusts: the registry's
// well-known document, its app list, an app's versions and advisories, and the archives.
//
// A client is made with the registry's URL and its pinned key. Everything it returns that an
// instance acts on (a version to install, its archive's hash and tree, a deprecation, a yank,
// an advisory) comes from signed entries opened with entry.Open against the pinned key, never
// from the unsigned JSON around them. The app list (List) is for display only: its fields are
// checked as an app entry's are, but not signed. Every request goes through an HTTP client that
// refuses hostile addresses under a gitsource.Policy, with time limits and bounded bodies.
package client
