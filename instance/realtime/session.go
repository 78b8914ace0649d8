package realtime

import (
	"context"
	"errors"
	"time"

	"github.com/coder/websocket"
)

// session is one authenticated connection. Only run writes messages, so that a SUBSCRIBED
// answer precedes every event of its doctype.
type session struct {
	*handler
	conn     *websocket.Conn
	client   *client
	sub      *Subscription
	requests chan request // from the reader to run
}

// run serves the connection until the client leaves, the hub ends the subscription, a write
// fails, the token ends or shutdown is closed.
func (s *session) run(ctx context.Context, shutdown <-chan struct{}) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	go s.read(ctx, cancel)
	go s.keepalive(ctx, cancel)

	doctypes := map[string]bool{} // what the client subscribed to
	for {
		var err error
		select {
		case <-ctx.Done():
			return
		case <-shutdown:
			s.conn.Close(websocket.StatusGoingAway, "shutting down")
			return
		case <-s.client.ended:
			s.conn.Close(StatusTokenEnded, "token expired or revoked")
			return
		case req := <-s.requests:
			err = s.handle(ctx, req, doctypes)
		case ev, ok := <-s.sub.C():
			if !ok {
				s.ended(ctx)
				return
			}
			if doctypes[ev.Doctype] {
				err = s.write(ctx, s.conn, eventMessage(ev))
			}
		}
		if err != nil {
			s.log.Debug("realtime: client gone", "instance", s.client.instance, "err", err)
			return
		}
	}
}

// handle answers one request of the client.
func (s *session) handle(ctx context.Context, req request, doctypes map[string]bool) error {
	switch {
	case req.err != nil:
		return s.write(ctx, s.conn, errorMessage(req.err))
	case req.method == methodUnsubscribe:
		s.sub.Remove(req.doctype)
		delete(doctypes, req.doctype)
		return nil
	case !s.client.canRead(req.doctype):
		return s.write(ctx, s.conn, errorMessage(&errorPayload{
			Status: "403", Title: "forbidden", Type: req.doctype,
			Detail: "this token may not read " + truncate(req.doctype, 64),
		}))
	}
	s.sub.Add(req.doctype)
	doctypes[req.doctype] = true
	return s.write(ctx, s.conn, subscribedMessage(req.doctype))
}

// ended tells the client why its subscription ended, and closes.
func (s *session) ended(ctx context.Context) {
	switch err := s.sub.Err(); {
	case errors.Is(err, ErrOverflow), errors.Is(err, ErrInterrupted):
		title, detail := "overflow", "events were dropped because they were read too slowly; reconnect and resync"
		if errors.Is(err, ErrInterrupted) {
			title, detail = "interrupted", "events may have been lost; reconnect and resync"
		}
		_ = s.write(ctx, s.conn, errorMessage(&errorPayload{Status: "503", Title: title, Detail: detail}))
		s.conn.Close(websocket.StatusTryAgainLater, title)
	default:
		s.conn.Close(websocket.StatusGoingAway, "shutting down")
	}
}

// read parses the client's messages into requests; it cancels the session when the
// connection ends.
func (s *session) read(ctx context.Context, cancel context.CancelFunc) {
	defer cancel()
	for {
		typ, data, err := s.conn.Read(ctx)
		if err != nil {
			return
		}
		req := parseRequest(data)
		if typ != websocket.MessageText {
			req = request{err: badRequest("messages must be JSON text")}
		}
		select {
		case s.requests <- req:
		case <-ctx.Done():
			return
		}
	}
}

// keepalive pings the client; one that does not answer in time is disconnected.
func (s *session) keepalive(ctx context.Context, cancel context.CancelFunc) {
	t := time.NewTicker(s.pingInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		pctx, pcancel := context.WithTimeout(ctx, s.writeTimeout)
		err := s.conn.Ping(pctx)
		pcancel()
		if err != nil {
			if ctx.Err() == nil {
				s.log.Debug("realtime: client does not answer pings", "instance", s.client.instance, "err", err)
			}
			cancel()
			return
		}
	}
}
