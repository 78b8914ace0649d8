package gitsource

import "net/http"

// HTTPClient returns an HTTP client that reaches only what policy allows, as Get does: no
// proxy from the environment, every connection's address checked when it is made, every
// redirect checked like a first URL, every response body bounded by policy.MaxFetchBytes (and
// a little more). Check the first URL with CheckURL before using it.
func HTTPClient(policy Policy) *http.Client {
	return newHTTPClient(policy.withDefaults())
}
