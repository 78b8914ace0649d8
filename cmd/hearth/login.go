package main

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"html"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"time"
)

// loginCommand runs `hearth login <instance-url>`: the OAuth flow of a device, through the
// owner's browser and a one-shot listener on 127.0.0.1.
func loginCommand(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("login", "hearth login <instance-url> --scope \"io.hearth.notes io.hearth.contacts:GET\" [flags]", stderr)
	scope := fs.String("scope", "", "the doctypes the CLI asks for, space-separated, each optionally with verbs (:GET,POST)")
	name := fs.String("name", "", "the name the owner sees for this device (default: hearth CLI on <host name>)")
	noBrowser := fs.Bool("no-browser", false, "print the approval page's address instead of opening it")
	timeout := fs.Duration("timeout", 5*time.Minute, "how long to wait for the owner's approval")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return fmt.Errorf("%w: hearth login <instance-url> --scope …", errUsage)
	}
	if strings.TrimSpace(*scope) == "" {
		return fmt.Errorf("%w: say which doctypes the CLI may use, e.g. --scope \"io.hearth.notes io.hearth.contacts:GET\"", errUsage)
	}
	base, err := instanceURL(fs.Arg(0))
	if err != nil {
		return err
	}
	if *name == "" {
		host, _ := os.Hostname()
		*name = strings.TrimSpace("hearth CLI on " + host)
	}
	ctx, cancel := context.WithTimeout(ctx, *timeout)
	defer cancel()
	l, err := deviceLogin(ctx, base, *name, *scope, func(u string) {
		fmt.Fprintf(stderr, "Approve this device on %s in your browser:\n  %s\n", base, u)
		if !*noBrowser {
			openBrowser(u)
		}
	})
	if err != nil {
		return err
	}
	creds, err := loadCredentials()
	if err != nil {
		return err
	}
	creds.Instances[base] = l
	if err := creds.save(); err != nil {
		return err
	}
	path, _ := credentialsPath()
	fmt.Fprintf(stdout, "Logged in to %s with access to %s (saved in %s).\n", base, l.Scope, path)
	return nil
}

// deviceLogin registers a client, has the owner approve it (show gets the page's address)
// and trades the code for tokens.
func deviceLogin(ctx context.Context, base, name, scope string, show func(string)) (*login, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("login: listen on 127.0.0.1: %w", err)
	}
	defer ln.Close()
	redirect := "http://" + ln.Addr().String() + "/callback"
	clientID, err := register(ctx, base, name, redirect)
	if err != nil {
		return nil, err
	}
	verifier, state := randomToken(), randomToken()
	sum := sha256.Sum256([]byte(verifier))
	show(base + "/oauth/authorize?" + url.Values{"response_type": {"code"}, "client_id": {clientID},
		"redirect_uri": {redirect}, "scope": {scope}, "state": {state},
		"code_challenge": {base64.RawURLEncoding.EncodeToString(sum[:])}, "code_challenge_method": {"S256"}}.Encode())
	code, err := awaitCode(ctx, ln, state, base)
	if err != nil {
		return nil, err
	}
	return tokenRequest(ctx, base, url.Values{"grant_type": {"authorization_code"}, "code": {code},
		"client_id": {clientID}, "redirect_uri": {redirect}, "code_verifier": {verifier}})
}

// awaitCode serves the redirect back from the approval page, once.
func awaitCode(ctx context.Context, ln net.Listener, state, base string) (string, error) {
	type result struct {
		code string
		err  error
	}
	done := make(chan result, 1)
	srv := &http.Server{ReadHeaderTimeout: 10 * time.Second, Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		if r.URL.Path != "/callback" || q.Get("state") != state {
			http.Error(w, "Not the answer this login waits for.", http.StatusBadRequest)
			return
		}
		if iss := q.Get("iss"); iss != "" && iss != base {
			reply(w, "This answer came from another server.")
			done <- result{err: fmt.Errorf("login: the answer came from %s, not %s", iss, base)}
			return
		}
		if e := q.Get("error"); e != "" {
			msg := e
			if d := q.Get("error_description"); d != "" {
				msg += ": " + d
			}
			reply(w, "The device was not connected ("+msg+"). You can close this window.")
			done <- result{err: fmt.Errorf("login: refused: %s", msg)}
			return
		}
		reply(w, "The hearth CLI is connected. You can close this window.")
		select {
		case done <- result{code: q.Get("code")}:
		default:
		}
	})}
	go func() { _ = srv.Serve(ln) }()
	defer func() {
		sctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		_ = srv.Shutdown(sctx)
	}()
	select {
	case r := <-done:
		return r.code, r.err
	case <-ctx.Done():
		return "", fmt.Errorf("login: no approval came back: %w", ctx.Err())
	}
}

