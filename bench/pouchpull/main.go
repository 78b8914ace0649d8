// Command pouchpull compares a device's first sync from Hearth with the same from
// pouchdb-server: PouchDB in Node (leveldb) replicating 10,000 documents into a new local
// database, from a doctype of a Hearth instance (embedded backend, the runtime in this
// process, a device token from the OAuth flow) and from a pouchdb-server database holding
// the same documents with the same revisions, in the same run. It prints each side's times
// and the ratio; the target is a ratio of at most 1.
package main

import (
	"bytes"
	"context"
	"crypto/md5"
	"encoding/hex"
	"encoding/json"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"time"

	"github.com/hearth-cloud/hearth/instance/admin"
	hearth "github.com/hearth-cloud/hearth/instance/runtime"
	_ "github.com/hearth-cloud/hearth/instance/store/embedded"
	"github.com/hearth-cloud/hearth/internal/testsvc"
)

const doctype = "io.hearth.bench-notes"

func main() {
	docs := flag.Int("docs", 10000, "documents to pull")
	runs := flag.Int("runs", 3, "pulls from each server (alternating); the median is compared")
	batch := flag.Int("batch", 0, "PouchDB's batch_size (0: its default, 100)")
	keep := flag.Bool("keep", false, "keep the temporary directory")
	flag.Parse()
	if err := bench(*docs, *runs, *batch, *keep); err != nil {
		fmt.Fprintln(os.Stderr, "pouchpull:", err)
		os.Exit(1)
	}
}

func bench(n, runs, batch int, keep bool) error {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Minute)
	defer cancel()
	tmp, err := os.MkdirTemp("", "pouchpull-")
	if err != nil {
		return err
	}
	_ = os.Chmod(tmp, 0o711) // node apps' users traverse to the runtime's data (unused here, checked anyway)
	if keep {
		fmt.Println("data in", tmp)
	} else {
		defer os.RemoveAll(tmp)
	}
	hearthURL, token, stopHearth, err := startHearth(ctx, filepath.Join(tmp, "hearth"))
	if err != nil {
		return err
	}
	defer stopHearth()
	pouchURL, stopPouch, err := testsvc.StartPouchDBServer(ctx, mkdir(filepath.Join(tmp, "pouchdb-server")))
	if err != nil {
		return err
	}
	defer stopPouch()
	pouchURL += "/bench"
	if _, err := send("PUT", pouchURL, "", nil); err != nil {
		return err
	}
	t0 := time.Now()
	if err := load(n, hearthURL, token, pouchURL); err != nil {
		return err
	}
	fmt.Printf("loaded %d documents into both in %s\n", n, time.Since(t0).Round(time.Millisecond))

	targets := []struct{ name, url, token string }{{"hearth", hearthURL, token}, {"pouchdb-server", pouchURL, ""}}
	times := map[string][]float64{}
	for i := range runs {
		for j := range targets {
			tg := targets[(i+j)%2] // alternate who goes first
			ms, got, err := pull(ctx, tg.url, tg.token, mkdir(filepath.Join(tmp, fmt.Sprintf("pull-%s-%d", tg.name, i))), batch)
			if err != nil {
				return fmt.Errorf("%s: %w", tg.name, err)
			}
			if got != n {
				return fmt.Errorf("%s: pulled %d documents, want %d", tg.name, got, n)
			}
			times[tg.name] = append(times[tg.name], ms)
			fmt.Printf("run %d  %-15s %8.0f ms  (%.0f docs/s)\n", i+1, tg.name, ms, float64(n)/ms*1000)
		}
	}
	h, p := median(times["hearth"]), median(times["pouchdb-server"])
	fmt.Printf("\nPouchDB pulling %d documents (median of %d, %s/%s):\n", n, runs, runtime.GOOS, runtime.GOARCH)
	fmt.Printf("  hearth (embedded, device token)  %8.0f ms\n", h)
	fmt.Printf("  pouchdb-server (leveldb)         %8.0f ms\n", p)
	fmt.Printf("  ratio hearth / pouchdb-server    %8.2f  (target ≤ 1)\n", h/p)
	return nil
}

