package realtime

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/coder/websocket"
)

// Authorizer resolves a bearer token for the request's instance: it returns the instance id and
// whether the token may read a doctype; an error means the token is not valid there.
type Authorizer func(r *http.Request, token string) (instance string, canRead func(doctype string) bool, err error)

const (
	authTimeout  = 10 * time.Second
	writeTimeout = 10 * time.Second
	pingInterval = 30 * time.Second
	maxMessage   = 64 << 10
)

type clientMessage struct {
	Method  string          `json:"method"`
	Payload json.RawMessage `json:"payload"`
}

type serverMessage struct {
	Event   string `json:"event"`
	Payload any    `json:"payload"`
}

// Handler serves the /realtime WebSocket.
func Handler(hub Hub, authorize Authorizer, log *slog.Logger) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		header := r.Header.Get("Authorization")
		var instance string
		var canRead func(string) bool
		if header != "" {
			scheme, tok, _ := strings.Cut(header, " ")
			var err error
			if strings.EqualFold(scheme, "Bearer") {
				instance, canRead, err = authorize(r, strings.TrimSpace(tok))
			}
			if !strings.EqualFold(scheme, "Bearer") || err != nil {
				w.Header().Set("Content-Type", "application/json")
				w.WriteHeader(http.StatusUnauthorized)
				_, _ = w.Write([]byte(`{"error":"unauthorized","reason":"The token is invalid."}` + "\n"))
				return
			}
		}
		conn, err := websocket.Accept(w, r, nil)
		if err != nil {
			return
		}
		conn.SetReadLimit(maxMessage)
		s := &session{hub: hub, conn: conn, log: log, instance: instance, canRead: canRead}
		s.run(r, authorize)
	})
}

// session is one WebSocket connection.
type session struct {
	hub      Hub
	conn     *websocket.Conn
	log      *slog.Logger
	instance string
	canRead  func(string) bool
	sub      *Subscription
}

func (s *session) run(r *http.Request, authorize Authorizer) {
	ctx, cancel := context.WithCancel(r.Context())
	defer cancel()
	defer s.conn.CloseNow()
	if s.canRead == nil && !s.authenticate(ctx, r, authorize) {
		return
	}
	sub, err := s.hub.Subscribe(ctx, s.instance)
	if err != nil {
		s.conn.Close(websocket.StatusInternalError, "event hub unavailable")
		return
	}
	s.sub = sub
	defer sub.Close()
	msgs := make(chan clientMessage)
	go s.read(ctx, cancel, msgs)
	ping := time.NewTicker(pingInterval)
	defer ping.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case ev, ok := <-sub.C():
			if !ok {
				s.conn.Close(websocket.StatusTryAgainLater, "too slow: events were dropped")
				return
			}
			payload := map[string]any{"type": ev.Doctype, "id": ev.ID, "rev": ev.Rev, "doc": ev.Doc}
			if err := s.send(ctx, serverMessage{Event: strings.ToUpper(ev.Verb), Payload: payload}); err != nil {
				return
			}
		case m := <-msgs:
			if err := s.handle(ctx, m); err != nil {
				return
			}
		case <-ping.C:
			pctx, pcancel := context.WithTimeout(ctx, writeTimeout)
			err := s.conn.Ping(pctx)
			pcancel()
			if err != nil {
				return
			}
		}
	}
}

// authenticate reads the first message, which must be AUTH with a valid token.
func (s *session) authenticate(ctx context.Context, r *http.Request, authorize Authorizer) bool {
	actx, cancel := context.WithTimeout(ctx, authTimeout)
	defer cancel()
	var m clientMessage
	_, data, err := s.conn.Read(actx)
	var tok string
	if err == nil && json.Unmarshal(data, &m) == nil && m.Method == "AUTH" && json.Unmarshal(m.Payload, &tok) == nil {
		if s.instance, s.canRead, err = authorize(r, tok); err == nil {
			return true
		}
	}
	s.conn.Close(websocket.StatusPolicyViolation, "send {\"method\":\"AUTH\",\"payload\":\"<token>\"} first, with a valid token")
	return false
}

func (s *session) read(ctx context.Context, cancel context.CancelFunc, out chan<- clientMessage) {
	defer cancel()
	for {
		_, data, err := s.conn.Read(ctx)
		if err != nil {
			return
		}
		var m clientMessage
		if err := json.Unmarshal(data, &m); err != nil || m.Method == "" {
			m = clientMessage{Method: "invalid"}
		}
		select {
		case out <- m:
		case <-ctx.Done():
			return
		}
	}
}

func (s *session) handle(ctx context.Context, m clientMessage) error {
	var p struct {
		Type string `json:"type"`
	}
	_ = json.Unmarshal(m.Payload, &p)
	switch m.Method {
	case "SUBSCRIBE", "UNSUBSCRIBE":
		if p.Type == "" {
			return s.sendError(ctx, "400", "bad_request", "payload.type must name a doctype", "")
		}
		if !s.canRead(p.Type) {
			return s.sendError(ctx, "403", "forbidden", "this token may not read that doctype", p.Type)
		}
		if m.Method == "UNSUBSCRIBE" {
			s.sub.Remove(p.Type)
			return s.send(ctx, serverMessage{Event: "UNSUBSCRIBED", Payload: map[string]string{"type": p.Type}})
		}
		s.sub.Add(p.Type)
		return s.send(ctx, serverMessage{Event: "SUBSCRIBED", Payload: map[string]string{"type": p.Type}})
	}
	return s.sendError(ctx, "400", "bad_request", `messages are {"method":"SUBSCRIBE"|"UNSUBSCRIBE","payload":{"type":"<doctype>"}}`, "")
}

func (s *session) sendError(ctx context.Context, status, title, detail, doctype string) error {
	return s.send(ctx, serverMessage{Event: "error", Payload: map[string]string{
		"status": status, "title": title, "detail": detail, "type": doctype,
	}})
}

func (s *session) send(ctx context.Context, m serverMessage) error {
	b, err := json.Marshal(m)
	if err != nil {
		return err
	}
	wctx, cancel := context.WithTimeout(ctx, writeTimeout)
	defer cancel()
	if err := s.conn.Write(wctx, websocket.MessageText, b); err != nil {
		if !errors.Is(err, context.Canceled) {
			s.log.Debug("realtime: write", "err", err)
		}
		return err
	}
	return nil
}
