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

// LoopExchanges is how many requests the event loop has sent to apps and not answered yet.
func LoopExchanges(rt *Runtime) int64 { return rt.appConns.exchanges.Load() }

// NodeAppState is the state of a node app of the instance at domain.
func NodeAppState(rt *Runtime, domain, slug string) string {
	inst, ok := rt.tenants.Cached(domain)
	if !ok || rt.nodes.ctl == nil {
		return ""
	}
	return string(rt.nodes.ctl.Status(inst.ID, slug).State)
}

// LoopSpilled is how many answers the event loop left to a goroutine to write, the client's
// socket being full.
func LoopSpilled(rt *Runtime) int64 { return rt.appConns.spilled.Load() }
