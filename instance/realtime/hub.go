// Package realtime carries the Data System's events from writers to subscribers: an event hub
// (in-process, or Redis pub/sub when several runtimes share instances) and the /realtime
// WebSocket through which browsers and apps receive the events of the doctypes they may read.
//
// # WebSocket protocol
//
// GET /realtime upgrades to a WebSocket. Every message is a JSON text message; → goes from the
// client to the server, ← from the server to the client.
//
// Authentication: the upgrade request carries "Authorization: Bearer <token>" (a bad header is
// answered 401 before the upgrade), or, for browsers, which cannot set headers on a WebSocket,
// the first message is
//
//	→ {"method":"AUTH","payload":"<token>"}
//
// If that message does not come within 10 seconds, is something else, or carries a token that
// is not valid for the request's instance, the server closes with 1008 (policy violation).
//
// Subscriptions, per doctype:
//
//	→ {"method":"SUBSCRIBE","payload":{"type":"io.hearth.notes"}}
//	← {"event":"SUBSCRIBED","payload":{"type":"io.hearth.notes"}}
//	→ {"method":"UNSUBSCRIBE","payload":{"type":"io.hearth.notes"}}
//
// Once SUBSCRIBED is received, no later write of that doctype is missed. Events:
//
//	← {"event":"CREATED","payload":{"type":"io.hearth.notes","id":"…","rev":"1-…","doc":{…}}}
//	← {"event":"UPDATED","payload":{…}}
//	← {"event":"DELETED","payload":{"type":"…","id":"…","rev":"…","doc":{"_id":"…","_rev":"…","_deleted":true}}}
//
// Events of one instance arrive in the order they were published. Errors keep the connection
// open, except "overflow":
//
//	← {"event":"error","payload":{"status":"403","title":"forbidden","detail":"…","type":"io.hearth.notes"}}
//	← {"event":"error","payload":{"status":"400","title":"bad request","detail":"…"}}
//	← {"event":"error","payload":{"status":"503","title":"overflow","detail":"…"}}
//
// 403: the token may not read that doctype, nothing was subscribed. 400: a malformed message or
// an unknown method. 503 overflow: the client read too slowly and events were dropped; the server
// closes with 1013 (try again later) and the client should reconnect and resynchronise (with
// the doctype's _changes feed). Messages larger than 64 KiB close the connection (1009). The
// server pings every 30 seconds and closes connections that do not answer; 1001 (going away)
// means the runtime is shutting down. When the token expires or is revoked (a device revoked,
// an app uninstalled or approved for less), the server closes with 4001 ("token expired or
// revoked"): reconnecting needs a new token.
package realtime

import (
	"context"
	"encoding/json"
	"errors"
)

// Verbs of events.
const (
	VerbCreated = "created"
	VerbUpdated = "updated"
	VerbDeleted = "deleted"
)

// Event is one change to a document.
type Event struct {
	Doctype string          `json:"doctype"`
	ID      string          `json:"id"`
	Rev     string          `json:"rev"`
	Verb    string          `json:"verb"` // VerbCreated, VerbUpdated or VerbDeleted
	Doc     json.RawMessage `json:"doc,omitempty"`
}

// Hub carries events between writers and subscribers of the same instance.
type Hub interface {
	// Publish sends ev to the instance's subscribers of ev.Doctype.
	Publish(ctx context.Context, instance string, ev Event) error
	// Subscribe starts receiving the instance's events of doctypes (more can be added later).
	// ctx bounds the call only; once it returns, no event published later is missed.
	Subscribe(ctx context.Context, instance string, doctypes ...string) (*Subscription, error)
	// Close ends every subscription.
	Close() error
}

var (
	// ErrClosed is returned by a hub that was closed, and by Subscription.Err after it.
	ErrClosed = errors.New("realtime: hub closed")
	// ErrOverflow ends a subscription whose reader fell too far behind.
	ErrOverflow = errors.New("realtime: subscriber too slow, events dropped")
)

// SubscriptionBuffer is how many events a subscriber may lag behind before it is dropped.
const SubscriptionBuffer = 1024
