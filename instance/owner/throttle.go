package owner

import (
	"container/list"
	"net/netip"
	"sync"
	"time"
)

// Policy is how a throttle key backs off: the first Free failures cost nothing; after that, an
// attempt waits Base after the last failure, doubling with each further failure up to Max. One
// failure is forgotten per Forget of quiet.
type Policy struct {
	Free   int
	Base   time.Duration
	Max    time.Duration
	Forget time.Duration
}

// wait is how long after the last failure an attempt must wait once n failures are counted.
func (p Policy) wait(n int) time.Duration {
	if n < p.Free {
		return 0
	}
	w := p.Base
	for i := p.Free; i < n && w < p.Max; i++ {
		w *= 2
	}
	return min(w, p.Max)
}

// Default policies. Per client address (IPv6 grouped by /64) on one instance: 5 free failures,
// then 1 s, 2 s, 4 s... up to 15 min; one failure forgotten per 10 min. Per instance, whatever
// the address: 20 free failures, then 1 s doubling up to 1 min; one forgotten per minute. An
// attacker with many addresses thus gets about one guess a minute, and can lock the owner out
// for at most a minute.
func DefaultAddrPolicy() Policy {
	return Policy{Free: 5, Base: time.Second, Max: 15 * time.Minute, Forget: 10 * time.Minute}
}

// DefaultInstancePolicy: see DefaultAddrPolicy.
func DefaultInstancePolicy() Policy {
	return Policy{Free: 20, Base: time.Second, Max: time.Minute, Forget: time.Minute}
}

// DefaultThrottleKeys bounds how many keys a Throttle remembers.
const DefaultThrottleKeys = 65536

// Throttle counts failed attempts per key in memory. It remembers at most a fixed number of
// keys, forgetting the least recently used beyond, so that an attacker with many addresses
// cannot grow it without bound. One Throttle may serve every instance of a runtime; it is safe
// for concurrent use. The zero value uses the default policies and DefaultThrottleKeys.
type Throttle struct {
	// Instance and Addr are the policies of instance keys and of address (and session) keys;
	// zero means the default. Set them before first use.
	Instance Policy
	Addr     Policy

	mu   sync.Mutex
	max  int                      // key limit; guarded by mu
	keys map[string]*list.Element // key → element of lru holding *failures; guarded by mu
	lru  *list.List               // least recently used first; guarded by mu
}

type failures struct {
	key  string
	n    int
	last time.Time
}

// NewThrottle returns a Throttle with the default policies remembering at most maxKeys keys
// (DefaultThrottleKeys when maxKeys < 1).
func NewThrottle(maxKeys int) *Throttle {
	if maxKeys < 1 {
		maxKeys = DefaultThrottleKeys
	}
	return &Throttle{
		Instance: DefaultInstancePolicy(), Addr: DefaultAddrPolicy(),
		max: maxKeys, keys: make(map[string]*list.Element), lru: list.New(),
	}
}

func (t *Throttle) instancePolicy() Policy {
	if t.Instance == (Policy{}) {
		return DefaultInstancePolicy()
	}
	return t.Instance
}

func (t *Throttle) addrPolicy() Policy {
	if t.Addr == (Policy{}) {
		return DefaultAddrPolicy()
	}
	return t.Addr
}

// Len returns how many keys the throttle remembers.
func (t *Throttle) Len() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return len(t.keys)
}

// attempt is one login-like attempt admitted by the throttle. It is counted as a failure from
// the start, so that concurrent attempts see each other; success or neutral undo that.
type attempt struct {
	t    *Throttle
	at   time.Time
	keys []throttleKey
	prev []time.Time // each key's last failure before this attempt
}

type throttleKey struct {
	name   string
	policy Policy
	reset  bool // a success forgets every failure of this key (else only this attempt's)
}

// begin admits an attempt on keys at now, or returns a *ThrottledError with the longest wait.
func (t *Throttle) begin(now time.Time, keys ...throttleKey) (*attempt, error) {

	t.mu.Lock()
	defer t.mu.Unlock()
	if t.keys == nil {
		t.keys, t.lru = make(map[string]*list.Element), list.New()
	}
	var wait time.Duration
	recs := make([]*failures, len(keys))
	for i, k := range keys {
		f := t.get(k.name)
		decay(f, k.policy, now)
		if f.n > 0 {
			wait = max(wait, f.last.Add(k.policy.wait(f.n)).Sub(now))
		}
		recs[i] = f
	}
	if wait > 0 {
		return nil, &ThrottledError{RetryAfter: wait}
	}
	a := &attempt{t: t, at: now, keys: keys, prev: make([]time.Time, len(keys))}
	for i, f := range recs {
		a.prev[i] = f.last
		f.n++
		f.last = now
	}
	return a, nil
}

// succeeded undoes this attempt's failure, and forgets earlier ones of reset keys.
func (a *attempt) succeeded() { a.undo(true) }

// neutral undoes this attempt's failure (the attempt neither failed nor completed).
func (a *attempt) neutral() { a.undo(false) }

func (a *attempt) undo(success bool) {
	a.t.mu.Lock()
	defer a.t.mu.Unlock()
	for i, k := range a.keys {
		e, ok := a.t.keys[k.name]
		if !ok {
			continue
		}
		f := e.Value.(*failures)
		if f.n > 0 {
			f.n--
		}
		if f.last.Equal(a.at) {
			f.last = a.prev[i] // no later failure: the wait runs from the one before
		}
		if success && k.reset {
			f.n = 0
		}
		if f.n == 0 {
			a.t.lru.Remove(e)
			delete(a.t.keys, k.name)
		}
	}
}

// get returns the record of key, created if needed, marked most recently used. t.mu is held.
func (t *Throttle) get(key string) *failures {
	if e, ok := t.keys[key]; ok {
		t.lru.MoveToBack(e)
		return e.Value.(*failures)
	}
	limit := t.max
	if limit < 1 {
		limit = DefaultThrottleKeys
	}
	for len(t.keys) >= limit {
		old := t.lru.Front()
		t.lru.Remove(old)
		delete(t.keys, old.Value.(*failures).key)
	}
	f := &failures{key: key}
	t.keys[key] = t.lru.PushBack(f)
	return f
}

// decay forgets one failure per p.Forget elapsed since the last one.
func decay(f *failures, p Policy, now time.Time) {
	if f.n == 0 || p.Forget <= 0 {
		return
	}
	k := int(now.Sub(f.last) / p.Forget)
	if k <= 0 {
		return
	}
	if k >= f.n {
		f.n = 0
		return
	}
	f.n -= k
	f.last = f.last.Add(time.Duration(k) * p.Forget)
}

// addrKey groups a client address: IPv4 as is, IPv6 by its /64 (one subscriber's network). A
// "host:port" form is accepted; anything unparsable is used as given.
func addrKey(addr string) string {
	a, err := netip.ParseAddr(addr)
	if err != nil {
		ap, perr := netip.ParseAddrPort(addr)
		if perr != nil {
			return addr
		}
		a = ap.Addr()
	}
	a = a.Unmap()
	if a.Is6() {
		p, _ := a.Prefix(64)
		return p.String()
	}
	return a.String()
}
