package runtime

// OpenStreams is how many long-lived requests of subject are open on the instance (tests).
func OpenStreams(rt *Runtime, instanceID, subject string) int {
	return rt.streams.count(instanceID, subject)
}

// TakenOverRequests is how many requests were served on connections taken over from net/http,
// and how many of those connections were handed back.
func TakenOverRequests(rt *Runtime) (served, handedBack int64) {
	return rt.appConns.served.Load(), rt.appConns.handed.Load()
}

// TakenOverConns is how many connections taken over from net/http are open.
func TakenOverConns(rt *Runtime) int {
	rt.appConns.mu.Lock()
	defer rt.appConns.mu.Unlock()
	return len(rt.appConns.conns)
}

// LoopRequests is how many requests the event loop of taken-over connections answered itself.
func LoopRequests(rt *Runtime) int64 { return rt.appConns.looped.Load() }
