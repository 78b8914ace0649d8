package follow

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"strconv"
	"sync"

	"github.com/hearth-cloud/hearth/registry/entry"
	"github.com/hearth-cloud/hearth/registry/gitsource"
	"github.com/hearth-cloud/hearth/registry/store"
)

// Defaults applied to the zero fields of a Follower.
const (
	DefaultPageSize = 500
	DefaultFetchers = 4
	maxPageBytes    = 64 << 20
	// batchBytes is how many bytes of downloaded archives are held before
	// they are written out together.
	batchBytes  = 64 << 20
	maxRefusals = 20 // kept in a Report, the rest only counted
)

// ErrPeer is returned when a peer cannot be followed: unreachable, a key
// that is not the pinned one, a feed that does not parse.
var ErrPeer = errors.New("follow: peer")

// Store is what the follower needs of the registry's rows.
type Store interface {
	SavePeer(ctx context.Context, p *store.Peer) error
	MirrorAll(ctx context.Context, p *store.Peer, items []store.MirrorItem) ([]store.MirrorResult, error)
}

// Archives keeps archives by sha256 (gitindex.DirArchives does).
type Archives interface {
	Has(sha256 string) bool
	// PutAll stores archives (sha256 → data), durable when it returns.
	PutAll(ctx context.Context, archives map[string][]byte) error
}

// Follower mirrors peers into a Store and Archives.
type Follower struct {
	Store    Store
	Archives Archives
	Policy   gitsource.Policy // what the peer's URLs may reach
	Log      *slog.Logger     // nil: discard
	PageSize int              // changes asked per request; 0: DefaultPageSize
	Fetchers int              // archives downloaded at once; 0: DefaultFetchers
}

// Report says what one Sync did.
type Report struct {
	Applied  int      // entries stored
	Skipped  int      // entries already held at that seq or newer
	Refused  int      // entries that failed their signature, checks or ownership
	Reasons  []string // the first refusals' reasons
	LastSeq  int64    // the peer's seq reached
	PeerName string
}

func (r *Report) refuse(seq int64, err error) {
	r.Refused++
	if len(r.Reasons) < maxRefusals {
		r.Reasons = append(r.Reasons, "change "+strconv.FormatInt(seq, 10)+": "+err.Error())
	}
}

// wellKnown is the peer's /.well-known/hearth-registry.
type wellKnown struct {
	Name     string `json:"name"`
	Key      string `json:"key"`
	Changes  string `json:"changes"`
	Archives string `json:"archives"`
}

// change is one item of a changes page.
type change struct {
	Seq int64 `json:"seq"`
	entry.Signed
}

type page struct {
	Changes []change `json:"changes"`
	LastSeq int64    `json:"last_seq"`
	More    bool     `json:"more"`
}

// opened is a change whose entry verified.
type opened struct {
	seq    int64
	signed *entry.Signed
	entry  *entry.Entry
	err    error // set when its archive could not be had
}

// Sync pulls p's feed from p.Cursor until the peer has nothing more, storing
// what verifies and saving p's cursor after each page. It returns an error
// (wrapping ErrPeer, or the store's) when it had to stop early; what was
// stored before stays, and the next Sync resumes after it.
func (f *Follower) Sync(ctx context.Context, p *store.Peer) (*Report, error) {
	rep, err := f.sync(ctx, p)
	if err != nil && p.LastError != err.Error() {
		// Not saved on the way out: the peer failed before its feed was read.
		err = f.save(ctx, p, err)
	}
	return rep, err
}

func (f *Follower) sync(ctx context.Context, p *store.Peer) (*Report, error) {
	g := gitsource.NewGetter(f.Policy)
	defer g.Close()
	base, err := url.Parse(p.URL)
	if err != nil || (base.Scheme != "http" && base.Scheme != "https") || base.Host == "" {
		return nil, fmt.Errorf("%w: %q is not an http(s) URL", ErrPeer, p.URL)
	}
	wk, err := f.wellKnown(ctx, g, base, p.Key)
	if err != nil {
		return nil, err
	}
	changesURL, err := base.Parse(wk.Changes)
	if err != nil {
		return nil, fmt.Errorf("%w: changes endpoint %q: %w", ErrPeer, wk.Changes, err)
	}
	archivesURL, err := base.Parse(wk.Archives)
	if err != nil {
		return nil, fmt.Errorf("%w: archives endpoint %q: %w", ErrPeer, wk.Archives, err)
	}
	rep := &Report{PeerName: wk.Name, LastSeq: p.Cursor}
	p.Name = wk.Name
	for {
		pg, err := f.page(ctx, g, changesURL, p.Cursor)
		if err != nil {
			return rep, err
		}
		if err := f.apply(ctx, g, archivesURL, p, pg, rep); err != nil {
			return rep, err
		}
		if !pg.More || len(pg.Changes) == 0 {
			return rep, nil
		}
	}
}

