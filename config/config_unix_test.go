//go:build unix

package config

import (
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sbplc/sbplc/internal/fsutil"
	"github.com/sbplc/sbplc/internal/testutil"
)

// TestLoadFIFO: a .sbplc.yaml that is a FIFO is refused at once; reading
// it would wait forever for a writer.
func TestLoadFIFO(t *testing.T) {
	dir := t.TempDir()
	p := testutil.MakeFIFO(t, filepath.Join(dir, FileName))
	_, err := ForDir(dir)
	if err == nil || !errors.Is(err, fsutil.ErrNotRegular) || !strings.HasPrefix(err.Error(), p+": a FIFO, not a regular file") {
		t.Errorf("ForDir with a FIFO config = %v", err)
	}
}
