// Package printers writes find results the way kubectl get would: server-side
// tables with CONTEXT and NAMESPACE columns, kubectl Lists as YAML or JSON,
// names, JSONPath, plus views of its own (tree, overview).
package printers

import (
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strings"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/cli-runtime/pkg/printers"

	"github.com/kubectl-vd/kubectl-vd/pkg/source"
)

// TableOptions shape table output.
type TableOptions struct {
	Wide      bool
	NoHeaders bool
	// ShowKind prefixes names with kind.group, as kubectl get does when it
	// prints several resource types.
	ShowKind bool
	// Markdown writes GitHub-flavoured Markdown tables instead.
	Markdown bool
}

// kindTables merges the server tables of every context per resource kind;
// keys are the kinds in alphabetical order.
func kindTables(results []source.ContextResult) (map[string]*kindTable, []string) {
	byKind := map[string]*kindTable{}
	for _, res := range results {
		for _, rt := range res.Tables {
			gk := schema.GroupKind{Group: rt.Resource.GVR.Group, Kind: rt.Resource.Kind}
			key := gk.String()
			kt := byKind[key]
			if kt == nil {
				kt = &kindTable{gk: gk, columns: withContextColumns(rt.Table.ColumnDefinitions)}
				byKind[key] = kt
			}
			for _, row := range rt.Table.Rows {
				ns := rowNamespace(row)
				cells := make([]any, 0, len(row.Cells)+2)
				cells = append(cells, res.Context, ns)
				cells = append(cells, row.Cells...)
				kt.rows = append(kt.rows, metav1.TableRow{Cells: cells, Object: row.Object})
			}
		}
	}
	keys := make([]string, 0, len(byKind))
	for k := range byKind {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		a, b := byKind[keys[i]].gk, byKind[keys[j]].gk
		if a.Kind != b.Kind {
			return a.Kind < b.Kind
		}
		return a.Group < b.Group
	})
	return byKind, keys
}

// kindTable gathers the rows of one resource from every context.
type kindTable struct {
	gk      schema.GroupKind
	columns []metav1.TableColumnDefinition
	rows    []metav1.TableRow
}

// Tables writes one table per resource kind, rows of all contexts merged,
// ordered by context, namespace and name, kinds in alphabetical order and
// separated by a blank line as kubectl separates resource types.
func Tables(w io.Writer, results []source.ContextResult, opts TableOptions) error {
	if opts.Markdown {
		return markdownTables(w, results, opts)
	}
	byKind, keys := kindTables(results)
	showKind := opts.ShowKind || len(keys) > 1
	for i, k := range keys {
		kt := byKind[k]
		sortRows(kt.rows)
		if i > 0 && !opts.NoHeaders {
			fmt.Fprintln(w)
		}
		p := printers.NewTablePrinter(printers.PrintOptions{
			Wide:      opts.Wide,
			NoHeaders: opts.NoHeaders,
			WithKind:  showKind,
			Kind:      kt.gk,
		})
		table := &metav1.Table{ColumnDefinitions: kt.columns, Rows: kt.rows}
		if err := p.PrintObj(table, w); err != nil {
			return err
		}
	}
	return nil
}

func withContextColumns(cols []metav1.TableColumnDefinition) []metav1.TableColumnDefinition {
	out := make([]metav1.TableColumnDefinition, 0, len(cols)+2)
	out = append(out,
		metav1.TableColumnDefinition{Name: "Context", Type: "string"},
		metav1.TableColumnDefinition{Name: "Namespace", Type: "string"},
	)
	return append(out, cols...)
}

func rowNamespace(row metav1.TableRow) string {
	if len(row.Object.Raw) == 0 {
		return ""
	}
	var m metav1.PartialObjectMetadata
	if err := m.Unmarshal(row.Object.Raw); err == nil {
		return m.Namespace
	}
	u := &unstructured.Unstructured{}
	if err := u.UnmarshalJSON(row.Object.Raw); err == nil {
		return u.GetNamespace()
	}
	return ""
}