// Check reads the well-known document of the registry at peerURL and
// returns its name if it publishes the key pinned; it is what to call
// before recording a new peer.
func (f *Follower) Check(ctx context.Context, peerURL, pinned string) (string, error) {
	g := gitsource.NewGetter(f.Policy)
	defer g.Close()
	base, err := url.Parse(peerURL)
	if err != nil || (base.Scheme != "http" && base.Scheme != "https") || base.Host == "" {
		return "", fmt.Errorf("%w: %q is not an http(s) URL", ErrPeer, peerURL)
	}
	wk, err := f.wellKnown(ctx, g, base, pinned)
	if err != nil {
		return "", err
	}
	return wk.Name, nil
}

func (f *Follower) wellKnown(ctx context.Context, g *gitsource.Getter, base *url.URL, pinned string) (*wellKnown, error) {
	u := base.JoinPath("/.well-known/hearth-registry")
	var wk wellKnown
	if err := getJSON(ctx, g, u.String(), 64<<10, &wk); err != nil {
		return nil, err
	}
	if wk.Key != pinned {
		return nil, fmt.Errorf("%w: %s publishes the key %.80q, not the pinned %s", ErrPeer, base, wk.Key, pinned)
	}
	if wk.Changes == "" || wk.Archives == "" {
		return nil, fmt.Errorf("%w: %s names no changes or archives endpoint", ErrPeer, base)
	}
	return &wk, nil
}

func (f *Follower) page(ctx context.Context, g *gitsource.Getter, changesURL *url.URL, since int64) (*page, error) {
	size := f.PageSize
	if size <= 0 {
		size = DefaultPageSize
	}
	u := *changesURL
	q := u.Query()
	q.Set("since", strconv.FormatInt(since, 10))
	q.Set("limit", strconv.Itoa(size))
	u.RawQuery = q.Encode()
	var pg page
	if err := getJSON(ctx, g, u.String(), maxPageBytes, &pg); err != nil {
		return nil, err
	}
	last := since
	for _, c := range pg.Changes {
		if c.Seq <= last {
			return nil, fmt.Errorf("%w: feed seqs do not increase after %d (got %d)", ErrPeer, last, c.Seq)
		}
		last = c.Seq
	}
	return &pg, nil
}

// apply opens a page's entries, fetches the archives they need, then stores
// them in feed order in one transaction, and moves p's cursor past them.
func (f *Follower) apply(ctx context.Context, g *gitsource.Getter, archivesURL *url.URL, p *store.Peer, pg *page, rep *Report) error {
	items := make([]*opened, 0, len(pg.Changes))
	for i := range pg.Changes {
		c := &pg.Changes[i]
		e, err := entry.Open(&c.Signed, p.Key)
		if err != nil {
			rep.refuse(c.Seq, err)
			continue
		}
		items = append(items, &opened{seq: c.Seq, signed: &c.Signed, entry: e})
	}
	if err := f.fetchArchives(ctx, g, archivesURL, items); err != nil {
		return err
	}
	cursor := int64(-1)
	if len(pg.Changes) > 0 {
		cursor = pg.Changes[len(pg.Changes)-1].Seq
	}
	var batch []store.MirrorItem
	var seqs []int64
	var stop error
	for _, it := range items {
		if it.err != nil && errors.Is(it.err, ErrPeer) {
			// The peer failed us: store what came before, retry from here later.
			cursor, stop = it.seq-1, it.err
			break
		}
		if it.err != nil {
			rep.refuse(it.seq, it.err)
			continue
		}
		batch = append(batch, store.MirrorItem{Signed: it.signed, Entry: it.entry})
		seqs = append(seqs, it.seq)
	}
	res, err := f.Store.MirrorAll(ctx, p, batch)
	if err != nil {
		return errors.Join(err, f.save(ctx, p, err))
	}
	for i, r := range res {
		switch {
		case r.Err != nil:
			rep.refuse(seqs[i], r.Err)
		case r.Applied:
			rep.Applied++
		default:
			rep.Skipped++
		}
	}
	if cursor >= 0 {
		p.Cursor = max(p.Cursor, cursor)
	}
	rep.LastSeq = p.Cursor
	return f.save(ctx, p, stop)
}

