package store

import (
	"context"
	"strings"
	"time"

	"github.com/hearth-cloud/hearth/registry/entry"
)

// LoadApps inserts n apps of this registry straight into the apps table,
// for benchmarks: name and desc give each app's texts.
func (s *Store) LoadApps(ctx context.Context, n int, name, desc func(i int) string, cats func(i int) []string) error {
	rows := make([]appRow, 0, 500)
	now := stamp(s.now())
	flush := func() error {
		if len(rows) == 0 {
			return nil
		}
		err := s.db.WithContext(ctx).CreateInBatches(rows, 500).Error
		rows = rows[:0]
		return err
	}
	for i := range n {
		r := appRow{OriginKey: s.origin.Key, OriginName: s.origin.Name, Slug: slugOf(i), LatestStable: "1.0.0",
			UpdatedAt: now.Add(-time.Duration(i) * time.Minute)}
		if i%3 == 0 {
			r.LatestBeta = "1.1.0-beta.1"
		}
		r.setAppInfo(&entry.App{Name: name(i), Description: desc(i), Source: "https://git.test/" + r.Slug, Publisher: "Publisher " + itoa(i%50), Categories: cats(i)})
		rows = append(rows, r)
		if len(rows) == cap(rows) {
			if err := flush(); err != nil {
				return err
			}
		}
	}
	if err := flush(); err != nil {
		return err
	}
	if s.postgres {
		return s.db.WithContext(ctx).Exec("ANALYZE apps").Error
	}
	return nil
}

func slugOf(i int) string {
	return "app-" + strings.Repeat("0", 5-len(itoa(i))) + itoa(i)
}

func itoa(i int) string {
	if i == 0 {
		return "0"
	}
	var b []byte
	for ; i > 0; i /= 10 {
		b = append([]byte{byte('0' + i%10)}, b...)
	}
	return string(b)
}
