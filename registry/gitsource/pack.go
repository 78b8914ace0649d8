package gitsource

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/format/packfile"
	"github.com/go-git/go-git/v5/plumbing/protocol/packp"
	"github.com/go-git/go-git/v5/plumbing/protocol/packp/capability"
	"github.com/go-git/go-git/v5/plumbing/protocol/packp/sideband"
	"github.com/go-git/go-git/v5/storage/memory"
)

// download asks the remote for wants (depth 1 when shallow and the remote
// supports it) and returns the objects received, in memory. The pack is
// read whole (at most MaxFetchBytes) and pre-scanned so that no object may
// decode to more than it declares, nor all of them to more than
// MaxFetchBytes, before anything is decoded for real.
func (s *session) download(ctx context.Context, wants []plumbing.Hash, shallow bool, policy Policy) (*memory.Storage, error) {
	req := packp.NewUploadPackRequestFromCapabilities(s.adv.Capabilities)
	req.Wants = wants
	caps := s.adv.Capabilities
	if shallow && caps.Supports(capability.Shallow) {
		req.Depth = packp.DepthCommits(1)
		if err := req.Capabilities.Set(capability.Shallow); err != nil {
			return nil, fmt.Errorf("%w: %w", ErrUnreachable, err)
		}
	}
	if caps.Supports(capability.NoProgress) {
		if err := req.Capabilities.Set(capability.NoProgress); err != nil {
			return nil, fmt.Errorf("%w: %w", ErrUnreachable, err)
		}
	}
	resp, err := s.sess.UploadPack(ctx, req)
	if err != nil {
		return nil, remoteError(ctx, s.url, err)
	}
	defer resp.Close()
	pack, err := readPack(resp, req.Capabilities, policy.MaxFetchBytes)
	if err != nil {
		return nil, remoteError(ctx, s.url, err)
	}
	if err := prescanPack(pack, policy); err != nil {
		return nil, err
	}
	sto := memory.NewStorage()
	parser, err := packfile.NewParserWithStorage(packfile.NewScanner(bytes.NewReader(pack)), sto)
	if err != nil {
		return nil, fmt.Errorf("%w: bad pack from %s: %w", ErrUnreachable, s.url, err)
	}
	if _, err := parser.Parse(); err != nil {
		return nil, fmt.Errorf("%w: bad pack from %s: %w", ErrUnreachable, s.url, err)
	}
	return sto, nil
}

// readPack reads the pack from the response, demultiplexing the side band
// if one was negotiated, and fails with ErrTooLarge past limit bytes.
func readPack(resp io.Reader, caps *capability.List, limit int64) ([]byte, error) {
	r := resp
	switch {
	case caps.Supports(capability.Sideband64k):
		r = sideband.NewDemuxer(sideband.Sideband64k, resp)
	case caps.Supports(capability.Sideband):
		r = sideband.NewDemuxer(sideband.Sideband, resp)
	}
	var buf bytes.Buffer
	n, err := buf.ReadFrom(io.LimitReader(r, limit+1))
	if err != nil {
		return nil, err
	}
	if n > limit {
		return nil, fmt.Errorf("%w: the download exceeds %d bytes", ErrTooLarge, limit)
	}
	return buf.Bytes(), nil
}

// prescanPack checks the objects of pack without keeping them: their count,
// the size each declares (for deltas, the size of their result), and that
// none inflates past what it declares.
func prescanPack(pack []byte, policy Policy) error {
	sc := packfile.NewScanner(bytes.NewReader(pack))
	_, count, err := sc.Header()
	if err != nil {
		return fmt.Errorf("%w: bad pack: %w", ErrUnreachable, err)
	}
	if int64(count) > int64(policy.MaxObjects) {
		return fmt.Errorf("%w: %d objects, more than %d", ErrTooLarge, count, policy.MaxObjects)
	}
	var total int64
	for range count {
		oh, err := sc.NextObjectHeader()
		if err != nil {
			return fmt.Errorf("%w: bad pack: %w", ErrUnreachable, err)
		}
		w := &boundedWriter{limit: oh.Length}
		if _, _, err := sc.NextObject(w); err != nil {
			if errors.Is(err, errOverflow) {
				return fmt.Errorf("%w: an object inflates past its declared size", ErrTooLarge)
			}
			return fmt.Errorf("%w: bad pack: %w", ErrUnreachable, err)
		}
		size := oh.Length
		if oh.Type == plumbing.OFSDeltaObject || oh.Type == plumbing.REFDeltaObject {
			if size, err = deltaTargetSize(w.head.Bytes()); err != nil {
				return fmt.Errorf("%w: bad delta: %w", ErrUnreachable, err)
			}
		}
		if total += size; size < 0 || total > policy.MaxFetchBytes {
			return fmt.Errorf("%w: objects decode to more than %d bytes", ErrTooLarge, policy.MaxFetchBytes)
		}
	}
	return nil
}

var errOverflow = errors.New("gitsource: object larger than declared")

// boundedWriter discards what it is given, keeping the first bytes, and
// fails once more than limit bytes were written.
type boundedWriter struct {
	limit int64
	n     int64
	head  bytes.Buffer // the first 32 bytes
}

func (w *boundedWriter) Write(p []byte) (int, error) {
	if w.n += int64(len(p)); w.n > w.limit {
		return 0, errOverflow
	}
	if room := 32 - w.head.Len(); room > 0 {
		w.head.Write(p[:min(room, len(p))])
	}
	return len(p), nil
}

// deltaTargetSize reads the result size from a delta's header: two LEB128
// numbers, the base size then the result size.
func deltaTargetSize(head []byte) (int64, error) {
	var sizes [2]int64
	i := 0
	for k := range sizes {
		var v uint64
		for shift := uint(0); ; shift += 7 {
			if i >= len(head) || shift > 56 {
				return 0, errors.New("truncated size")
			}
			b := head[i]
			i++
			v |= uint64(b&0x7f) << shift
			if b&0x80 == 0 {
				break
			}
		}
		sizes[k] = int64(v)
	}
	return sizes[1], nil
}
