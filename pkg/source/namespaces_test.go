package source

import (
	"errors"
	"reflect"
	"testing"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

func TestAcrossNamespaces(t *testing.T) {
	forbidden := apierrors.NewForbidden(schema.GroupResource{Resource: "serviceentries"}, "", errors.New("rbac"))
	down := errors.New("connection refused")
	cases := []struct {
		name       string
		namespaced bool
		answers    map[string]error // by namespace, "" = all
		wantLists  []string
		wantFB     *fallback
		wantErr    error
	}{
		{"cluster-wide list allowed", true, map[string]error{}, []string{""}, nil, nil},
		{"forbidden: the namespaces instead", true, map[string]error{"": forbidden, "b": forbidden},
			[]string{"", "a", "b"}, &fallback{readable: []string{"a"}, forbidden: []string{"b"}}, nil},
		{"cluster-scoped: no fallback", false, map[string]error{"": forbidden}, []string{""}, nil, forbidden},
		{"other error: no fallback", true, map[string]error{"": down}, []string{""}, nil, down},
		{"namespace read fails", true, map[string]error{"": forbidden, "a": down}, []string{"", "a"}, nil, down},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var lists []string
			fb, err := acrossNamespaces(tc.namespaced, []string{"a", "b"}, func(ns string) error {
				lists = append(lists, ns)
				return tc.answers[ns]
			})
			if !errors.Is(err, tc.wantErr) {
				t.Errorf("err = %v, want %v", err, tc.wantErr)
			}
			if !reflect.DeepEqual(fb, tc.wantFB) {
				t.Errorf("fallback = %+v, want %+v", fb, tc.wantFB)
			}
			if !reflect.DeepEqual(lists, tc.wantLists) {
				t.Errorf("lists = %q, want %q", lists, tc.wantLists)
			}
		})
	}
}
