package store

import "time"

// The tables. Text that is a list or a map is stored as JSON, signed
// entries as the JSON of entry.Signed, exactly as served.

type publisherRow struct {
	ID           int64  `gorm:"primaryKey"`
	Email        string `gorm:"uniqueIndex;not null"`
	Name         string `gorm:"not null"`
	PasswordHash string `gorm:"not null"`
	Proof        string `gorm:"not null"`
	CreatedAt    time.Time
}

func (publisherRow) TableName() string { return "publishers" }

type tokenRow struct {
	ID          int64  `gorm:"primaryKey"`
	PublisherID int64  `gorm:"index;not null"`
	Name        string `gorm:"not null"`
	Hash        string `gorm:"uniqueIndex;not null"` // hex sha256 of the token
	CreatedAt   time.Time
}

func (tokenRow) TableName() string { return "tokens" }

type appRow struct {
	ID         int64  `gorm:"primaryKey"`
	OriginKey  string `gorm:"uniqueIndex:apps_origin_slug,priority:1;index:apps_order,priority:2;not null"`
	OriginName string `gorm:"not null"`
	OriginURL  string
	Slug       string `gorm:"uniqueIndex:apps_origin_slug,priority:2;index:apps_order,priority:3;not null"`
	// PublisherID is the owner of an app this registry indexes; PeerID the
	// peer a mirrored app came through. Exactly one is set.
	PublisherID                         *int64 `gorm:"index"`
	PeerID                              *int64 `gorm:"index"`
	GitURL                              string
	Name                                string `gorm:"index:apps_order,priority:1;not null"`
	Description                         string
	Publisher                           string
	Categories                          string // " a b ": each category between spaces, for LIKE
	Homepage                            string
	Search                              string // lower-case name, slug, description and publisher
	LatestStable, LatestBeta, LatestDev string
	DeprecatedReason                    string
	DeprecatedReplacement               string
	Refs                                string  // JSON: gitindex Result.Refs
	Problems                            string  // JSON: []string of the last index
	HookID                              *string `gorm:"uniqueIndex"`
	HookSecret                          string
	IndexedAt                           *time.Time
	UpdatedAt                           time.Time `gorm:"autoUpdateTime:false;index"`
	Signed                              []byte    // the app entry, nil until there is one
	EntrySeq                            int64     // Seq of that entry
}

func (appRow) TableName() string { return "apps" }

type versionRow struct {
	ID            int64  `gorm:"primaryKey"`
	AppID         int64  `gorm:"uniqueIndex:versions_app_channel_version,priority:1;not null"`
	Channel       string `gorm:"uniqueIndex:versions_app_channel_version,priority:2;not null"`
	Version       string `gorm:"uniqueIndex:versions_app_channel_version,priority:3;not null"`
	Tag           string
	Commit        string
	Tree          string
	Manifest      []byte
	ArchiveSHA256 string `gorm:"index"`
	ArchiveSize   int64
	YankReason    string
	Published     time.Time
	Signed        []byte
	EntrySeq      int64
}

func (versionRow) TableName() string { return "versions" }

type advisoryRow struct {
	ID        int64  `gorm:"primaryKey"`
	AppID     int64  `gorm:"uniqueIndex:advisories_app_ident,priority:1;not null"`
	Ident     string `gorm:"uniqueIndex:advisories_app_ident,priority:2;not null"`
	Summary   string
	Severity  string
	Fixed     string
	URL       string
	Published time.Time
	Signed    []byte
	EntrySeq  int64
}

func (advisoryRow) TableName() string { return "advisories" }

type changeRow struct {
	Seq    int64 `gorm:"primaryKey;autoIncrement:false"`
	AppID  int64 `gorm:"index;not null"`
	Kind   string
	Signed []byte
}

func (changeRow) TableName() string { return "changes" }

type peerRow struct {
	ID        int64  `gorm:"primaryKey"`
	URL       string `gorm:"uniqueIndex;not null"`
	Key       string `gorm:"not null"`
	Name      string
	Cursor    int64
	LastError string
	LastOK    *time.Time
}

func (peerRow) TableName() string { return "peers" }

// counterRow holds the feed's sequence.
type counterRow struct {
	Name  string `gorm:"primaryKey"`
	Value int64  `gorm:"not null"`
}

func (counterRow) TableName() string { return "counters" }
