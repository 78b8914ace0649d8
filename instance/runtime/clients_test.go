package runtime_test

import (
	"testing"

	"github.com/hearth-cloud/hearth/instance/datasys/datasystest"
	"github.com/hearth-cloud/hearth/instance/runtime"
)

// Real CouchDB clients use /data/ as if it were a CouchDB server: the instance's domain is the
// runtime's own address here, so that Node reaches it without name resolution.

func TestKivikCouchDBDriverAgainstHearth(t *testing.T) {
	backends(t, func(t *testing.T, cfg runtime.Config) {
		h := start(t, cfg)
		h.addInstance(t, h.pub)
		tok := h.token(t, h.pub, "io.hearth.kivik", "io.hearth.kivik-peer")
		datasystest.RunKivikClient(t, datasystest.KivikTarget{
			ServerURL: "http://" + h.pub + "/data/",
			Token:     tok,
			DB:        "io.hearth.kivik",
			OtherDB:   "io.hearth.kivik-peer",
			Hearth:    true,
		})
	})
}

func TestPouchDBSyncWithHearth(t *testing.T) {
	backends(t, func(t *testing.T, cfg runtime.Config) {
		h := start(t, cfg)
		h.addInstance(t, h.pub)
		tok := h.token(t, h.pub, "io.hearth.pouch")
		datasystest.RunPouchDBSync(t, "http://"+h.pub+"/data/io.hearth.pouch", tok)
	})
}
