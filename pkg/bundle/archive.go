package bundle

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"path"
	"sort"
	"strings"
	"time"
)

// entry is one file of the archive.
type entry struct {
	name string
	data []byte
}

// maxEntrySize bounds one file read back from an archive: a config dump of
// a large mesh is tens of MiB; anything far larger is not a bundle.
const maxEntrySize = 1 << 30

// writeArchive writes entries as a gzip-compressed tar, sorted by name,
// every entry a regular file with mode 0644, owner 0:0 and the capture
// time as modification time, and a gzip header without name or time: two
// bundles of the same state are the same bytes.
func writeArchive(w io.Writer, entries []entry, mtime time.Time) error {
	sorted := append([]entry(nil), entries...)
	sort.Slice(sorted, func(i, j int) bool { return sorted[i].name < sorted[j].name })
	gz, err := gzip.NewWriterLevel(w, gzip.BestCompression)
	if err != nil {
		return err
	}
	gz.OS = 255 // unknown: the same on every platform
	tw := tar.NewWriter(gz)
	mtime = mtime.UTC().Truncate(time.Second)
	for i, e := range sorted {
		if i > 0 && sorted[i-1].name == e.name {
			return fmt.Errorf("bundle entry %s written twice", e.name)
		}
		hdr := &tar.Header{
			Typeflag: tar.TypeReg,
			Name:     e.name,
			Mode:     0o644,
			Size:     int64(len(e.data)),
			ModTime:  mtime,
			Format:   tar.FormatPAX,
		}
		if err := tw.WriteHeader(hdr); err != nil {
			return err
		}
		if _, err := tw.Write(e.data); err != nil {
			return err
		}
	}
	if err := tw.Close(); err != nil {
		return err
	}
	return gz.Close()
}

// errNotArchive and errTruncated are what a damaged or foreign file gives.
var (
	errNotArchive = errors.New("not a gzip-compressed tar archive")
	errTruncated  = errors.New("truncated (the archive ends in the middle)")
)

// readArchive reads every regular file of a gzip-compressed tar.
func readArchive(r io.Reader) (map[string][]byte, error) {
	gz, err := gzip.NewReader(r)
	if err != nil {
		if errors.Is(err, io.ErrUnexpectedEOF) {
			return nil, errTruncated
		}
		return nil, errNotArchive
	}
	defer gz.Close()
	tr := tar.NewReader(gz)
	files := map[string][]byte{}
	for {
		hdr, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, describeReadError(err)
		}
		if hdr.Typeflag != tar.TypeReg {
			continue
		}
		name := path.Clean(hdr.Name)
		if strings.HasPrefix(name, "../") || strings.HasPrefix(name, "/") {
			return nil, fmt.Errorf("entry %q is outside the archive", hdr.Name)
		}
		if hdr.Size > maxEntrySize {
			return nil, fmt.Errorf("entry %s is %d bytes, more than a bundle holds", name, hdr.Size)
		}
		var buf bytes.Buffer
		if _, err := io.Copy(&buf, tr); err != nil {
			return nil, describeReadError(err)
		}
		files[name] = buf.Bytes()
	}
	// Reading to the end checks the gzip trailer (checksum and size).
	if _, err := io.Copy(io.Discard, gz); err != nil {
		return nil, describeReadError(err)
	}
	return files, nil
}

func describeReadError(err error) error {
	switch {
	case errors.Is(err, io.ErrUnexpectedEOF):
		return errTruncated
	case errors.Is(err, gzip.ErrChecksum), errors.Is(err, gzip.ErrHeader), errors.Is(err, tar.ErrHeader):
		return fmt.Errorf("damaged (%s)", err)
	}
	return err
}
