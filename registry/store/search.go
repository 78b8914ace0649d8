package store

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/hearth-cloud/hearth/registry/manifest"
)

// Limits of a search.
const (
	DefaultLimit  = 20
	MaxLimit      = 100
	MaxQueryWords = 8
	MaxQueryLen   = 200
)

// Query selects apps. Its zero value lists every app.
type Query struct {
	Q            string           // words that must all appear in the name, slug, description or publisher
	Category     string           // keeps apps in this category
	Channel      manifest.Channel // keeps apps with a non-yanked version on it
	UpdatedSince time.Time        // keeps apps updated at or after it
	Limit        int              // 1 to MaxLimit; 0 means DefaultLimit
	Cursor       string           // from a previous Page, with the same filters
}

// Page is one page of a search: Next is "" on the last.
type Page struct {
	Apps []App
	Next string
}

// cursor is where a page ended, and which filters it belongs to.
type cursor struct {
	Name    string `json:"n"`
	Origin  string `json:"o"`
	Slug    string `json:"s"`
	Filters string `json:"f"`
}

// Search lists the apps q selects, ordered by name, origin key and slug.
func (s *Store) Search(ctx context.Context, q Query) (*Page, error) {
	limit := q.Limit
	if limit == 0 {
		limit = DefaultLimit
	}
	if limit < 1 || limit > MaxLimit {
		return nil, fmt.Errorf("%w: limit must be 1 to %d", ErrInput, MaxLimit)
	}
	if len(q.Q) > MaxQueryLen || !utf8.ValidString(q.Q) {
		return nil, fmt.Errorf("%w: q: at most %d bytes of text", ErrInput, MaxQueryLen)
	}
	words := strings.Fields(strings.ToLower(q.Q))
	if len(words) > MaxQueryWords {
		return nil, fmt.Errorf("%w: q: at most %d words", ErrInput, MaxQueryWords)
	}
	// A list shows no entries, refs or secrets: leave the largest columns out.
	db := s.db.WithContext(ctx).Model(&appRow{}).Omit("signed", "refs", "problems", "hook_secret")
	for _, w := range words {
		db = db.Where(`search LIKE ? ESCAPE '\'`, "%"+escapeLike(w)+"%")
	}
	if q.Category != "" {
		if !manifest.ValidCategory(q.Category) {
			return nil, fmt.Errorf("%w: category: not a category", ErrInput)
		}
		db = db.Where("categories LIKE ?", "% "+q.Category+" %")
	}
	switch q.Channel {
	case "":
	case manifest.ChannelStable:
		db = db.Where("latest_stable <> ''")
	case manifest.ChannelBeta:
		db = db.Where("latest_beta <> ''")
	case manifest.ChannelDev:
		db = db.Where("latest_dev <> ''")
	default:
		return nil, fmt.Errorf("%w: channel: want stable, beta or dev", ErrInput)
	}
	if !q.UpdatedSince.IsZero() {
		db = db.Where("updated_at >= ?", stamp(q.UpdatedSince))
	}
	filters := filterHash(words, q)
	if q.Cursor != "" {
		c, err := decodeCursor(q.Cursor)
		if err != nil || c.Filters != filters {
			return nil, fmt.Errorf("%w", ErrCursor)
		}
		db = db.Where("(name, origin_key, slug) > (?, ?, ?)", c.Name, c.Origin, c.Slug)
	}
	var rows []appRow
	if err := db.Order("name, origin_key, slug").Limit(limit + 1).Find(&rows).Error; err != nil {
		return nil, dbErr("search", err)
	}
	page := &Page{}
	if len(rows) > limit {
		rows = rows[:limit]
		last := rows[limit-1]
		page.Next = encodeCursor(cursor{Name: last.Name, Origin: last.OriginKey, Slug: last.Slug, Filters: filters})
	}
	page.Apps = apps(rows)
	return page, nil
}

func escapeLike(s string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(s)
}

// filterHash names the filters a cursor is valid with.
func filterHash(words []string, q Query) string {
	since := ""
	if !q.UpdatedSince.IsZero() {
		since = stamp(q.UpdatedSince).Format(time.RFC3339Nano)
	}
	h := sha256.Sum256([]byte(strings.Join(words, " ") + "\x00" + q.Category + "\x00" + string(q.Channel) + "\x00" + since))
	return hex.EncodeToString(h[:8])
}

func encodeCursor(c cursor) string {
	b, _ := json.Marshal(c)
	return base64.RawURLEncoding.EncodeToString(b)
}

func decodeCursor(s string) (cursor, error) {
	var c cursor
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil || len(b) > 1024 {
		return c, ErrCursor
	}
	err = json.Unmarshal(b, &c)
	return c, err
}
