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

// Authorizer resolves a bearer token for the request's instance; an error means unauthorized.
type Authorizer func(r *http.Request, token string) (Grant, error)

// Grant is what a token allows on a connection, and for how long.
type Grant struct {
	Instance string                    // the instance whose events the connection receives
	CanRead  func(doctype string) bool // whether the token may read a doctype
	// Ended, if not nil, is closed when the token stops being valid (it expired, or what it was
	// issued to was revoked): the connection then closes with StatusTokenEnded.
	Ended <-chan struct{}
	// Release, if not nil, is called once the connection ends.
	Release func()
}

// StatusTokenEnded closes a connection whose token expired or was revoked: the client needs
// a new token before it reconnects.
const StatusTokenEnded websocket.StatusCode = 4001

// Limits of a connection.
const (
	MaxMessageSize      = 64 << 10 // bytes of one client message
	defaultAuthTimeout  = 10 * time.Second
	defaultPingInterval = 30 * time.Second
	defaultWriteTimeout = 10 * time.Second
)

// handler serves the /realtime WebSocket.
type handler struct {
	hub          Hub
	auth         Authorizer
	log          *slog.Logger
	authTimeout  time.Duration // for the AUTH message
	pingInterval time.Duration
	writeTimeout time.Duration // for one message or ping
}

// Handler serves GET /realtime: the WebSocket described in the package documentation.
func Handler(hub Hub, auth Authorizer, log *slog.Logger) http.Handler {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &handler{hub: hub, auth: auth, log: log,
		authTimeout: defaultAuthTimeout, pingInterval: defaultPingInterval, writeTimeout: defaultWriteTimeout}
}

// client is who is connected: an instance, what the token may read and until when.
type client struct {
	instance string
	canRead  func(doctype string) bool
	ended    <-chan struct{} // nil: until the connection ends
	release  func()
}

// done lets go of what the authorizer held for the connection.
func (c *client) done() {
	if c.release != nil {
		c.release()
	}
}

func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	var who *client
	if header := r.Header.Get("Authorization"); header != "" {
		var ok bool
		if who, ok = h.authorizeHeader(r, header); !ok {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusUnauthorized)
			_, _ = w.Write([]byte(`{"error":"unauthorized","reason":"invalid bearer token"}` + "\n"))
			return
		}
		defer who.done()
	}
	// Clients authenticate with a token they present explicitly, never with ambient cookies,
	// so any origin may connect: an app's origin differs from the instance's.
	conn, err := websocket.Accept(w, r, &websocket.AcceptOptions{InsecureSkipVerify: true})
	if err != nil {
		return // Accept answered the request
	}
	defer conn.CloseNow()
	conn.SetReadLimit(MaxMessageSize)
	// Reads and writes use a context only this handler cancels (canceling it drops the
	// connection without a close frame); run watches r.Context() to close with 1001 instead.
	ctx, cancel := context.WithCancel(context.WithoutCancel(r.Context()))
	defer cancel()

	if who == nil {
		if who = h.authorizeMessage(ctx, conn, r); who == nil {
			return
		}
		defer who.done()
	}
	sctx, scancel := context.WithTimeout(ctx, h.writeTimeout)
	sub, err := h.hub.Subscribe(sctx, who.instance)
	scancel()
	if err != nil {
		h.log.Error("realtime: subscribe", "instance", who.instance, "err", err)
		conn.Close(websocket.StatusTryAgainLater, "events unavailable")
		return
	}
	defer sub.Close()
	s := &session{handler: h, conn: conn, client: who, sub: sub, requests: make(chan request, 16)}
	s.run(ctx, r.Context().Done())
}

// authorizeHeader checks an "Authorization: Bearer" header.
func (h *handler) authorizeHeader(r *http.Request, header string) (*client, bool) {
	scheme, token, ok := strings.Cut(header, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") || strings.TrimSpace(token) == "" {
		return nil, false
	}
	return h.authorize(r, strings.TrimSpace(token))
}

func (h *handler) authorize(r *http.Request, token string) (*client, bool) {
	g, err := h.auth(r, token)
	if err != nil || g.CanRead == nil {
		h.log.Debug("realtime: token refused", "host", r.Host, "err", err)
		if err == nil && g.Release != nil {
			g.Release()
		}
		return nil, false
	}
	return &client{instance: g.Instance, canRead: g.CanRead, ended: g.Ended, release: g.Release}, true
}

// authorizeMessage waits for the AUTH message; on failure it closes conn and returns nil.
func (h *handler) authorizeMessage(ctx context.Context, conn *websocket.Conn, r *http.Request) *client {
	// Closing from a timer, not through Read's context, sends the 1008 close frame: a canceled
	// Read would drop the connection without a status.
	timer := time.AfterFunc(h.authTimeout, func() {
		conn.Close(websocket.StatusPolicyViolation, "no AUTH message in time")
	})
	typ, data, err := conn.Read(ctx)
	if !timer.Stop() || err != nil {
		return nil
	}
	token, ok := parseAuth(data)
	if typ != websocket.MessageText || !ok {
		conn.Close(websocket.StatusPolicyViolation, `first message must be {"method":"AUTH","payload":"<token>"}`)
		return nil
	}
	who, ok := h.authorize(r, token)
	if !ok {
		conn.Close(websocket.StatusPolicyViolation, "invalid token")
		return nil
	}
	return who
}

// write sends one message within the write timeout.
func (h *handler) write(ctx context.Context, conn *websocket.Conn, m serverMessage) error {
	b, err := json.Marshal(m)
	if err != nil {
		h.log.Error("realtime: encode message", "event", m.Event, "err", err)
		return nil // skip it, the connection is fine
	}
	ctx, cancel := context.WithTimeout(ctx, h.writeTimeout)
	defer cancel()
	if err := conn.Write(ctx, websocket.MessageText, b); err != nil {
		return errors.Join(errWrite, err)
	}
	return nil
}

var errWrite = errors.New("realtime: write to client")
