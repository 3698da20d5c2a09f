package e2e

import (
	"path/filepath"
	"strings"
	"testing"
)

// A bundle of every context of the kubeconfig (a dead one, RBAC-limited
// ones, an Istio-only one), with a proxy that does not exist and a
// selector that matches nothing, replays as every command printed live,
// whatever subset of its contexts and namespace is picked.
func TestBundleOfAllContextsReplaysAsLive(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "all.tar.gz")
	stdout, stderr, code := runVD(t, "bundle", "productpage", "-n", "bookinfo-frontends", "--all-contexts",
		"--proxy", "no-such-pod", "-l", "app=nothing-matches", "-o", file)
	t.Logf("bundle --all-contexts: exit %d\nstdout %s\nstderr %s", code, stdout, stderr)
	if code != 1 || !strings.Contains(stderr, "error: context dead: ") {
		t.Errorf("bundle --all-contexts: exit %d, stderr %q", code, stderr)
	}
	for _, l := range strings.Split(strings.TrimSuffix(stderr, "\n"), "\n") {
		if !strings.HasPrefix(l, "error: ") && !strings.HasPrefix(l, "warning: ") {
			t.Errorf("bundle: stderr line %q is neither an error nor a warning", l)
		}
	}
	m := readBundleManifest(t, bundleEntries(t, file))
	t.Logf("manifest contexts: %+v\nproxies: %+v", m.Contexts, m.Proxies)

	live := []string{"-n", "bookinfo-frontends", "--all-contexts"}
	offline := []string{"-n", "bookinfo-frontends", "--bundle", file}
	for _, c := range []struct {
		name       string
		args       []string
		live, bndl []string
	}{
		{"find", []string{"find", "productpage"}, live, offline},
		{"find-wide", []string{"find", "productpage", "-o", "wide"}, live, offline},
		{"find-yaml", []string{"find", "productpage", "-o", "yaml"}, live, offline},
		{"find-json", []string{"find", "productpage", "-o", "json"}, live, offline},
		{"find-markdown", []string{"find", "productpage", "-o", "markdown"}, live, offline},
		{"find-name", []string{"find", "productpage", "-o", "name"}, live, offline},
		{"find-missing-parent", []string{"find", "nosuchparent"}, live, offline},
		{"explain", []string{"explain", "productpage"}, live, offline},
		{"explain-json", []string{"explain", "productpage", "-o", "json"}, live, offline},
		{"explain-markdown", []string{"explain", "productpage", "-o", "markdown"}, live, offline},
		{"explain-sarif", []string{"explain", "productpage", "-o", "sarif"}, live, offline},
		{"explain-yaml", []string{"explain", "productpage", "-o", "yaml"}, live, offline},
		{"explain-dot", []string{"explain", "productpage", "-o", "dot"}, live, offline},
		{"diff", []string{"diff", "productpage"}, live, offline},
		{"diff-markdown", []string{"diff", "productpage", "-o", "markdown"}, live, offline},
		{"diff-json", []string{"diff", "productpage", "-o", "json"}, live, offline},
		{"failover", []string{"failover", "productpage", "--locality", "us-east-1/us-east-1a", "--down", "cluster1"}, live, offline},
		{"failover-json", []string{"failover", "productpage", "--locality", "us-east-1/us-east-1a", "--down", "cluster1", "-o", "json"}, live, offline},
		{"subset-find", []string{"find", "productpage"}, []string{"-n", "bookinfo-frontends", "--context", "cluster3,cluster1-limited"}, []string{"-n", "bookinfo-frontends", "--context", "cluster3,cluster1-limited", "--bundle", file}},
		{"subset-explain", []string{"explain", "productpage"}, []string{"-n", "bookinfo-frontends", "--context", "cluster2,cluster3"}, []string{"--context", "cluster2,cluster3", "--bundle", file}},
		{"subset-diff", []string{"diff", "productpage"}, []string{"-n", "bookinfo-frontends", "--context", "cluster1,cluster2"}, []string{"--context", "cluster1,cluster2", "--bundle", file}},
		{"clusters-missing-proxy", []string{"clusters", "no-such-pod", "-n", "bookinfo-frontends", "--context", "cluster1,cluster1-limited,cluster2,cluster3"}, nil, []string{"--bundle", file}},
		{"drift-missing-proxy", []string{"drift", "productpage", "--proxy", "no-such-pod"}, live, offline},
		{"drift-selector", []string{"drift", "productpage", "-l", "app=nothing-matches"}, live, offline},
	} {
		t.Run(c.name, func(t *testing.T) {
			wantOut, wantErr, wantCode := runVD(t, append(append([]string(nil), c.args...), c.live...)...)
			gotOut, gotErr, gotCode := runVD(t, append(append([]string(nil), c.args...), c.bndl...)...)
			if strings.Contains(c.name, "markdown") {
				wantOut, gotOut = markdownAges.ReplaceAllString(wantOut, "| AGE |"), markdownAges.ReplaceAllString(gotOut, "| AGE |")
			} else if !strings.Contains(c.name, "json") && !strings.Contains(c.name, "yaml") {
				wantOut, gotOut = normalizeTable(wantOut), normalizeTable(gotOut)
			}
			if gotOut != wantOut || gotErr != wantErr || gotCode != wantCode {
				t.Errorf("--bundle: exit %d, stderr %q, stdout:\n%s\nlive: exit %d, stderr %q, stdout:\n%s", gotCode, gotErr, gotOut, wantCode, wantErr, wantOut)
			}
		})
	}
	// Not compared here, as they differ (see the project's notes): -n
	// another namespace than the bundle's replays the gaps recorded for
	// the bundle's namespace, and clusters of a proxy in a context that
	// could not be read prints the context's error without the proxy's
	// name.

	// A context the bundle does not hold.
	if _, stderr, code := runVD(t, "find", "productpage", "--bundle", file, "--context", "cluster9"); code != 2 || !strings.HasPrefix(stderr, `error: bundle `+file+` holds no context "cluster9"`) || strings.Count(stderr, "\n") != 1 {
		t.Errorf("--context not in the bundle: exit %d, stderr %q", code, stderr)
	}
	// A parent that does not exist.
	missing := filepath.Join(dir, "missing.tar.gz")
	stdout, stderr, code = runVD(t, "bundle", "nosuchparent", "-n", "bookinfo-frontends", "--context", "cluster1,cluster2", "-o", missing)
	if code != 0 || stderr != "warning: no context read holds bookinfo-frontends/nosuchparent or an object translated from it: the bundle holds the mesh configuration only\n" {
		t.Errorf("bundle of a missing parent: exit %d\nstdout %s\nstderr %s", code, stdout, stderr)
	}
	wantOut, wantErr, wantCode := runVD(t, "find", "nosuchparent", "-n", "bookinfo-frontends", "--context", "cluster1,cluster2")
	gotOut, gotErr, gotCode := runVD(t, "find", "nosuchparent", "--bundle", missing)
	if gotOut != wantOut || gotErr != wantErr || gotCode != wantCode {
		t.Errorf("missing parent --bundle: exit %d, stderr %q, stdout:\n%s\nlive: exit %d, stderr %q, stdout:\n%s", gotCode, gotErr, gotOut, wantCode, wantErr, wantOut)
	}
}
