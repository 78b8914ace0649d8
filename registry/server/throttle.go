package server

import (
	"math"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/gin-gonic/gin"
)

// limiter is a token bucket per key: burst tries, refilled over per.
type limiter struct {
	burst float64
	rate  float64 // tokens per second
	mu    sync.Mutex
	seen  map[string]*bucket // guarded by mu
}

type bucket struct {
	tokens float64
	at     time.Time
}

// maxKeys bounds the buckets kept; full ones are dropped first.
const maxKeys = 10_000

func newLimiter(burst int, per time.Duration) *limiter {
	return &limiter{burst: float64(burst), rate: float64(burst) / per.Seconds(), seen: map[string]*bucket{}}
}

// take spends one try of key, or says how long to wait for one.
func (l *limiter) take(key string, now time.Time) (bool, time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	b, ok := l.seen[key]
	if !ok {
		if len(l.seen) >= maxKeys {
			l.prune(now)
		}
		b = &bucket{tokens: l.burst, at: now}
		l.seen[key] = b
	}
	b.tokens = math.Min(l.burst, b.tokens+now.Sub(b.at).Seconds()*l.rate)
	b.at = now
	if b.tokens >= 1 {
		b.tokens--
		return true, 0
	}
	return false, time.Duration((1 - b.tokens) / l.rate * float64(time.Second))
}

// prune drops the buckets that have refilled, and all of them if none has.
func (l *limiter) prune(now time.Time) {
	for k, b := range l.seen {
		if b.tokens+now.Sub(b.at).Seconds()*l.rate >= l.burst {
			delete(l.seen, k)
		}
	}
	if len(l.seen) >= maxKeys {
		clear(l.seen)
	}
}

// throttle spends one try of the client's address and one of email; when
// either is out of tries it answers 429 with Retry-After.
func (s *Server) throttle(c *gin.Context, email string) error {
	now := time.Now()
	keys := []string{"ip " + c.ClientIP()}
	if e := strings.ToLower(strings.TrimSpace(email)); e != "" {
		keys = append(keys, "email "+e)
	}
	for _, k := range keys {
		if ok, wait := s.limits.take(k, now); !ok {
			secs := int(math.Ceil(wait.Seconds()))
			c.Header("Retry-After", strconv.Itoa(secs))
			return fail(http.StatusTooManyRequests, "too many attempts; try again in %d seconds", secs)
		}
	}
	return nil
}