// startHearth runs a runtime on loopback with an instance at its own address (so that Node
// reaches it without name resolution), and returns the doctype's URL and a device token.
func startHearth(ctx context.Context, dir string) (string, string, func(), error) {
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	rctx, cancel := context.WithCancel(ctx)
	rt, err := hearth.New(rctx, hearth.Config{DataDir: dir}, log)
	if err != nil {
		cancel()
		return "", "", nil, err
	}
	pub, err1 := net.Listen("tcp", "127.0.0.1:0")
	adm, err2 := net.Listen("tcp", "127.0.0.1:0")
	if err1 != nil || err2 != nil {
		cancel()
		return "", "", nil, fmt.Errorf("listen: %v %v", err1, err2)
	}
	done := make(chan error, 1)
	go func() { done <- rt.ServeListeners(rctx, pub, adm) }()
	stop := func() {
		cancel()
		<-done
		_ = rt.Close()
	}
	domain := pub.Addr().String()
	ac := &admin.Client{URL: "http://" + adm.Addr().String(), Secret: rt.AdminSecret()}
	if _, err := ac.AddInstance(ctx, domain); err != nil {
		stop()
		return "", "", nil, err
	}
	tok, err := deviceToken(ctx, ac, domain, "http://"+domain, doctype)
	if err != nil {
		stop()
		return "", "", nil, fmt.Errorf("device token: %w", err)
	}
	return "http://" + domain + "/data/" + doctype, tok, stop, nil
}

// load writes the same n documents, with the same revisions, to both databases.
func load(n int, hearthURL, token, pouchURL string) error {
	const per = 500
	for start := 0; start < n; start += per {
		var docs []map[string]any
		for i := start; i < min(n, start+per); i++ {
			d := map[string]any{"_id": fmt.Sprintf("note-%06d", i), "title": fmt.Sprintf("Note %d", i),
				"body": fmt.Sprintf("Things to remember, number %d: buy milk, call the plumber, water the plants, read the chapter on replication.", i),
				"tags": []string{"home", fmt.Sprintf("t%d", i%17)}, "n": i, "done": i%3 == 0}
			b, _ := json.Marshal(d)
			sum := md5.Sum(b)
			d["_rev"] = "1-" + hex.EncodeToString(sum[:])
			docs = append(docs, d)
		}
		body, _ := json.Marshal(map[string]any{"docs": docs, "new_edits": false})
		if _, err := send("POST", hearthURL+"/_bulk_docs", token, body); err != nil {
			return err
		}
		if _, err := send("POST", pouchURL+"/_bulk_docs", "", body); err != nil {
			return err
		}
	}
	return nil
}

// pull runs pull.js against url and returns its time and the documents the local database
// holds after it.
func pull(ctx context.Context, url, token, dir string, batch int) (float64, int, error) {
	mods, err := testsvc.NodeModulesDir()
	if err != nil {
		return 0, 0, err
	}
	_, file, _, _ := runtime.Caller(0)
	cmd := exec.CommandContext(ctx, "node", filepath.Join(filepath.Dir(file), "pull.js"))
	cmd.Env = append(os.Environ(), "NODE_PATH="+mods, "REMOTE_URL="+url, "TOKEN="+token, "WORK_DIR="+dir)
	if batch > 0 {
		cmd.Env = append(cmd.Env, fmt.Sprintf("BATCH_SIZE=%d", batch))
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return 0, 0, fmt.Errorf("pull.js: %w: %s", err, stderr.String())
	}
	var res struct {
		MS   float64 `json:"ms"`
		Docs int     `json:"docs"`
	}
	if err := json.Unmarshal(out, &res); err != nil {
		return 0, 0, fmt.Errorf("pull.js printed %q", out)
	}
	return res.MS, res.Docs, nil
}

func send(method, url, token string, body []byte) ([]byte, error) {
	req, err := http.NewRequest(method, url, bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	var buf bytes.Buffer
	_, _ = buf.ReadFrom(resp.Body)
	if resp.StatusCode/100 != 2 {
		return nil, fmt.Errorf("%s %s: %s %s", method, url, resp.Status, buf.Bytes())
	}
	return buf.Bytes(), nil
}

func median(v []float64) float64 {
	s := slices.Clone(v)
	slices.Sort(s)
	return s[len(s)/2]
}

func mkdir(p string) string {
	_ = os.MkdirAll(p, 0o700)
	return p
}
