package embedded

import (
	"fmt"
	"os"

	kivik "github.com/go-kivik/kivik/v4"
	"github.com/go-kivik/kivik/v4/driver"
)

// DriverName is the name this driver registers under with kivik.
const DriverName = "hearth"

// Driver is the kivik driver; its DSN is the directory holding the database files, and its
// options OptionMaxOpen and OptionIdleClose.
type Driver struct{}

var _ driver.Driver = (*Driver)(nil)

func init() { kivik.Register(DriverName, &Driver{}) }

// NewClient opens (creating it if needed) the directory dsn and returns a client on it.
func (*Driver) NewClient(dsn string, opts driver.Options) (driver.Client, error) {
	if dsn == "" {
		return nil, fmt.Errorf("embedded: %w", errEmptyDSN)
	}
	o, err := parseOptions(opts)
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(dsn, 0o700); err != nil {
		return nil, fmt.Errorf("embedded: create %s: %w", dsn, err)
	}
	return newClient(dsn, o), nil
}
