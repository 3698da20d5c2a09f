package bundle

import (
	"archive/tar"
	"bufio"
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

// maxEntrySize bounds one file read back from an archive, and
// maxBundleSize all of them: a config dump of a large mesh is tens of MiB;
// anything far larger is not a bundle, and a small file that would unpack
// to gigabytes (a "zip bomb") is refused before it fills the memory.
// Variables so that tests can lower them.
var (
	maxEntrySize  int64 = 256 << 20
	maxBundleSize int64 = 512 << 20
)

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

// readArchive reads every file of a gzip-compressed tar. Only regular
// files (and directories, skipped) are taken: a link, a device, a path
// leaving the archive or an entry given twice is an error, so that what
// is read is what the archive plainly holds.
func readArchive(r io.Reader) (map[string][]byte, error) {
	br := bufio.NewReader(r)
	if magic, _ := br.Peek(2); len(magic) < 2 || magic[0] != 0x1f || magic[1] != 0x8b {
		// Not gzip at all, however short: not "truncated".
		return nil, errNotArchive
	}
	gz, err := gzip.NewReader(br)
	if err != nil {
		if errors.Is(err, io.ErrUnexpectedEOF) {
			return nil, errTruncated
		}
		return nil, errNotArchive
	}
	defer gz.Close()
	plain := &endReader{r: gz}
	tr := tar.NewReader(plain)
	files := map[string][]byte{}
	var total int64
	for {
		hdr, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			if len(files) == 0 && plain.ended && errors.Is(err, io.ErrUnexpectedEOF) {
				// The gzip stream is whole but too short for a tar header.
				return nil, errNotTar
			}
			return nil, describeReadError(err)
		}
		name := path.Clean(hdr.Name)
		if name == ".." || strings.HasPrefix(name, "../") || strings.HasPrefix(name, "/") {
			return nil, fmt.Errorf("entry %q is outside the archive", hdr.Name)
		}
		switch hdr.Typeflag {
		case tar.TypeReg, tar.TypeRegA:
		case tar.TypeDir:
			continue
		case tar.TypeSymlink:
			return nil, fmt.Errorf("entry %s is a symbolic link: a bundle holds only files", name)
		case tar.TypeLink:
			return nil, fmt.Errorf("entry %s is a hard link: a bundle holds only files", name)
		case tar.TypeChar, tar.TypeBlock, tar.TypeFifo:
			return nil, fmt.Errorf("entry %s is a device or pipe: a bundle holds only files", name)
		default:
			// PAX and GNU extended headers are read by archive/tar; any
			// other type is not what kubectl vd bundle writes.
			return nil, fmt.Errorf("entry %s is of tar type %q: a bundle holds only files", name, hdr.Typeflag)
		}
		if _, ok := files[name]; ok {
			return nil, fmt.Errorf("entry %s appears twice", name)
		}
		if hdr.Size > maxEntrySize {
			return nil, fmt.Errorf("entry %s is %d bytes, more than a bundle entry holds (%d)", name, hdr.Size, maxEntrySize)
		}
		if total += hdr.Size; total > maxBundleSize {
			return nil, fmt.Errorf("its entries hold more than %d bytes", maxBundleSize)
		}
		// The size is bounded above: the memory is taken once, and data
		// shorter than the header says is a truncated archive.
		data := make([]byte, hdr.Size)
		if _, err := io.ReadFull(tr, data); err != nil {
			return nil, describeReadError(err)
		}
		files[name] = data
	}
	// Reading to the end checks the gzip trailer (checksum and size); what
	// follows the tar's end is bounded too.
	if n, err := io.Copy(io.Discard, io.LimitReader(plain, maxBundleSize)); err != nil {
		return nil, describeReadError(err)
	} else if n == maxBundleSize {
		return nil, fmt.Errorf("more than %d bytes follow its last entry", maxBundleSize)
	}
	return files, nil
}

// errNotTar is a whole gzip stream of something else.
var errNotTar = errors.New("a gzip-compressed file, but not of a tar archive")

// endReader records that the stream it reads ended where it should.
type endReader struct {
	r     io.Reader
	ended bool
}

func (e *endReader) Read(p []byte) (int, error) {
	n, err := e.r.Read(p)
	if err == io.EOF {
		e.ended = true
	}
	return n, err
}

func describeReadError(err error) error {
	switch {
	case errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, io.EOF):
		return errTruncated
	case errors.Is(err, gzip.ErrChecksum), errors.Is(err, gzip.ErrHeader), errors.Is(err, tar.ErrHeader):
		return fmt.Errorf("damaged (%s)", err)
	}
	return err
}
