// Package testsvc starts real services for tests: pouchdb-server (a
// CouchDB-compatible server from npm), redis-server, and node scripts using
// the npm packages kept in the test cache outside the repository.
//
// The npm packages live in $HEARTH_TEST_CACHE (default ~/.cache/hearth-test),
// under node/node_modules; `make test-deps` installs them. A missing service
// fails the test with a message saying so: tests never skip silently.
package testsvc
