package runtime_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/hearth-cloud/hearth/instance/runtime"
	"github.com/hearth-cloud/hearth/internal/testsvc"
)

// syncSide is one side's view of a document in testdata/device_sync.js's summary.
type syncSide struct {
	Rev       string   `json:"rev"`
	Conflicts []string `json:"conflicts"`
	Text      string   `json:"text"`
}

type deviceSyncSummary struct {
	PushMS, PullMS int
	LiveError      *string `json:"live_error"`
	Conflict       struct{ Local, Remote syncSide }
	Resolved       struct{ Local, Remote syncSide }
	Forbidden      any `json:"forbidden"`
	RevokedLive    struct {
		Status any `json:"status"`
		MS     int `json:"ms"`
	} `json:"revoked_live"`
	RevokedOneshot any `json:"revoked_oneshot"`
}

// TestDeviceSyncsWithPouchDB: a device approved through OAuth replicates its doctype both
// ways with PouchDB in Node, live and one-shot, converges on conflicts, is refused a doctype
// it was not granted, and fails at once when the owner revokes it.
func TestDeviceSyncsWithPouchDB(t *testing.T) {
	backends(t, func(t *testing.T, cfg runtime.Config) {
		h := start(t, cfg)
		h.addInstance(t, h.pub) // Node reaches the instance at the runtime's own address
		b := onboard(t, h, h.pub)
		_, tok := connect(t, h, b, h.pub, "node laptop", "io.hearth.notes")

		revoked := make(chan struct{}, 1)
		hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if err := revokeByPage(b, "http://"+h.pub, tok.DeviceID); err != nil {
				t.Errorf("revoke from the settings: %v", err)
				http.Error(w, err.Error(), 500)
				return
			}
			revoked <- struct{}{}
		}))
		defer hook.Close()

		out := testsvc.Node(t, filepath.Join("testdata", "device_sync.js"),
			"REMOTE_URL=http://"+h.pub+"/data/io.hearth.notes", "FORBIDDEN_URL=http://"+h.pub+"/data/io.hearth.contacts",
			"TOKEN="+tok.AccessToken, "REVOKE_URL="+hook.URL, "WORK_DIR="+t.TempDir())
		t.Logf("device_sync.js: %s", out)
		var s deviceSyncSummary
		if err := json.Unmarshal(out, &s); err != nil {
			t.Fatalf("summary: %v", err)
		}
		if s.LiveError != nil {
			t.Errorf("live sync failed: %s", *s.LiveError)
		}
		l, r := s.Conflict.Local, s.Conflict.Remote
		if l.Rev == "" || l.Rev != r.Rev || len(l.Conflicts) != 1 || strings.Join(l.Conflicts, ",") != strings.Join(r.Conflicts, ",") || l.Text != r.Text {
			t.Errorf("the conflict differs between the sides: device %+v, hearth %+v", l, r)
		}
		if rl, rr := s.Resolved.Local, s.Resolved.Remote; rl.Rev != rr.Rev || len(rl.Conflicts)+len(rr.Conflicts) != 0 {
			t.Errorf("after resolving: device %+v, hearth %+v", rl, rr)
		}
		if s.Forbidden != float64(403) {
			t.Errorf("replication of a doctype the token does not cover: %v, want 403", s.Forbidden)
		}
		if s.RevokedLive.Status != float64(401) || s.RevokedOneshot != float64(401) {
			t.Errorf("after the revocation: live %v (%d ms), one-shot %v; want 401 both", s.RevokedLive.Status, s.RevokedLive.MS, s.RevokedOneshot)
		}
		select {
		case <-revoked:
		default:
			t.Error("the revoke hook was not called")
		}
		if st, _ := h.do(t, "GET", "http://"+h.pub+"/data/io.hearth.notes/after-revoke", h.token(t, h.pub, "io.hearth.notes"), nil); st != 404 {
			t.Errorf("a document written after the revocation reached hearth: %d", st)
		}
	})
}

// revokeByPage revokes a device as the owner does: the settings page's Revoke button. It
// may run outside the test's goroutine (it does not fail the test itself).
func revokeByPage(b *browser, base, deviceID string) error {
	get, err := b.client.Get(base + "/settings")
	if err != nil {
		return err
	}
	body, _ := io.ReadAll(get.Body)
	get.Body.Close()
	csrf := csrfOf(string(body))
	if !regexp.MustCompile(`/settings/devices/` + deviceID + `/revoke`).Match(body) {
		return errString("no revoke button for the device")
	}
	resp, err := b.client.PostForm(base+"/settings/devices/"+deviceID+"/revoke", url.Values{"csrf": {csrf}})
	if err != nil {
		return err
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		return errString("revoke: " + resp.Status)
	}
	return nil
}

type errString string

func (e errString) Error() string { return string(e) }