func reply(w http.ResponseWriter, text string) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Content-Security-Policy", "default-src 'none'")
	fmt.Fprintf(w, "<!doctype html><title>Hearth</title><p>%s</p>\n", html.EscapeString(text))
}

// register registers the CLI as a client of base (RFC 7591).
func register(ctx context.Context, base, name, redirect string) (string, error) {
	body, _ := json.Marshal(map[string]any{"client_name": name, "redirect_uris": []string{redirect}})
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, base+"/oauth/register", strings.NewReader(string(body)))
	if err != nil {
		return "", err
	}
	req.Header.Set("Content-Type", "application/json")
	var out struct {
		ClientID string `json:"client_id"`
	}
	if err := doOAuth(req, &out); err != nil {
		return "", fmt.Errorf("login: register with %s: %w", base, err)
	}
	return out.ClientID, nil
}

// tokenRequest posts form to the token endpoint and returns the login it gives.
func tokenRequest(ctx context.Context, base string, form url.Values) (*login, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, base+"/oauth/token", strings.NewReader(form.Encode()))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	var out struct {
		AccessToken  string `json:"access_token"`
		RefreshToken string `json:"refresh_token"`
		ExpiresIn    int    `json:"expires_in"`
		Scope        string `json:"scope"`
		DeviceID     string `json:"device_id"`
	}
	if err := doOAuth(req, &out); err != nil {
		return nil, err
	}
	return &login{ClientID: form.Get("client_id"), DeviceID: out.DeviceID, AccessToken: out.AccessToken,
		RefreshToken: out.RefreshToken, Scope: out.Scope, ExpiresAt: time.Now().Add(time.Duration(out.ExpiresIn) * time.Second)}, nil
}

// errGrant is an OAuth invalid_grant: the login is revoked or expired.
var errGrant = errors.New("invalid_grant")

// doOAuth sends an OAuth request and decodes its JSON answer; OAuth errors are returned in
// their own words.
func doOAuth(req *http.Request, out any) error {
	resp, err := httpClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return err
	}
	if resp.StatusCode/100 != 2 {
		var e struct {
			Error       string `json:"error"`
			Description string `json:"error_description"`
		}
		if json.Unmarshal(raw, &e) != nil || e.Error == "" {
			return fmt.Errorf("%s answered %s: is it a Hearth instance?", req.URL.Host, resp.Status)
		}
		if e.Error == "invalid_grant" {
			return fmt.Errorf("%w: %s", errGrant, e.Description)
		}
		return fmt.Errorf("%s: %s", e.Error, e.Description)
	}
	if err := json.Unmarshal(raw, out); err != nil {
		return fmt.Errorf("%s answered something else than JSON: is it a Hearth instance?", req.URL.Host)
	}
	return nil
}

// httpClient is the client of every call to an instance.
var httpClient = &http.Client{Timeout: 2 * time.Minute}

func randomToken() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// openBrowser tries to open u in the user's browser; the address is printed anyway.
func openBrowser(u string) {
	var cmd *exec.Cmd
	switch runtime.GOOS {
	case "darwin":
		cmd = exec.Command("open", u)
	case "windows":
		cmd = exec.Command("rundll32", "url.dll,FileProtocolHandler", u)
	default:
		cmd = exec.Command("xdg-open", u)
	}
	if cmd.Start() == nil {
		go func() { _ = cmd.Wait() }()
	}
}
