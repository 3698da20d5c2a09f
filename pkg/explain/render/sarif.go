package render

import (
	"encoding/json"
	"io"
	"net/url"
	"path/filepath"
	"strings"

	"github.com/kubectl-vd/kubectl-vd/pkg/explain"
	"github.com/kubectl-vd/kubectl-vd/pkg/model"
)

// SARIF 2.1.0, as CI systems (GitHub code scanning, GitLab, Azure DevOps)
// read it: one run of kubectl-vd, a rule per check, a result per finding
// located on the objects it names.
const (
	sarifSchema  = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
	sarifVersion = "2.1.0"
	// ChecksURL is the README's table of checks; each check has an anchor
	// named after its code in lower case.
	ChecksURL = "https://github.com/kubectl-vd/kubectl-vd/blob/main/README.md"
	toolURL   = "https://github.com/kubectl-vd/kubectl-vd"
)

type sarifLog struct {
	Schema  string     `json:"$schema"`
	Version string     `json:"version"`
	Runs    []sarifRun `json:"runs"`
}

type sarifRun struct {
	Tool    sarifTool     `json:"tool"`
	Results []sarifResult `json:"results"`
}

type sarifTool struct {
	Driver sarifDriver `json:"driver"`
}

type sarifDriver struct {
	Name           string      `json:"name"`
	InformationURI string      `json:"informationUri"`
	Rules          []sarifRule `json:"rules"`
}

type sarifText struct {
	Text     string `json:"text"`
	Markdown string `json:"markdown,omitempty"`
}

type sarifRule struct {
	ID                   string            `json:"id"`
	ShortDescription     sarifText         `json:"shortDescription"`
	FullDescription      sarifText         `json:"fullDescription"`
	Help                 sarifText         `json:"help"`
	HelpURI              string            `json:"helpUri"`
	DefaultConfiguration sarifRuleConfig   `json:"defaultConfiguration"`
	Properties           map[string]string `json:"properties,omitempty"`
}

type sarifRuleConfig struct {
	Level string `json:"level"`
}

type sarifResult struct {
	RuleID       string             `json:"ruleId"`
	RuleIndex    int                `json:"ruleIndex"`
	Level        string             `json:"level"`
	Message      sarifText          `json:"message"`
	Locations    []sarifLocation    `json:"locations,omitempty"`
	Suppressions []sarifSuppression `json:"suppressions,omitempty"`
	Properties   map[string]string  `json:"properties,omitempty"`
}

type sarifSuppression struct {
	Kind string `json:"kind"`
}

type sarifLocation struct {
	PhysicalLocation *sarifPhysical    `json:"physicalLocation,omitempty"`
	LogicalLocations []sarifLogical    `json:"logicalLocations"`
	Properties       map[string]string `json:"properties,omitempty"`
}

type sarifPhysical struct {
	ArtifactLocation sarifArtifact `json:"artifactLocation"`
	Region           *sarifRegion  `json:"region,omitempty"`
}

type sarifArtifact struct {
	URI string `json:"uri"`
}

type sarifRegion struct {
	StartLine int `json:"startLine"`
}

type sarifLogical struct {
	Name               string            `json:"name"`
	FullyQualifiedName string            `json:"fullyQualifiedName"`
	Kind               string            `json:"kind"`
	Properties         map[string]string `json:"properties,omitempty"`
}

// sarifLevel maps a severity to SARIF's levels.
func sarifLevel(s explain.Severity) string {
	switch s {
	case explain.Error:
		return "error"
	case explain.Warning:
		return "warning"
	}
	return "note"
}

