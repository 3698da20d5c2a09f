package printers

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/util/jsonpath"

	"github.com/kubectl-vd/kubectl-vd/pkg/source"
)

//go:generate go run ./internal/gencolumns

// printerColumn is a CRD's additionalPrinterColumn.
type printerColumn struct {
	Name, Type, Format string
	Priority           int32
	JSONPath           string
	Description        string
}

// tableForObject builds the table row an API server would return for an
// Istio object, from the CRD's printer columns, so that objects read from
// files print like live ones. Kinds without known columns get NAME and AGE,
// as a CRD without printer columns does.
func tableForObject(o source.Object, now metav1.Time) (*metav1.Table, error) {
	gk := o.Obj.GroupVersionKind().GroupKind()
	cols := istioColumns[gk.Kind+"."+gk.Group]
	if len(cols) == 0 {
		cols = []printerColumn{{Name: "Age", Type: "date", JSONPath: ".metadata.creationTimestamp"}}
	}
	t := &metav1.Table{ColumnDefinitions: []metav1.TableColumnDefinition{
		{Name: "Name", Type: "string", Format: "name", Description: metav1.ObjectMeta{}.SwaggerDoc()["name"]},
	}}
	cells := []any{o.Name()}
	for _, c := range cols {
		t.ColumnDefinitions = append(t.ColumnDefinitions, metav1.TableColumnDefinition{
			Name: c.Name, Type: c.Type, Format: c.Format, Priority: c.Priority, Description: c.Description,
		})
		cells = append(cells, cell(o, c, now))
	}
	t.Rows = []metav1.TableRow{{Cells: cells}}
	return t, nil
}

// cell evaluates one column as kube-apiserver's CRD table convertor does:
// strings through the JSONPath printer (lists and maps come out as JSON),
// dates as ages, other types as their JSON value.
func cell(o source.Object, c printerColumn, now metav1.Time) any {
	jp := jsonpath.New(c.Name)
	if err := jp.Parse(fmt.Sprintf("{%s}", c.JSONPath)); err != nil {
		return nil
	}
	results, err := jp.FindResults(o.Obj.UnstructuredContent())
	if err != nil || len(results) == 0 || len(results[0]) == 0 {
		return nil
	}
	value := results[0][0].Interface()
	switch c.Type {
	case "string":
		var buf bytes.Buffer
		if err := jp.PrintResults(&buf, []reflect.Value{reflect.ValueOf(value)}); err != nil {
			return nil
		}
		return buf.String()
	case "date":
		s, ok := value.(string)
		if !ok {
			return nil
		}
		var ts metav1.Time
		if err := ts.UnmarshalQueryParameter(s); err != nil {
			return "<invalid>"
		}
		return age(ts, now)
	case "integer":
		switch v := value.(type) {
		case int64:
			return v
		case float64:
			return int64(v)
		case json.Number:
			if i, err := v.Int64(); err == nil {
				return i
			}
		}
	case "number":
		switch v := value.(type) {
		case int64:
			return float64(v)
		case float64:
			return v
		}
	case "boolean":
		if b, ok := value.(bool); ok {
			return b
		}
	}
	return nil
}
