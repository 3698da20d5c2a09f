// Package istiocrds reads the Istio CRD bundle shipped in the istio.io/api
// module this repository requires, for the generators that turn it into Go
// (printer columns, resource names).
package istiocrds

import (
	"bytes"
	"errors"
	"fmt"
	"go/format"
	"io"
	"os"
	"os/exec"
	"path/filepath"

	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
)

// CRD is what the generators read of a CustomResourceDefinition.
type CRD struct {
	Spec struct {
		Group string `json:"group"`
		Scope string `json:"scope"`
		Names struct {
			Kind       string   `json:"kind"`
			Plural     string   `json:"plural"`
			Singular   string   `json:"singular"`
			ShortNames []string `json:"shortNames"`
		} `json:"names"`
		Versions []struct {
			Name                     string `json:"name"`
			Storage                  bool   `json:"storage"`
			AdditionalPrinterColumns []struct {
				Name        string `json:"name"`
				Type        string `json:"type"`
				Format      string `json:"format"`
				Description string `json:"description"`
				Priority    int32  `json:"priority"`
				JSONPath    string `json:"jsonPath"`
			} `json:"additionalPrinterColumns"`
		} `json:"versions"`
	} `json:"spec"`
}

// Each decodes every CRD of the bundle and calls f with it; it returns the
// istio.io/api version read.
func Each(f func(*CRD) error) (version string, err error) {
	out, err := exec.Command("go", "list", "-m", "-f", "{{.Dir}} {{.Version}}", "istio.io/api").Output()
	if err != nil {
		return "", fmt.Errorf("go list istio.io/api: %w", err)
	}
	var dir string
	fmt.Sscan(string(out), &dir, &version)
	data, err := os.ReadFile(filepath.Join(dir, "kubernetes", "customresourcedefinitions.gen.yaml"))
	if err != nil {
		return "", err
	}
	dec := utilyaml.NewYAMLOrJSONDecoder(bytes.NewReader(data), 4096)
	for {
		var c CRD
		if err := dec.Decode(&c); err != nil {
			if errors.Is(err, io.EOF) {
				return version, nil
			}
			return "", err
		}
		if err := f(&c); err != nil {
			return "", err
		}
	}
}

// WriteGo formats src as Go and writes it to path.
func WriteGo(path string, src []byte) error {
	formatted, err := format.Source(src)
	if err != nil {
		return err
	}
	return os.WriteFile(path, formatted, 0o644)
}
