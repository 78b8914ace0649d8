package client

import (
	"bytes"
	"context"
	"fmt"
	"mime"
	"strings"

	"github.com/hearth-cloud/hearth/registry/archive"
	"github.com/hearth-cloud/hearth/registry/gitsource"
)

// Archive downloads the archive of v from the registry, checks its sha256 before reading it and
// its tree against the signed one, and returns its files.
func (c *Client) Archive(ctx context.Context, v *Version) (*gitsource.Snapshot, error) {
	data, err := gitsource.Get(ctx, c.ArchiveURL(v.ArchiveSHA256), c.policy)
	if err != nil {
		return nil, fmt.Errorf("%w: archive of %s %s: %w", ErrUnreachable, v.Slug, v.Version, err)
	}
	snap, err := archive.Read(bytes.NewReader(data), v.ArchiveSHA256, c.policy)
	if err != nil {
		return nil, fmt.Errorf("%w: archive of %s %s: %w", ErrVerify, v.Slug, v.Version, err)
	}
	if err := CheckTree(snap, v.Tree); err != nil {
		return nil, err
	}
	snap.Commit = v.Commit
	return snap, nil
}

// CheckTree checks that an archive's files make the tree a signed version names.
func CheckTree(snap *gitsource.Snapshot, tree string) error {
	if snap.Tree != tree {
		return fmt.Errorf("%w: the archive's files make the tree %s, the signed version names %s", ErrVerify, snap.Tree, tree)
	}
	return nil
}

// IconTypes are the image types an icon may have.
var IconTypes = map[string]bool{"image/svg+xml": true, "image/png": true, "image/jpeg": true, "image/webp": true, "image/gif": true}

// Icon returns the icon of app slug of origin and its content type (one of IconTypes). It is
// not signed: serve it as an image only, under a policy that runs nothing.
func (c *Client) Icon(ctx context.Context, slug, origin string) ([]byte, string, error) {
	data, ctype, err := c.fetch(ctx, appPath(slug, "/icon"), originQuery(c.origin(origin)), MaxIcon)
	if err != nil {
		return nil, "", err
	}
	mt, _, err := mime.ParseMediaType(ctype)
	if mt = strings.ToLower(mt); err != nil || !IconTypes[mt] {
		return nil, "", fmt.Errorf("%w: the icon of %s is %.40q, not an image", ErrAnswer, slug, ctype)
	}
	return data, mt, nil
}
