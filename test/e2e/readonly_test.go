package e2e

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"strings"
)

// pluginUserAgent starts the User-Agent of every request of the plugin
// (pkg/kube.UserAgent).
const pluginUserAgent = "kubectl-vd ("

// assertPluginMadeNoWrites reads the API servers' audit logs after the whole
// suite ran and fails if any request of the plugin used a write verb. It
// also fails if the logs hold no request of the plugin at all, so that it
// cannot pass by looking at nothing.
func assertPluginMadeNoWrites() error {
	events, err := testEnv.AuditEvents()
	if err != nil {
		return err
	}
	reads := 0
	var writes []string
	for _, ev := range events {
		if !strings.HasPrefix(ev.UserAgent, pluginUserAgent) {
			continue
		}
		// A port-forward is a "create" on pods/portforward: it opens a
		// stream to the pod and changes nothing, as with kubectl port-forward.
		if ev.IsWrite() && !(ev.ObjectRef != nil && ev.ObjectRef.Subresource == "portforward") {
			writes = append(writes, fmt.Sprintf("%s %s on %s", ev.Verb, ev.RequestURI, ev.Cluster))
			continue
		}
		reads++
	}
	if len(writes) > 0 {
		return fmt.Errorf("the plugin wrote to a cluster: %s", strings.Join(writes, "; "))
	}
	// A run filtered with -run may call no command of the plugin.
	if reads == 0 && flag.Lookup("test.run").Value.String() == "" {
		return errors.New("the audit logs hold no request of the plugin")
	}
	fmt.Fprintf(os.Stderr, "e2e: read-only check: %d requests of the plugin in the audit logs, none with a write verb\n", reads)
	return nil
}