// save records p's cursor and state; cause is the error that stopped the pass, if any.
func (f *Follower) save(ctx context.Context, p *store.Peer, cause error) error {
	if cause != nil {
		p.LastError = cause.Error()
	} else {
		p.LastError = ""
		p.LastOK = now()
	}
	if err := f.Store.SavePeer(context.WithoutCancel(ctx), p); err != nil {
		return err
	}
	return cause
}

// fetchArchives downloads the archives of the version entries that are not
// kept yet, a few at a time, checks them and stores them in batches. It sets
// the err of each item whose archive could not be had (items sharing an
// archive share its fate) and fails only when storing fails.
func (f *Follower) fetchArchives(ctx context.Context, g *gitsource.Getter, archivesURL *url.URL, items []*opened) error {
	workers := f.Fetchers
	if workers <= 0 {
		workers = DefaultFetchers
	}
	type job struct {
		v    *entry.Version
		data []byte
		err  error
	}
	jobs := map[string]*job{}
	todo, done := make(chan *job), make(chan *job)
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for j := range todo {
				j.data, j.err = f.fetchArchive(ctx, g, archivesURL, j.v)
				done <- j
			}
		})
	}
	go func() {
		defer close(todo)
		for _, it := range items {
			v := it.entry.Version
			if v == nil || jobs[v.ArchiveSHA256] != nil || f.Archives.Has(v.ArchiveSHA256) {
				continue
			}
			j := &job{v: v}
			jobs[v.ArchiveSHA256] = j
			todo <- j
		}
	}()
	go func() { wg.Wait(); close(done) }()
	batch, size := map[string][]byte{}, 0
	var putErr error
	flush := func() {
		if putErr == nil {
			putErr = f.Archives.PutAll(ctx, batch)
		}
		batch, size = map[string][]byte{}, 0
	}
	for j := range done {
		if j.err == nil {
			batch[j.v.ArchiveSHA256] = j.data
			j.data = nil
			if size += len(batch[j.v.ArchiveSHA256]); size >= batchBytes {
				flush()
			}
		}
	}
	flush()
	if putErr != nil {
		return putErr
	}
	for _, it := range items {
		if v := it.entry.Version; v != nil && jobs[v.ArchiveSHA256] != nil {
			it.err = jobs[v.ArchiveSHA256].err
		}
	}
	return nil
}

// fetchArchive downloads one archive and checks it against its signed sha256 and size.
func (f *Follower) fetchArchive(ctx context.Context, g *gitsource.Getter, archivesURL *url.URL, v *entry.Version) ([]byte, error) {
	u := archivesURL.JoinPath(v.ArchiveSHA256 + ".tar")
	data, err := g.Get(ctx, u.String(), v.ArchiveSize)
	if err != nil {
		if errors.Is(err, gitsource.ErrTooLarge) {
			return nil, fmt.Errorf("archive %s is larger than its signed size %d", v.ArchiveSHA256, v.ArchiveSize)
		}
		return nil, fmt.Errorf("%w: archive %s: %w", ErrPeer, v.ArchiveSHA256, err)
	}
	sum := sha256.Sum256(data)
	if int64(len(data)) != v.ArchiveSize || hex.EncodeToString(sum[:]) != v.ArchiveSHA256 {
		return nil, fmt.Errorf("archive %s: the peer served %d bytes that do not hash to the signed sha256", v.ArchiveSHA256, len(data))
	}
	return data, nil
}

func getJSON(ctx context.Context, g *gitsource.Getter, rawURL string, limit int64, v any) error {
	data, err := g.Get(ctx, rawURL, limit)
	if err != nil {
		return fmt.Errorf("%w: %w", ErrPeer, err)
	}
	if err := json.Unmarshal(data, v); err != nil {
		return fmt.Errorf("%w: %s: not the JSON expected: %w", ErrPeer, rawURL, err)
	}
	return nil
}
