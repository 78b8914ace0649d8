package server

import (
	"encoding/json"
	"net/url"
	"time"

	"github.com/hearth-cloud/hearth/registry/entry"
	"github.com/hearth-cloud/hearth/registry/store"
)

// appView is an App of the API.
type appView struct {
	Slug        string             `json:"slug"`
	Origin      entry.Origin       `json:"origin"`
	Name        string             `json:"name"`
	Description string             `json:"description,omitempty"`
	Publisher   string             `json:"publisher,omitempty"`
	Categories  []string           `json:"categories"`
	Source      string             `json:"source,omitempty"`
	Homepage    string             `json:"homepage,omitempty"`
	Latest      store.Latest       `json:"latest"`
	Deprecated  *entry.Deprecation `json:"deprecated,omitempty"`
	Updated     time.Time          `json:"updated"`
	Icon        string             `json:"icon"`

	// The detail of one app.
	Versions   []versionView  `json:"versions,omitempty"`
	Advisories []advisoryView `json:"advisories,omitempty"`
	Entry      *entry.Signed  `json:"entry,omitempty"`

	// What its publisher sees.
	Webhook  *webhookView `json:"webhook,omitempty"`
	Problems []string     `json:"problems,omitempty"`
}

type versionView struct {
	Version       string          `json:"version"`
	Channel       string          `json:"channel"`
	Tag           string          `json:"tag,omitempty"`
	Commit        string          `json:"commit"`
	Tree          string          `json:"tree"`
	ArchiveSHA256 string          `json:"archive_sha256"`
	ArchiveSize   int64           `json:"archive_size"`
	ArchiveURL    string          `json:"archive_url"`
	Published     time.Time       `json:"published"`
	Yanked        *entry.Yank     `json:"yanked,omitempty"`
	Manifest      json.RawMessage `json:"manifest"`
	Entry         entry.Signed    `json:"entry"`
}

type advisoryView struct {
	entry.Advisory
	Published time.Time    `json:"published"`
	Entry     entry.Signed `json:"entry"`
}

type webhookView struct {
	URL    string `json:"url"`
	Secret string `json:"secret"`
}

func viewApp(a *store.App) appView {
	v := appView{Slug: a.Slug, Origin: a.Origin, Name: a.Name, Description: a.Description, Publisher: a.Publisher,
		Categories: a.Categories, Source: a.Source, Homepage: a.Homepage, Latest: a.Latest,
		Deprecated: a.Deprecated, Updated: a.Updated,
		Icon: "/api/v1/apps/" + a.Slug + "/icon?origin=" + url.QueryEscape(a.Origin.Key)}
	if v.Categories == nil {
		v.Categories = []string{}
	}
	return v
}

// viewOwnApp adds what only the app's publisher sees.
func viewOwnApp(a *store.App) appView {
	v := viewApp(a)
	if a.HookID != "" {
		v.Webhook = &webhookView{URL: "/hooks/" + a.HookID, Secret: a.HookSecret}
	}
	v.Problems = a.Problems
	if v.Problems == nil {
		v.Problems = []string{}
	}
	return v
}

func viewVersion(v *store.Version) versionView {
	return versionView{Version: v.Version.Version, Channel: string(v.Channel), Tag: v.Tag, Commit: v.Commit,
		Tree: v.Tree, ArchiveSHA256: v.ArchiveSHA256, ArchiveSize: v.ArchiveSize,
		ArchiveURL: "/archives/" + v.ArchiveSHA256 + ".tar", Published: v.Published, Yanked: v.Yanked,
		Manifest: v.Manifest, Entry: v.Signed}
}

func viewVersions(vs []store.Version) []versionView {
	out := make([]versionView, 0, len(vs))
	for i := range vs {
		out = append(out, viewVersion(&vs[i]))
	}
	return out
}

func viewAdvisories(as []store.Advisory) []advisoryView {
	out := make([]advisoryView, 0, len(as))
	for _, a := range as {
		out = append(out, advisoryView{Advisory: a.Advisory, Published: a.Published, Entry: a.Signed})
	}
	return out
}

// signedView is a signed entry as the feed lists it: entry and signatures
// beside the change's seq.
type signedView entry.Signed
