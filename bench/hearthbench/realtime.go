package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/coder/websocket"
)

// rtDrain is how long the subscriber waits for the last events after the last write.
const rtDrain = 5 * time.Second

var errMissed = errors.New("hearthbench: realtime events missing")

type rtMessage struct {
	Event   string `json:"event"`
	Payload struct {
		Type string `json:"type"`
		ID   string `json:"id"`
	} `json:"payload"`
}

// rtLatencies subscribes to doctype over /realtime, then PUTs n new documents one after the
// other, one every interval, and measures from just before each PUT to its CREATED event.
func rtLatencies(ctx context.Context, t *target, doctype string, n int, interval time.Duration) ([]time.Duration, error) {
	ctx, cancel := context.WithTimeout(ctx, time.Duration(n)*(interval+50*time.Millisecond)+time.Minute)
	defer cancel()
	conn, err := rtSubscribe(ctx, t, doctype)
	if err != nil {
		return nil, err
	}
	defer conn.CloseNow()
	var sent sync.Map // id → time.Time just before its PUT
	got := make(chan time.Duration, n)
	go rtReceive(ctx, conn, &sent, got)
	db := &database{t: t, url: t.base + t.prefix + strings.TrimPrefix(doctype, "io.hearth.")}
	tick := time.NewTicker(interval)
	defer tick.Stop()
	for i := range n {
		id := fmt.Sprintf("rt-%07d", i)
		sent.Store(id, time.Now())
		if _, err := db.expect(ctx, http.StatusCreated, http.MethodPut, "/"+id, docBody(0, i)); err != nil {
			return nil, fmt.Errorf("write %d: %w", i, err)
		}
		select {
		case <-tick.C:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	return rtCollect(ctx, got, n)
}

// rtCollect gathers n latencies, waiting at most rtDrain after the last write.
func rtCollect(ctx context.Context, got <-chan time.Duration, n int) ([]time.Duration, error) {
	lat := make([]time.Duration, 0, n)
	drain := time.NewTimer(rtDrain)
	defer drain.Stop()
	for len(lat) < n {
		select {
		case d := <-got:
			lat = append(lat, d)
		case <-drain.C:
			return lat, fmt.Errorf("%w: %d of %d received %v after the last write", errMissed, len(lat), n, rtDrain)
		case <-ctx.Done():
			return lat, ctx.Err()
		}
	}
	return lat, nil
}

// rtSubscribe opens the WebSocket with the bearer token and waits for SUBSCRIBED.
func rtSubscribe(ctx context.Context, t *target, doctype string) (*websocket.Conn, error) {
	url := "ws" + strings.TrimPrefix(t.base, "http") + "/realtime"
	conn, resp, err := websocket.Dial(ctx, url, &websocket.DialOptions{
		Host:       t.host,
		HTTPHeader: http.Header{"Authorization": {"Bearer " + t.token}},
	})
	if err != nil {
		if resp != nil {
			return nil, fmt.Errorf("hearthbench: dial %s: %s: %w", url, resp.Status, err)
		}
		return nil, fmt.Errorf("hearthbench: dial %s: %w", url, err)
	}
	msg := fmt.Appendf(nil, `{"method":"SUBSCRIBE","payload":{"type":%q}}`, doctype)
	if err := conn.Write(ctx, websocket.MessageText, msg); err != nil {
		conn.CloseNow()
		return nil, fmt.Errorf("hearthbench: send SUBSCRIBE: %w", err)
	}
	wctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	for {
		_, data, err := conn.Read(wctx)
		if err != nil {
			conn.CloseNow()
			return nil, fmt.Errorf("hearthbench: wait for SUBSCRIBED: %w", err)
		}
		var m rtMessage
		if json.Unmarshal(data, &m) == nil && m.Event == "SUBSCRIBED" {
			return conn, nil
		}
	}
}

// rtReceive reads events until the connection ends and sends each CREATED event's latency.
func rtReceive(ctx context.Context, conn *websocket.Conn, sent *sync.Map, got chan<- time.Duration) {
	for {
		_, data, err := conn.Read(ctx)
		now := time.Now()
		if err != nil {
			return
		}
		var m rtMessage
		if json.Unmarshal(data, &m) != nil || m.Event != "CREATED" {
			continue
		}
		if t0, ok := sent.LoadAndDelete(m.Payload.ID); ok {
			got <- now.Sub(t0.(time.Time))
		}
	}
}
