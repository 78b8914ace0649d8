package runtime

// OpenStreams is how many long-lived requests of subject are open on the instance (tests).
func OpenStreams(rt *Runtime, instanceID, subject string) int {
	return rt.streams.count(instanceID, subject)
}
