package harness

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strings"
)

// auditPolicy logs every request at level Metadata (who, what verb on what
// object, from which user agent; no bodies). RequestReceived is left out:
// every request still appears once per later stage.
const auditPolicy = `apiVersion: audit.k8s.io/v1
kind: Policy
omitStages:
- RequestReceived
rules:
- level: Metadata
`

// AuditEvent is the part of an audit.k8s.io/v1 Event tests look at.
type AuditEvent struct {
	// Cluster is the context of the cluster that logged the event.
	Cluster    string `json:"-"`
	Stage      string `json:"stage"`
	Verb       string `json:"verb"`
	RequestURI string `json:"requestURI"`
	UserAgent  string `json:"userAgent"`
	User       struct {
		Username string   `json:"username"`
		Groups   []string `json:"groups"`
	} `json:"user"`
	ObjectRef *struct {
		Resource    string `json:"resource"`
		Subresource string `json:"subresource"`
		Namespace   string `json:"namespace"`
		Name        string `json:"name"`
		APIGroup    string `json:"apiGroup"`
		APIVersion  string `json:"apiVersion"`
	} `json:"objectRef"`
	ResponseStatus *struct {
		Code int `json:"code"`
	} `json:"responseStatus"`
}

// IsWrite reports a verb that changes state. A port-forward is a "create"
// of the pods/portforward subresource: it is a write by this definition,
// which a test of read-only behaviour must allow for explicitly.
func (a AuditEvent) IsWrite() bool {
	switch a.Verb {
	case "create", "update", "patch", "delete", "deletecollection":
		return true
	}
	return false
}

// AuditLogs returns the audit log file of each cluster by context name
// (Options.AuditLog).
func (e *Env) AuditLogs() map[string]string {
	out := map[string]string{}
	for _, c := range e.clusters {
		if c.auditLog != "" {
			out[c.name] = c.auditLog
		}
	}
	return out
}

// AuditEvents reads every cluster's audit log so far, in log order per
// cluster, clusters in order.
func (e *Env) AuditEvents() ([]AuditEvent, error) {
	if !e.hasAuditLog() {
		return nil, errors.New("AuditEvents needs an environment started with AuditLog: true")
	}
	var out []AuditEvent
	for _, c := range e.clusters {
		evs, err := readAuditLog(c.auditLog)
		if err != nil {
			return nil, err
		}
		for i := range evs {
			evs[i].Cluster = c.name
		}
		out = append(out, evs...)
	}
	return out, nil
}

func (e *Env) hasAuditLog() bool {
	for _, c := range e.clusters {
		if c.auditLog != "" {
			return true
		}
	}
	return false
}

func readAuditLog(path string) ([]AuditEvent, error) {
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var lines []string
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 0, 64*1024), 16*1024*1024)
	for sc.Scan() {
		lines = append(lines, sc.Text())
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	var out []AuditEvent
	for i, line := range lines {
		if strings.TrimSpace(line) == "" {
			continue
		}
		var ev AuditEvent
		if err := json.Unmarshal([]byte(line), &ev); err != nil {
			if i == len(lines)-1 {
				break // the server may be writing this line right now
			}
			return nil, fmt.Errorf("%s line %d: %w", path, i+1, err)
		}
		out = append(out, ev)
	}
	return out, nil
}
