//go:build !linux

package gitindex

import "os"

// syncFiles makes the files durable, one fsync each.
func syncFiles(_ string, files map[string]string) error {
	for _, name := range files {
		f, err := os.Open(name)
		if err != nil {
			return err
		}
		err = f.Sync()
		f.Close()
		if err != nil {
			return err
		}
	}
	return nil
}
