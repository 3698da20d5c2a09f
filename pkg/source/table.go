package source

import (
	"context"
	"encoding/json"
	"fmt"
	"path"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/kubectl-vd/kubectl-vd/pkg/kube"
)

// tableAccept asks for the server-side Table form, as kubectl get does, with
// a JSON fallback for servers that cannot produce it.
const tableAccept = "application/json;as=Table;v=v1;g=meta.k8s.io,application/json"

// ListTable lists one resource as a server-side Table (the printer columns
// the server defines: HOSTS, LOCATION, RESOLUTION, AGE for ServiceEntry),
// page by page. Each row carries the object's metadata only.
func ListTable(ctx context.Context, c *kube.Cluster, gvr schema.GroupVersionResource, namespace, labelSelector string) (*metav1.Table, error) {
	client, err := c.RawClient()
	if err != nil {
		return nil, err
	}
	var out *metav1.Table
	err = eachPage(ctx, c, labelSelector, func(ctx context.Context, opts metav1.ListOptions) (string, error) {
		req := client.Get().AbsPath(resourcePath(gvr, namespace)).
			SetHeader("Accept", tableAccept).
			Param("includeObject", "Metadata").
			Param("limit", fmt.Sprint(opts.Limit))
		if opts.LabelSelector != "" {
			req = req.Param("labelSelector", opts.LabelSelector)
		}
		if opts.Continue != "" {
			req = req.Param("continue", opts.Continue)
		}
		raw, err := req.DoRaw(ctx)
		if err != nil {
			return "", err
		}
		var t metav1.Table
		if err := json.Unmarshal(raw, &t); err != nil {
			return "", fmt.Errorf("decoding table of %s: %w", gvr.GroupResource(), err)
		}
		if t.Kind != "Table" {
			return "", fmt.Errorf("%s: the server did not return a table", gvr.GroupResource())
		}
		out = mergeTables(out, &t)
		return t.Continue, nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

func resourcePath(gvr schema.GroupVersionResource, namespace string) string {
	p := "/apis/" + gvr.Group + "/" + gvr.Version
	if gvr.Group == "" {
		p = "/api/" + gvr.Version
	}
	if namespace != "" {
		p = path.Join(p, "namespaces", namespace)
	}
	return path.Join(p, gvr.Resource)
}

// mergeTables appends b's rows to a (pages of one list, or the lists of
// several namespaces).
func mergeTables(a, b *metav1.Table) *metav1.Table {
	if a == nil {
		return b
	}
	if b == nil {
		return a
	}
	a.Rows = append(a.Rows, b.Rows...)
	return a
}
