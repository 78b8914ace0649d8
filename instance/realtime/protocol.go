package realtime

import (
	"encoding/json"
	"fmt"
	"strings"
)

// Methods a client may send.
const (
	methodAuth        = "AUTH"
	methodSubscribe   = "SUBSCRIBE"
	methodUnsubscribe = "UNSUBSCRIBE"
)

// maxDoctypeLen bounds a doctype name in a SUBSCRIBE.
const maxDoctypeLen = 255

// clientMessage is what a client sends.
type clientMessage struct {
	Method  string          `json:"method"`
	Payload json.RawMessage `json:"payload"`
}

// typePayload is the payload of SUBSCRIBE and UNSUBSCRIBE.
type typePayload struct {
	Type string `json:"type"`
}

// serverMessage is what the server sends.
type serverMessage struct {
	Event   string `json:"event"`
	Payload any    `json:"payload"`
}

// eventPayload is the payload of CREATED, UPDATED and DELETED.
type eventPayload struct {
	Type string          `json:"type"`
	ID   string          `json:"id"`
	Rev  string          `json:"rev"`
	Doc  json.RawMessage `json:"doc,omitempty"`
}

// errorPayload is the payload of an "error" message; every field is safe to show a client.
type errorPayload struct {
	Status string `json:"status"`
	Title  string `json:"title"`
	Detail string `json:"detail"`
	Type   string `json:"type,omitempty"`
}

// request is a parsed SUBSCRIBE or UNSUBSCRIBE, or the error answering a bad message.
type request struct {
	method  string
	doctype string
	err     *errorPayload
}

func badRequest(format string, args ...any) *errorPayload {
	return &errorPayload{Status: "400", Title: "bad request", Detail: fmt.Sprintf(format, args...)}
}

// parseRequest reads a message of an authenticated client.
func parseRequest(data []byte) request {
	var m clientMessage
	if err := json.Unmarshal(data, &m); err != nil {
		return request{err: badRequest("the message is not a JSON object with method and payload")}
	}
	switch m.Method {
	case methodSubscribe, methodUnsubscribe:
	case methodAuth:
		return request{err: badRequest("already authenticated")}
	default:
		return request{err: badRequest("unknown method %q: use SUBSCRIBE or UNSUBSCRIBE", truncate(m.Method, 32))}
	}
	var p typePayload
	if err := json.Unmarshal(m.Payload, &p); err != nil || p.Type == "" {
		return request{err: badRequest(`%s needs a payload {"type": "<doctype>"}`, m.Method)}
	}
	if len(p.Type) > maxDoctypeLen {
		return request{err: badRequest("doctype longer than %d bytes", maxDoctypeLen)}
	}
	return request{method: m.Method, doctype: p.Type}
}

// parseAuth reads the first message of a client that did not authenticate by header.
func parseAuth(data []byte) (token string, ok bool) {
	var m clientMessage
	if err := json.Unmarshal(data, &m); err != nil || m.Method != methodAuth {
		return "", false
	}
	if err := json.Unmarshal(m.Payload, &token); err != nil || token == "" {
		return "", false
	}
	return token, true
}

// eventMessage is how ev travels to a client.
func eventMessage(ev Event) serverMessage {
	return serverMessage{
		Event:   strings.ToUpper(ev.Verb),
		Payload: eventPayload{Type: ev.Doctype, ID: ev.ID, Rev: ev.Rev, Doc: ev.Doc},
	}
}

func errorMessage(p *errorPayload) serverMessage {
	return serverMessage{Event: "error", Payload: p}
}

func subscribedMessage(doctype string) serverMessage {
	return serverMessage{Event: "SUBSCRIBED", Payload: typePayload{Type: doctype}}
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
