package source

import (
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"sort"
	"strings"
)

// IsURL tells whether a -f value names a URL, which kubectl would fetch.
func IsURL(p string) bool {
	lower := strings.ToLower(p)
	return strings.HasPrefix(lower, "http://") || strings.HasPrefix(lower, "https://")
}

// checkURLs refuses URLs: the plugin never fetches anything, it reads the
// local files kubectl get -o yaml (or find -o yaml) wrote.
func checkURLs(paths []string) error {
	for _, p := range paths {
		if IsURL(p) {
			return usageError{fmt.Errorf("%s: kubectl vd reads local files only, not URLs: download the file and give its path", p)}
		}
	}
	return nil
}

// manifestExtensions are the files a directory contributes, as kubectl's
// -f reads them; a file named on its own is read whatever its name.
var manifestExtensions = map[string]bool{".yaml": true, ".yml": true, ".json": true}

// dirFiles lists the manifests of a directory in lexical order: its own,
// or with recursive those of every directory below it too (kubectl's -R).
func dirFiles(dir string, recursive bool) ([]string, error) {
	var names []string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			if p == dir {
				return err
			}
			return fmt.Errorf("cannot read directory %s: %s", p, describeOSError(err))
		}
		if d.IsDir() {
			if p != dir && !recursive {
				return filepath.SkipDir
			}
			return nil
		}
		if manifestExtensions[strings.ToLower(filepath.Ext(p))] {
			names = append(names, p)
		}
		return nil
	})
	if err != nil {
		var pe *fs.PathError
		if errors.As(err, &pe) && pe.Path == dir {
			return nil, fmt.Errorf("cannot read directory %s: %s", dir, describeOSError(err))
		}
		return nil, err
	}
	sort.Strings(names)
	return names, nil
}