// SARIF writes the findings of one or more reports (one per
// VirtualDestination) as one SARIF 2.1.0 log. Suppressed findings are
// results with a suppression (external for --suppress, inSource for the
// annotation), which CI systems hide.
func SARIF(w io.Writer, reports []*Report) error {
	checks := explain.Checks()
	index := map[string]int{}
	run := sarifRun{
		Tool:    sarifTool{Driver: sarifDriver{Name: "kubectl-vd", InformationURI: toolURL, Rules: make([]sarifRule, 0, len(checks))}},
		Results: []sarifResult{},
	}
	for i, c := range checks {
		index[c.Code] = i
		props := map[string]string{}
		if c.Istio != "" {
			props["istioCode"] = c.Istio
		}
		if c.Kiali != "" {
			props["kialiCode"] = c.Kiali
		}
		if len(props) == 0 {
			props = nil
		}
		run.Tool.Driver.Rules = append(run.Tool.Driver.Rules, sarifRule{
			ID:                   c.Code,
			ShortDescription:     sarifText{Text: c.Title},
			FullDescription:      sarifText{Text: c.Doc},
			Help:                 sarifText{Text: c.Doc, Markdown: c.Doc + "\n\n[" + c.Code + " in the table of checks](" + ChecksURL + "#" + strings.ToLower(c.Code) + ")"},
			HelpURI:              ChecksURL + "#" + strings.ToLower(c.Code),
			DefaultConfiguration: sarifRuleConfig{Level: sarifLevel(c.Severity)},
			Properties:           props,
		})
	}
	for _, r := range reports {
		objects := r.Chain.ObjectsByRef()
		add := func(f explain.Finding) {
			res := sarifResult{
				RuleID:    f.Code,
				RuleIndex: index[f.Code],
				Level:     sarifLevel(f.Severity),
				Message:   sarifText{Text: f.Message + ". " + f.Hint},
				Properties: map[string]string{
					"virtualDestination": r.Chain.Namespace + "/" + r.Chain.Name,
				},
			}
			if f.Cluster != "" {
				res.Properties["cluster"] = f.Cluster
			}
			if f.IstioCode != "" {
				res.Properties["istioCode"] = f.IstioCode
			}
			if f.KialiCode != "" {
				res.Properties["kialiCode"] = f.KialiCode
			}
			if f.SuppressedBy != "" {
				res.Suppressions = []sarifSuppression{{Kind: f.SuppressedBy}}
			}
			for _, ref := range f.Objects {
				res.Locations = append(res.Locations, sarifLocationOf(ref, objects[ref].File, objects[ref].Line))
			}
			run.Results = append(run.Results, res)
		}
		for _, f := range r.Findings {
			add(f)
		}
		for _, f := range r.Suppressed {
			add(f)
		}
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(sarifLog{Schema: sarifSchema, Version: sarifVersion, Runs: []sarifRun{run}})
}

func sarifLocationOf(ref model.Ref, file string, line int) sarifLocation {
	props := map[string]string{"kind": ref.Kind}
	if ref.Namespace != "" {
		props["namespace"] = ref.Namespace
	}
	if ref.Context != "" {
		props["context"] = ref.Context
	}
	fqn := ref.Kind + "/" + ref.Name
	if ref.Namespace != "" {
		fqn = ref.Kind + "/" + ref.Namespace + "/" + ref.Name
	}
	if ref.Context != "" {
		fqn = ref.Context + "/" + fqn
	}
	loc := sarifLocation{LogicalLocations: []sarifLogical{{Name: ref.Name, FullyQualifiedName: fqn, Kind: ref.Kind, Properties: props}}}
	if file != "" {
		loc.PhysicalLocation = &sarifPhysical{ArtifactLocation: sarifArtifact{URI: fileURI(file)}}
		if line > 0 {
			loc.PhysicalLocation.Region = &sarifRegion{StartLine: line}
		}
	}
	return loc
}

// fileURI writes a path as a URI reference: relative paths stay relative
// (CI systems resolve them against the checkout), absolute ones are file
// URIs.
func fileURI(p string) string {
	p = filepath.ToSlash(p)
	if strings.HasPrefix(p, "/") {
		return (&url.URL{Scheme: "file", Path: p}).String()
	}
	return (&url.URL{Path: strings.TrimPrefix(p, "./")}).String()
}
