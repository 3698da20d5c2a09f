package printers

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/cli-runtime/pkg/printers"

	"github.com/kubectl-vd/kubectl-vd/pkg/source"
)

// List builds the kubectl List that `kubectl get -o yaml` prints for the
// objects. With annotateContext each item records its kube context in
// source.ContextAnnotation, so that a file holding several contexts reads
// back with the context of each object. Managed fields are dropped, as
// kubectl hides them by default.
func List(objs []source.Object, annotateContext bool) *unstructured.Unstructured {
	items := make([]any, 0, len(objs))
	for _, o := range objs {
		u := o.Obj.DeepCopy()
		u.SetManagedFields(nil)
		if annotateContext {
			ann := u.GetAnnotations()
			if ann == nil {
				ann = map[string]string{}
			}
			ann[source.ContextAnnotation] = o.Context
			u.SetAnnotations(ann)
		}
		items = append(items, u.Object)
	}
	return &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "v1",
		"kind":       "List",
		"metadata":   map[string]any{"resourceVersion": ""},
		"items":      items,
	}}
}

// YAML writes objs as kubectl's List in YAML.
func YAML(w io.Writer, objs []source.Object, annotateContext bool) error {
	return (&printers.YAMLPrinter{}).PrintObj(List(objs, annotateContext), w)
}

// JSON writes objs as kubectl's List in JSON.
func JSON(w io.Writer, objs []source.Object, annotateContext bool) error {
	return (&printers.JSONPrinter{}).PrintObj(List(objs, annotateContext), w)
}

// Names writes kind.group/name per object, as `kubectl get -o name`.
func Names(w io.Writer, objs []source.Object) error {
	for _, o := range objs {
		gk := o.Obj.GroupVersionKind().GroupKind()
		fmt.Fprintf(w, "%s/%s\n", strings.ToLower(gk.String()), o.Name())
	}
	return nil
}

// JSONPath evaluates a kubectl JSONPath template over the List of objs.
func JSONPath(w io.Writer, objs []source.Object, template string, annotateContext bool) error {
	p, err := printers.NewJSONPathPrinter(template)
	if err != nil {
		return fmt.Errorf("invalid jsonpath template %q: %v", template, err)
	}
	p.AllowMissingKeys(true)
	return p.PrintObj(List(objs, annotateContext), w)
}

// ValidateJSONPath parses a template without printing.
func ValidateJSONPath(template string) error {
	if _, err := printers.NewJSONPathPrinter(template); err != nil {
		return fmt.Errorf("invalid jsonpath template %q: %v", template, err)
	}
	return nil
}

// Print writes the List of objs with one of kubectl's printers (what
// genericclioptions.PrintFlags builds for -o yaml, json, name, jsonpath,
// go-template...), as kubectl get prints several objects.
func Print(w io.Writer, p printers.ResourcePrinter, objs []source.Object, annotateContext bool) error {
	list, err := List(objs, annotateContext).ToList()
	if err != nil {
		return err
	}
	// kubectl's template printers write what they produced before a
	// failure, and the go-template printer its dump of every object, to
	// the output: the output is kept until the printer succeeds, so a
	// failing template prints nothing but its error.
	var buf bytes.Buffer
	if err := p.PrintObj(list, &buf); err != nil {
		return templateError(err)
	}
	_, err = buf.WriteTo(w)
	return err
}

// debugDump starts the part of a template printer's error that dumps the
// template and every object it was given.
const debugDump = ". Printing more information for debugging the template:"

// templateError keeps the line of a template printer's error that says
// what failed, without the dump of the objects that follows it.
func templateError(err error) error {
	msg := err.Error()
	i := strings.Index(msg, debugDump)
	if i < 0 {
		return err
	}
	return errors.New(msg[:i])
}
