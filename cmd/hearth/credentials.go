package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"
)

// credentials are the device logins of `hearth login`, one per instance URL, kept in
// $XDG_CONFIG_HOME/hearth/credentials.json (~/.config/hearth/… by default), readable by the
// user alone.
type credentials struct {
	Instances map[string]*login `json:"instances"`
}

// login is one instance's device login.
type login struct {
	ClientID     string    `json:"client_id"`
	DeviceID     string    `json:"device_id"`
	AccessToken  string    `json:"access_token"`
	RefreshToken string    `json:"refresh_token"`
	ExpiresAt    time.Time `json:"expires_at"`
	Scope        string    `json:"scope"`
}

// credentialsPath is where the credentials live.
func credentialsPath() (string, error) {
	dir := os.Getenv("XDG_CONFIG_HOME")
	if dir == "" {
		home, err := os.UserHomeDir()
		if err != nil {
			return "", fmt.Errorf("credentials: no home directory: %w", err)
		}
		dir = filepath.Join(home, ".config")
	}
	return filepath.Join(dir, "hearth", "credentials.json"), nil
}

func loadCredentials() (*credentials, error) {
	path, err := credentialsPath()
	if err != nil {
		return nil, err
	}
	c := &credentials{Instances: map[string]*login{}}
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return c, nil
	}
	if err != nil {
		return nil, fmt.Errorf("credentials: %w", err)
	}
	if err := json.Unmarshal(b, c); err != nil {
		return nil, fmt.Errorf("credentials: %s is damaged (%v): remove it and log in again", path, err)
	}
	if c.Instances == nil {
		c.Instances = map[string]*login{}
	}
	return c, nil
}

// save writes the credentials with mode 0600, replacing the file whole.
func (c *credentials) save() error {
	path, err := credentialsPath()
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return fmt.Errorf("credentials: %w", err)
	}
	b, err := json.MarshalIndent(c, "", "  ")
	if err != nil {
		return err
	}
	f, err := os.CreateTemp(filepath.Dir(path), ".credentials-*")
	if err != nil {
		return fmt.Errorf("credentials: %w", err)
	}
	defer os.Remove(f.Name())
	if err := f.Chmod(0o600); err != nil {
		f.Close()
		return fmt.Errorf("credentials: %w", err)
	}
	if _, err := f.Write(append(b, '\n')); err != nil {
		f.Close()
		return fmt.Errorf("credentials: %w", err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("credentials: %w", err)
	}
	if err := os.Rename(f.Name(), path); err != nil {
		return fmt.Errorf("credentials: %w", err)
	}
	return nil
}

// pick returns the login for instance (a URL or a domain), or the only one when instance is
// empty.
func (c *credentials) pick(instance string) (string, *login, error) {
	if instance == "" {
		if len(c.Instances) == 1 {
			for u, l := range c.Instances {
				return u, l, nil
			}
		}
		var known []string
		for u := range c.Instances {
			known = append(known, u)
		}
		sort.Strings(known)
		if len(known) == 0 {
			return "", nil, errors.New("not logged in: run `hearth login <instance-url> --scope …` first")
		}
		return "", nil, fmt.Errorf("%w: say which instance with --instance (logged in to %s)", errUsage, strings.Join(known, ", "))
	}
	u, err := instanceURL(instance)
	if err != nil {
		return "", nil, err
	}
	l, ok := c.Instances[u]
	if !ok {
		return "", nil, fmt.Errorf("not logged in to %s: run `hearth login %s --scope …` first", u, u)
	}
	return u, l, nil
}

// instanceURL normalizes an instance's address: a URL without path, https unless said.
func instanceURL(s string) (string, error) {
	s = strings.TrimSpace(s)
	if !strings.Contains(s, "://") {
		s = "https://" + s
	}
	u, err := url.Parse(s)
	if err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") || u.User != nil ||
		strings.Trim(u.Path, "/") != "" || u.RawQuery != "" || u.Fragment != "" {
		return "", fmt.Errorf("%w: %q is not an instance address such as https://alice.example", errUsage, s)
	}
	return u.Scheme + "://" + strings.ToLower(u.Host), nil
}
