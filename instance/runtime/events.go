package runtime

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"

	"github.com/redis/go-redis/v9"

	"github.com/hearth-cloud/hearth/instance/auth"
	"github.com/hearth-cloud/hearth/instance/realtime"
)

// eventHub carries the Data System's events to realtime subscribers.
type eventHub struct {
	realtime.Hub
	kind  string
	redis *redis.Client // nil for the in-process hub
}

func openEvents(ctx context.Context, redisURL string, log *slog.Logger) (*eventHub, error) {
	if redisURL == "" {
		return &eventHub{Hub: realtime.NewLocalHub(), kind: "in-process"}, nil
	}
	opts, err := redis.ParseURL(redisURL)
	if err != nil {
		return nil, fmt.Errorf("runtime: --redis-url: %w", err)
	}
	rdb := redis.NewClient(opts)
	if err := rdb.Ping(ctx).Err(); err != nil {
		_ = rdb.Close()
		return nil, fmt.Errorf("runtime: Redis does not answer: %w", err)
	}
	hub, err := realtime.NewRedisHub(ctx, rdb, log)
	if err != nil {
		_ = rdb.Close()
		return nil, err
	}
	return &eventHub{Hub: hub, kind: "redis", redis: rdb}, nil
}

// Listening tells whether an event of the instance could reach anyone: with the in-process hub,
// only when a subscriber of the instance is connected here; with Redis, always (other runtimes
// may have subscribers).
func (e *eventHub) Listening(instance string) bool {
	if local, ok := e.Hub.(*realtime.LocalHub); ok {
		return local.Listening(instance)
	}
	return true
}

func (e *eventHub) close() {
	_ = e.Hub.Close()
	if e.redis != nil {
		_ = e.redis.Close()
	}
}

// realtimeHandler serves /realtime, checking tokens against the request's instance. A
// connection ends with its token: at its expiry, or when the device is revoked or the app
// removed.
func (rt *Runtime) realtimeHandler() http.Handler {
	authorize := func(r *http.Request, token string) (realtime.Grant, error) {
		inst, err := rt.tenants.Lookup(r.Context(), r.Host)
		if err != nil {
			// A local app calls by address; its token names the instance (and must verify).
			id, ok := auth.InstanceOf(token)
			if inst, ok = rt.tenants.CachedByID(id); !ok {
				return realtime.Grant{}, err
			}
		}
		claims, perms, err := rt.verifyToken(r.Context(), inst, token)
		if err != nil {
			return realtime.Grant{}, err
		}
		// The connection outlives the upgrade request: its end is the handler's Release.
		ctx, release, err := rt.openStream(context.WithoutCancel(r.Context()), inst, token, claims)
		if err != nil {
			return realtime.Grant{}, err
		}
		return realtime.Grant{
			Instance: inst.ID,
			CanRead:  func(doctype string) bool { return perms.Allows(doctype, auth.VerbGet) },
			Ended:    ctx.Done(),
			Release:  release,
		}, nil
	}
	return realtime.Handler(rt.events.Hub, authorize, rt.log)
}
