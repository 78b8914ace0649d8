package runtime_test

import (
	"strings"
	"testing"

	"github.com/hearth-cloud/hearth/instance/runtime"
)

// TestDevicesDocExamples runs the examples of docs/devices.md in order, as a device would,
// with the owner approving in between (step 2 is the browser's).
func TestDevicesDocExamples(t *testing.T) {
	examples := readExamples(t, "../../docs/devices.md")
	if len(examples) < 9 {
		t.Fatalf("found %d examples in docs/devices.md", len(examples))
	}
	h := start(t, runtime.Config{})
	h.addInstance(t, "alice.example")
	b := onboard(t, h, "alice.example")
	vars := map[string]string{}
	var d *device
	for _, ex := range examples {
		head, body, _ := strings.Cut(ex.request, "\n\n")
		if strings.Contains(body, "$CODE") && vars["$CODE"] == "" {
			// The owner approves in the browser: step 2.
			d = &device{h: h, base: "http://alice.example", clientID: vars["$CLIENT_ID"],
				redirect: "http://127.0.0.1:53682/callback", verifier: strings.Repeat("v3rifier", 6)}
			vars["$VERIFIER"] = d.verifier
			vars["$CODE"] = d.approve(t, b, "io.hearth.notes io.hearth.contacts:GET", nil, "approve").Get("code")
		}
		for _, k := range []string{"$CLIENT_ID", "$CODE", "$VERIFIER", "$TOKEN", "$OLD_REFRESH", "$REFRESH"} {
			head, body = strings.ReplaceAll(head, k, vars[k]), strings.ReplaceAll(body, k, vars[k])
		}
		x := sendExample(t, h, "http://alice.example", "", head, strings.TrimSpace(body), ex.response)
		m, _ := x.want.(map[string]any)
		if (x.status >= 400) != (m["error"] != nil) || !matches(x.want, x.got) {
			t.Errorf("%s\n got %d %s\nwant %s", x.title, x.status, x.raw, ex.response)
		}
		if g, ok := x.got.(map[string]any); ok {
			if id, ok := g["client_id"].(string); ok {
				vars["$CLIENT_ID"] = id
			}
			if tok, ok := g["access_token"].(string); ok {
				vars["$TOKEN"] = tok
				vars["$OLD_REFRESH"], vars["$REFRESH"] = vars["$REFRESH"], g["refresh_token"].(string)
			}
		}
	}
}