// sortRows orders rows by context, namespace, then name (the first server
// column).
func sortRows(rows []metav1.TableRow) {
	key := func(r metav1.TableRow) [3]string {
		var k [3]string
		for i := 0; i < 3 && i < len(r.Cells); i++ {
			k[i] = fmt.Sprint(r.Cells[i])
		}
		return k
	}
	sort.SliceStable(rows, func(i, j int) bool {
		a, b := key(rows[i]), key(rows[j])
		for x := range a {
			if a[x] != b[x] {
				return a[x] < b[x]
			}
		}
		return false
	})
}

// ObjectTables writes objects read from files with the columns the API
// servers would give them (the Istio CRDs' printer columns), since files come
// without server-side tables.
func ObjectTables(w io.Writer, objs []source.Object, opts TableOptions, now metav1.Time) error {
	results := map[string]*source.ContextResult{}
	var order []string
	for _, o := range objs {
		res := results[o.Context]
		if res == nil {
			res = &source.ContextResult{Context: contextLabel(o.Context)}
			results[o.Context] = res
			order = append(order, o.Context)
		}
		row, err := tableForObject(o, now)
		if err != nil {
			return err
		}
		// The row's object is only read for its namespace: its metadata
		// alone, not a copy of the whole object (which may be huge).
		raw, err := json.Marshal(map[string]any{"apiVersion": "meta.k8s.io/v1", "kind": "PartialObjectMetadata",
			"metadata": map[string]any{"name": o.Name(), "namespace": o.Namespace()}})
		if err != nil {
			return err
		}
		row.Rows[0].Object = runtime.RawExtension{Raw: raw}
		gvk := o.Obj.GroupVersionKind()
		var t *metav1.Table
		for i := range res.Tables {
			if res.Tables[i].Resource.Kind == gvk.Kind && res.Tables[i].Resource.GVR.Group == gvk.Group {
				t = res.Tables[i].Table
			}
		}
		if t == nil {
			r := source.Resource{GVR: gvk.GroupVersion().WithResource(strings.ToLower(gvk.Kind)), Kind: gvk.Kind}
			res.Tables = append(res.Tables, source.ResourceTable{Resource: r, Table: row})
			continue
		}
		t.Rows = append(t.Rows, row.Rows...)
	}
	sort.Strings(order)
	list := make([]source.ContextResult, 0, len(order))
	for _, c := range order {
		list = append(list, *results[c])
	}
	return Tables(w, list, opts)
}

func contextLabel(c string) string {
	if c == "" {
		return "-"
	}
	return c
}

// markdownTables writes what Tables writes as GitHub-flavoured Markdown
// tables, one per kind, to paste into an issue or a pull request: the same
// columns (kubectl's upper-cased names, priority columns with Wide) and the
// same cells.
func markdownTables(w io.Writer, results []source.ContextResult, opts TableOptions) error {
	byKind, keys := kindTables(results)
	showKind := opts.ShowKind || len(keys) > 1
	for i, k := range keys {
		kt := byKind[k]
		sortRows(kt.rows)
		if i > 0 {
			if _, err := fmt.Fprintln(w); err != nil {
				return err
			}
		}
		var header []string
		var cols []int
		for c, col := range kt.columns {
			if opts.Wide || col.Priority == 0 {
				header = append(header, strings.ToUpper(col.Name))
				cols = append(cols, c)
			}
		}
		rows := make([][]string, 0, len(kt.rows))
		for _, r := range kt.rows {
			row := make([]string, 0, len(cols))
			for _, c := range cols {
				var cell string
				if c < len(r.Cells) && r.Cells[c] != nil {
					cell = fmt.Sprint(r.Cells[c])
				}
				// As kubectl names objects of several kinds: kind.group/name.
				if showKind && kt.columns[c].Format == "name" && kt.columns[c].Type == "string" {
					cell = strings.ToLower(kt.gk.String()) + "/" + cell
				}
				row = append(row, cell)
			}
			rows = append(rows, row)
		}
		if err := MarkdownTable(w, header, rows); err != nil {
			return err
		}
	}
	return nil
}
