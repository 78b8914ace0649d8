package embedded

import (
	"io"

	"github.com/go-kivik/kivik/v4/driver"
)

// sliceRows is a result set computed in full before it is returned.
type sliceRows struct {
	rows      []driver.Row
	next      int
	offset    int64
	total     int64
	updateSeq string
	warning   string
	bookmark  string
}

var (
	_ driver.Rows       = (*sliceRows)(nil)
	_ driver.RowsWarner = (*sliceRows)(nil)
	_ driver.Bookmarker = (*sliceRows)(nil)
)

func (r *sliceRows) Next(row *driver.Row) error {
	if r.next >= len(r.rows) {
		return io.EOF
	}
	*row = r.rows[r.next]
	r.next++
	return nil
}

// Close releases nothing: the rows are in memory. It writes nothing either, since kivik may
// call it from its own goroutine (when the context ends) while the caller closes too.
func (r *sliceRows) Close() error { return nil }

func (r *sliceRows) UpdateSeq() string { return r.updateSeq }
func (r *sliceRows) Offset() int64     { return r.offset }
func (r *sliceRows) TotalRows() int64  { return r.total }
func (r *sliceRows) Warning() string   { return r.warning }
func (r *sliceRows) Bookmark() string  { return r.bookmark }
