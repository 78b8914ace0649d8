package store

import (
	"encoding/json"
	"fmt"
	"time"

	"gorm.io/gorm"

	"github.com/hearth-cloud/hearth/registry/entry"
	"github.com/hearth-cloud/hearth/registry/manifest"
)

// publish gives e this registry's origin, the next seq and the time, signs
// it and appends it to the feed, in tx. It returns the signed entry's JSON
// and its seq.
func (s *Store) publish(tx *gorm.DB, appID int64, e *entry.Entry) ([]byte, int64, error) {
	seq, err := nextSeq(tx)
	if err != nil {
		return nil, 0, err
	}
	e.Origin, e.Seq, e.Time = s.origin, seq, stamp(s.now())
	sg, err := s.signer.Sign(e)
	if err != nil {
		return nil, 0, fmt.Errorf("store: sign %s entry of %s: %w", e.Kind, e.Slug, err)
	}
	data, err := json.Marshal(sg)
	if err != nil {
		return nil, 0, fmt.Errorf("store: %w", err)
	}
	if err := tx.Create(&changeRow{Seq: seq, AppID: appID, Kind: string(e.Kind), Signed: data}).Error; err != nil {
		return nil, 0, dbErr("change", err)
	}
	return data, seq, nil
}

// checkDraft reports what entry.Check would refuse in e once published.
func (s *Store) checkDraft(e entry.Entry) error {
	e.Origin, e.Seq, e.Time = s.origin, 1, s.now()
	return e.Check()
}

// summary is what an app's versions say of it: the newest non-yanked
// version of each channel, and the version whose manifest describes the app
// (the newest stable, else beta, else dev).
type summary struct {
	latest Latest
	meta   *versionRow
}

func summarize(rows []versionRow) summary {
	var sum summary
	best := map[manifest.Channel]*versionRow{}
	var bestV = map[manifest.Channel]manifest.Version{}
	for i := range rows {
		r := &rows[i]
		if r.YankReason != "" {
			continue
		}
		c := manifest.Channel(r.Channel)
		v, err := manifest.ParseVersion(r.Version)
		if err != nil {
			continue
		}
		if cur, ok := best[c]; !ok || bestV[c].Less(v) || (cur.Version == r.Version && cur.EntrySeq < r.EntrySeq) {
			best[c], bestV[c] = r, v
		}
	}
	if r := best[manifest.ChannelStable]; r != nil {
		sum.latest.Stable = r.Version
	}
	if r := best[manifest.ChannelBeta]; r != nil {
		sum.latest.Beta = r.Version
	}
	if r := best[manifest.ChannelDev]; r != nil {
		sum.latest.Dev = r.Version
	}
	for _, c := range []manifest.Channel{manifest.ChannelStable, manifest.ChannelBeta, manifest.ChannelDev} {
		if r := best[c]; r != nil {
			sum.meta = r
			break
		}
	}
	return sum
}

// metaManifest parses the manifest of sum.meta, nil when there is none.
func (sum summary) metaManifest() *manifest.Manifest {
	if sum.meta == nil {
		return nil
	}
	m, err := manifest.Load(sum.meta.Manifest)
	if err != nil {
		return nil
	}
	return m
}

// versionRowOf is the row of a version entry.
func versionRowOf(appID int64, v *entry.Version, published time.Time, signed []byte, seq int64) versionRow {
	r := versionRow{AppID: appID, Channel: string(v.Channel), Version: v.Version, Tag: v.Tag, Commit: v.Commit,
		Tree: v.Tree, Manifest: []byte(v.Manifest), ArchiveSHA256: v.ArchiveSHA256, ArchiveSize: v.ArchiveSize,
		Published: published, Signed: signed, EntrySeq: seq}
	if v.Yanked != nil {
		r.YankReason = v.Yanked.Reason
	}
	return r
}
