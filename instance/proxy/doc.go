// Package proxy serves installed apps on their own origins: it recognises an app's host
// ({slug}.{instance} or, behind a setting, {instance}-{slug}.{domain}), serves a static app's
// installed tree confined to its directory, puts the app's security headers on every response,
// sends navigations without the owner's session to the login page and answers other such
// requests 401 (except on the manifest's public routes), and hands HTML pages a short-lived
// token in window.hearth. Small files of installed trees are kept in a FileCache that every
// app of a runtime shares: trees never change, so serving them takes no system call.
// ClientScript is hearth.js, the small client apps use to reach the Data System and realtime
// events.
//
// # Token renewal contract
//
// hearth.js renews the token with
//
//	GET {instance}/apps/{slug}/token      (fetch with credentials: "include")
//
// which the runtime answers, when the request carries a valid owner session and its Origin
// header is exactly the app's origin, with
//
//	200 {"token": "<bearer token for the app's approved scopes>", "expires_at": <unix seconds>}
//	Access-Control-Allow-Origin: <the app's origin>
//	Access-Control-Allow-Credentials: true
//	Cache-Control: no-store
//
// and with 401 otherwise. The Origin check matters: app origins are same-site with the
// instance, so the owner's cookie reaches the endpoint from any app; only the Origin tells
// which app asks, and an app must never get another app's token.
package proxy
